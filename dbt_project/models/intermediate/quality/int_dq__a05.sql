-- A05 (warn): an indicator's annual value (unit %: I01, I04-I12, I14) moves more than 15
-- percentage points from the previous year, for the district and every town. Exactly 15
-- is not a finding; a null value on either side is not compared.
with annual as (
    select values.indicator_code, values.area_name, values.period, cast(values.period as integer) as year, values.value
    from {{ ref('indicator_values') }} as values
    inner join {{ ref('indicator_catalogue') }} as catalogue on catalogue.indicator_code = values.indicator_code
    where catalogue.unit = '%' and length(values.period) = 4
),

flagged as (
    select this_year.*, previous.value as previous_value, this_year.value - previous.value as change
    from annual as this_year
    inner join annual as previous
        on previous.indicator_code = this_year.indicator_code
        and previous.area_name = this_year.area_name
        and previous.year = this_year.year - 1
    where abs(this_year.value - previous.value) > 15
)

{{ dq_finding('A05', 'warn', "'indicator'", area_name='area_name', period='period',
    detail="indicator_code || ' 年度值由' || " ~ fmt_number('previous_value') ~ " || '%变为' || "
           ~ fmt_number('value') ~ " || '%，变动' || " ~ fmt_number('change') ~ " || '个百分点（超过15）'") }}
