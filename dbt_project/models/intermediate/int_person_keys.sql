-- person_hash -> person_key for every person any source names (macros/person_hash.sql):
-- the marts that publish persons (fct_indicator_persons, dq_findings) take their
-- person_key from here. Grouped by the 64-bit hash, not by the 64-character key: a key
-- is compared only within its hash's group, so two keys sharing a hash show as
-- shares_hash_with_another_key, which the refresh tests (by chance: about one in 37
-- million at a million persons).
with named as (
    select person_hash, person_key from {{ ref('stg_raw__registry_snapshots') }}
    union all
    select person_hash, person_key from {{ ref('stg_raw__subsidy_rows') }}
    union all
    select person_hash, person_key from {{ ref('stg_raw__employment_rows') }}
    union all
    select person_hash, person_key from {{ ref('stg_raw__survey_rows') }}
    union all
    select person_hash, person_key from {{ ref('stg_raw__quarantine_rows') }} where person_key is not null
)

select
    person_hash,
    min(person_key) as person_key,
    min(person_key) <> max(person_key) as shares_hash_with_another_key
from named
group by person_hash
