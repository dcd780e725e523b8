{#-
  Lean table and view materializations for this project's DuckDB warehouse, in place of
  dbt-duckdb's. Theirs build each model under a temporary name, rename the old relation
  to a backup, rename the new one into place, commit and drop the backup: six or seven
  statements per model, each with dbt's Python around it (events, the log file). Here one
  `create or replace` in one transaction does the same: DuckDB replaces the relation
  atomically, and the views that read it resolve it by name when they are queried.
  The features the replaced macros also served are not used by this project (hooks,
  grants, persisted docs, contracts, indexes, foreign keys, DuckLake); a model
  that asks for one fails with a message (`lean_materialization_guard`).
-#}

{% macro lean_materialization_guard() %}
  {%- for unsupported in ['pre_hook', 'post_hook', 'grants', 'persist_docs', 'indexes'] -%}
    {%- if config.get(unsupported) -%}
      {{ exceptions.raise_compiler_error(
          "model " ~ model.name ~ " sets '" ~ unsupported ~ "', which this project's lean "
          ~ "materializations (macros/materializations.sql) do not implement") }}
    {%- endif -%}
  {%- endfor -%}
  {%- if model.config.contract.enforced -%}
    {{ exceptions.raise_compiler_error(
        "model " ~ model.name ~ " enforces a contract, which this project's lean "
        ~ "materializations (macros/materializations.sql) do not implement") }}
  {%- endif -%}
{% endmacro %}

{% macro replace_relation_of_other_type(existing_relation, wanted_type) %}
  {#- `create or replace table` cannot replace a view, nor the other way round -#}
  {%- if existing_relation is not none and existing_relation.type != wanted_type -%}
    {{ adapter.drop_relation(existing_relation) }}
  {%- endif -%}
{% endmacro %}

{% macro create_or_replace(kind) %}
  {{ lean_materialization_guard() }}
  {%- set target_relation = this.incorporate(type=kind) -%}
  {{ replace_relation_of_other_type(load_cached_relation(this), kind) }}
  {% call statement('main') -%}
    create or replace {{ kind }} {{ target_relation }} as (
      {{ compiled_code }}
    );
  {%- endcall %}
  {{ adapter.commit() }}
  {{ return({'relations': [target_relation]}) }}
{% endmacro %}

{% materialization table, adapter="duckdb", supported_languages=['sql'] %}
  {{ return(create_or_replace('table')) }}
{% endmaterialization %}

{% materialization view, adapter="duckdb" %}
  {{ return(create_or_replace('view')) }}
{% endmaterialization %}
