-- X07 (warn): a 就业 row (newest employment snapshot) for a person under 16 on its start
-- date (age from the ID's birth date), or starting after the person's cancellation date
-- (registry row status 注销; a start on the cancellation day itself is not after it).
-- One finding per employment record.
with jobs as (
    select
        jobs.person_id, jobs.start_date, jobs.form, jobs.source_file, jobs.source_row,
        {{ age_at('jobs.birth_date', 'jobs.start_date') }} as age_at_start,
        persons.town, persons.status, persons.cancel_date
    from {{ ref('stg_raw__employment_rows') }} as jobs
    left join {{ ref('int_persons') }} as persons on persons.person_id = jobs.person_id
    where jobs.record_type = '就业'
),

flagged as (
    select
        *,
        case
            when age_at_start < 16 then '开始就业时未满16周岁（' || cast(age_at_start as varchar) || '岁）'
            else '开始就业日期晚于证件注销日期' || cast(cancel_date as varchar)
        end as why
    from jobs
    where age_at_start < 16
        or (status = '注销' and cancel_date is not null and start_date > cancel_date)
)

{{ dq_finding('X07', 'warn', "'employment'", 'person_id', 'town', month_label('start_date'),
    "coalesce(form, '') || '记录' || cast(start_date as varchar) || '开始：' || why") }}
