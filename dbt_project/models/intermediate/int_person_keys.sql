-- person_id -> person_key for every person any source names: the marts that publish
-- persons (fct_indicator_persons, dq_findings) take their person_key from here. Built from
-- raw.person_keys, where ingestion numbers every key it issues, once (the raw tables hold
-- the number, person_id), not from the source rows.
select
    person_id,
    person_key
from {{ ref('stg_raw__person_keys') }}
