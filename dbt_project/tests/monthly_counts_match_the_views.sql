-- int_monthly_indicator_counts against the person-level views that define I04-I06
-- (int_indicator__i04/5/6, stacked in int_indicator_members), for every month, town and
-- the district: the rows where any count differs. A test of the SQL (sql_shape: the test
-- suite runs it; at province it computes the views, persons x months: 96 s).
{{ config(tags=['sql_shape']) }}
with members as (
    select * from {{ ref('int_indicator_members') }}
    where indicator_code in ('{{ monthly_indicator_codes() | join("', '") }}')
),

by_town as (
    select
        indicator_code,
        period,
        town as area_name,
        count(*) filter (where side = 'official' and in_denominator) as denominator_persons,
        count(*) filter (where side = 'official' and in_numerator) as numerator_persons,
        count(*) filter (where side = 'reported') as reported_persons
    from members
    where town is not null
    group by indicator_code, period, town
),

district as (
    select
        indicator_code,
        period,
        '{{ var("district_name") }}' as area_name,
        count(*) filter (where side = 'official' and in_denominator) as denominator_persons,
        count(*) filter (where side = 'official' and in_numerator) as numerator_persons,
        count(distinct person_id) filter (where side = 'reported') as reported_persons
    from members
    group by indicator_code, period
),

from_views as (
    select * from by_town
    union all
    select * from district
)

select
    coalesce(from_views.indicator_code, counts.indicator_code) as indicator_code,
    coalesce(from_views.period, counts.period) as period,
    coalesce(from_views.area_name, counts.area_name) as area_name,
    from_views.denominator_persons as view_denominator,
    counts.denominator_persons as count_denominator,
    from_views.numerator_persons as view_numerator,
    counts.numerator_persons as count_numerator,
    from_views.reported_persons as view_reported,
    counts.reported_persons as count_reported
from from_views
full join {{ ref('int_monthly_indicator_counts') }} as counts
    on counts.indicator_code = from_views.indicator_code
    and counts.period = from_views.period
    and counts.area_name = from_views.area_name
where coalesce(from_views.denominator_persons, 0) != coalesce(counts.denominator_persons, 0)
    or coalesce(from_views.numerator_persons, 0) != coalesce(counts.numerator_persons, 0)
    or coalesce(from_views.reported_persons, 0) != coalesce(counts.reported_persons, 0)
