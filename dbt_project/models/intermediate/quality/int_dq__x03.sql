-- X03 (warn): the same ID paid the same subsidy type more than once in one pay month
-- (whatever the paying town). The first row in ledger order is the payment; one finding
-- per extra row, amount at risk = the extra row's amount.
-- The repeated (person, type, month) groups are found by an aggregate first, and only their
-- rows are ranked: a window over every ledger row took 5.8-8.0 s at city scale, this 2.5 s.
-- A pay month's findings come from its ledger file alone: a refresh computes again only the
-- months whose file changed (macros/landing_increments.sql).
{{ config(materialized='landing_increment', landing_source='subsidy',
          landing_period="replace(period, '-', '')") }}
with ledger as (
    select * from {{ ref('stg_raw__subsidy_rows') }} where {{ landing_periods_filter('pay_month') }}
),

repeated as (
    select person_id, subsidy_type, pay_month, count(*) as payments_in_month
    from ledger
    group by person_id, subsidy_type, pay_month
    having count(*) > 1
),

ranked as (
    select
        ledger.*,
        repeated.payments_in_month,
        row_number() over (
            partition by ledger.person_id, ledger.subsidy_type, ledger.pay_month
            order by ledger.source_file, ledger.source_row
        ) as payment_rank
    from ledger
    inner join repeated
        on repeated.person_id = ledger.person_id and repeated.subsidy_type = ledger.subsidy_type
        and repeated.pay_month = ledger.pay_month
),

flagged as (
    select * from ranked where payment_rank > 1
)

{{ dq_finding('X03', 'warn', "'subsidy'", 'person_id', 'town', 'pay_period',
    "'同一人同月' || subsidy_type || '发放' || cast(payments_in_month as varchar) || '次，重复一笔 ' || "
    ~ fmt_yuan('amount') ~ " || '元'", amount='amount') }}
