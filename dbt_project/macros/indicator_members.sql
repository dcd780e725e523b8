{#- The common shape of the per-indicator models (int_indicator__iNN), so that
    int_indicator_members can stack them. The model defines two CTEs:
      official: period, person_id, town (registry town), in_denominator, in_numerator,
                numerator_units, numerator_amount, denominator_amount
                -- one row per period and person of the official definition
      reported: period, person_id, town (the source's own town column)
                -- the source-side numerator (indicators.md, reported_value)
    and ends with {{ indicator_members('I08') }}. -#}
{% macro indicator_members(indicator_code, has_reported=true) -%}
select
    cast('{{ indicator_code }}' as varchar) as indicator_code,
    cast(period as varchar) as period,
    cast('official' as varchar) as side,
    cast(person_id as integer) as person_id,
    cast(town as varchar) as town,
    cast(in_denominator as boolean) as in_denominator,
    cast(in_numerator as boolean) as in_numerator,
    cast(numerator_units as integer) as numerator_units,
    cast(numerator_amount as double) as numerator_amount,
    cast(denominator_amount as double) as denominator_amount
from official
{%- if has_reported %}
union all
select distinct
    cast('{{ indicator_code }}' as varchar) as indicator_code,
    cast(period as varchar) as period,
    cast('reported' as varchar) as side,
    cast(person_id as integer) as person_id,
    cast(town as varchar) as town,
    cast(null as boolean) as in_denominator,
    true as in_numerator,
    1 as numerator_units,
    cast(null as double) as numerator_amount,
    cast(null as double) as denominator_amount
from reported
{%- endif %}
{%- endmacro %}

{#- All fourteen indicators' person-level rows stacked (int_indicator_members' columns).
    monthly_periods: none (the monthly indicators' views, every month) or the name of a
    relation (indicator_code, period) with the months wanted of I04-I06, computed for those
    months only (macros/monthly_indicators.sql); yearly indicators are their tables. -#}
{% macro indicator_member_rows(monthly_periods=none) -%}
{%- set codes = ['I01', 'I02', 'I03', 'I04', 'I05', 'I06', 'I07',
                 'I08', 'I09', 'I10', 'I11', 'I12', 'I13', 'I14'] -%}
{%- for code in codes %}
select
    indicator_code, period, side, person_id, town, in_denominator, in_numerator,
    numerator_units, numerator_amount, denominator_amount
{%- if monthly_periods and code in monthly_indicator_codes() %}
from (
{{ monthly_indicator(code, monthly_periods) }}
) as {{ code | lower }}_members
{%- else %}
from {{ ref('int_indicator__' ~ code | lower) }}
{%- endif %}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- endmacro %}
