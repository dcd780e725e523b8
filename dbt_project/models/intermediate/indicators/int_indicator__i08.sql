-- I08 残疾人城乡居民基本医疗保险参保率 (ratio, year)
-- denominator: persons active at Dec31 and surveyed in Y;
-- numerator: those of them with medical 已参保 (first survey row of Y).
-- reported: persons with a survey row of Y that has medical 已参保, by the survey's 所属镇街.
{{ survey_ratio_indicator('I08', numerator="medical = '已参保'") }}
