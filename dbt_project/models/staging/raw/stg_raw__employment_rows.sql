-- Employment and training records of the newest snapshot (the truth for all periods).
-- Identical rows (same person, record type, employer USCC for 就业 / course for 培训,
-- start date) count once (extracts.md). Should identical rows disagree on end_date, the
-- latest end (empty = ongoing) is kept: with equal start dates that row covers every day
-- any of them covers, so "employed at d" is the same as over the original rows.
with source as (
    select * from {{ source('raw', 'employment_rows') }}
),

newest as (
    select max(snapshot_month) as snapshot_month from source
),

typed as (
    select
        cast(source.snapshot_month as varchar) as snapshot_month,
        cast(source.source_file as varchar) as source_file,
        cast(source.source_row as integer) as source_row,
        cast(source.person_id as integer) as person_id,
        cast(source.birth_date as date) as birth_date,
        cast(source.record_type as varchar) as record_type,
        cast(source.form as varchar) as form,
        cast(source.employer_name as varchar) as employer_name,
        cast(source.employer_uscc as varchar) as employer_uscc,
        cast(source.course as varchar) as course,
        cast(source.start_date as date) as start_date,
        cast(source.end_date as date) as end_date
    from source
    inner join newest on source.snapshot_month = newest.snapshot_month
),

keyed as (
    select
        *,
        case when record_type = '就业' then employer_uscc else course end as employer_or_course
    from typed
),

ranked as (
    select
        *,
        row_number() over (
            partition by person_id, record_type, employer_or_course, start_date
            order by end_date desc nulls first, source_row
        ) as duplicate_rank,
        count(*) over (
            partition by person_id, record_type, employer_or_course, start_date
        ) as identical_rows
    from keyed
)

select
    md5(concat_ws('|', cast(person_id as varchar), record_type, coalesce(employer_or_course, ''), cast(start_date as varchar)))
        as record_key,
    snapshot_month,
    source_file,
    source_row,
    person_id,
    birth_date,
    record_type,
    form,
    employer_name,
    employer_uscc,
    course,
    start_date,
    end_date,
    cast(identical_rows as integer) as identical_rows
from ranked
where duplicate_rank = 1
