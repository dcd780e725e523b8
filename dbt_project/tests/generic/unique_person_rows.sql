{#- The grain of an indicator's person-level view too large to group by its text keys
    (persons x month ends at province scale: tens of millions of rows), in one scan of the
    view (it is computed once, two groupings):
      official rows   one per period and person;
      all rows        one per period, side, town and person (reported: one per source town).
    Grouped by a 64-bit hash of person_key: exact for real duplicates; two persons whose
    keys share a hash in the same group would be reported too (about one chance in a
    million per refresh at 1M persons), never a duplicate missed. -#}
{% test unique_person_rows(model) %}
select
    period,
    side,
    town,
    hash(person_key) as person_hash,
    case when grouping(side) = 1 then 'official rows per period and person'
        else 'rows per period, side, town and person' end as grain,
    case when grouping(side) = 1 then count(*) filter (where side = 'official') else count(*) end
        as rows_with_these_values
from {{ model }}
group by grouping sets ((period, hash(person_key)), (period, side, town, hash(person_key)))
having (case when grouping(side) = 1 then count(*) filter (where side = 'official') else count(*) end) > 1
{% endtest %}
