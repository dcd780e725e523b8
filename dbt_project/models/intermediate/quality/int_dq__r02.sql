-- R02 (warn): the certificate number does not equal ID + category code + grade code.
-- The ingestion compares them before keying (raw.registry_rows.cert_no_matches_id); one
-- finding per registry row of every snapshot (each snapshot is a delivered file).
with flagged as (
    select person_id, town, snapshot_month, source_file, source_row
    from {{ source('raw', 'registry_rows') }}
    where cert_no_matches_id = false
)

{{ dq_finding('R02', 'warn', "'registry'", 'person_id', 'town', period_label('snapshot_month'),
    "'残疾人证号与身份证号+类别代码+等级代码不一致（' || source_file || ' 第' || cast(source_row as varchar) || '行）'") }}
