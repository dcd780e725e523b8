-- Registry persons x indicator years: active at Dec31 of Y, age at Dec31 and on Aug31 of Y
-- (I09). Rows for every person and year (status and activity are flags, not filters).
select
    persons.person_id,
    years.year,
    years.period,
    years.year_end,
    persons.town,
    {{ is_active_at('persons.first_issue_date', 'persons.status', 'persons.cancel_date', 'years.year_end') }}
        as is_active_at_year_end,
    {{ age_at('persons.birth_date', 'years.year_end') }} as age_at_year_end,
    {{ age_at('persons.birth_date', 'years.aug31') }} as age_at_aug31
from {{ ref('int_persons') }} as persons
cross join {{ ref('int_periods__years') }} as years
