-- The 14 indicators as the catalogue seed describes them (an analyst edits the seed).
select
    indicator_code,
    name_zh,
    unit,
    attribute,
    period_kind,
    kind,
    definition_zh,
    has_reported_value
from {{ ref('indicator_catalogue') }}
