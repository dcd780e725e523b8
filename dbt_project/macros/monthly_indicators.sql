{#- The monthly indicators (I04, I05, I06): their persons at every month end the indicator
    covers. Each is one macro over a set of months, so that a reader that needs only some
    months computes only those: persons x months is the largest product of the project
    (1M persons x 60 months at province scale), and DuckDB cannot push a join on months
    from a reader down into a view. The views int_indicator__i04/5/6 take every month of
    the indicator (int_indicator_periods); int_indicator_persons the one month each annual
    value shows; dq_reconciliation the months of its cases.

    `periods`: none (every month of the indicator) or the name of a relation with columns
    indicator_code and period (YYYY-MM) listing the months wanted; other rows are ignored. -#}
{% macro monthly_indicator(indicator_code, periods=none) -%}
    {%- if indicator_code == 'I04' -%}
        {{ employment_rate_indicator(periods) }}
    {%- elif indicator_code == 'I05' -%}
        {{ monthly_allowance_indicator('I05', '困难残疾人生活补贴', 'is_i05_target', periods) }}
    {%- elif indicator_code == 'I06' -%}
        {{ monthly_allowance_indicator('I06', '重度残疾人护理补贴', 'is_i06_target', periods) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error('not a monthly indicator: ' ~ indicator_code) }}
    {%- endif -%}
{%- endmacro %}

{% macro monthly_indicator_codes() -%}
    {{ return(['I04', 'I05', 'I06']) }}
{%- endmacro %}

{#- The months CTE of a monthly indicator: period and month_end of each month wanted. -#}
{% macro indicator_months(indicator_code, periods=none) -%}
select all_months.period, all_months.month_end
from {{ ref('int_periods__months') }} as all_months
where all_months.period in (
    select period
    {%- if periods %}
    from {{ periods }}
    where indicator_code = '{{ indicator_code }}'
    {%- else %}
    from {{ ref('int_indicator_periods') }}
    where indicator_code = '{{ indicator_code }}' and period_kind = 'month'
    {%- endif %}
)
{%- endmacro %}

{#- Registry persons x the month ends of `months` (a relation with period, month_end):
    active and age at the month end. -#}
{% macro persons_at_month_ends(months) -%}
select
    persons.person_hash,
    months.period,
    months.month_end,
    persons.town,
    {{ is_active_at('persons.first_issue_date', 'persons.status', 'persons.cancel_date', 'months.month_end') }}
        as is_active_at_month_end,
    {{ age_at('persons.birth_date', 'months.month_end') }} as age_at_month_end
from {{ ref('int_persons') }} as persons
cross join {{ months }} as months
{%- endmacro %}

{#- The official rows of a monthly ratio indicator: every person of the CTE `denominator`
    (period, person_hash, town) in the denominator, and in the numerator when the relation
    `numerator` (period, person_hash) lists them in that month. -#}
{% macro monthly_official_rows(numerator) -%}
select
    denominator.period,
    denominator.person_hash,
    denominator.town,
    true as in_denominator,
    {{ numerator }}.person_hash is not null as in_numerator,
    case when {{ numerator }}.person_hash is not null then 1 else 0 end as numerator_units,
    cast(null as double) as numerator_amount,
    cast(null as double) as denominator_amount
from denominator
left join {{ numerator }}
    on {{ numerator }}.person_hash = denominator.person_hash and {{ numerator }}.period = denominator.period
{%- endmacro %}

{#- I04 就业年龄段持证残疾人就业率:
      denominator  persons active at the month end d and aged 16-59 at d;
      numerator    those of them employed at d (int_employment_at_month_end).
    Months: first month .. newest employment snapshot (int_indicator_periods). No reported
    value. -#}
{% macro employment_rate_indicator(periods=none) -%}
with months as (
    {{ indicator_months('I04', periods) }}
),

at_month_end as (
    {{ persons_at_month_ends('months') }}
),

denominator as (
    select period, person_hash, town
    from at_month_end
    where is_active_at_month_end and age_at_month_end between 16 and 59
),

employed as (
    select person_hash, period
    from {{ ref('int_employment_at_month_end') }}
    where period in (select period from months)
),

official as (
    {{ monthly_official_rows('employed') }}
)

{{ indicator_members('I04', has_reported=false) }}
{%- endmacro %}

{#- The monthly allowance coverage indicators (I05, I06) share one shape:
      denominator  persons active at the month end whose int_person_eligibility.<target_flag>;
      numerator    those of them paid `subsidy_type` in the month (any paying town);
      reported     distinct persons the ledger lists as paid `subsidy_type` in the month, by
                   the ledger's 发放镇街, with no registry condition.
    Months: every month with a subsidy ledger (int_indicator_periods). -#}
{% macro monthly_allowance_indicator(indicator_code, subsidy_type, target_flag, periods=none) -%}
with months as (
    {{ indicator_months(indicator_code, periods) }}
),

payments as (
    select pay_period as period, person_hash, town
    from {{ ref('int_subsidy_payments') }}
    where subsidy_type = '{{ subsidy_type }}'
        and pay_period in (select period from months)
),

paid_persons as (
    select distinct period, person_hash from payments
),

at_month_end as (
    {{ persons_at_month_ends('months') }}
),

denominator as (
    select at_month_end.period, at_month_end.person_hash, at_month_end.town
    from at_month_end
    inner join {{ ref('int_person_eligibility') }} as eligibility
        on eligibility.person_hash = at_month_end.person_hash
    where at_month_end.is_active_at_month_end
        and eligibility.{{ target_flag }}
),

official as (
    {{ monthly_official_rows('paid_persons') }}
),

reported as (
    select period, person_hash, town from payments
)

{{ indicator_members(indicator_code) }}
{%- endmacro %}
