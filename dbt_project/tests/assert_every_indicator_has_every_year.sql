{{ config(meta={"dagster": {"ref": {"name": "indicator_values"}}}) }}
-- Every indicator of the catalogue has a row for every year from the first year to the
-- latest year any extract covers (indicators.md), monthly indicators their 'YYYY' rows too.
with expected as (
    select catalogue.indicator_code, years.period
    from {{ ref('indicator_catalogue') }} as catalogue
    cross join {{ ref('int_periods__years') }} as years
),

actual as (
    select distinct indicator_code, period from {{ ref('indicator_values') }}
)

select expected.*
from expected
left join actual using (indicator_code, period)
where actual.indicator_code is null
