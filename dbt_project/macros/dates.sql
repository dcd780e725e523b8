{#- Date arithmetic used by the definitions. Everything engine-specific lives here, behind
    adapter.dispatch: another adapter needs only a second body of these macros
    (<adapter>__name), not changes to the models. -#}

{#- A date from year, month, day expressions. -#}
{% macro date_from_parts(year, month, day) -%}
    {{ return(adapter.dispatch('date_from_parts', 'dpf_indicators')(year, month, day)) }}
{%- endmacro %}
{% macro default__date_from_parts(year, month, day) -%}
    make_date(cast({{ year }} as integer), cast({{ month }} as integer), cast({{ day }} as integer))
{%- endmacro %}

{#- First day of the month of a 'YYYYMM' text (snapshot_month, pay_month). -#}
{% macro yyyymm_to_date(yyyymm) -%}
    {{ return(adapter.dispatch('yyyymm_to_date', 'dpf_indicators')(yyyymm)) }}
{%- endmacro %}
{% macro default__yyyymm_to_date(yyyymm) -%}
    make_date(cast(substr({{ yyyymm }}, 1, 4) as integer), cast(substr({{ yyyymm }}, 5, 2) as integer), 1)
{%- endmacro %}

{#- Last day of the month of a date. -#}
{% macro month_end(d) -%}
    {{ return(adapter.dispatch('month_end', 'dpf_indicators')(d)) }}
{%- endmacro %}
{% macro default__month_end(d) -%}
    last_day(cast({{ d }} as date))
{%- endmacro %}

{#- The output contract's month label 'YYYY-MM' of a date. -#}
{% macro month_label(d) -%}
    {{ return(adapter.dispatch('month_label', 'dpf_indicators')(d)) }}
{%- endmacro %}
{% macro default__month_label(d) -%}
    strftime(cast({{ d }} as date), '%Y-%m')
{%- endmacro %}

{#- Calendar year of a date, as integer. -#}
{% macro year_of(d) -%}
    cast(extract(year from {{ d }}) as integer)
{%- endmacro %}

{#- Set-returning expressions for a select list (wrap in a subquery to cast):
    every month start from start_date to end_date, every integer from first to last. -#}
{% macro month_start_series(start_date, end_date) -%}
    {{ return(adapter.dispatch('month_start_series', 'dpf_indicators')(start_date, end_date)) }}
{%- endmacro %}
{% macro default__month_start_series(start_date, end_date) -%}
    unnest(generate_series(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 month))
{%- endmacro %}

{% macro integer_series(first, last) -%}
    {{ return(adapter.dispatch('integer_series', 'dpf_indicators')(first, last)) }}
{%- endmacro %}
{% macro default__integer_series(first, last) -%}
    unnest(generate_series(cast({{ first }} as bigint), cast({{ last }} as bigint)))
{%- endmacro %}
