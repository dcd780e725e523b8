-- Subsidy ledger rows, one set per pay month (the ledger file's month; X10 rows stay
-- under the file's month). Every row is kept: duplicates are a finding (X03), and the
-- indicators count persons, so a person paid twice counts once there.
select
    cast(pay_month as varchar) as pay_month,
    {{ yyyymm_to_date('pay_month') }} as pay_month_start,
    {{ month_label(yyyymm_to_date('pay_month')) }} as pay_period,
    cast(substr(cast(pay_month as varchar), 1, 4) as integer) as pay_year,
    cast(source_file as varchar) as source_file,
    cast(source_row as integer) as source_row,
    cast(person_id as integer) as person_id,
    cast(birth_date as date) as birth_date,
    cast(subsidy_type as varchar) as subsidy_type,
    cast(pay_month_stated as varchar) as pay_month_stated,
    cast(amount as decimal(14, 2)) as amount,
    cast(town as varchar) as town
from {{ source('raw', 'subsidy_rows') }}
