-- X03 (warn): the same ID paid the same subsidy type more than once in one pay month
-- (whatever the paying town). The first row in ledger order is the payment; one finding
-- per extra row, amount at risk = the extra row's amount.
with ranked as (
    select
        *,
        row_number() over (
            partition by person_key, subsidy_type, pay_month order by source_file, source_row
        ) as payment_rank,
        count(*) over (partition by person_key, subsidy_type, pay_month) as payments_in_month
    from {{ ref('stg_raw__subsidy_rows') }}
),

flagged as (
    select * from ranked where payment_rank > 1
)

{{ dq_finding('X03', 'warn', "'subsidy'", 'person_key', 'town', 'pay_period',
    "'同一人同月' || subsidy_type || '发放' || cast(payments_in_month as varchar) || '次，重复一笔 ' || "
    ~ fmt_yuan('amount') ~ " || '元'", amount='amount') }}
