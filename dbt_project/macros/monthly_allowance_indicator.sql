{#- The monthly allowance coverage indicators (I05, I06) share one shape:
      denominator  persons active at the month end whose int_person_eligibility.<target_flag>;
      numerator    those of them paid `subsidy_type` in the month (any paying town);
      reported     distinct persons the ledger lists as paid `subsidy_type` in the month, by
                   the ledger's 发放镇街, with no registry condition.
    Months: every month with a subsidy ledger (int_indicator_periods). -#}
{% macro monthly_allowance_indicator(indicator_code, subsidy_type, target_flag) -%}
with months as (
    select period
    from {{ ref('int_indicator_periods') }}
    where indicator_code = '{{ indicator_code }}' and period_kind = 'month'
),

payments as (
    select pay_period as period, person_key, town
    from {{ ref('int_subsidy_payments') }}
    where subsidy_type = '{{ subsidy_type }}'
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
        and eligibility.{{ target_flag }}
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

{{ indicator_members(indicator_code) }}
{%- endmacro %}
