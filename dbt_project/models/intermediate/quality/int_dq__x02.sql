-- X02 (warn): a payment whose pay month (the ledger file's month) is later than the month
-- of the person's cancellation date (the person's registry row, status 注销). A payment in
-- the cancellation month itself is not a finding. One finding per ledger row; amount at
-- risk = the row's amount; area = the paying town.
with flagged as (
    select payments.*, persons.cancel_date, persons.cancel_reason
    from {{ ref('stg_raw__subsidy_rows') }} as payments
    inner join {{ ref('int_persons') }} as persons on persons.person_id = payments.person_id
    where persons.status = '注销'
        and persons.cancel_date is not null
        and payments.pay_month_start > {{ month_start_of('persons.cancel_date') }}
)

{{ dq_finding('X02', 'warn', "'subsidy'", 'person_id', 'town', 'pay_period',
    "'证件已于' || cast(cancel_date as varchar) || '注销（' || coalesce(cancel_reason, '') || '），之后仍发放'"
    " || subsidy_type || ' ' || " ~ fmt_yuan('amount') ~ " || '元'", amount='amount') }}
