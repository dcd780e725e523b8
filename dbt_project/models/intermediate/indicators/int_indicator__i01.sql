-- I01 残疾人家庭人均可支配收入增长率 (growth, year)
-- Panel: persons active at Dec31 of Y with income > 0 in both the Y-1 and the Y survey
-- (first survey row per person and year). numerator = sum of the Y incomes over the panel,
-- denominator = sum of the Y-1 incomes over the same panel, value = 100 * (num / den - 1)
-- (indicator_values). An empty panel gives null numerator, denominator and value.
-- No reported_value.
with active_at_year_end as (
    select person_id, year, period, town
    from {{ ref('int_persons_at_year_end') }}
    where is_active_at_year_end
),

survey as (
    select person_id, survey_year, income from {{ ref('int_survey_first_rows') }}
),

official as (
    select
        active_at_year_end.period,
        active_at_year_end.person_id,
        active_at_year_end.town,
        true as in_denominator,
        true as in_numerator,
        1 as numerator_units,
        this_year.income as numerator_amount,
        previous_year.income as denominator_amount
    from active_at_year_end
    inner join survey as this_year
        on this_year.person_id = active_at_year_end.person_id
        and this_year.survey_year = active_at_year_end.year
        and this_year.income > 0
    inner join survey as previous_year
        on previous_year.person_id = active_at_year_end.person_id
        and previous_year.survey_year = active_at_year_end.year - 1
        and previous_year.income > 0
)

{{ indicator_members('I01', has_reported=false) }}
