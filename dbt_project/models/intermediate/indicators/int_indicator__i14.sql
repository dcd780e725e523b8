-- I14 持证残疾人家庭医生签约服务率 (ratio, year)
-- denominator: persons active at Dec31 and surveyed in Y;
-- numerator: those of them with gp_signed 是 (first survey row of Y).
-- reported: persons with a survey row of Y that has gp_signed 是, by the survey's 所属镇街.
{{ survey_ratio_indicator('I14', numerator="gp_signed = '是'") }}
