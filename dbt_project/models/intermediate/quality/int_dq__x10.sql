-- X10 (warn): 发放年月 stated in the row differs from the ledger file's month; the row is
-- kept under the file's month. One finding per ledger row (a missing 发放年月 also differs).
-- A pay month's findings come from its ledger file alone: a refresh computes again only the
-- months whose file changed (macros/landing_increments.sql).
{{ config(materialized='landing_increment', landing_source='subsidy',
          landing_period="replace(period, '-', '')") }}
with flagged as (
    select person_id, town, pay_period, pay_month, pay_month_stated, source_file, source_row
    from {{ ref('stg_raw__subsidy_rows') }}
    where pay_month_stated is distinct from pay_month and {{ landing_periods_filter('pay_month') }}
)

{{ dq_finding('X10', 'warn', "'subsidy'", 'person_id', 'town', 'pay_period',
    "'发放年月填为' || coalesce(pay_month_stated, '空') || '，与文件月份' || pay_month || '不符，按文件月份计（'"
    " || source_file || ' 第' || cast(source_row as varchar) || '行）'") }}
