-- Counts of marts.dq_findings by rule, severity, source and period (quality.md): findings,
-- distinct persons, and the yuan at risk (X02-X04).
select
    rule_id,
    severity,
    source,
    period,
    cast(count(*) as integer) as findings,
    cast(count(distinct person_key) as integer) as persons,
    cast(sum(amount) as decimal(18, 2)) as amount
from {{ ref('dq_findings') }}
group by rule_id, severity, source, period
order by rule_id, source, period
