-- X04 (warn): an amount outside the standard's lowest/highest single payment for its
-- subsidy type and pay year (seeds/subsidy_standards.csv; the bounds themselves are
-- allowed). A type/year without a standard is not checked. One finding per ledger row.
-- A pay month's findings come from its ledger file alone: a refresh computes again only the
-- months whose file changed (macros/landing_increments.sql).
{{ config(materialized='landing_increment', landing_source='subsidy',
          landing_period="replace(period, '-', '')") }}
with flagged as (
    select payments.*, standards.min_amount, standards.max_amount
    from {{ ref('stg_raw__subsidy_rows') }} as payments
    inner join {{ ref('subsidy_standards') }} as standards
        on standards.subsidy_type = payments.subsidy_type and standards.year = payments.pay_year
    where (payments.amount < standards.min_amount or payments.amount > standards.max_amount)
        and {{ landing_periods_filter('payments.pay_month') }}
)

{{ dq_finding('X04', 'warn', "'subsidy'", 'person_id', 'town', 'pay_period',
    "subsidy_type || '单笔' || " ~ fmt_yuan('amount') ~ " || '元，超出标准范围' || "
    ~ fmt_number('min_amount', 2) ~ " || '-' || " ~ fmt_number('max_amount', 2) ~ " || '元'", amount='amount') }}
