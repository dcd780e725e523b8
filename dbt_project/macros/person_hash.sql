{#- The person inside the warehouse's models. person_key, the published pseudonym, is 64
    hex characters (HMAC-SHA256): writing it into every person-level table, and grouping
    and joining on it, was most of dbt's time and memory (benchmarks/RESULTS.md). Staging
    adds person_hash, a 64-bit hash of person_key; intermediate models work on it, and the
    marts that publish persons turn it back into person_key through int_person_keys, whose
    test fails the refresh should two keys ever share a hash (about one chance in 37
    million at a million persons). -#}
{% macro person_hash(person_key) -%}
    {{ return(adapter.dispatch('person_hash', 'dpf_indicators')(person_key)) }}
{%- endmacro %}
{% macro default__person_hash(person_key) -%}
    {#- hash(null) is a number in DuckDB: a row without a key keeps a null hash -#}
    case when {{ person_key }} is not null then hash(cast({{ person_key }} as varchar)) end
{%- endmacro %}
