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

per_person as (
    select
        members.indicator_code,
        members.period,
        members.side,
        members.person_key,
        count(*) as member_rows,
        count(distinct members.town) as towns,
        bool_or(members.in_numerator and not coalesce(members.in_denominator, false)
                and catalogue.kind = 'ratio') as numerator_outside_denominator
    from members
    left join catalogue on catalogue.indicator_code = members.indicator_code
    group by members.indicator_code, members.period, members.side, members.person_key
)

select *
from per_person
where side not in ('official', 'reported')
    or (side = 'official' and (member_rows > 1 or numerator_outside_denominator))
    or (side = 'reported' and member_rows <> towns)
{% endtest %}
