-- The common base of the survey indicators (I07-I12, I14): persons active at Dec31 of Y
-- and surveyed in Y, with the answers of their first survey row of Y and their ages.
select
    at_year_end.person_id,
    at_year_end.year,
    at_year_end.period,
    at_year_end.town,
    at_year_end.age_at_year_end,
    at_year_end.age_at_aug31,
    survey.town as survey_town,
    survey.school,
    survey.pension,
    survey.medical,
    survey.rehab_need,
    survey.rehab_served,
    survey.at_need,
    survey.at_fitted,
    survey.gp_signed,
    survey.income
from {{ ref('int_persons_at_year_end') }} as at_year_end
inner join {{ ref('int_survey_first_rows') }} as survey
    on survey.person_id = at_year_end.person_id and survey.survey_year = at_year_end.year
where at_year_end.is_active_at_year_end
