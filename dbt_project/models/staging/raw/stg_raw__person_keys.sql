-- Every person_key the ingestion ever issued, once, with its number person_id (what the
-- raw tables hold): the map int_person_keys is built from.
select
    cast(person_id as integer) as person_id,
    cast(person_key as varchar) as person_key
from {{ source('raw', 'person_keys') }}
