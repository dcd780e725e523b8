-- Payments per person, pay month, subsidy type and paying town (发放镇街): several ledger
-- rows of one person in one month (X03) collapse to one row here.
-- A pay month's rows come from its ledger file alone: a refresh computes again only the
-- months whose file changed (macros/landing_increments.sql).
{{ config(materialized='landing_increment', landing_source='subsidy', landing_period='pay_month') }}
select
    person_id,
    pay_month,
    pay_month_start,
    pay_period,
    pay_year,
    subsidy_type,
    town,
    min(birth_date) as birth_date,
    cast(count(*) as integer) as payment_rows,
    sum(amount) as amount
from {{ ref('stg_raw__subsidy_rows') }}
where {{ landing_periods_filter('pay_month') }}
group by person_id, pay_month, pay_month_start, pay_period, pay_year, subsidy_type, town
