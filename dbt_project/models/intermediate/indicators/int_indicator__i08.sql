-- I08 残疾人城乡居民基本医疗保险参保率 (ratio, year)
-- denominator: persons active at Dec31 and surveyed in Y;
-- numerator: those of them with medical 已参保 (first survey row of Y).
-- reported: distinct persons with a survey row of Y that has medical 已参保
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
        coalesce(population.medical = '已参保', false) as in_numerator,
        case when coalesce(population.medical = '已参保', false) then 1 else 0 end as numerator_units,
        cast(null as double) as numerator_amount,
        cast(null as double) as denominator_amount
    from population
),

reported as (
    -- every row of the source counts, as in a hand tally (not only the first: R04)
    select cast(survey.survey_year as varchar) as period, survey.person_key, survey.town
    from {{ ref('stg_raw__survey_rows') }} as survey
    inner join {{ ref('int_periods__years') }} as years on years.year = survey.survey_year
    where survey.medical = '已参保'
)

{{ indicator_members('I08') }}
