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
    {%- elif indicator_code in monthly_allowances() -%}
        {%- set allowance = monthly_allowances()[indicator_code] -%}
        {{ monthly_allowance_indicator(indicator_code, allowance.subsidy_type, allowance.target_flag, periods) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error('not a monthly indicator: ' ~ indicator_code) }}
    {%- endif -%}
{%- endmacro %}

{% macro monthly_indicator_codes() -%}
    {{ return(['I04', 'I05', 'I06']) }}
{%- endmacro %}

{#- The monthly allowance indicators: the ledger's subsidy type they pay and the target
    group (a flag of int_person_eligibility) of their denominator. -#}
{% macro monthly_allowances() -%}
    {{ return({
        'I05': {'subsidy_type': '困难残疾人生活补贴', 'target_flag': 'is_i05_target'},
        'I06': {'subsidy_type': '重度残疾人护理补贴', 'target_flag': 'is_i06_target'},
    }) }}
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
    persons.person_id,
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
    (period, person_id, town) in the denominator, and in the numerator when the relation
    `numerator` (period, person_id) lists them in that month. -#}
{% macro monthly_official_rows(numerator) -%}
select
    denominator.period,
    denominator.person_id,
    denominator.town,
    true as in_denominator,
    {{ numerator }}.person_id is not null as in_numerator,
    case when {{ numerator }}.person_id is not null then 1 else 0 end as numerator_units,
    cast(null as double) as numerator_amount,
    cast(null as double) as denominator_amount
from denominator
left join {{ numerator }}
    on {{ numerator }}.person_id = denominator.person_id and {{ numerator }}.period = denominator.period
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
    select period, person_id, town
    from at_month_end
    where is_active_at_month_end and age_at_month_end between 16 and 59
),

employed as (
    select person_id, period
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
    select pay_period as period, person_id, town
    from {{ ref('int_subsidy_payments') }}
    where subsidy_type = '{{ subsidy_type }}'
        and pay_period in (select period from months)
),

paid_persons as (
    select distinct period, person_id from payments
),

at_month_end as (
    {{ persons_at_month_ends('months') }}
),

denominator as (
    select at_month_end.period, at_month_end.person_id, at_month_end.town
    from at_month_end
    inner join {{ ref('int_person_eligibility') }} as eligibility
        on eligibility.person_id = at_month_end.person_id
    where at_month_end.is_active_at_month_end
        and eligibility.{{ target_flag }}
),

official as (
    {{ monthly_official_rows('paid_persons') }}
),

reported as (
    select period, person_id, town from payments
)

{{ indicator_members(indicator_code) }}
{%- endmacro %}

{#- The monthly indicators as counts per month and town, for indicator_values, without
    the persons x months product of the views above (1M persons x 60 months at province).

    Being in a monthly denominator at a month end d is, per person, one interval of time:
    active at d (first_issue_date <= d, and not cancelled by d) and, for I04, aged 16-59
    at d (the 16th birthday <= d < the 60th). As d is a month end, "x <= d" is
    "last_day(x) <= d": each person starts counting at the month end starts_at and stops
    at ends_at (null: never stops). A month's denominator in a town is then the sum of
    +1 at every starts_at and -1 at every ends_at up to that month end.
    The numerator is the numerator's source rows (paid, employed) whose person is in that
    interval; the reported numerator is the ledger's persons per its own town, as in the
    views. The views stay the definition: the test monthly_counts_match_the_views (tag
    sql_shape) compares both for every month. -#}

{#- One row per person who is ever in the monthly denominator of `indicator_code`:
    person_id, town (registry), starts_at, ends_at (month ends; ends_at null if never). -#}
{% macro monthly_denominator_intervals(indicator_code) -%}
{%- set cancelled = "case when persons.status = '注销' then persons.cancel_date end" -%}
{%- if indicator_code == 'I04' -%}
    {%- set starts = "greatest(persons.first_issue_date, cast(persons.birth_date + interval 16 year as date))" -%}
    {%- set ends = "least(coalesce(" ~ cancelled ~ ", date '9999-12-31'), cast(persons.birth_date + interval 60 year as date))" -%}
{%- else -%}
    {%- set starts = "persons.first_issue_date" -%}
    {%- set ends = "coalesce(" ~ cancelled ~ ", date '9999-12-31')" -%}
{%- endif %}
select
    person_id,
    town,
    last_day(starts) as starts_at,
    case when ends < date '9999-12-31' then last_day(ends) end as ends_at
from (
    select persons.person_id, persons.town, {{ starts }} as starts, {{ ends }} as ends
    from {{ ref('int_persons') }} as persons
    {%- if indicator_code in monthly_allowances() %}
    inner join {{ ref('int_person_eligibility') }} as eligibility
        on eligibility.person_id = persons.person_id
    where eligibility.{{ monthly_allowances()[indicator_code].target_flag }}
    {%- endif %}
) as intervals
where starts is not null and ends > starts
{%- endmacro %}

{#- indicator_code, period, area_name (a town, or the district), denominator_persons,
    numerator_persons, reported_persons for every month of the indicator. -#}
{% macro monthly_indicator_counts(indicator_code) -%}
{%- set subsidy_type = monthly_allowances()[indicator_code].subsidy_type if indicator_code in monthly_allowances() else none -%}
select * from (
    with months as (
        {{ indicator_months(indicator_code) }}
    ),

    intervals as (
        {{ monthly_denominator_intervals(indicator_code) }}
    ),

    events as (
        select town, month_end, sum(delta) as delta
        from (
            select town, starts_at as month_end, 1 as delta from intervals
            union all
            select town, ends_at as month_end, -1 as delta from intervals where ends_at is not null
        ) as changes
        group by town, month_end
    ),

    denominator as (
        select months.period, events.town, sum(events.delta) as persons
        from months
        inner join events on events.month_end <= months.month_end
        group by months.period, events.town
    ),

    reported as (
        -- the ledger's persons per its own town (one scan of the payments: the numerator's
        -- paid persons come from here too). No distinct: int_subsidy_payments holds a
        -- person once per pay month, subsidy type and paying town (its group by).
        {%- if subsidy_type %}
        select payments.pay_period as period, payments.person_id, payments.town
        from {{ ref('int_subsidy_payments') }} as payments
        where payments.subsidy_type = '{{ subsidy_type }}'
            and payments.pay_period in (select period from months)
        {%- else %}
        select cast(null as varchar) as period, cast(null as integer) as person_id, cast(null as varchar) as town
        where false
        {%- endif %}
    ),

    paid_persons as (
        -- each paid ID once per month, whichever towns paid it: the numerator's source and
        -- the district's reported persons
        select distinct period, person_id from reported
    ),

    numerator_source as (
        {%- if indicator_code == 'I04' %}
        select employed.period, employed.person_id, months.month_end
        from {{ ref('int_employment_at_month_end') }} as employed
        inner join months on months.period = employed.period
        {%- else %}
        select paid_persons.period, paid_persons.person_id, months.month_end
        from paid_persons
        inner join months on months.period = paid_persons.period
        {%- endif %}
    ),

    numerator as (
        select numerator_source.period, intervals.town, count(*) as persons
        from numerator_source
        inner join intervals on intervals.person_id = numerator_source.person_id
        where intervals.starts_at <= numerator_source.month_end
            and (intervals.ends_at is null or numerator_source.month_end < intervals.ends_at)
        group by numerator_source.period, intervals.town
    ),

    by_town as (
        select
            coalesce(denominator.period, numerator.period, reported_by_town.period) as period,
            coalesce(denominator.town, numerator.town, reported_by_town.town) as town,
            coalesce(denominator.persons, 0) as denominator_persons,
            coalesce(numerator.persons, 0) as numerator_persons,
            coalesce(reported_by_town.persons, 0) as reported_persons
        from denominator
        full join numerator
            on numerator.period = denominator.period and numerator.town = denominator.town
        full join (
            select period, town, count(*) as persons from reported group by period, town
        ) as reported_by_town
            on reported_by_town.period = coalesce(denominator.period, numerator.period)
            and reported_by_town.town = coalesce(denominator.town, numerator.town)
    ),

    reported_in_district as (
        -- each ID once, whichever towns listed it
        select period, count(person_id) as persons from paid_persons group by period
    ),

    district as (
        select
            months.period,
            coalesce(sum(by_town.denominator_persons), 0) as denominator_persons,
            coalesce(sum(by_town.numerator_persons), 0) as numerator_persons,
            coalesce(max(reported_in_district.persons), 0) as reported_persons
        from months
        left join by_town on by_town.period = months.period
        left join reported_in_district on reported_in_district.period = months.period
        group by months.period
    )

    select '{{ indicator_code }}' as indicator_code, period, town as area_name,
        denominator_persons, numerator_persons, reported_persons
    from by_town
    where town is not null
    union all
    select '{{ indicator_code }}', period, '{{ var("district_name") }}',
        denominator_persons, numerator_persons, reported_persons
    from district
)
{%- endmacro %}
