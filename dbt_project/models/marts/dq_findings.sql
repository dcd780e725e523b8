-- The data-quality findings (quality.md, output contract): one row per finding of every
-- row-, cross-source- and aggregate-level rule, by pseudonymous person key (never the ID
-- or name). One model per rule in intermediate/quality/int_dq__*; they name persons by
-- person_id (the number of their key in raw.person_keys), turned back into person_key here.
-- F01-F03 (whole files, block) stop the refresh at ingestion, before anything is
-- written: they never reach a published table, so they have no rows here.
{% set rule_models = [
    'int_dq__quarantine',
    'int_dq__r02', 'int_dq__r03', 'int_dq__r04',
    'int_dq__x01', 'int_dq__x02', 'int_dq__x03', 'int_dq__x04', 'int_dq__x05',
    'int_dq__x06', 'int_dq__x07', 'int_dq__x08', 'int_dq__x09', 'int_dq__x10',
    'int_dq__a01_a02', 'int_dq__a03', 'int_dq__a04', 'int_dq__a05', 'int_dq__a06',
] %}
with findings as (
    {% for model in rule_models %}
    select rule_id, severity, source, person_id, area_name, period, detail, amount from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select findings.rule_id, findings.severity, findings.source, keys.person_key, findings.area_name, findings.period,
    findings.detail, findings.amount
from findings
left join {{ ref('int_person_keys') }} as keys on keys.person_id = findings.person_id
order by findings.rule_id, findings.source, findings.period, findings.area_name, keys.person_key, findings.detail
