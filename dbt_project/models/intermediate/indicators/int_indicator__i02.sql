-- I02 城乡新增残疾人就业人数 (count, year)
-- Registry persons (whatever their status) with a 就业 row starting in Y and no 就业 row
-- covering Dec31 of Y-1 (employed-at rule of extracts.md). One row per person counted.
-- No reported_value.
with years as (
    select year, period, year_start, year_end, previous_year_end from {{ ref('int_periods__years') }}
),

jobs as (
    select person_id, start_date, end_date
    from {{ ref('stg_raw__employment_rows') }}
    where record_type = '就业'
),

started_in_year as (
    select distinct years.period, jobs.person_id
    from jobs
    inner join years on jobs.start_date between years.year_start and years.year_end
),

employed_at_previous_year_end as (
    select distinct years.period, jobs.person_id
    from jobs
    inner join years on {{ is_employed_at('jobs.start_date', 'jobs.end_date', 'years.previous_year_end') }}
),

official as (
    select
        started_in_year.period,
        persons.person_id,
        persons.town,
        cast(null as boolean) as in_denominator,
        true as in_numerator,
        1 as numerator_units,
        cast(null as double) as numerator_amount,
        cast(null as double) as denominator_amount
    from started_in_year
    inner join {{ ref('int_persons') }} as persons on persons.person_id = started_in_year.person_id
    left join employed_at_previous_year_end
        on employed_at_previous_year_end.person_id = started_in_year.person_id
        and employed_at_previous_year_end.period = started_in_year.period
    where employed_at_previous_year_end.person_id is null
)

{{ indicator_members('I02', has_reported=false) }}
