-- What explains each A01/A02 case (a ratio indicator_values row with reported_value > 100,
-- or reported_value - value > 5 points): the reported numerator (distinct IDs the source
-- lists for the area and period, by the source's own town column; the district counts
-- each ID once) split into five parts that add up to it. Each reported ID falls in the
-- first part that applies, in this order:
--   matched_eligible        in this area's official denominator population (the district:
--                           in the district's) for the period
--   counted_by_other_town   (towns only) in another town's official denominator population
--   not_in_registry         not a registry person (newest snapshot)
--   cancelled_before_period registry person not active at the period end because cancelled
--                           (status 注销, cancel date on or before the period end)
--   paid_not_eligible       every other registry person: active (or not yet issued) but
--                           outside the target group / conditions of the indicator
-- The period end of an annual row of a monthly indicator is that of the month it shows
-- (as_of_period).
with cases as (
    select values.*, periods.as_of_period
    from {{ ref('indicator_values') }} as values
    inner join {{ ref('indicator_catalogue') }} as catalogue on catalogue.indicator_code = values.indicator_code
    inner join {{ ref('int_indicator_periods') }} as periods
        on periods.indicator_code = values.indicator_code and periods.period = values.period
    where catalogue.kind = 'ratio' and catalogue.has_reported_value
        and (values.reported_value > 100 or values.reported_value - coalesce(values.value, 0) > 5)
),

wanted as (
    select distinct indicator_code, as_of_period as period from cases
),

members as (
    -- the monthly indicators computed for the wanted months only
    select members.indicator_code, members.period, members.side, members.person_id, members.town,
        members.in_denominator
    from (
        {{ indicator_member_rows('wanted') }}
    ) as members
    inner join wanted
        on wanted.indicator_code = members.indicator_code and wanted.period = members.period
),

reported as (
    -- the reported IDs per case: by source town for a town, every ID once for the district
    select distinct cases.indicator_code, cases.period, cases.area_level, cases.area_name, cases.as_of_period,
        members.person_id
    from cases
    inner join members
        on members.indicator_code = cases.indicator_code
        and members.period = cases.as_of_period
        and members.side = 'reported'
        and (cases.area_level = 'district' or members.town = cases.area_name)
),

denominators as (
    select distinct indicator_code, period, person_id, town
    from members
    where side = 'official' and in_denominator
),

classified as (
    select
        reported.*,
        case
            when own.person_id is not null then 'matched_eligible'
            when other.person_id is not null then 'counted_by_other_town'
            when persons.person_id is null then 'not_in_registry'
            when persons.status = '注销' and persons.cancel_date <= {{ period_end('reported.as_of_period') }}
                then 'cancelled_before_period'
            else 'paid_not_eligible'
        end as part
    from reported
    left join denominators as own
        on own.indicator_code = reported.indicator_code and own.period = reported.as_of_period
        and own.person_id = reported.person_id
        and (reported.area_level = 'district' or own.town = reported.area_name)
    left join denominators as other
        on other.indicator_code = reported.indicator_code and other.period = reported.as_of_period
        and other.person_id = reported.person_id
        and reported.area_level = 'town' and other.town <> reported.area_name
    left join {{ ref('int_persons') }} as persons on persons.person_id = reported.person_id
),

parts as (
    select
        indicator_code, period, area_name,
        count(*) as reported_numerator,
        count(*) filter (where part = 'matched_eligible') as matched_eligible,
        count(*) filter (where part = 'counted_by_other_town') as counted_by_other_town,
        count(*) filter (where part = 'not_in_registry') as not_in_registry,
        count(*) filter (where part = 'cancelled_before_period') as cancelled_before_period,
        count(*) filter (where part = 'paid_not_eligible') as paid_not_eligible
    from classified
    group by indicator_code, period, area_name
)

select
    cast(cases.indicator_code as varchar) as indicator_code,
    cast(cases.period as varchar) as period,
    cast(cases.area_name as varchar) as area_name,
    cast(cases.value as double) as value,
    cast(cases.reported_value as double) as reported_value,
    cast(cases.denominator as double) as denominator,
    cast(cases.numerator as double) as numerator,
    cast(coalesce(parts.reported_numerator, 0) as double) as reported_numerator,
    cast(coalesce(parts.matched_eligible, 0) as double) as matched_eligible,
    cast(coalesce(parts.counted_by_other_town, 0) as double) as counted_by_other_town,
    cast(coalesce(parts.not_in_registry, 0) as double) as not_in_registry,
    cast(coalesce(parts.cancelled_before_period, 0) as double) as cancelled_before_period,
    cast(coalesce(parts.paid_not_eligible, 0) as double) as paid_not_eligible
from cases
left join parts
    on parts.indicator_code = cases.indicator_code and parts.period = cases.period
    and parts.area_name = cases.area_name
order by cases.indicator_code, length(cases.period), cases.period, cases.area_name
