-- The published indicator table (indicators.md, output contract): one row per indicator,
-- period and area, also where the value is null. The definitions live in
-- intermediate/indicators/int_indicator__iNN; this model only aggregates them:
--   ratio  (I04-I12, I14): numerator / denominator = persons, 0 when nobody qualifies;
--                          value = 100 * num / den, null when den = 0
--   count  (I02, I03, I13): value = numerator (0 when nothing qualifies), denominator null
--   growth (I01): income sums over the panel, null when the panel is empty;
--                 value = 100 * (num / den - 1)
--   reported_value: ratio -> 100 * source-side persons / the official denominator;
--                   I13 -> the source-side count; I01-I04 -> null.
-- Annual rows of monthly indicators show the latest month of the year (as_of_period).
-- The monthly indicators (I04-I06) come counted: int_monthly_indicator_counts.
with frame as (
    select
        periods.indicator_code,
        periods.period,
        periods.year,
        periods.as_of_period,
        areas.area_level,
        areas.area_name,
        areas.sort_order
    from {{ ref('int_indicator_periods') }} as periods
    cross join {{ ref('dim_area') }} as areas
),

catalogue as (
    select indicator_code, kind, has_reported_value from {{ ref('indicator_catalogue') }}
),

members as (
    -- the yearly indicators' person rows (tables; DuckDB drops the monthly views from the
    -- stacked view under this filter). The monthly indicators are counted without their
    -- persons x months product: int_monthly_indicator_counts.
    select * from {{ ref('int_indicator_members') }}
    where indicator_code not in ('{{ monthly_indicator_codes() | join("', '") }}')
),

grouped as (
    -- one pass over the members, two groupings:
    --   district: every person once (each person has one official row per period)
    --   towns:    official by the town of the person's registry row,
    --             reported by the source's own town column: one row per person and town
    --             (the grain tests of the indicator models), so rows are persons
    -- No count(distinct) here: over 100 M+ member rows at province scale it held every
    -- key of every group in memory (595 s at province scale; 265 s without it).
    select
        indicator_code,
        period,
        grouping(town) = 1 as is_district,
        case when grouping(town) = 1 then '{{ var("district_name") }}' else town end as area_name,
        count(*) filter (where side = 'official' and in_denominator) as denominator_persons,
        sum(numerator_units) filter (where side = 'official' and in_numerator) as numerator_units,
        sum(numerator_amount) filter (where side = 'official' and in_numerator) as numerator_amount,
        sum(denominator_amount) filter (where side = 'official' and in_denominator) as denominator_amount,
        count(*) filter (where side = 'reported') as reported_rows
    from members
    group by grouping sets ((indicator_code, period), (indicator_code, period, town))
),

reported_in_district as (
    -- the district's reported numerator: each ID once, whichever towns listed it.
    select indicator_code, period, count(*) as reported_persons
    from (
        select indicator_code, period, person_id
        from members
        where side = 'reported'
        group by indicator_code, period, person_id
    ) as reported_persons
    group by indicator_code, period
),

aggregated as (
    select
        grouped.* exclude (is_district, reported_rows),
        case
            when grouped.is_district then coalesce(reported_in_district.reported_persons, 0)
            else grouped.reported_rows
        end as reported_persons
    from grouped
    left join reported_in_district
        on reported_in_district.indicator_code = grouped.indicator_code
        and reported_in_district.period = grouped.period
    union all
    select
        indicator_code,
        period,
        area_name,
        denominator_persons,
        numerator_persons as numerator_units,
        cast(null as double) as numerator_amount,
        cast(null as double) as denominator_amount,
        reported_persons
    from {{ ref('int_monthly_indicator_counts') }}
),

figures as (
    select
        frame.indicator_code,
        frame.period,
        frame.year,
        frame.area_level,
        frame.area_name,
        frame.sort_order,
        catalogue.kind,
        catalogue.has_reported_value,
        case catalogue.kind
            when 'growth' then cast(aggregated.numerator_amount as double)
            else cast(coalesce(aggregated.numerator_units, 0) as double)
        end as numerator,
        case catalogue.kind
            when 'ratio' then cast(coalesce(aggregated.denominator_persons, 0) as double)
            when 'growth' then cast(aggregated.denominator_amount as double)
        end as denominator,
        cast(coalesce(aggregated.reported_persons, 0) as double) as reported_numerator
    from frame
    inner join catalogue on catalogue.indicator_code = frame.indicator_code
    left join aggregated
        on aggregated.indicator_code = frame.indicator_code
        and aggregated.period = frame.as_of_period
        and aggregated.area_name = frame.area_name
),

valued as (
    select
        figures.*,
        case kind
            when 'ratio' then {{ percent('numerator', 'denominator') }}
            when 'count' then numerator
            when 'growth' then case when denominator > 0 then 100.0 * (numerator / denominator - 1) end
        end as value,
        case
            when not has_reported_value then null
            when kind = 'ratio' then {{ percent('reported_numerator', 'denominator') }}
            when kind = 'count' then reported_numerator
        end as reported_value
    from figures
)

select
    cast(valued.indicator_code as varchar) as indicator_code,
    cast(valued.period as varchar) as period,
    cast(valued.area_level as varchar) as area_level,
    cast(valued.area_name as varchar) as area_name,
    cast(valued.numerator as double) as numerator,
    cast(valued.denominator as double) as denominator,
    cast(valued.value as double) as value,
    cast(valued.reported_value as double) as reported_value,
    cast(targets.target as double) as target,
    cast(valued.value >= targets.target as boolean) as meets_target
from valued
left join {{ ref('indicator_targets') }} as targets
    on targets.indicator_code = valued.indicator_code and targets.year = valued.year
order by valued.indicator_code, length(valued.period), valued.period, valued.sort_order
