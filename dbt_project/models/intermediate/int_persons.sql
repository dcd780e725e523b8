-- One row per registry person (newest snapshot) with the person's row (extracts.md):
-- the row with status 正常 if any, else the one with the latest first_issue_date; two
-- 正常 rows (R04) -> the later-issued one. Equal issue dates -> the first row in the file.
-- The person's town, grade, hardship etc. are those of that row, for all periods.
with registry as (
    select * from {{ ref('stg_raw__registry_rows') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by person_id
            order by case when status = '正常' then 0 else 1 end, first_issue_date desc nulls last, source_row
        ) as row_rank,
        count(*) over (partition by person_id) as registry_rows,
        sum(case when status = '正常' then 1 else 0 end) over (partition by person_id) as normal_rows
    from registry
)

select
    person_id,
    cert_key,
    birth_date,
    gender,
    category,
    grade,
    town,
    village,
    first_issue_date,
    valid_until,
    status,
    cancel_date,
    cancel_reason,
    hardship,
    review_date,
    source_row,
    cast(registry_rows as integer) as registry_rows,
    cast(normal_rows as integer) as normal_rows
from ranked
where row_rank = 1
