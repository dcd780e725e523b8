-- The survey row used for a person and year: the first in file order (lowest source_row;
-- extracts.md, R04). Used by the official definitions; the source-side reported values
-- count every row (stg_raw__survey_rows), as a hand tally does.
-- A year's rows come from its survey file alone: a refresh computes again only the years
-- whose file changed (macros/landing_increments.sql).
{{ config(materialized='landing_increment', landing_source='survey', landing_period='period') }}
with ranked as (
    select
        *,
        row_number() over (partition by person_id, survey_year order by source_row, source_file) as row_rank,
        count(*) over (partition by person_id, survey_year) as rows_in_year
    from {{ ref('stg_raw__survey_rows') }}
    where {{ landing_periods_filter('survey_year', quoted=false) }}
)

select
    survey_year,
    cast(survey_year as varchar) as period,
    source_file,
    source_row,
    person_id,
    birth_date,
    town,
    school,
    pension,
    medical,
    rehab_need,
    rehab_served,
    at_need,
    at_fitted,
    gp_signed,
    income,
    cast(rows_in_year as integer) as rows_in_year
from ranked
where row_rank = 1
