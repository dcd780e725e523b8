-- A01 (warn): a ratio indicator with a reported_value (I05-I12, I14) whose reported_value
-- is above 100 - the headline anomaly. A02 (warn): reported_value exceeds value by more
-- than 5 percentage points. One finding per indicator_values row and rule (a row can be
-- both); month and year rows are both checked. dq_reconciliation explains each case.
with candidates as (
    select values.*
    from {{ ref('indicator_values') }} as values
    inner join {{ ref('indicator_catalogue') }} as catalogue on catalogue.indicator_code = values.indicator_code
    where catalogue.kind = 'ratio' and catalogue.has_reported_value and values.reported_value is not null
),

a01 as (
    select * from candidates where reported_value > 100
),

a02 as (
    select * from candidates where reported_value - coalesce(value, 0) > 5
),

a01_findings as (
    {{ dq_finding('A01', 'warn', "'indicator'", area_name='area_name', period='period', from='a01',
        detail="indicator_code || ' 上报口径值' || " ~ fmt_number('reported_value') ~ " || '%，超过100%（官方值'"
               " || coalesce(" ~ fmt_number('value') ~ ", '空') || '%）'") }}
),

a02_findings as (
    {{ dq_finding('A02', 'warn', "'indicator'", area_name='area_name', period='period', from='a02',
        detail="indicator_code || ' 上报口径值' || " ~ fmt_number('reported_value') ~ " || '%，比官方值'"
               " || coalesce(" ~ fmt_number('value') ~ ", '空') || '%高' || "
               ~ fmt_number('reported_value - coalesce(value, 0)') ~ " || '个百分点'") }}
)

select * from a01_findings
union all
select * from a02_findings
