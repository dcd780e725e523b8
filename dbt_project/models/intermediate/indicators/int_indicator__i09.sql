-- I09 残疾儿童少年义务教育入学率 (ratio, year)
-- denominator: persons active at Dec31, aged 6-15 on August 31 of Y, surveyed in Y;
-- numerator: those of them with school 在校 (first survey row of Y).
-- reported: distinct persons with a survey row of Y that has school 在校
--   (and the denominator's answer and age conditions, age from the ID's birth date),
--   by the survey's 所属镇街, with no registry condition.
with population as (
    select * from {{ ref('int_survey_population') }}
),

official as (
    select
        population.period,
        population.person_key,
        population.town,
        true as in_denominator,
        coalesce(population.school = '在校', false) as in_numerator,
        case when coalesce(population.school = '在校', false) then 1 else 0 end as numerator_units,
        cast(null as double) as numerator_amount,
        cast(null as double) as denominator_amount
    from population
    where population.age_at_aug31 between 6 and 15
),

reported as (
    -- every row of the source counts, as in a hand tally (not only the first: R04)
    select cast(survey.survey_year as varchar) as period, survey.person_key, survey.town
    from {{ ref('stg_raw__survey_rows') }} as survey
    inner join {{ ref('int_periods__years') }} as years on years.year = survey.survey_year
    where survey.school = '在校' and {{ age_at('survey.birth_date', 'years.aug31') }} between 6 and 15
)

{{ indicator_members('I09') }}
