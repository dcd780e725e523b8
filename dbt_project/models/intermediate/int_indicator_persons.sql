-- The drill-down behind indicator_values, on person_id: which persons make up the
-- numerator, the denominator and the source-side (reported) numerator of an annual figure.
-- One row per indicator, year, town and person. Yearly indicators: every year. Monthly
-- indicators (I04-I06): only the month their annual value shows (as_of_period), not every
-- month: persons x 12 months x years would be tens of millions of rows at national scale
-- and the dashboard and notebooks drill into annual figures. The monthly indicators are
-- computed for those months only (indicator_member_rows); every month's members are the
-- views intermediate.int_indicator__i04/5/6.
-- area_name is a town: the registry town for in_denominator / in_numerator, the source's
-- town for in_reported_numerator (a person can appear under two towns). The district is
-- all rows: distinct person_id.
-- The published mart, marts.fct_indicator_persons, is a view that adds person_key
-- (int_person_keys): the 64-character keys are then written once, into the published
-- database, not also here (province: 75 s for this table with the keys, 46 s without).
with annual_periods as (
    select indicator_code, period, as_of_period
    from {{ ref('int_indicator_periods') }}
    where period_kind = 'year' and as_of_period is not null
),

as_of_months as (
    select indicator_code, as_of_period as period from annual_periods
),

members as (
    select
        annual_periods.indicator_code,
        annual_periods.period,
        annual_periods.as_of_period,
        members.town as area_name,
        members.person_id,
        members.side,
        members.in_denominator,
        members.in_numerator,
        members.numerator_units,
        members.numerator_amount,
        members.denominator_amount
    from (
        {{ indicator_member_rows('as_of_months') }}
    ) as members
    inner join annual_periods
        on annual_periods.indicator_code = members.indicator_code
        and annual_periods.as_of_period = members.period
),

-- A person's official row (at most one per indicator and period, tested on each indicator
-- model) and reported row (one per town: indicator_members' select distinct) side by side,
-- by a full join on the output's grain. It replaced a group by over both sides' 44 M rows
-- at province scale: 29 s instead of 40 s alone, the same rows (benchmarks/RESULTS.md).
official as (
    select * from members where side = 'official'
),

reported as (
    select indicator_code, period, as_of_period, area_name, person_id
    from members
    where side = 'reported'
),

persons as (
    select
        coalesce(official.indicator_code, reported.indicator_code) as indicator_code,
        coalesce(official.period, reported.period) as period,
        coalesce(official.as_of_period, reported.as_of_period) as as_of_period,
        coalesce(official.area_name, reported.area_name) as area_name,
        coalesce(official.person_id, reported.person_id) as person_id,
        -- false for count indicators (I02, I03, I13), which have no denominator
        coalesce(official.in_denominator, false) as in_denominator,
        coalesce(official.in_numerator, false) as in_numerator,
        reported.person_id is not null as in_reported_numerator,
        coalesce(official.numerator_units, 0) as numerator_units,
        official.numerator_amount,
        official.denominator_amount
    from official
    full join reported
        on reported.indicator_code = official.indicator_code
        and reported.period = official.period
        and reported.area_name = official.area_name
        and reported.person_id = official.person_id
)

select
    cast(indicator_code as varchar) as indicator_code,
    cast(period as varchar) as period,
    cast(as_of_period as varchar) as as_of_period,
    cast(area_name as varchar) as area_name,
    person_id,
    in_denominator,
    in_numerator,
    in_reported_numerator,
    cast(numerator_units as integer) as numerator_units,
    cast(numerator_amount as double) as numerator_amount,
    cast(denominator_amount as double) as denominator_amount
from persons
