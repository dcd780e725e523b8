{#- Shared pieces of the data-quality rules (../shared/spec/quality.md). Engine-specific
    SQL (DuckDB date and string functions) lives here behind adapter.dispatch, like
    macros/dates.sql. -#}

{#- The findings contract (marts.dq_findings): every int_dq__* model ends with
    {{ dq_finding(...) }} over a CTE, so the union in dq_findings is column-for-column. -#}
{% macro dq_finding(rule_id, severity, source, person_id='null', area_name='null', period='null',
                    detail="''", amount='null', from='flagged', rule_id_sql=none) -%}
select
    cast({{ rule_id_sql or ("'" ~ rule_id ~ "'") }} as varchar) as rule_id,
    cast('{{ severity }}' as varchar) as severity,
    cast({{ source }} as varchar) as source,
    cast({{ person_id }} as integer) as person_id,
    cast({{ area_name }} as varchar) as area_name,
    cast({{ period }} as varchar) as period,
    cast({{ detail }} as varchar) as detail,
    cast({{ amount }} as decimal(14, 2)) as amount
from {{ from }}
{%- endmacro %}

{#- First day of the month of a date. -#}
{% macro month_start_of(d) -%}
    {{ return(adapter.dispatch('month_start_of', 'dpf_indicators')(d)) }}
{%- endmacro %}
{% macro default__month_start_of(d) -%}
    cast(date_trunc('month', cast({{ d }} as date)) as date)
{%- endmacro %}

{#- A date plus n whole months (n may be negative). -#}
{% macro add_months(d, n) -%}
    {{ return(adapter.dispatch('add_months', 'dpf_indicators')(d, n)) }}
{%- endmacro %}
{% macro default__add_months(d, n) -%}
    cast(cast({{ d }} as date) + to_months(cast({{ n }} as integer)) as date)
{%- endmacro %}

{#- Whole months from a to b (month starts). -#}
{% macro months_between(a, b) -%}
    {{ return(adapter.dispatch('months_between', 'dpf_indicators')(a, b)) }}
{%- endmacro %}
{% macro default__months_between(a, b) -%}
    cast(date_diff('month', cast({{ a }} as date), cast({{ b }} as date)) as integer)
{%- endmacro %}

{#- A period label of the output contract from a raw period text: 'YYYYMM' -> 'YYYY-MM',
    'YYYY' stays. -#}
{% macro period_label(raw_period) -%}
    {{ return(adapter.dispatch('period_label', 'dpf_indicators')(raw_period)) }}
{%- endmacro %}
{% macro default__period_label(raw_period) -%}
    case when length({{ raw_period }}) = 6
         then substr({{ raw_period }}, 1, 4) || '-' || substr({{ raw_period }}, 5, 2)
         else {{ raw_period }} end
{%- endmacro %}

{#- The last day of a period label ('YYYY' -> Dec31, 'YYYY-MM' -> month end). -#}
{% macro period_end(label) -%}
    {{ return(adapter.dispatch('period_end', 'dpf_indicators')(label)) }}
{%- endmacro %}
{% macro default__period_end(label) -%}
    case when length({{ label }}) = 4
         then make_date(cast({{ label }} as integer), 12, 31)
         else last_day(make_date(cast(substr({{ label }}, 1, 4) as integer), cast(substr({{ label }}, 6, 2) as integer), 1))
    end
{%- endmacro %}

{#- A number for the Chinese detail sentences: at most `digits` decimals, no trailing zeros. -#}
{% macro fmt_number(x, digits=1) -%}
    {{ return(adapter.dispatch('fmt_number', 'dpf_indicators')(x, digits)) }}
{%- endmacro %}
{% macro default__fmt_number(x, digits=1) -%}
    cast(round(cast({{ x }} as double), {{ digits }}) as varchar)
{%- endmacro %}

{#- A yuan amount as text with two decimals. -#}
{% macro fmt_yuan(x) -%}
    {{ return(adapter.dispatch('fmt_yuan', 'dpf_indicators')(x)) }}
{%- endmacro %}
{% macro default__fmt_yuan(x) -%}
    printf('%.2f', cast({{ x }} as double))
{%- endmacro %}

{#- Median over a group (A04). -#}
{% macro median_of(x) -%}
    {{ return(adapter.dispatch('median_of', 'dpf_indicators')(x)) }}
{%- endmacro %}
{% macro default__median_of(x) -%}
    median({{ x }})
{%- endmacro %}
