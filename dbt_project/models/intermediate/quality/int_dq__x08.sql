-- X08 (warn): a survey row for an ID not active at Dec31 of the survey year (not in the
-- registry, not yet issued, or cancelled by then). One finding per person and survey
-- year (several rows of one person are R04); area = the survey's 所属镇街 of the first row.
with surveyed as (
    select survey_year, person_id, town from {{ ref('int_survey_first_rows') }}
),

flagged as (
    select
        surveyed.*,
        case
            when persons.person_id is null then '登记库中无此身份证号'
            when persons.first_issue_date > {{ date_from_parts('surveyed.survey_year', 12, 31) }}
                then '年末尚未发证'
            else '证件已于' || cast(persons.cancel_date as varchar) || '注销'
        end as why
    from surveyed
    left join {{ ref('int_persons') }} as persons on persons.person_id = surveyed.person_id
    where persons.person_id is null
        or not {{ is_active_at('persons.first_issue_date', 'persons.status', 'persons.cancel_date',
                               date_from_parts('surveyed.survey_year', 12, 31)) }}
)

{{ dq_finding('X08', 'warn', "'survey'", 'person_id', 'town', 'cast(survey_year as varchar)',
    "cast(survey_year as varchar) || '年调查对象年末不在册：' || why") }}
