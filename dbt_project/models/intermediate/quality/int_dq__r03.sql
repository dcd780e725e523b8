-- R03 (warn): gender or birth date disagrees with the ID (ID digit 17 odd = 男; digits
-- 7-14 = birth date). Flags from the ingestion; one finding per registry row of every
-- snapshot, whether one or both disagree.
with flagged as (
    select
        person_id, town, snapshot_month, source_file, source_row,
        case
            when gender_matches_id = false and birth_date_matches_id = false then '性别和出生日期均'
            when gender_matches_id = false then '性别'
            else '出生日期'
        end as what
    from {{ source('raw', 'registry_rows') }}
    where gender_matches_id = false or birth_date_matches_id = false
)

{{ dq_finding('R03', 'warn', "'registry'", 'person_id', 'town', period_label('snapshot_month'),
    "what || '与身份证号不符（' || source_file || ' 第' || cast(source_row as varchar) || '行）'") }}
