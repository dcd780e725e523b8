-- I07 残疾人城乡居民基本养老保险参保率 (ratio, year)
-- denominator: persons active at Dec31, aged >= 16 at Dec31, surveyed in Y, school not 在校
--   (an empty school answer is not 在校);
-- numerator: those of them with pension 已参保 or 领取待遇 (first survey row of Y).
-- reported: persons with a survey row of Y that has pension 已参保/领取待遇, school not 在校
--   and age >= 16 at Dec31 (from the ID's birth date), by the survey's 所属镇街.
{{ survey_ratio_indicator(
    'I07',
    numerator="pension in ('已参保', '领取待遇')",
    official_filter="age_at_year_end >= 16 and school is distinct from '在校'",
    reported_filter="school is distinct from '在校' and " ~ age_at('survey.birth_date', 'years.year_end') ~ " >= 16",
) }}
