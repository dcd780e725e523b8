-- Drill-down behind indicator_values (pseudonymous keys only): int_indicator_persons with
-- each person_id turned back into the published person_key (int_person_keys). A view:
-- the publish step writes it, keys and all, into analytics.duckdb as a table; the tests of
-- its rows run on int_indicator_persons.
{{ config(materialized='view') }}

select
    persons.indicator_code,
    persons.period,
    persons.as_of_period,
    persons.area_name,
    cast(keys.person_key as varchar) as person_key,
    persons.in_denominator,
    persons.in_numerator,
    persons.in_reported_numerator,
    persons.numerator_units,
    persons.numerator_amount,
    persons.denominator_amount
from {{ ref('int_indicator_persons') }} as persons
inner join {{ ref('int_person_keys') }} as keys on keys.person_id = persons.person_id
