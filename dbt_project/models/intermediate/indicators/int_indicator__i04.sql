-- I04 就业年龄段持证残疾人就业率 (ratio, month; annual = the latest month of Y)
-- denominator: persons active at the month end d and aged 16-59 at d;
-- numerator: those of them employed at d (int_employment_at_month_end).
-- Months: int_indicator_periods (first month .. newest employment snapshot).
-- No reported_value. A view: persons x months is large and only read aggregated.
{{ config(materialized='view') }}

with months as (
    select period
    from {{ ref('int_indicator_periods') }}
    where indicator_code = 'I04' and period_kind = 'month'
),

denominator as (
    select at_month_end.period, at_month_end.person_key, at_month_end.town
    from {{ ref('int_persons_at_month_end') }} as at_month_end
    inner join months on months.period = at_month_end.period
    where at_month_end.is_active_at_month_end
        and at_month_end.age_at_month_end between 16 and 59
),

official as (
    select
        denominator.period,
        denominator.person_key,
        denominator.town,
        true as in_denominator,
        employed.person_key is not null as in_numerator,
        case when employed.person_key is not null then 1 else 0 end as numerator_units,
        cast(null as double) as numerator_amount,
        cast(null as double) as denominator_amount
    from denominator
    left join {{ ref('int_employment_at_month_end') }} as employed
        on employed.person_key = denominator.person_key and employed.period = denominator.period
)

{{ indicator_members('I04', has_reported=false) }}
