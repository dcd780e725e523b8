-- I07 残疾人城乡居民基本养老保险参保率 (ratio, year)
-- denominator: persons active at Dec31, aged >= 16 at Dec31, surveyed in Y, school not 在校
--   (an empty school answer is not 在校);
-- numerator: those of them with pension 已参保 or 领取待遇 (first survey row of Y).
-- reported: distinct persons with a survey row of Y that has pension 已参保 or 领取待遇
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
        coalesce(population.pension in ('已参保', '领取待遇'), false) as in_numerator,
        case when coalesce(population.pension in ('已参保', '领取待遇'), false) then 1 else 0 end as numerator_units,
        cast(null as double) as numerator_amount,
        cast(null as double) as denominator_amount
    from population
    where population.age_at_year_end >= 16 and population.school is distinct from '在校'
),

reported as (
    -- every row of the source counts, as in a hand tally (not only the first: R04)
    select cast(survey.survey_year as varchar) as period, survey.person_key, survey.town
    from {{ ref('stg_raw__survey_rows') }} as survey
    inner join {{ ref('int_periods__years') }} as years on years.year = survey.survey_year
    where survey.pension in ('已参保', '领取待遇') and survey.school is distinct from '在校'
        and {{ age_at('survey.birth_date', 'years.year_end') }} >= 16
)

{{ indicator_members('I07') }}
