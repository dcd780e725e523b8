{#- The grain of an indicator's person-level rows, in one scan: macros/indicator_row_checks.sql,
    indicator_grain_problems. For the monthly views (sql_shape there); the yearly models
    take indicator_rows. -#}
{% test unique_person_rows(model) %}
{{ indicator_grain_problems(model) }}
{% endtest %}
