-- I10 残疾人基本康复服务覆盖率 (ratio, year)
-- denominator: persons active at Dec31, surveyed in Y, rehab_need 有;
-- numerator: those of them with rehab_served 已服务 (first survey row of Y).
-- reported: persons with a survey row of Y that has rehab_need 有 and rehab_served 已服务,
--   by the survey's 所属镇街.
{{ survey_ratio_indicator(
    'I10',
    numerator="rehab_served = '已服务'",
    official_filter="rehab_need = '有'",
    reported_filter="rehab_need = '有'",
) }}
