{#- The official numerator is a subset of the denominator population (indicators.md):
    for ratio indicators (kind 'ratio' in the catalogue) numerator <= denominator. -#}
{% test numerator_not_above_denominator(model, numerator='numerator', denominator='denominator') %}
with checked as (
    select * from {{ model }}
)

select checked.*
from checked
inner join {{ ref('indicator_catalogue') }} as catalogue
    on catalogue.indicator_code = checked.indicator_code
where catalogue.kind = 'ratio'
    and not coalesce({{ numerator }} <= {{ denominator }}, false)
{% endtest %}
