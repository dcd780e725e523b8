{#- Each row of indicator_values has the shape its catalogue kind promises (indicators.md):
    ratio  -> numerator and denominator not null (0 when nobody qualifies), value null
              exactly when the denominator is 0;
    count  -> denominator null, value = numerator;
    growth -> numerator and denominator both null or both set;
    reported_value null for indicators without one. -#}
{% test indicator_values_match_catalogue(model) %}
with checked as (
    select * from {{ model }}
)

select checked.*, catalogue.kind
from checked
inner join {{ ref('indicator_catalogue') }} as catalogue
    on catalogue.indicator_code = checked.indicator_code
where
    (catalogue.kind = 'ratio' and (
        checked.numerator is null or checked.denominator is null
        or (checked.value is null) <> (checked.denominator = 0)))
    or (catalogue.kind = 'count' and (
        checked.denominator is not null or checked.value is distinct from checked.numerator))
    or (catalogue.kind = 'growth' and (checked.numerator is null) <> (checked.denominator is null))
    or (not catalogue.has_reported_value and checked.reported_value is not null)
{% endtest %}
