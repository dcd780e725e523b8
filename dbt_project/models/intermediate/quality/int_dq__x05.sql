-- X05 (warn): a subsidy paid to a registry person outside the type's target group, by
-- the person's registry row (int_person_eligibility; the same groups as the indicators):
--   困难残疾人生活补贴 -> I05 group (hardship 低保 / 低保边缘)
--   重度残疾人护理补贴 -> I06 group (grade 一级/二级, or 三级 with category 智力/精神)
--   残疾儿童康复救助   -> I12 age group (aged 0-17 at Dec31 of the pay year)
--   家庭无障碍改造     -> I13 group (hardship 低保/低保边缘/特困 and grade 一级/二级)
-- Group membership only: IDs not in the registry are X01, payments after the cancellation
-- month are X02 (so X01/X02 rows are never X05); the survey conditions of I12 (surveyed,
-- rehab_need 有) are not required (a child may be aided before the next survey).
-- 困难救助 and 其他 have no target group. One finding per ledger row.
with payments as (
    select * from {{ ref('stg_raw__subsidy_rows') }}
    where subsidy_type in ('困难残疾人生活补贴', '重度残疾人护理补贴', '残疾儿童康复救助', '家庭无障碍改造')
),

flagged as (
    select payments.*, eligibility.hardship, eligibility.grade, eligibility.category
    from payments
    inner join {{ ref('int_person_eligibility') }} as eligibility on eligibility.person_id = payments.person_id
    inner join {{ ref('int_persons') }} as persons on persons.person_id = payments.person_id
    where case payments.subsidy_type
        when '困难残疾人生活补贴' then not eligibility.is_i05_target
        when '重度残疾人护理补贴' then not eligibility.is_i06_target
        when '残疾儿童康复救助' then
            not coalesce({{ age_at('persons.birth_date', date_from_parts('payments.pay_year', 12, 31)) }} between 0 and 17, false)
        when '家庭无障碍改造' then not eligibility.is_i13_target
    end
)

{{ dq_finding('X05', 'warn', "'subsidy'", 'person_id', 'town', 'pay_period',
    "'向目标人群以外的人员发放' || subsidy_type || '（困难类型' || coalesce(hardship, '空') || '，' || coalesce(category, '') || coalesce(grade, '') || '）'") }}
