{#- Every (indicator, period) present has exactly one row for each area of the area
    model (the district and every town), and every indicator of the catalogue has every
    period of the frame model. Returns the missing combinations. -#}
{% test every_area_for_every_period(model, area_model, frame_model) %}
with expected as (
    select frame.indicator_code, frame.period, areas.area_level, areas.area_name
    from {{ frame_model }} as frame
    cross join {{ area_model }} as areas
),

actual as (
    select indicator_code, period, area_level, area_name from {{ model }}
)

select 'missing' as problem, expected.*
from expected
left join actual
    on actual.indicator_code = expected.indicator_code
    and actual.period = expected.period
    and actual.area_level = expected.area_level
    and actual.area_name = expected.area_name
where actual.indicator_code is null
union all
select 'unexpected' as problem, actual.*
from actual
left join expected
    on actual.indicator_code = expected.indicator_code
    and actual.period = expected.period
    and actual.area_level = expected.area_level
    and actual.area_name = expected.area_name
where expected.indicator_code is null
{% endtest %}
