-- Target groups of the subsidy indicators, from the person's registry row (time-invariant:
-- the newest snapshot is the truth for all periods). Activity at the period end is applied
-- by the indicator model; I13 counts whatever the status.
select
    person_id,
    town,
    hardship,
    grade,
    category,
    -- I05 困难残疾人生活补贴: hardship 低保 or 低保边缘
    coalesce(hardship in ('低保', '低保边缘'), false) as is_i05_target,
    -- I06 重度残疾人护理补贴: grade 一级 or 二级, or grade 三级 and category 智力 or 精神
    coalesce(grade in ('一级', '二级') or (grade = '三级' and category in ('智力', '精神')), false) as is_i06_target,
    -- I13 家庭无障碍改造: hardship 低保 / 低保边缘 / 特困 and grade 一级 / 二级
    coalesce(hardship in ('低保', '低保边缘', '特困') and grade in ('一级', '二级'), false) as is_i13_target
from {{ ref('int_persons') }}
