{#- The grain of an indicator's person-level rows, in one scan (two groupings; a monthly
    view, persons x month ends, tens of millions of rows at province scale, is computed
    once), one test node instead of two:
      official rows   one per period and person;
      all rows        one per period, side, town and person (reported: one per source town). -#}
{% test unique_person_rows(model) %}
select
    period,
    side,
    town,
    person_id,
    case when grouping(side) = 1 then 'official rows per period and person'
        else 'rows per period, side, town and person' end as grain,
    case when grouping(side) = 1 then count(*) filter (where side = 'official') else count(*) end
        as rows_with_these_values
from {{ model }}
group by grouping sets ((period, person_id), (period, side, town, person_id))
having (case when grouping(side) = 1 then count(*) filter (where side = 'official') else count(*) end) > 1
{% endtest %}
