-- I11 残疾人辅助器具适配率 (ratio, year)
-- denominator: persons active at Dec31, surveyed in Y, at_need 有;
-- numerator: those of them with at_fitted 已适配 (first survey row of Y).
-- reported: persons with a survey row of Y that has at_need 有 and at_fitted 已适配,
--   by the survey's 所属镇街.
{{ survey_ratio_indicator(
    'I11',
    numerator="at_fitted = '已适配'",
    official_filter="at_need = '有'",
    reported_filter="at_need = '有'",
) }}
