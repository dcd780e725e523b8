-- I06 重度残疾人护理补贴目标人群覆盖率 (ratio, month; annual = the latest ledger month of Y)
-- denominator: persons active at the month end with grade 一级 or 二级, or grade 三级 and category 智力 or 精神
--   (int_person_eligibility.is_i06_target);
-- numerator: those of them paid 重度残疾人护理补贴 in the month (any paying town).
-- reported: distinct persons the ledger lists as paid 重度残疾人护理补贴 in the month, by the
--   ledger's 发放镇街, with no registry condition.
-- Months: every month with a subsidy ledger (int_indicator_periods).
-- A view: persons x months is large and only read aggregated.
{{ config(materialized='view') }}

with months as (
    select period
    from {{ ref('int_indicator_periods') }}
    where indicator_code = 'I06' and period_kind = 'month'
),

payments as (
    select pay_period as period, person_key, town
    from {{ ref('int_subsidy_payments') }}
    where subsidy_type = '重度残疾人护理补贴'
),

paid_persons as (
    select distinct period, person_key from payments
),

denominator as (
    select at_month_end.period, at_month_end.person_key, at_month_end.town
    from {{ ref('int_persons_at_month_end') }} as at_month_end
    inner join months on months.period = at_month_end.period
    inner join {{ ref('int_person_eligibility') }} as eligibility
        on eligibility.person_key = at_month_end.person_key
    where at_month_end.is_active_at_month_end
        and eligibility.is_i06_target
),

official as (
    select
        denominator.period,
        denominator.person_key,
        denominator.town,
        true as in_denominator,
        paid_persons.person_key is not null as in_numerator,
        case when paid_persons.person_key is not null then 1 else 0 end as numerator_units,
        cast(null as double) as numerator_amount,
        cast(null as double) as denominator_amount
    from denominator
    left join paid_persons
        on paid_persons.person_key = denominator.person_key and paid_persons.period = denominator.period
),

reported as (
    select payments.period, payments.person_key, payments.town
    from payments
    inner join months on months.period = payments.period
)

{{ indicator_members('I06') }}
