-- Every month of the indicator years, with what covers it: the newest employment snapshot
-- (I04 runs from the first month to that snapshot's month) and the subsidy ledgers (I05,
-- I06 have a value for every month that has a ledger, i.e. a pay_month in subsidy_rows).
with years as (
    select min(year) as first_year, max(year) as last_year from {{ ref('int_periods__years') }}
),

months as (
    select cast(month_start as date) as month_start
    from (
        select {{ month_start_series(date_from_parts('first_year', 1, 1), date_from_parts('last_year', 12, 1)) }} as month_start
        from years
    )
),

employment_snapshot as (
    select max({{ yyyymm_to_date('snapshot_month') }}) as newest_snapshot_month
    from {{ ref('stg_raw__employment_rows') }}
),

ledgers as (
    select distinct pay_month_start from {{ ref('stg_raw__subsidy_rows') }}
)

select
    months.month_start,
    {{ month_end('months.month_start') }} as month_end,
    {{ month_label('months.month_start') }} as period,
    {{ year_of('months.month_start') }} as year,
    coalesce(months.month_start <= employment_snapshot.newest_snapshot_month, false) as is_covered_by_employment,
    ledgers.pay_month_start is not null as has_subsidy_ledger
from months
cross join employment_snapshot
left join ledgers on ledgers.pay_month_start = months.month_start
