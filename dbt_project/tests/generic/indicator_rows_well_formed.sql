{#- One indicator model's person-level rows, row by row: macros/indicator_row_checks.sql,
    indicator_row_problems. For the monthly views, whose grain test is sql_shape
    (intermediate/indicators/_int_indicators__models.yml); the yearly models take
    indicator_rows, which holds this, the grain and the column rules in one node. -#}
{% test indicator_rows_well_formed(model) %}
{{ indicator_row_problems(model) }}
{% endtest %}
