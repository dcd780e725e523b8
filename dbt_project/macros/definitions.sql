{#- The shared pieces of the definitions (indicators.md "Common rules", extracts.md),
    written once and used by every model that needs them. -#}

{#- Age at d = completed years on date d (indicators.md). The birthday itself counts:
    born 2007-12-31 is 16 on 2023-12-31. Someone born on 29 Feb completes a year on
    1 Mar in common years (month-day comparison). -#}
{% macro age_at(birth_date, d) -%}
    {{ return(adapter.dispatch('age_at', 'dpf_indicators')(birth_date, d)) }}
{%- endmacro %}
{% macro default__age_at(birth_date, d) -%}
    (cast(extract(year from {{ d }}) as integer) - cast(extract(year from {{ birth_date }}) as integer)
     - case
         when extract(month from {{ d }}) * 100 + extract(day from {{ d }})
            < extract(month from {{ birth_date }}) * 100 + extract(day from {{ birth_date }})
         then 1 else 0
       end)
{%- endmacro %}

{#- Registry "Active at date d" (extracts.md): first_issue_date <= d and not
    (status = 注销 and cancel_date <= d). Cancelled on d itself = no longer active at d.
    A 注销 row without a cancel date (should not pass ingestion, R05) counts as active. -#}
{% macro is_active_at(first_issue_date, status, cancel_date, d) -%}
    ({{ first_issue_date }} <= {{ d }}
     and not coalesce({{ status }} = '注销' and {{ cancel_date }} <= {{ d }}, false))
{%- endmacro %}

{#- Employment "Employed at date d" (extracts.md): a 就业 row with start_date <= d and
    (end_date empty or end_date >= d). The caller restricts to 就业 rows. -#}
{% macro is_employed_at(start_date, end_date, d) -%}
    ({{ start_date }} <= {{ d }} and ({{ end_date }} is null or {{ end_date }} >= {{ d }}))
{%- endmacro %}

{#- A ratio as a percentage, null when the denominator is 0 or null (indicators.md). -#}
{% macro percent(numerator, denominator) -%}
    case when {{ denominator }} > 0 then 100.0 * {{ numerator }} / {{ denominator }} end
{%- endmacro %}
