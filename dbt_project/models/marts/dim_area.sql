-- The areas of indicator_values: the district total and each town of the towns seed.
select
    cast('district' as varchar) as area_level,
    cast('{{ var("district_name") }}' as varchar) as area_name,
    cast('{{ var("district_code") }}' as varchar) as area_code,
    cast(null as varchar) as area_type,
    cast(null as varchar) as parent_area_name,
    0 as sort_order
union all
select
    'town' as area_level,
    town_name as area_name,
    town_code as area_code,
    town_type as area_type,
    '{{ var("district_name") }}' as parent_area_name,
    cast(row_number() over (order by town_code) as integer) as sort_order
from {{ ref('towns') }}
