-- The years of the indicators: from the plan's first year (var first_year, 2021) to the
-- latest year any extract covers (newest registry / employment snapshot, latest subsidy
-- pay month, latest survey year). At least the first year, so the frame is never empty.
with coverage as (
    select max(cast(substr(snapshot_month, 1, 4) as integer)) as last_year from {{ ref('stg_raw__registry_rows') }}
    union all
    select max(cast(substr(snapshot_month, 1, 4) as integer)) from {{ ref('stg_raw__employment_rows') }}
    union all
    select max(pay_year) from {{ ref('stg_raw__subsidy_rows') }}
    union all
    select max(survey_year) from {{ ref('stg_raw__survey_rows') }}
),

bounds as (
    select
        {{ var('first_year') }} as first_year,
        greatest({{ var('first_year') }}, coalesce(max(last_year), {{ var('first_year') }})) as last_year
    from coverage
),

years as (
    select cast(n as integer) as year
    from (select {{ integer_series('first_year', 'last_year') }} as n from bounds)
)

select
    year,
    cast(year as varchar) as period,
    {{ date_from_parts('year', 1, 1) }} as year_start,
    {{ date_from_parts('year', 12, 31) }} as year_end,
    {{ date_from_parts('year', 8, 31) }} as aug31,
    {{ date_from_parts('year - 1', 12, 31) }} as previous_year_end
from years
