-- I10 残疾人基本康复服务覆盖率 (ratio, year)
-- denominator: persons active at Dec31, surveyed in Y, rehab_need 有;
-- numerator: those of them with rehab_served 已服务 (first survey row of Y).
-- reported: distinct persons with a survey row of Y that has rehab_served 已服务
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
        coalesce(population.rehab_served = '已服务', false) as in_numerator,
        case when coalesce(population.rehab_served = '已服务', false) then 1 else 0 end as numerator_units,
        cast(null as double) as numerator_amount,
        cast(null as double) as denominator_amount
    from population
    where population.rehab_need = '有'
),

reported as (
    -- every row of the source counts, as in a hand tally (not only the first: R04)
    select cast(survey.survey_year as varchar) as period, survey.person_key, survey.town
    from {{ ref('stg_raw__survey_rows') }} as survey
    inner join {{ ref('int_periods__years') }} as years on years.year = survey.survey_year
    where survey.rehab_need = '有' and survey.rehab_served = '已服务'
)

{{ indicator_members('I10') }}
