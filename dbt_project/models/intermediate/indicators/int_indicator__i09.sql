-- I09 残疾儿童少年义务教育入学率 (ratio, year)
-- denominator: persons active at Dec31, aged 6-15 on August 31 of Y, surveyed in Y;
-- numerator: those of them with school 在校 (first survey row of Y).
-- reported: persons with a survey row of Y that has school 在校 and age 6-15 on August 31
--   (from the ID's birth date), by the survey's 所属镇街.
{{ survey_ratio_indicator(
    'I09',
    numerator="school = '在校'",
    official_filter="age_at_aug31 between 6 and 15",
    reported_filter=age_at('survey.birth_date', 'years.aug31') ~ " between 6 and 15",
) }}
