-- Every person_key the ingestion ever wrote into a raw table, once, with its person_hash
-- (macros/person_hash.sql): the map int_person_keys is built from.
select
    cast(person_key as varchar) as person_key,
    {{ person_hash("person_key") }} as person_hash
from {{ source('raw', 'person_keys') }}
