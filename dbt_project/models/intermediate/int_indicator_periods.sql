-- The frame of indicator_values: every period each indicator defines (indicators.md).
-- as_of_period is the period whose figures the row shows: itself, or for the annual row
-- of a monthly indicator the latest month of the year it covers (null if none).
with catalogue as (
    select indicator_code, period_kind from {{ ref('indicator_catalogue') }}
),

years as (
    select year, period from {{ ref('int_periods__years') }}
),

months as (
    select period, year, is_covered_by_employment, has_subsidy_ledger from {{ ref('int_periods__months') }}
),

covered_months as (
    -- I04: every month end from the first month to the month of the newest employment snapshot
    select 'I04' as indicator_code, period, year from months where is_covered_by_employment
    union all
    -- I05: every month that has a subsidy ledger
    select 'I05' as indicator_code, period, year from months where has_subsidy_ledger
    union all
    -- I06: every month that has a subsidy ledger
    select 'I06' as indicator_code, period, year from months where has_subsidy_ledger
),

yearly as (
    -- yearly (and cumulative) indicators: every year
    select catalogue.indicator_code, years.period, 'year' as period_kind, years.year, years.period as as_of_period
    from catalogue
    cross join years
    where catalogue.period_kind in ('year', 'year_cumulative')
),

monthly as (
    select covered_months.indicator_code, covered_months.period, 'month' as period_kind, covered_months.year,
        covered_months.period as as_of_period
    from covered_months
    inner join catalogue on catalogue.indicator_code = covered_months.indicator_code
),

monthly_annual as (
    -- a monthly indicator's annual value = the value of the latest month of Y it covers
    select catalogue.indicator_code, years.period, 'year' as period_kind, years.year,
        max(covered_months.period) as as_of_period
    from catalogue
    cross join years
    left join covered_months
        on covered_months.indicator_code = catalogue.indicator_code and covered_months.year = years.year
    where catalogue.period_kind = 'month'
    group by catalogue.indicator_code, years.period, years.year
)

select cast(indicator_code as varchar) as indicator_code, cast(period as varchar) as period,
    cast(period_kind as varchar) as period_kind, cast(year as integer) as year, cast(as_of_period as varchar) as as_of_period
from yearly
union all
select indicator_code, period, period_kind, year, as_of_period from monthly
union all
select indicator_code, period, period_kind, year, as_of_period from monthly_annual
