{#-
  The `landing_increment` materialization: a table whose rows for one landing period (a
  ledger month, a survey year) come from that period's landing file alone, so that a
  refresh computes again only the periods whose files changed since the table was built.
  The models that use it (int_subsidy_payments, int_survey_first_rows, int_dq__x03, x04,
  x10) read nothing but one source's rows and the project's own definitions:

    {{ config(materialized='landing_increment', landing_source='subsidy',
              landing_period='pay_month') }}
    ... from {{ ref('stg_raw__subsidy_rows') }} where {{ landing_periods_filter('pay_month') }}

  `landing_source` is the source in raw.landing_files; `landing_period` an SQL expression
  over the model's own rows that gives the landing period of a row ('YYYYMM', 'YYYY');
  `landing_periods_filter(column)` restricts the model's input to the periods to build.

  Beside the table, `<model>__landing_state` records the landing files (name, period,
  content hash) it was built from and the project's fingerprint (the var
  `project_fingerprint`, a hash of the dbt project's files, pipelines/dbt_manifest.py).
  A build computes:
  - every period (the table replaced, as the lean table materialization does) when the
    table or its state is missing, on --full-refresh, when no fingerprint is given (dbt run
    by hand), or when the project changed since (a model, macro, seed or test edited);
  - else only the periods whose files differ between raw.landing_files and the state (a
    new, re-delivered or replaced file): their rows deleted, then computed again.
  Table and state change in one transaction, so a failed build leaves both as they were.
  dbt's log says which periods a build computed.
-#}

{% macro landing_state_relation() %}
  {{ return(this.incorporate(path={'identifier': this.identifier ~ '__landing_state'}, type='table')) }}
{% endmacro %}

{#- {'full': true} or {'full': false, 'periods': [the periods to compute again]} -#}
{% macro landing_increment_plan() %}
  {%- if model.resource_type == 'unit_test' -%}  {#- its inputs are the test's rows, all of them -#}
    {{ return({'full': true, 'periods': []}) }}
  {%- endif -%}
  {%- set landing_files = source('raw', 'landing_files') -%}  {#- also the model's dependency -#}
  {%- if not execute -%}
    {{ return({'full': true, 'periods': []}) }}
  {%- endif -%}
  {%- set landing_source = config.get('landing_source') -%}
  {%- if not landing_source or not config.get('landing_period') -%}
    {{ exceptions.raise_compiler_error("model " ~ model.name ~ " is a landing_increment without "
        ~ "'landing_source' or 'landing_period' in its config (macros/landing_increments.sql)") }}
  {%- endif -%}
  {%- set fingerprint = var('project_fingerprint', '') -%}
  {%- set existing = adapter.get_relation(this.database, this.schema, this.identifier) -%}
  {%- set state = landing_state_relation() -%}
  {%- set state_exists = adapter.get_relation(state.database, state.schema, state.identifier) is not none -%}
  {%- if should_full_refresh() or not fingerprint or existing is none or existing.type != 'table'
        or not state_exists -%}
    {{ return({'full': true, 'periods': []}) }}
  {%- endif -%}
  {%- set query -%}
    with current_files as (
        select source_file, period, content_hash from {{ landing_files }} where source = '{{ landing_source }}'
    ),
    built_from as (select source_file, period, content_hash from {{ state }}),
    differing as (
        (select * from current_files except select * from built_from)
        union all
        (select * from built_from except select * from current_files)
    )
    select 'stale' as kind, null as period from {{ state }}
    where project_fingerprint is distinct from '{{ fingerprint }}'
    union all
    select distinct 'period' as kind, period from differing
  {%- endset -%}
  {%- set rows = run_query(query).rows -%}
  {%- set periods = [] -%}
  {%- for row in rows -%}
    {%- if row[0] == 'stale' -%}
      {{ return({'full': true, 'periods': []}) }}
    {%- endif -%}
    {%- if not (row[1] is string and row[1].isdigit()) -%}
      {{ exceptions.raise_compiler_error("raw.landing_files holds the period '" ~ row[1]
          ~ "', not digits: model " ~ model.name ~ " cannot select it") }}
    {%- endif -%}
    {%- do periods.append(row[1]) -%}
  {%- endfor -%}
  {{ return({'full': false, 'periods': periods | sort | unique | list}) }}
{% endmacro %}

{#- The comment that marks the compiled SQL with the periods it selects. The materialization
    reads its plan back from it (`landing_plan_in`), so that it deletes and records exactly
    what the SQL computes, and a model that does not filter its input fails instead of
    adding its rows twice. -#}
{% macro landing_plan_marker(plan) %}
  {{- return("/* landing_increment: " ~ ("every period" if plan.full else (plan.periods | join(', ') or 'none'))
             ~ " */") -}}
{% endmacro %}

{% macro landing_plan_in(sql) %}
  {%- set parts = sql.split("/* landing_increment: ") -%}
  {%- if parts | length < 2 -%}
    {{ exceptions.raise_compiler_error("model " ~ model.name ~ " is a landing_increment whose SQL "
        ~ "does not select its input with landing_periods_filter() (macros/landing_increments.sql)") }}
  {%- endif -%}
  {%- set said = parts[1].split(" */")[0] -%}
  {%- if said == 'every period' -%}
    {{ return({'full': true, 'periods': []}) }}
  {%- endif -%}
  {{ return({'full': false, 'periods': [] if said == 'none' else said.split(', ')}) }}
{% endmacro %}

{#- The model's input restricted to the periods to build: `true` for all of them. -#}
{% macro landing_periods_filter(column, quoted=true) %}
  {%- set plan = landing_increment_plan() -%}
  {%- if plan.full -%}
    true
  {%- elif not plan.periods -%}
    false
  {%- else -%}
    {{ column }} in ({% for period in plan.periods -%}
      {{ ("'" ~ period ~ "'") if quoted else period }}{{ ", " if not loop.last }}
    {%- endfor %})
  {%- endif %} {{ landing_plan_marker(plan) }}
{% endmacro %}

{% materialization landing_increment, adapter="duckdb", supported_languages=['sql'] %}
  {{ lean_materialization_guard() }}
  {%- set plan = landing_plan_in(compiled_code) -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set state = landing_state_relation() -%}
  {%- if plan.full -%}
    {{ log(model.name ~ ": every landing period computed", info=true) }}
    {{ replace_relation_of_other_type(load_cached_relation(this), 'table') }}
    {% call statement('main') -%}
      create or replace table {{ target_relation }} as (
        {{ compiled_code }}
      );
    {%- endcall %}
  {%- else -%}
    {{ log(model.name ~ ": landing periods computed again: "
           ~ (plan.periods | join(', ') if plan.periods else 'none'), info=true) }}
    {% call statement('main') -%}
      {% if plan.periods -%}
      delete from {{ target_relation }} where ({{ config.get('landing_period') }}) in (
        {%- for period in plan.periods %}'{{ period }}'{{ ", " if not loop.last }}{% endfor %});
      {%- endif %}
      insert into {{ target_relation }} by name select * from (
        {{ compiled_code }}
      );
    {%- endcall %}
  {%- endif -%}
  {% call statement('landing_state') -%}
    create or replace table {{ state }} as
    select source_file, period, content_hash, '{{ var("project_fingerprint", "") }}' as project_fingerprint
    from {{ source('raw', 'landing_files') }}
    where source = '{{ config.get("landing_source") }}';
  {%- endcall %}
  {{ adapter.commit() }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
