-- All indicators' person-level rows stacked (one model per indicator in indicators/):
-- side 'official' = the definition (registry town), side 'reported' = the source-side
-- numerator (the source's town). A view: the monthly indicators are views too.
{{ config(materialized='view') }}

{% set indicator_models = [
    'int_indicator__i01', 'int_indicator__i02', 'int_indicator__i03', 'int_indicator__i04',
    'int_indicator__i05', 'int_indicator__i06', 'int_indicator__i07', 'int_indicator__i08',
    'int_indicator__i09', 'int_indicator__i10', 'int_indicator__i11', 'int_indicator__i12',
    'int_indicator__i13', 'int_indicator__i14'
] %}

{% for model_name in indicator_models %}
select
    indicator_code, period, side, person_key, town, in_denominator, in_numerator,
    numerator_units, numerator_amount, denominator_amount
from {{ ref(model_name) }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
