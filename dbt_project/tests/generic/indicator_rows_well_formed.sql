{#- One indicator model's person-level rows, row by row (no aggregate, so it costs one scan
    of the model and no memory at province scale): side is official or reported; a
    reported row names the source's town; for ratio indicators an official numerator row is
    in the denominator (reported rows count the source side and have no denominator). That
    last rule is numerator_persons_in_denominator's, folded into this scan so the monthly
    views are computed once. The grain (official: one row per period and person; reported:
    one per period, person and town) is unique_person_rows's (both grains, one scan). -#}
{% test indicator_rows_well_formed(model) %}
with checked as (
    select * from {{ model }}
),

catalogue as (
    select indicator_code, kind from {{ ref('indicator_catalogue') }}
)

select checked.*
from checked
left join catalogue on catalogue.indicator_code = checked.indicator_code
where checked.side is null
    or checked.side not in ('official', 'reported')
    or (checked.side = 'reported' and checked.town is null)
    or (checked.side = 'official' and catalogue.kind = 'ratio'
        and checked.in_numerator and not coalesce(checked.in_denominator, false))
{% endtest %}
