-- Every registry snapshot, typed (for snapshot comparisons such as X09). Indicators use
-- stg_raw__registry_rows (the newest snapshot) only.
select
    cast(snapshot_month as varchar) as snapshot_month,
    {{ yyyymm_to_date('snapshot_month') }} as snapshot_month_start,
    cast(source_file as varchar) as source_file,
    cast(source_row as integer) as source_row,
    cast(person_id as integer) as person_id,
    cast(cert_key as varchar) as cert_key,
    cast(birth_date as date) as birth_date,
    cast(category as varchar) as category,
    cast(grade as varchar) as grade,
    cast(town as varchar) as town,
    cast(village as varchar) as village,
    cast(first_issue_date as date) as first_issue_date,
    cast(status as varchar) as status,
    cast(cancel_date as date) as cancel_date,
    cast(cancel_reason as varchar) as cancel_reason,
    cast(hardship as varchar) as hardship
from {{ source('raw', 'registry_rows') }}
