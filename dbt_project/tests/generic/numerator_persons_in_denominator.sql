{#- Person-level rows: for ratio indicators every person in the official numerator is in
    the denominator (the numerator is a subset of the denominator population). -#}
{% test numerator_persons_in_denominator(model) %}
with checked as (
    select * from {{ model }}
)

select checked.*
from checked
inner join {{ ref('indicator_catalogue') }} as catalogue
    on catalogue.indicator_code = checked.indicator_code
where catalogue.kind = 'ratio'
    and checked.in_numerator
    and not coalesce(checked.in_denominator, false)
{% endtest %}
