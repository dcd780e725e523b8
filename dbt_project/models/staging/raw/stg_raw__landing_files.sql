-- Landing files read by the ingestion, with their content hash and row counts.
select
    cast(source as varchar) as source,
    cast(source_file as varchar) as source_file,
    cast(period as varchar) as period,
    cast(content_hash as varchar) as content_hash,
    cast(rows_read as integer) as rows_read,
    cast(rows_quarantined as integer) as rows_quarantined,
    loaded_at
from {{ source('raw', 'landing_files') }}
