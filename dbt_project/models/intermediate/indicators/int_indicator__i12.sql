-- I12 残疾儿童康复救助覆盖率 (ratio, year)
-- denominator: persons active at Dec31, aged 0-17 at Dec31, surveyed in Y, rehab_need 有;
-- numerator: those of them paid 残疾儿童康复救助 at least once in Y (any pay month of Y).
-- reported: distinct persons the ledgers of Y list as paid 残疾儿童康复救助, aged 0-17 at
--   Dec31 (age from the ID's birth date), by the ledger's 发放镇街, no registry condition.
with population as (
    select * from {{ ref('int_survey_population') }}
),

payments as (
    select pay_year, person_id, town, birth_date
    from {{ ref('int_subsidy_payments') }}
    where subsidy_type = '残疾儿童康复救助'
),

paid_persons as (
    select distinct pay_year, person_id from payments
),

official as (
    select
        population.period,
        population.person_id,
        population.town,
        true as in_denominator,
        paid_persons.person_id is not null as in_numerator,
        case when paid_persons.person_id is not null then 1 else 0 end as numerator_units,
        cast(null as double) as numerator_amount,
        cast(null as double) as denominator_amount
    from population
    left join paid_persons
        on paid_persons.person_id = population.person_id and paid_persons.pay_year = population.year
    where population.age_at_year_end between 0 and 17
        and population.rehab_need = '有'
),

reported as (
    select years.period, payments.person_id, payments.town
    from payments
    inner join {{ ref('int_periods__years') }} as years on years.year = payments.pay_year
    where {{ age_at('payments.birth_date', 'years.year_end') }} between 0 and 17
)

{{ indicator_members('I12') }}
