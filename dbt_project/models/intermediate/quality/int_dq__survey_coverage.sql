-- Survey coverage (A06): per survey year and area (district and every town, by the
-- person's registry town), persons active at Dec31 of Y and how many of them have a
-- survey row for Y (any row). Only years with a survey file.
with survey_years as (
    select distinct survey_year from {{ ref('stg_raw__survey_rows') }}
),

surveyed as (
    select distinct survey_year, person_id from {{ ref('stg_raw__survey_rows') }}
),

active as (
    select survey_years.survey_year, persons.person_id, persons.town
    from {{ ref('int_persons') }} as persons
    cross join survey_years
    where {{ is_active_at('persons.first_issue_date', 'persons.status', 'persons.cancel_date',
                          date_from_parts('survey_years.survey_year', 12, 31)) }}
),

counted as (
    select
        active.survey_year,
        case when grouping(active.town) = 1 then '{{ var("district_name") }}' else active.town end as area_name,
        case when grouping(active.town) = 1 then 'district' else 'town' end as area_level,
        count(*) as active_persons,
        count(surveyed.person_id) as surveyed_persons
    from active
    left join surveyed on surveyed.survey_year = active.survey_year and surveyed.person_id = active.person_id
    group by grouping sets ((active.survey_year), (active.survey_year, active.town))
)

select
    cast(survey_year as varchar) as period,
    cast(area_level as varchar) as area_level,
    cast(area_name as varchar) as area_name,
    cast(active_persons as integer) as active_persons,
    cast(surveyed_persons as integer) as surveyed_persons,
    cast(100.0 * surveyed_persons / active_persons as double) as coverage_percent
from counted
