-- I03 残疾人职业技能培训人次 (count, year)
-- Distinct 培训 rows (identical rows counted once in staging) starting in Y, of registry
-- persons whatever their status. One row per person, numerator_units = their 培训 rows.
-- No reported_value.
with years as (
    select period, year_start, year_end from {{ ref('int_periods__years') }}
),

trainings as (
    select person_id, record_key, start_date
    from {{ ref('stg_raw__employment_rows') }}
    where record_type = '培训'
),

official as (
    select
        years.period,
        persons.person_id,
        persons.town,
        cast(null as boolean) as in_denominator,
        true as in_numerator,
        count(distinct trainings.record_key) as numerator_units,
        cast(null as double) as numerator_amount,
        cast(null as double) as denominator_amount
    from trainings
    inner join years on trainings.start_date between years.year_start and years.year_end
    inner join {{ ref('int_persons') }} as persons on persons.person_id = trainings.person_id
    group by years.period, persons.person_id, persons.town
)

{{ indicator_members('I03', has_reported=false) }}
