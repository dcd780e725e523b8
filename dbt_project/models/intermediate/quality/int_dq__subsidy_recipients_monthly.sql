-- Distinct recipients per paying town (发放镇街), subsidy type and ledger month, on a dense
-- grid: every (town, type) pair that ever paid x every month that has a ledger, 0 where
-- the town paid nobody of that type (A03, A04). months_since_first counts calendar months.
with payments as (
    select town, subsidy_type, pay_month_start, count(distinct person_hash) as recipients
    from {{ ref('stg_raw__subsidy_rows') }}
    group by town, subsidy_type, pay_month_start
),

ledger_months as (
    select distinct pay_month_start from {{ ref('stg_raw__subsidy_rows') }}
),

pairs as (
    select distinct town, subsidy_type from payments
)

select
    pairs.town,
    pairs.subsidy_type,
    ledger_months.pay_month_start,
    {{ month_label('ledger_months.pay_month_start') }} as period,
    cast(coalesce(payments.recipients, 0) as integer) as recipients
from pairs
cross join ledger_months
left join payments
    on payments.town = pairs.town
    and payments.subsidy_type = pairs.subsidy_type
    and payments.pay_month_start = ledger_months.pay_month_start
