-- I05 困难残疾人生活补贴目标人群覆盖率 (ratio, month; annual = the latest ledger month of Y)
-- denominator: persons active at the month end with hardship 低保 or 低保边缘
--   (int_person_eligibility.is_i05_target);
-- numerator: those of them paid 困难残疾人生活补贴 in the month (any paying town).
-- reported: distinct persons the ledger lists as paid 困难残疾人生活补贴 in the month, by the
--   ledger's 发放镇街, with no registry condition.
-- Months: every month with a subsidy ledger (int_indicator_periods).
-- A view: persons x months is large and only read aggregated. The definition is
-- macros/monthly_indicators.sql (monthly_allowance_indicator), which int_indicator_persons
-- and dq_reconciliation call for the months they need.
{{ config(materialized='view') }}

{{ monthly_indicator('I05') }}
