"""normalise: typing, the quarantine rules R01/R05/R06/R07 (first failing rule only),
the warn flags R02/R03/X10, and rule_counts. Rows are built here as read_extract
returns them (every contract field as text); two tests go through real XLSX files."""

import datetime as dt
import re

import numpy as np
import polars as pl
import pytest
import xlsxwriter

from pipelines import identity
from pipelines.contract import CONTRACT
from pipelines.ingest import normalise as normalise_module
from pipelines.ingest.normalise import normalise, rule_counts
from pipelines.ingest.read import read_extract
from pipelines.reference import Reference

ID = "11010519491231002X"  # born 1949-12-31, digit 17 even: 女
ID_MALE = "110105194912310011"  # born 1949-12-31, 男
USCC = "91110000600037341L"

REFERENCE = Reference(
    towns=pl.DataFrame({"town_code": ["1", "2"], "town_name": ["锦屏街道", "溪口镇"], "town_type": ["街道", "镇"]}),
    villages=pl.DataFrame(
        {
            "village_code": ["11", "12", "21"],
            "village_name": ["江宁社区", "上平社区", "西河村"],
            "town_code": ["1", "1", "2"],
            "town_name": ["锦屏街道", "锦屏街道", "溪口镇"],
        }
    ),
    subsidy_standards=pl.DataFrame(),
    targets=pl.DataFrame(),
)

VALID = {
    "registry": {
        "cert_no": ID + "41", "name": "张三", "id_no": ID, "gender": "女",
        "birth_date_stated": "1949-12-31", "category": "肢体", "grade": "一级",
        "town": "锦屏街道", "village": "江宁社区", "first_issue_date": "2020-01-05",
        "valid_until": "2030-01-05", "status": "正常", "cancel_date": None,
        "cancel_reason": None, "hardship": "无", "review_date": None,
    },
    "subsidy": {
        "id_no": ID, "name": "张三", "subsidy_type": "困难残疾人生活补贴",
        "pay_month_stated": "202201", "amount": "1500", "town": "锦屏街道",
    },
    "employment": {
        "id_no": ID, "record_type": "就业", "form": "按比例就业", "employer_name": "某某有限公司",
        "employer_uscc": USCC, "course": None, "start_date": "2021-01-01", "end_date": None,
    },
    "survey": {
        "id_no": ID, "year_stated": "2022", "town": "锦屏街道", "school": "不适用",
        "pension": "已参保", "medical": "已参保", "rehab_need": "有", "rehab_served": "已服务",
        "at_need": "无", "at_fitted": "未适配", "gp_signed": "是", "income": "12000",
    },
}
PERIOD = {"registry": "202201", "subsidy": "202201", "employment": "202201", "survey": "2022"}


def raw(source: str, *changes: dict) -> pl.DataFrame:
    """Rows as read_extract gives them: a valid row per `changes` entry, with those fields changed."""
    rows = [{**VALID[source], **change} for change in changes]
    schema = {"source_row": pl.Int64, **{c.name: pl.String for c in CONTRACT[source].columns}}
    return pl.DataFrame(
        [{"source_row": i + 2, **row} for i, row in enumerate(rows)], schema=schema, orient="row"
    )


def run(source: str, *changes: dict) -> pl.DataFrame:
    return normalise(raw(source, *changes), source, PERIOD[source], REFERENCE)


def one(source: str, **change) -> dict:
    return run(source, change).row(0, named=True)


def assert_quarantined(row: dict, rule: str, *in_reason: str) -> None:
    assert row["quarantine_rule"] == rule, row["quarantine_reason"]
    for text in in_reason:
        assert text in row["quarantine_reason"]


# ---------------------------------------------------------------- shape and types

def test_output_columns_and_types():
    frame = run("registry", {}, {"id_no": "bad"})
    assert frame.get_column("source_row").to_list() == [2, 3]
    assert "name" not in frame.columns and "id_no" not in frame.columns
    schema = frame.schema
    assert schema["id_normalised"] == pl.String and schema["id_valid"] == pl.Boolean
    assert schema["birth_date"] == pl.Date and schema["gender_from_id"] == pl.String
    assert schema["first_issue_date"] == pl.Date and schema["category"] == pl.String
    assert schema["cert_no_matches_id"] == pl.Boolean and schema["quarantine_reason"] == pl.String
    assert frame.columns[-2:] == ["quarantine_rule", "quarantine_reason"]

    subsidy = run("subsidy", {}).schema
    assert subsidy["amount"] == pl.Float64 and subsidy["pay_month_stated"] == pl.String
    assert run("survey", {}).schema["year_stated"] == pl.Int32


def test_a_valid_row_is_not_quarantined():
    for source in VALID:
        row = one(source)
        assert row["quarantine_rule"] is None and row["quarantine_reason"] is None, row
        assert row["id_normalised"] == ID and row["id_valid"] is True
        assert row["birth_date"] == dt.date(1949, 12, 31) and row["gender_from_id"] == "女"


# ---------------------------------------------------------------- R01

@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("11010519491231002x", ID),
        ("１１０１０５１９４９１２３１００２Ｘ", ID),
        (" 110105 19491231 002X ", ID),
        ("110105491231002", ID),  # 15 -> 18
    ],
)
def test_ids_are_normalised(given, normalised):
    row = one("subsidy", id_no=given)
    assert row["id_normalised"] == normalised and row["id_valid"] is True
    assert row["quarantine_rule"] is None


@pytest.mark.parametrize(
    "given",
    [
        "110105194912310021",  # check digit
        "11010519491231002",  # length
        "1101051949123100XX",  # non-digits
        "1.10105194912310E+17",  # scientific notation
        "3.302831990010102e+17",  # what the reader makes of a numeric XLSX cell
        "110105194902300025",  # right check digit, no 30 February
        None,  # empty
    ],
)
def test_invalid_ids_go_to_r01_with_a_masked_reason(given):
    row = one("subsidy", id_no=given)
    assert row["id_valid"] is False and row["birth_date"] is None and row["gender_from_id"] is None
    assert_quarantined(row, "R01", "身份证号")
    assert not re.search(r"[0-9]{4}", row["quarantine_reason"])
    if given:
        assert given[:3] + "*" in row["quarantine_reason"]


def test_id_born_after_the_file_year_is_r01():
    body = "11010520230101001"  # born 2023-01-01, in a 202201 ledger
    born_later = body + identity.id_check_chars(np.array([[int(d) for d in body]]))[0]
    assert_quarantined(one("subsidy", id_no=born_later), "R01")


def test_r01_comes_before_every_other_rule():
    row = one("registry", id_no="123", town="火星", first_issue_date="昨天")
    assert_quarantined(row, "R01")


# ---------------------------------------------------------------- dates and R05

@pytest.mark.parametrize(
    "given",
    ["2021-03-05", "2021-3-5", "2021/3/5", "2021/03/05", "20210305", "2021年3月5日", "2021.3.5", " 2021-03-05 "],
)
def test_date_formats(given):
    row = one("employment", start_date=given)
    assert row["start_date"] == dt.date(2021, 3, 5) and row["quarantine_rule"] is None


@pytest.mark.parametrize("given", ["2021-02-30", "2021-13-01", "2021035", "21-3-5", "2021-3/5", "0000-01-01", "长期"])
def test_unparseable_required_date_is_r05(given):
    row = one("employment", start_date=given)
    assert row["start_date"] is None
    assert_quarantined(row, "R05", "开始日期", given)


def test_empty_required_date_is_r05():
    assert_quarantined(one("registry", first_issue_date=None), "R05", "首次发证日期")


def test_optional_dates():
    assert one("employment", end_date=None)["quarantine_rule"] is None
    assert one("employment", end_date="2021-12-31")["end_date"] == dt.date(2021, 12, 31)
    # a given but unreadable end date must not silently become "ongoing"
    assert_quarantined(one("employment", end_date="2021-12-32"), "R05", "结束日期")
    assert_quarantined(one("registry", review_date="不详"), "R05", "审验日期")


CANCELLED = {"status": "注销", "cancel_reason": "死亡"}


@pytest.mark.parametrize(
    ("cancel_date", "rule"),
    [
        ("2022-01-31", None),  # last day of the snapshot month 202201
        ("2022-02-01", "R05"),  # the day after
        ("2020-01-05", None),  # equal to the first issue date
        ("2020-01-04", "R05"),  # before it
        (None, "R05"),
        ("2022-01-32", "R05"),
    ],
)
def test_cancellation_dates(cancel_date, rule):
    row = one("registry", **CANCELLED, cancel_date=cancel_date)
    assert row["quarantine_rule"] == rule, row["quarantine_reason"]
    if rule:
        assert "注销日期" in row["quarantine_reason"]


def test_cancel_date_on_a_normal_certificate_is_not_checked():
    assert one("registry", cancel_date="2099-01-01")["quarantine_rule"] is None


# ---------------------------------------------------------------- R06

def test_enumerations_are_trimmed_then_exact():
    row = one("registry", category=" 肢体\u3000", grade="一级 ")
    assert row["category"] == "肢体" and row["quarantine_rule"] is None
    assert_quarantined(one("registry", category="肢残"), "R06", "残疾类别", "肢残")
    assert_quarantined(one("registry", gender="M"), "R06", "性别")
    assert_quarantined(one("survey", medical="有"), "R06", "医疗保险")


def test_only_untrimmed_values_change():
    """trimmed() strips only the values that need it (empty, or with whitespace around);
    the others keep their places, whatever their neighbours."""
    texts = pl.Series(["肢体", " 肢体\u3000", "", " \t", None, "a b", "\u00a0x", "y\n", "测试人"])
    trimmed = pl.select(normalise_module.trimmed(pl.lit(texts))).to_series()
    assert trimmed.to_list() == ["肢体", "肢体", None, None, None, "a b", "x", "y", "测试人"]
    assert pl.select(normalise_module.trimmed(pl.lit(texts[[0, 5, 8]]))).to_series().to_list() == [
        "肢体", "a b", "测试人"]


def test_empty_required_enumeration_is_r06_and_optional_one_is_null():
    assert_quarantined(one("registry", hardship=None), "R06", "困难类型")
    row = one("survey", school=None)
    assert row["school"] is None and row["quarantine_rule"] is None


def test_towns_and_villages():
    assert_quarantined(one("subsidy", town="火星镇"), "R06", "发放镇街", "火星镇")
    assert_quarantined(one("registry", town=None), "R06", "所属镇街")
    assert_quarantined(one("registry", village="西河村"), "R06", "所属村社", "西河村", "锦屏街道")
    assert one("registry", town="溪口镇", village="西河村")["quarantine_rule"] is None
    assert_quarantined(one("survey", town="不存在街道"), "R06", "所属镇街")


def test_long_values_are_cut_in_reasons():
    row = one("subsidy", town="镇" * 100)
    assert_quarantined(row, "R06", "镇" * 40 + "…")
    assert "镇" * 41 not in row["quarantine_reason"]


def test_cross_field_requirements():
    assert_quarantined(one("employment", form=None), "R06", "就业形式")
    row = one("employment", record_type="培训", form=None, employer_uscc=None, course="电商")
    assert row["quarantine_rule"] is None
    assert_quarantined(one("registry", status="注销", cancel_date="2021-06-30", cancel_reason=None), "R06", "注销原因")
    assert_quarantined(one("registry", **{**CANCELLED, "cancel_reason": "失踪"}, cancel_date="2021-06-30"), "R06")


@pytest.mark.parametrize(
    ("given", "value", "rule"),
    [
        ("1500", 1500.0, None),
        ("1,500.50", 1500.5, None),
        ("1234567.8", 1234567.8, None),
        ("0.01", 0.01, None),
        ("0", 0.0, "R06"),
        ("-5", -5.0, "R06"),
        ("1500.555", None, "R06"),
        ("1,5000", None, "R06"),
        ("壹佰", None, "R06"),
        (None, None, "R06"),
    ],
)
def test_subsidy_amounts(given, value, rule):
    row = one("subsidy", amount=given)
    assert row["amount"] == value and row["quarantine_rule"] == rule


@pytest.mark.parametrize(
    ("given", "value", "rule"),
    [(None, None, None), ("0", 0.0, None), ("36,000", 36000.0, None), ("-1", -1.0, "R06"), ("不详", None, "R06")],
)
def test_survey_income(given, value, rule):
    row = one("survey", income=given)
    assert row["income"] == value and row["quarantine_rule"] == rule


def test_r05_comes_before_r06():
    assert one("registry", first_issue_date="2021-02-30", town="火星")["quarantine_rule"] == "R05"


# ---------------------------------------------------------------- R07

def test_employer_credit_code():
    assert_quarantined(one("employment", employer_uscc=None), "R07", "统一社会信用代码")
    assert_quarantined(one("employment", employer_uscc="91110000600037341M"), "R07", "91110000600037341M")
    assert_quarantined(one("employment", form="集中就业", employer_uscc="123"), "R07")
    row = one("employment", employer_uscc=" 9111 0000 6000 3734 1l ")
    assert row["employer_uscc"] == USCC and row["quarantine_rule"] is None
    assert one("employment", form="个体就业", employer_uscc=None)["quarantine_rule"] is None


# ---------------------------------------------------------------- other typing

def test_codes_and_text_are_cleaned():
    row = one("registry", cert_no=" 11010519491231002x４１ ")
    assert row["cert_no"] == ID + "41" and row["cert_no_matches_id"] is True
    assert one("employment", employer_name="  某某有限公司 ")["employer_name"] == "某某有限公司"
    assert one("employment", employer_name="   ")["employer_name"] is None


@pytest.mark.parametrize(
    ("given", "month"),
    [("202201", "202201"), ("2022-01", "202201"), ("2022/1", "202201"), ("2022年1月", "202201"),
     ("2022-1", "202201"), ("202213", None), ("2022-13", None), ("22-01", None), (None, None)],
)
def test_months(given, month):
    row = one("subsidy", pay_month_stated=given)
    assert row["pay_month_stated"] == month
    assert row["pay_month_matches_file"] is (month == "202201")
    assert row["quarantine_rule"] is None  # X10 is a warning, the row is kept


def test_years():
    assert one("survey", year_stated="2022")["year_matches_file"] is True
    assert one("survey", year_stated="2021")["year_matches_file"] is False
    row = one("survey", year_stated="二〇二二")
    assert row["year_stated"] is None and row["year_matches_file"] is False


# ---------------------------------------------------------------- warn flags

def test_registry_flags():
    assert one("registry", cert_no=ID + "42")["cert_no_matches_id"] is False  # R02: grade code
    assert one("registry", cert_no=ID)["cert_no_matches_id"] is False
    assert one("registry", gender="男")["gender_matches_id"] is False  # R03
    assert one("registry", gender=None)["gender_matches_id"] is False
    assert one("registry", id_no=ID_MALE, cert_no=ID_MALE + "41", gender="男")["gender_matches_id"] is True
    assert one("registry", birth_date_stated="1950-01-01")["birth_date_matches_id"] is False
    assert one("registry", birth_date_stated=None)["birth_date_matches_id"] is False
    assert one("registry", birth_date_stated="1949年12月31日")["birth_date_matches_id"] is True


def test_rule_counts():
    registry = run(
        "registry",
        {},
        {"cert_no": "X"},  # R02
        {"gender": "男", "birth_date_stated": "1950-01-01"},  # R03, counted once
        {"gender": "男", "cert_no": "X"},  # R02 and R03
        {"id_no": "1", "gender": "男"},  # R01: its flags are not counted
        {"town": "火星"},  # R06
        {"town": "火星"},
    )
    assert rule_counts(registry) == {"R01": 1, "R02": 2, "R03": 2, "R06": 2}
    subsidy = run("subsidy", {}, {"pay_month_stated": "202112"}, {"amount": "0", "pay_month_stated": "x"})
    assert rule_counts(subsidy) == {"R06": 1, "X10": 1}
    assert rule_counts(run("survey", {}, {"year_stated": "2021"})) == {}


def test_file_period_must_fit_the_source():
    with pytest.raises(ValueError):
        normalise(raw("subsidy", {}), "subsidy", "2022", REFERENCE)


# ---------------------------------------------------------------- through real files

def test_xlsx_number_and_date_cells_end_to_end(tmp_path):
    headers = CONTRACT["employment"].headers
    field = {c.header: c.name for c in CONTRACT["employment"].columns}
    rows = [
        {**VALID["employment"], "id_no": 330283199001010200, "start_date": dt.datetime(2021, 3, 5)},
        {**VALID["employment"], "id_no": "330283199001010200", "start_date": dt.datetime(2021, 3, 5)},
    ]
    path = tmp_path / "employment_202201.xlsx"
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    date_format = workbook.add_format({"num_format": "yyyy/m/d"})
    sheet.write_row(0, 0, headers)
    for r, row in enumerate(rows, start=1):
        for c, header in enumerate(headers):
            value = row[field[header]]
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value, date_format)
            elif isinstance(value, int):
                sheet.write_number(r, c, value)
            elif value is not None:
                sheet.write_string(r, c, value)
    workbook.close()

    frame = normalise(read_extract(path, "employment"), "employment", "202201", REFERENCE)
    assert frame.get_column("quarantine_rule").to_list() == ["R01", None]  # a number cell never passes
    assert frame.get_column("start_date").to_list() == [dt.date(2021, 3, 5)] * 2
    assert frame.get_column("source_row").to_list() == [2, 3]
