-- I13 困难重度残疾人家庭无障碍改造户数(累计) (count, year, cumulative)
-- numerator: distinct registry persons (whatever their status) with hardship 低保 / 低保边缘
--   / 特困 and grade 一级 / 二级 (int_person_eligibility.is_i13_target), paid 家庭无障碍改造
--   at least once from January of the first year (2021-01) to December of Y.
-- reported: distinct persons the ledgers list as paid 家庭无障碍改造 from 2021-01 to Dec of
--   Y, by the ledger's 发放镇街 (a person paid by two towns counts in both towns, once in
--   the district), with no eligibility filter. reported_value is this count.
with years as (
    select year, period from {{ ref('int_periods__years') }}
),

payments as (
    select pay_year, person_id, town
    from {{ ref('int_subsidy_payments') }}
    where subsidy_type = '家庭无障碍改造'
        and pay_year >= {{ var('first_year') }}
),

paid_by_year_end as (
    select distinct years.period, payments.person_id, payments.town
    from payments
    inner join years on payments.pay_year <= years.year
),

official as (
    select distinct
        paid_by_year_end.period,
        eligibility.person_id,
        eligibility.town,
        cast(null as boolean) as in_denominator,
        true as in_numerator,
        1 as numerator_units,
        cast(null as double) as numerator_amount,
        cast(null as double) as denominator_amount
    from paid_by_year_end
    inner join {{ ref('int_person_eligibility') }} as eligibility
        on eligibility.person_id = paid_by_year_end.person_id
    where eligibility.is_i13_target
),

reported as (
    select period, person_id, town from paid_by_year_end
)

{{ indicator_members('I13') }}
