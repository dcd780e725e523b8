-- Rows kept out of every indicator, with the rule and a masked reason.
select
    cast(source as varchar) as source,
    cast(source_file as varchar) as source_file,
    cast(period as varchar) as period,
    cast(source_row as integer) as source_row,
    cast(rule_id as varchar) as rule_id,
    cast(reason as varchar) as reason,
    cast(person_id as integer) as person_id
from {{ source('raw', 'quarantine_rows') }}
