-- The monthly indicators I04-I06 as counts: per month, town and the district, the
-- denominator, the numerator and the source-side (reported) numerator, in persons.
-- indicator_values reads these instead of the person-level views int_indicator__i04/5/6,
-- which stay the definition (macros/monthly_indicators.sql, monthly_indicator_counts;
-- the sql_shape test monthly_counts_match_the_views compares both for every month).
select
    cast(indicator_code as varchar) as indicator_code,
    cast(period as varchar) as period,
    cast(area_name as varchar) as area_name,
    cast(denominator_persons as bigint) as denominator_persons,
    cast(numerator_persons as bigint) as numerator_persons,
    cast(reported_persons as bigint) as reported_persons
from (
{%- for code in monthly_indicator_codes() %}
    {{ monthly_indicator_counts(code) }}
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
) as counts
