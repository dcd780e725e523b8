-- X06 (warn): a person employed by two different 按比例就业 employers (USCC) on the same
-- day (quota double counting), in the newest employment snapshot: two 就业 rows with form
-- 按比例就业, different employer_uscc, whose periods [start, end or open] overlap. One
-- finding per person; the period is the month of the first shared day.
with quota as (
    select person_id, employer_uscc, start_date, end_date
    from {{ ref('stg_raw__employment_rows') }}
    where record_type = '就业' and form = '按比例就业' and employer_uscc is not null
),

overlapping as (
    select
        a.person_id,
        greatest(a.start_date, b.start_date) as first_shared_day
    from quota as a
    inner join quota as b
        on a.person_id = b.person_id
        and a.employer_uscc < b.employer_uscc
        and a.start_date <= coalesce(b.end_date, date '9999-12-31')
        and b.start_date <= coalesce(a.end_date, date '9999-12-31')
),

flagged as (
    select
        overlapping.person_id,
        persons.town,
        min(overlapping.first_shared_day) as first_shared_day,
        count(*) as employer_pairs
    from overlapping
    left join {{ ref('int_persons') }} as persons on persons.person_id = overlapping.person_id
    group by overlapping.person_id, persons.town
)

{{ dq_finding('X06', 'warn', "'employment'", 'person_id', 'town', month_label('first_shared_day'),
    "'自' || cast(first_shared_day as varchar) || '起同时在两家不同的按比例就业单位就业，按比例安排就业重复计算'") }}
