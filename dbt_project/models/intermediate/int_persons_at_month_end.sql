-- Registry persons x months: active and age at the month end (I04, I05, I06).
-- A view, not a table: persons x 12 months x years grows to tens of millions of rows
-- at a national scale and is only ever read filtered and aggregated.
{{ config(materialized='view') }}

select
    persons.person_key,
    months.period,
    months.month_end,
    persons.town,
    {{ is_active_at('persons.first_issue_date', 'persons.status', 'persons.cancel_date', 'months.month_end') }}
        as is_active_at_month_end,
    {{ age_at('persons.birth_date', 'months.month_end') }} as age_at_month_end
from {{ ref('int_persons') }} as persons
cross join {{ ref('int_periods__months') }} as months
