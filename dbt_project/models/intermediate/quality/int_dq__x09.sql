-- X09 (warn): a certificate present in an older registry snapshot and absent from the
-- newest without a cancellation. A certificate is (person_id, first_issue_date): the
-- certificate number itself may carry an R02 typo in one snapshot, so its key is not used.
-- "Without a cancellation": in the last older snapshot that lists it, its status is 正常.
-- One finding per person (their certificate(s) vanished); period = that last snapshot.
with snapshots as (
    select * from {{ ref('stg_raw__registry_snapshots') }}
),

newest as (
    select max(snapshot_month) as snapshot_month from snapshots
),

in_newest as (
    select distinct snapshots.person_id, snapshots.first_issue_date
    from snapshots inner join newest using (snapshot_month)
),

older as (
    select
        snapshots.*,
        row_number() over (
            partition by snapshots.person_id, snapshots.first_issue_date
            order by snapshots.snapshot_month desc, snapshots.source_row
        ) as recency
    from snapshots
    cross join newest
    where snapshots.snapshot_month < newest.snapshot_month
),

vanished as (
    select older.*
    from older
    left join in_newest
        on in_newest.person_id = older.person_id and in_newest.first_issue_date = older.first_issue_date
    where older.recency = 1 and older.status = '正常' and in_newest.person_id is null
),

flagged as (
    select
        person_id,
        min(town) as town,
        max(snapshot_month) as last_seen,
        (select snapshot_month from newest) as newest_month
    from vanished
    group by person_id
)

{{ dq_finding('X09', 'warn', "'registry'", 'person_id', 'town', period_label('last_seen'),
    "'证件在' || last_seen || '快照中为“正常”，在最新快照' || newest_month || '中消失且无注销记录'") }}
