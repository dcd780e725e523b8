-- R04 (warn): one person with two 正常 certificates in the newest registry snapshot (one
-- finding per person; the later-issued row is used), or two or more survey rows in one
-- year (one finding per person and year; the first row in file order is used).
with registry as (
    select persons.person_id, persons.town, newest.snapshot_month, persons.normal_rows
    from {{ ref('int_persons') }} as persons
    cross join (select max(snapshot_month) as snapshot_month from {{ ref('stg_raw__registry_rows') }}) as newest
    where persons.normal_rows > 1
),

survey as (
    select person_id, town, survey_year, rows_in_year
    from {{ ref('int_survey_first_rows') }}
    where rows_in_year > 1
),

registry_findings as (
    {{ dq_finding('R04', 'warn', "'registry'", 'person_id', 'town', period_label('snapshot_month'),
        "'同一人有' || cast(normal_rows as varchar) || '张状态为“正常”的残疾人证，取发证较晚者'", from='registry') }}
),

survey_findings as (
    {{ dq_finding('R04', 'warn', "'survey'", 'person_id', 'town', 'cast(survey_year as varchar)',
        "'同一人在' || cast(survey_year as varchar) || '年调查中有' || cast(rows_in_year as varchar) || '行，取文件中第一行'",
        from='survey') }}
)

select * from registry_findings
union all
select * from survey_findings
