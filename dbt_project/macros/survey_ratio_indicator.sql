{#- The survey ratio indicators (I07-I11, I14) share one shape; each model states only its
    conditions, so the definition stays readable in the model file:
      numerator        condition on the survey answers (school, pension, medical, rehab_need,
                       rehab_served, at_need, at_fitted, gp_signed) that puts a person in the
                       numerator;
      official_filter  the denominator's further conditions, over int_survey_population
                       (answers of the first row of Y, age_at_year_end, age_at_aug31);
      reported_filter  the same conditions as the source row and the ID can tell them, over
                       every survey row of Y (`survey`) and its year (`years`: year_end, aug31).
    official: persons active at Dec31 of Y and surveyed in Y (first row), registry town.
    reported: every survey row of Y meeting numerator and reported_filter, by its own town
    (indicators.md: a hand tally counts what the source lists). -#}
{% macro survey_ratio_indicator(indicator_code, numerator, official_filter='true', reported_filter='true') -%}
with population as (
    select * from {{ ref('int_survey_population') }}
),

official as (
    select
        population.period,
        population.person_id,
        population.town,
        true as in_denominator,
        coalesce({{ numerator }}, false) as in_numerator,
        case when coalesce({{ numerator }}, false) then 1 else 0 end as numerator_units,
        cast(null as double) as numerator_amount,
        cast(null as double) as denominator_amount
    from population
    where {{ official_filter }}
),

reported as (
    select cast(survey.survey_year as varchar) as period, survey.person_id, survey.town
    from {{ ref('stg_raw__survey_rows') }} as survey
    inner join {{ ref('int_periods__years') }} as years on years.year = survey.survey_year
    where ({{ numerator }}) and ({{ reported_filter }})
)

{{ indicator_members(indicator_code) }}
{%- endmacro %}
