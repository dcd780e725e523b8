{#- A model's column rules in one test and one scan: dbt's not_null, unique and
    accepted_values (nulls accepted, as by dbt's own), declared once per model instead of
    once per column. Each test is a node dbt runs with its own Python, more than the query
    costs at district scale: the 124 per-column tests took about 3 s of the district's
    build (benchmarks/RESULTS.md). A failure lists one row per broken rule: the column,
    the rule, the rows that break it; "Got N results" counts those rows. The refresh's
    message lists them (pipelines/dbt.py runs the compiled test,
    <warehouse>/dbt/compiled/.../column_rules_<model>.sql, on work.duckdb; the copy in
    dbt/run/ is wrapped in dbt's count).
      not_null: [column, ...]
      unique: [column, ...]          (no value twice among the non-null ones)
      accepted_values: {column: [value, ...], ...}
      unique_together: [column, ...] (the grain: no two rows share these values, nulls
                                      equal, as in unique_combination_of_columns)
      expressions: [sql, ...]        (true on every row, as in expression_is_true)
    The last two folded the model's grain and expression tests into this node too (36 ms of
    dbt's node time saved per test at district scale; benchmarks/RESULTS.md). -#}
{% test column_rules(model, not_null=[], unique=[], accepted_values={}, unique_together=[], expressions=[]) %}
{{ config(fail_calc='coalesce(sum(failing_rows), 0)') }}
{%- set rules = [] -%}
{%- for column in not_null -%}
    {%- do rules.append((column, 'not_null', 'count(*) filter (where ' ~ column ~ ' is null)')) -%}
{%- endfor -%}
{%- for column in unique -%}
    {%- do rules.append((column, 'unique', 'count(' ~ column ~ ') - count(distinct ' ~ column ~ ')')) -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- set listed = [] -%}
    {%- for value in values -%}{%- do listed.append("'" ~ value ~ "'") -%}{%- endfor -%}
    {%- do rules.append((column, 'accepted_values',
        'count(*) filter (where ' ~ column ~ ' not in (' ~ listed | join(', ') ~ '))')) -%}
{%- endfor -%}
{%- if unique_together -%}
    {%- do rules.append((unique_together | join(', '), 'unique_together',
        'count(*) - count(distinct (' ~ unique_together | join(', ') ~ '))')) -%}
{%- endif -%}
{%- for expression in expressions -%}
    {%- do rules.append((expression | trim, 'true', 'count(*) filter (where not coalesce(' ~ expression ~ ', false))')) -%}
{%- endfor -%}
{%- if not rules -%}
    {{ exceptions.raise_compiler_error("column_rules on " ~ model ~ ": give not_null, unique, accepted_values, unique_together or expressions") }}
{%- endif -%}
with counted as (
    select
    {%- for column, rule, failing in rules %}
        {{ failing }} as rule_{{ loop.index }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ model }}
)

{% for column, rule, failing in rules -%}
select '{{ column | replace("'", "''") }}' as column_name, '{{ rule }}' as rule, rule_{{ loop.index }} as failing_rows
from counted
where rule_{{ loop.index }} > 0
{{ 'union all' if not loop.last }}
{% endfor %}
{% endtest %}
