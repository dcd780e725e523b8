-- R01 R05 R06 R07 (quarantine): rows the ingestion kept out of every indicator
-- (raw.quarantine_rows), one finding per quarantined row. The rule and the masked reason
-- come from the ingestion; the area is the registry town of the person where the ID was
-- valid (R05-R07), unknown for R01 (no valid ID, no key).
with quarantined as (
    select * from {{ ref('stg_raw__quarantine_rows') }}
),

flagged as (
    select
        quarantined.*,
        persons.town as person_town
    from quarantined
    left join {{ ref('int_persons') }} as persons on persons.person_id = quarantined.person_id
)

{{ dq_finding(
    rule_id=none, rule_id_sql='rule_id',
    severity='quarantine', source='source', person_id='person_id', area_name='person_town',
    period=period_label('period'),
    detail="'隔离：' || source_file || ' 第' || cast(source_row as varchar) || '行，' || coalesce(reason, '')"
) }}
