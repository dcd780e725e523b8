{#- A yearly indicator model's person-level rows, every rule in one node: row by row
    (indicator_rows_well_formed's rules; the rows are `code`'s, with a period and a person)
    and the grain (unique_person_rows's), macros/indicator_row_checks.sql. One node instead
    of three: each test node cost dbt about 36 ms more at district scale than its query
    (benchmarks/RESULTS.md). A failure lists the rows and groups, each with its
    problem. -#}
{% test indicator_rows(model, code) %}
{{ indicator_row_problems(model, code) }}
union all
{{ indicator_grain_problems(model) }}
{% endtest %}
