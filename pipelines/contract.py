"""The extract contract (../shared/spec/extracts.md) as data: folders, file names,
Chinese headers, field kinds and enumerations. The generator writes it, the reader
reads it; neither spells a header anywhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SOURCES = ("registry", "subsidy", "employment", "survey")

# <landing>/<source>/<source>_<YYYYMM|YYYY>.<csv|xlsx>
FILE_NAME = {
    "registry": re.compile(r"^registry_(?P<period>\d{6})\.(?P<ext>csv|xlsx)$"),
    "subsidy": re.compile(r"^subsidy_(?P<period>\d{6})\.(?P<ext>csv|xlsx)$"),
    "employment": re.compile(r"^employment_(?P<period>\d{6})\.(?P<ext>csv|xlsx)$"),
    "survey": re.compile(r"^survey_(?P<period>\d{4})\.(?P<ext>csv|xlsx)$"),
}

GENDERS = ("男", "女")
CATEGORIES = {"视力": "1", "听力": "2", "言语": "3", "肢体": "4", "智力": "5", "精神": "6", "多重": "7"}
GRADES = {"一级": "1", "二级": "2", "三级": "3", "四级": "4"}
STATUSES = ("正常", "注销")
CANCEL_REASONS = ("死亡", "迁出", "其他")
HARDSHIPS = ("低保", "低保边缘", "特困", "无")
SUBSIDY_TYPES = (
    "困难残疾人生活补贴",
    "重度残疾人护理补贴",
    "残疾儿童康复救助",
    "家庭无障碍改造",
    "困难救助",
    "其他",
)
RECORD_TYPES = ("就业", "培训")
EMPLOYMENT_FORMS = (
    "按比例就业",
    "集中就业",
    "个体就业",
    "灵活就业",
    "公益性岗位",
    "辅助性就业",
    "农村种养殖",
)
FORMS_NEEDING_EMPLOYER = ("按比例就业", "集中就业")  # R07
SCHOOL = ("在校", "未入学", "休学", "不适用")
PENSION = ("已参保", "领取待遇", "未参保", "不适用")
MEDICAL = ("已参保", "未参保")
HAVE = ("有", "无")
REHAB_SERVED = ("已服务", "未服务")
AT_FITTED = ("已适配", "未适配")
YES_NO = ("是", "否")


@dataclass(frozen=True)
class Column:
    header: str  # the Chinese header in the extract
    name: str  # the English field name in the warehouse
    kind: str  # id | personal | text | date | enum | amount | month | year | uscc | town | village | cert_no | number
    values: tuple[str, ...] = ()  # for enum
    required: bool = True  # the column must be present in the file (F01)
    value_required: bool = False  # an empty value sends the row to quarantine


@dataclass(frozen=True)
class Source:
    name: str
    period_kind: str  # month | year
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def required_headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


CONTRACT: dict[str, Source] = {
    "registry": Source(
        "registry",
        "month",
        (
            Column("残疾人证号", "cert_no", "cert_no"),
            Column("姓名", "name", "personal", required=False),
            Column("身份证号", "id_no", "id", value_required=True),
            Column("性别", "gender", "enum", GENDERS),
            Column("出生日期", "birth_date_stated", "date"),
            Column("残疾类别", "category", "enum", tuple(CATEGORIES), value_required=True),
            Column("残疾等级", "grade", "enum", tuple(GRADES), value_required=True),
            Column("所属镇街", "town", "town", value_required=True),
            Column("所属村社", "village", "village", value_required=True),
            Column("首次发证日期", "first_issue_date", "date", value_required=True),
            Column("有效期至", "valid_until", "date"),
            Column("证件状态", "status", "enum", STATUSES, value_required=True),
            Column("注销日期", "cancel_date", "date"),  # required when 注销
            Column("注销原因", "cancel_reason", "enum", CANCEL_REASONS),  # required when 注销
            Column("困难类型", "hardship", "enum", HARDSHIPS, value_required=True),
            Column("审验日期", "review_date", "date"),
        ),
    ),
    "subsidy": Source(
        "subsidy",
        "month",
        (
            Column("身份证号", "id_no", "id", value_required=True),
            Column("姓名", "name", "personal", required=False),
            Column("补贴类型", "subsidy_type", "enum", SUBSIDY_TYPES, value_required=True),
            Column("发放年月", "pay_month_stated", "month"),
            Column("金额", "amount", "amount", value_required=True),
            Column("发放镇街", "town", "town", value_required=True),
        ),
    ),
    "employment": Source(
        "employment",
        "month",
        (
            Column("身份证号", "id_no", "id", value_required=True),
            Column("记录类型", "record_type", "enum", RECORD_TYPES, value_required=True),
            Column("就业形式", "form", "enum", EMPLOYMENT_FORMS),  # required for 就业
            Column("单位名称", "employer_name", "text"),
            Column("统一社会信用代码", "employer_uscc", "uscc"),
            Column("培训项目", "course", "text"),
            Column("开始日期", "start_date", "date", value_required=True),
            Column("结束日期", "end_date", "date"),
        ),
    ),
    "survey": Source(
        "survey",
        "year",
        (
            Column("身份证号", "id_no", "id", value_required=True),
            Column("调查年度", "year_stated", "year"),
            Column("所属镇街", "town", "town", value_required=True),
            Column("在学状态", "school", "enum", SCHOOL),
            Column("养老保险", "pension", "enum", PENSION),
            Column("医疗保险", "medical", "enum", MEDICAL),
            Column("康复需求", "rehab_need", "enum", HAVE),
            Column("康复服务", "rehab_served", "enum", REHAB_SERVED),
            Column("辅具需求", "at_need", "enum", HAVE),
            Column("辅具适配", "at_fitted", "enum", AT_FITTED),
            Column("家庭医生签约", "gp_signed", "enum", YES_NO),
            Column("家庭人均可支配收入", "income", "amount"),
        ),
    ),
}

# Quarantine and whole-file rules that act at ingestion (quality.md).
RULE_REASONS = {
    "F01": "文件无法读取、无法解码、为空或缺少必需列",
    "F02": "文件名不含有效期间",
    "F03": "登记快照行数不足上一快照的80%，疑似导出不完整",
    "R01": "身份证号无效（长度、校验位或科学计数法）",
    "R05": "必填日期无法解析，或注销日期早于发证日期/晚于快照月份",
    "R06": "镇街或村社不在参考表中，或取值不在规定范围内",
    "R07": "按比例就业/集中就业记录缺少统一社会信用代码或校验位错误",
}


def period_of(source: str, file_name: str) -> str | None:
    """The period a file name gives (YYYYMM or YYYY), or None (F02)."""
    match = FILE_NAME[source].match(file_name)
    if not match:
        return None
    period = match["period"]
    if len(period) == 6 and not 1 <= int(period[4:]) <= 12:
        return None
    return period
