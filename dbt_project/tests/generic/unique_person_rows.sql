{#- The grain of a person-level view too large to group by its text keys (persons x month
    ends at province scale: tens of millions of rows): no two rows share `columns` and the
    person, grouping by a 64-bit hash of person_key. Exact for real duplicates; two persons
    whose keys share a hash in the same group would be reported too (about one chance in a
    million per refresh at 1M persons), never a duplicate missed. -#}
{% test unique_person_rows(model, columns) %}
select
    {{ columns | join(', ') }},
    hash(person_key) as person_hash,
    count(*) as rows_with_these_values
from {{ model }}
group by {{ columns | join(', ') }}, hash(person_key)
having count(*) > 1
{% endtest %}
