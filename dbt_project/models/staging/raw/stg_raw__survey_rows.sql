-- Survey rows, one set per survey year (the file's year). Every row is kept here; the
-- first row per person and year is chosen in int_survey_first_rows (R04).
select
    cast(survey_year as integer) as survey_year,
    cast(source_file as varchar) as source_file,
    cast(source_row as integer) as source_row,
    cast(person_id as integer) as person_id,
    cast(birth_date as date) as birth_date,
    cast(year_stated as integer) as year_stated,
    cast(town as varchar) as town,
    cast(school as varchar) as school,
    cast(pension as varchar) as pension,
    cast(medical as varchar) as medical,
    cast(rehab_need as varchar) as rehab_need,
    cast(rehab_served as varchar) as rehab_served,
    cast(at_need as varchar) as at_need,
    cast(at_fitted as varchar) as at_fitted,
    cast(gp_signed as varchar) as gp_signed,
    cast(income as decimal(14, 2)) as income
from {{ source('raw', 'survey_rows') }}
