-- person_hash -> person_key for every person any source names (macros/person_hash.sql):
-- the marts that publish persons (fct_indicator_persons, dq_findings) take their
-- person_key from here. Built from raw.person_keys, where ingestion keeps every key it
-- wrote once, not from the source rows (46 M at province: 14 s alone, over 60 s beside
-- int_subsidy_payments). Grouped by the 64-bit hash: two keys sharing a hash show as
-- shares_hash_with_another_key, which the refresh tests (by chance: about one in 37
-- million at a million persons).
select
    person_hash,
    min(person_key) as person_key,
    min(person_key) <> max(person_key) as shares_hash_with_another_key
from {{ ref('stg_raw__person_keys') }}
group by person_hash
