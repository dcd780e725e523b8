-- A03 (warn): a town (发放镇街) with payments of a subsidy type in each of the previous 3
-- calendar months and none this month, in a month that has a ledger (a missing ledger
-- part). One finding per town, type and month.
with grid as (
    select * from {{ ref('int_dq__subsidy_recipients_monthly') }}
),

flagged as (
    select this_month.town, this_month.subsidy_type, this_month.period,
        min(previous.recipients) as fewest_before
    from grid as this_month
    inner join grid as previous
        on previous.town = this_month.town
        and previous.subsidy_type = this_month.subsidy_type
        and {{ months_between('previous.pay_month_start', 'this_month.pay_month_start') }} between 1 and 3
    where this_month.recipients = 0
    group by this_month.town, this_month.subsidy_type, this_month.period
    having count(*) = 3 and min(previous.recipients) > 0
)

{{ dq_finding('A03', 'warn', "'subsidy'", area_name='town', period='period',
    detail="town || '前3个月均发放' || subsidy_type || '（每月至少' || cast(fewest_before as varchar) || '人），本月无发放记录，疑似缺少部分明细'") }}
