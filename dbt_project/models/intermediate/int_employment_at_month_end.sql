-- Persons employed at each month end covered by the newest employment snapshot (I04):
-- one row per person and month in which some 就业 row has start_date <= d and
-- (end_date empty or >= d). Only employed persons appear.
with months as (
    select period, month_end from {{ ref('int_periods__months') }} where is_covered_by_employment
),

jobs as (
    select person_id, start_date, end_date
    from {{ ref('stg_raw__employment_rows') }}
    where record_type = '就业'
)

select distinct
    jobs.person_id,
    months.period,
    months.month_end
from jobs
inner join months on {{ is_employed_at('jobs.start_date', 'jobs.end_date', 'months.month_end') }}
