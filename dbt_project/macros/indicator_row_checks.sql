{#- The rules on an indicator model's person-level rows (intermediate/indicators), as
    queries of the rows or groups that break them, all of the same columns (problem,
    period, side, town, person_id, rows), so that a test can take one or both:
    tests/generic/indicator_rows_well_formed.sql, unique_person_rows.sql, indicator_rows.sql. -#}

{#- Row by row (no aggregate, so it costs one scan of the model and no memory at province
    scale): side is official or reported; a reported row names the source's town; for ratio
    indicators an official numerator row is in the denominator (reported rows count the
    source side and have no denominator; numerator_persons_in_denominator's rule, folded
    into this scan so the monthly views are computed once). With `code`: the rows are the
    indicator `code`'s, and period and person_id are never null. -#}
{% macro indicator_row_problems(model, code=none) %}
with checked as (
    select * from {{ model }}
),

catalogue as (
    select indicator_code, kind from {{ ref('indicator_catalogue') }}
)

select
    case
        when checked.side is null or checked.side not in ('official', 'reported') then 'side'
        when checked.side = 'reported' and checked.town is null then 'reported row without the source town'
        when checked.side = 'official' and catalogue.kind = 'ratio'
            and checked.in_numerator and not coalesce(checked.in_denominator, false)
            then 'numerator row outside the denominator'
        else 'indicator_code, period or person_id'
    end as problem,
    checked.period,
    checked.side,
    checked.town,
    checked.person_id,
    1 as rows
from checked
left join catalogue on catalogue.indicator_code = checked.indicator_code
where checked.side is null
    or checked.side not in ('official', 'reported')
    or (checked.side = 'reported' and checked.town is null)
    or (checked.side = 'official' and catalogue.kind = 'ratio'
        and checked.in_numerator and not coalesce(checked.in_denominator, false))
{%- if code is not none %}
    or checked.indicator_code is distinct from '{{ code }}'
    or checked.period is null
    or checked.person_id is null
{%- endif %}
{% endmacro %}

{#- The grain, in one scan (two groupings; a monthly view, persons x month ends, tens of
    millions of rows at province scale, is computed once):
      official rows   one per period and person;
      all rows        one per period, side, town and person (reported: one per source town). -#}
{% macro indicator_grain_problems(model) %}
select
    case when grouping(side) = 1 then 'official rows per period and person'
        else 'rows per period, side, town and person' end as problem,
    period,
    side,
    town,
    person_id,
    case when grouping(side) = 1 then count(*) filter (where side = 'official') else count(*) end as rows
from {{ model }}
group by grouping sets ((period, person_id), (period, side, town, person_id))
having (case when grouping(side) = 1 then count(*) filter (where side = 'official') else count(*) end) > 1
{% endmacro %}
