-- A06 (warn): fewer than 95% of the persons active at Dec31 of Y have a survey row for Y,
-- per area (district and every town; int_dq__survey_coverage). One finding per area and year.
with flagged as (
    select * from {{ ref('int_dq__survey_coverage') }}
    where coverage_percent < 95
)

{{ dq_finding('A06', 'warn', "'survey'", area_name='area_name', period='period',
    detail="period || '年末在册' || cast(active_persons as varchar) || '人，仅' || cast(surveyed_persons as varchar)"
           " || '人有当年调查记录，覆盖率' || " ~ fmt_number('coverage_percent') ~ " || '%（低于95%）'") }}
