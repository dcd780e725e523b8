{#- int_indicator_members in one pass (it stacks large views, so one scan, not four):
    side is official or reported; official rows are unique per indicator, period and
    person; reported rows unique per indicator, period, person and town; for ratio
    indicators every official numerator person is in the denominator. -#}
{% test indicator_members_well_formed(model) %}
with members as (
    select * from {{ model }}
),

catalogue as (
    select indicator_code, kind from {{ ref('indicator_catalogue') }}
),

-- Two plain aggregates, no count(distinct): DuckDB spills these to disk under its memory
-- limit (a distinct aggregate over 100 M+ member rows ran out of memory at province scale).
per_town as (
    select
        members.indicator_code,
        members.period,
        members.side,
        members.person_key,
        members.town,
        count(*) as town_rows,
        bool_or(members.in_numerator and not coalesce(members.in_denominator, false)
                and catalogue.kind = 'ratio') as numerator_outside_denominator
    from members
    left join catalogue on catalogue.indicator_code = members.indicator_code
    group by members.indicator_code, members.period, members.side, members.person_key, members.town
),

per_person as (
    select
        indicator_code,
        period,
        side,
        person_key,
        sum(town_rows) as member_rows,
        count(town) as towns,  -- distinct towns: one per_town row per town (null not counted)
        bool_or(numerator_outside_denominator) as numerator_outside_denominator
    from per_town
    group by indicator_code, period, side, person_key
)

select *
from per_person
where side not in ('official', 'reported')
    or (side = 'official' and (member_rows > 1 or numerator_outside_denominator))
    or (side = 'reported' and member_rows <> towns)
{% endtest %}
