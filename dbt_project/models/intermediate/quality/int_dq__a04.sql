-- A04 (warn): monthly distinct recipients x of a type in a town (发放镇街) deviate from
-- the median of the previous 12 months by more than 3.5 modified z-scores:
-- |0.6745 * (x - median) / MAD| > 3.5, MAD = median of |x_i - median| over those 12
-- months. Only months with all 12 previous calendar months in the ledgers; MAD 0 skips.
-- Months without payments count 0 (int_dq__subsidy_recipients_monthly).
with grid as (
    select * from {{ ref('int_dq__subsidy_recipients_monthly') }}
),

history as (
    select
        this_month.town, this_month.subsidy_type, this_month.period, this_month.recipients,
        previous.recipients as previous_recipients
    from grid as this_month
    inner join grid as previous
        on previous.town = this_month.town
        and previous.subsidy_type = this_month.subsidy_type
        and {{ months_between('previous.pay_month_start', 'this_month.pay_month_start') }} between 1 and 12
),

medians as (
    select town, subsidy_type, period, recipients, {{ median_of('previous_recipients') }} as median_recipients
    from history
    group by town, subsidy_type, period, recipients
    having count(*) = 12
),

mads as (
    select medians.town, medians.subsidy_type, medians.period, medians.recipients, medians.median_recipients,
        {{ median_of('abs(history.previous_recipients - medians.median_recipients)') }} as mad
    from medians
    inner join history using (town, subsidy_type, period)
    group by medians.town, medians.subsidy_type, medians.period, medians.recipients, medians.median_recipients
),

flagged as (
    select *, 0.6745 * (recipients - median_recipients) / mad as modified_z
    from mads
    where mad > 0 and abs(0.6745 * (recipients - median_recipients) / mad) > 3.5
)

{{ dq_finding('A04', 'warn', "'subsidy'", area_name='town', period='period',
    detail="subsidy_type || '本月发放' || cast(recipients as varchar) || '人，前12个月中位数' || "
           ~ fmt_number('median_recipients') ~ " || '人，修正Z值' || " ~ fmt_number('modified_z', 2)) }}
