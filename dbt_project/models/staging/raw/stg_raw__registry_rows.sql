-- The newest registry snapshot: the truth for all periods (extracts.md). Older snapshots
-- stay in raw.registry_rows for audit (X09), see stg_raw__registry_snapshots.
with source as (
    select * from {{ source('raw', 'registry_rows') }}
),

newest as (
    select max(snapshot_month) as snapshot_month from source
)

select
    cast(source.snapshot_month as varchar) as snapshot_month,
    cast(source.source_file as varchar) as source_file,
    cast(source.source_row as integer) as source_row,
    cast(source.person_id as integer) as person_id,
    cast(source.cert_key as varchar) as cert_key,
    cast(source.cert_no_matches_id as boolean) as cert_no_matches_id,
    cast(source.gender as varchar) as gender,
    cast(source.birth_date as date) as birth_date,
    cast(source.gender_matches_id as boolean) as gender_matches_id,
    cast(source.birth_date_matches_id as boolean) as birth_date_matches_id,
    cast(source.category as varchar) as category,
    cast(source.grade as varchar) as grade,
    cast(source.town as varchar) as town,
    cast(source.village as varchar) as village,
    cast(source.first_issue_date as date) as first_issue_date,
    cast(source.valid_until as date) as valid_until,
    cast(source.status as varchar) as status,
    cast(source.cancel_date as date) as cancel_date,
    cast(source.cancel_reason as varchar) as cancel_reason,
    cast(source.hardship as varchar) as hardship,
    cast(source.review_date as date) as review_date
from source
inner join newest on source.snapshot_month = newest.snapshot_month
