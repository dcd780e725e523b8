-- I04 就业年龄段持证残疾人就业率 (ratio, month; annual = the latest month of Y)
-- denominator: persons active at the month end d and aged 16-59 at d;
-- numerator: those of them employed at d (int_employment_at_month_end).
-- Months: int_indicator_periods (first month .. newest employment snapshot).
-- No reported_value. A view: persons x months is large and only read aggregated.
-- The definition is macros/monthly_indicators.sql (employment_rate_indicator), which
-- int_indicator_persons and dq_reconciliation call for the months they need.
{{ config(materialized='view') }}

{{ monthly_indicator('I04') }}
