-- X01 (warn): a subsidy paid to an ID that is not in the registry (the newest snapshot,
-- the truth for all periods). One finding per ledger row; area = the paying town.
with flagged as (
    select payments.*
    from {{ ref('stg_raw__subsidy_rows') }} as payments
    left join {{ ref('int_persons') }} as persons on persons.person_id = payments.person_id
    where persons.person_id is null
)

{{ dq_finding('X01', 'warn', "'subsidy'", 'person_id', 'town', 'pay_period',
    "'向登记库中不存在的身份证号发放' || subsidy_type || ' ' || " ~ fmt_yuan('amount') ~ " || '元'") }}
