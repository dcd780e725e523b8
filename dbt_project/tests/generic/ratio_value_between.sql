{#- For ratio indicators the column, where not null, lies in [min_value, max_value]
    (the official value is a share of the denominator: 0..100). -#}
{% test ratio_value_between(model, column_name, min_value=0, max_value=100) %}
with checked as (
    select * from {{ model }}
)

select checked.*
from checked
inner join {{ ref('indicator_catalogue') }} as catalogue
    on catalogue.indicator_code = checked.indicator_code
where catalogue.kind = 'ratio'
    and {{ column_name }} is not null
    and ({{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }})
{% endtest %}
