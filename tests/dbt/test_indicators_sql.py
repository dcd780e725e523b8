"""The dbt indicator definitions end to end, on a hand-made population.

The raw.* tables are written here by hand (the ingestion's output contract,
dbt_project/models/staging/_raw__sources.yml), `dbt build` runs for real (models, data
tests and the dbt unit tests), and marts.indicator_values is compared with figures
worked out by hand from indicators.md / extracts.md. Each expected figure says which
persons make it up.

Two towns carry the population: A = 锦屏街道, B = 溪口镇. Data run to 2023, so the years are
2021-2023. Newest registry snapshot 202312, newest employment snapshot 202310 (so the
annual 2023 value of I04 is October's), subsidy ledgers 202105, 202211, 202212, 202310,
202311, surveys 2022 and 2023.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.load import create_raw_tables
from tests.raw_rows import PersonNumbers

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

A = "锦屏街道"
B = "溪口镇"
DISTRICT = "奉化区"
VILLAGE = {A: "江宁社区", B: "西河村"}
TOWNS = ["锦屏街道", "岳林街道", "江口街道", "西坞街道", "萧王庙街道", "方桥街道",
         "溪口镇", "尚田镇", "莼湖镇", "裘村镇", "大堰镇", "松岙镇"]

# ---------------------------------------------------------------- registry (persons)
# person: (town, birth_date), the birth date every source derives from the ID.
BIRTH = {
    "p01": "1980-05-05", "p02": "1985-01-01", "p03": "1990-06-15", "p04": "1990-06-15",
    "p05": "1970-01-01", "p06": "1975-03-03", "p07": "1960-02-02", "p08": "2007-10-31",
    "p09": "2007-11-01", "p10": "1963-10-31", "p11": "1963-11-01", "p12": "1988-08-08",
    "p13": "1992-12-12", "p14": "1992-02-02", "p15": "1985-05-05", "p16": "1986-06-06",
    "p18": "1995-09-09", "p19": "1965-01-01", "p20": "1968-02-02", "p21": "1955-03-03",
    "p22": "1958-04-04", "p23": "1990-05-05", "p24": "1991-05-05", "p25": "1992-05-05",
    "p26": "1950-06-06", "p30": "1980-01-01", "p31": "1975-05-05", "p32": "1970-07-07",
    "p33": "2007-12-31", "p34": "2008-01-01", "p35": "2017-08-31", "p36": "2017-09-01",
    "p37": "2007-08-31", "p38": "2006-01-01", "p39": "2005-12-31", "p40": "1985-04-04",
    "p41": "2013-03-03", "p99": "1970-10-10",
}


def reg(person, town, issue="2015-01-01", status="正常", cancel=None, reason=None,
        hardship="无", grade="四级", category="肢体"):
    return dict(person=person, town=town, issue=issue, status=status, cancel=cancel,
                reason=reason, hardship=hardship, grade=grade, category=category)


# The newest snapshot (202312): the truth for all periods.
REGISTRY_202312 = [
    reg("p01", A, status="注销", cancel="2022-12-31", reason="死亡"),  # cancelled ON Dec31 2022
    reg("p02", A, status="注销", cancel="2023-01-01", reason="迁出"),  # cancelled the day after
    reg("p03", B, issue="2022-12-31"),  # issued ON Dec31 2022: active at it
    reg("p04", B, issue="2023-01-01"),  # issued the day after: not active at Dec31 2022
    # p05: two 正常 certificates (R04) -> the later-issued one: town B, 一级, 低保
    reg("p05", A, issue="2015-03-01"),
    reg("p05", B, issue="2020-03-01", hardship="低保", grade="一级"),
    # p06: an old cancelled certificate in A and a 正常 one in B -> the 正常 one
    reg("p06", A, issue="2010-01-01", status="注销", cancel="2019-06-30", reason="其他"),
    reg("p06", B, issue="2019-07-01", hardship="特困", grade="二级"),
    # p07: two cancelled certificates -> the latest first_issue_date (B, died 2023-06-30)
    reg("p07", A, issue="2012-01-01", status="注销", cancel="2016-01-01", reason="其他"),
    reg("p07", B, issue="2016-02-01", status="注销", cancel="2023-06-30", reason="死亡"),
    reg("p08", A, category="听力"), reg("p09", A, category="听力"),
    reg("p10", B), reg("p11", B), reg("p12", A), reg("p13", A), reg("p14", A),
    reg("p15", B), reg("p16", B), reg("p18", B),
    reg("p19", A, hardship="低保边缘"),
    reg("p20", A, hardship="低保"),
    reg("p21", A, hardship="低保", status="注销", cancel="2023-11-15", reason="死亡"),
    reg("p22", B, hardship="低保", issue="2023-11-30"),
    reg("p23", A, grade="三级", category="智力"),
    reg("p24", A, grade="三级", category="肢体"),
    reg("p25", B, grade="三级", category="精神"),
    reg("p26", A, hardship="低保", grade="二级", status="注销", cancel="2022-06-30", reason="死亡"),
    reg("p30", A), reg("p31", A), reg("p32", B), reg("p33", A), reg("p34", A),
    reg("p35", B, issue="2019-01-01"), reg("p36", B, issue="2019-01-01"),
    reg("p37", B), reg("p38", A), reg("p39", B), reg("p40", B),
    reg("p41", B, issue="2016-01-01"),
]
# An older snapshot: must change nothing (p99 is not a registry person; p30 moved to A).
REGISTRY_202306 = [
    reg("p99", A, hardship="低保", grade="一级"),
    reg("p30", B),
    reg("p14", A),
]

# ---------------------------------------------------------------- employment
USCC_1, USCC_2 = "91330283MA2AAAAAA1", "91330213MA2BBBBBB2"


def job(person, start, end=None, form="灵活就业", uscc=None):
    return dict(person=person, record_type="就业", form=form, uscc=uscc, course=None,
                start=start, end=end)


def course(person, name, start, end=None):
    return dict(person=person, record_type="培训", form=None, uscc=None, course=name,
                start=start, end=end)


EMPLOYMENT_202310 = [  # the newest snapshot
    job("p01", "2022-03-01"),
    job("p07", "2023-03-01", "2023-06-30"),
    job("p08", "2023-10-31", form="辅助性就业"),
    job("p09", "2023-09-01"),
    job("p10", "2020-01-01", form="个体就业"),
    job("p11", "2021-06-01", "2023-10-31", form="公益性岗位"),
    job("p12", "2020-05-01", "2023-10-30", form="按比例就业", uscc=USCC_1),
    job("p13", "2022-07-01", form="集中就业", uscc=USCC_2),
    job("p13", "2022-07-01", form="集中就业", uscc=USCC_2),  # identical: counts once
    course("p13", "电商培训", "2023-04-01", "2023-04-30"),
    course("p13", "电商培训", "2023-04-01", "2023-04-30"),  # identical: counts once
    course("p13", "烹饪培训", "2023-04-01", "2023-05-31"),
    job("p15", "2021-03-01", "2022-12-31"),  # covers Dec31 2022 ...
    job("p15", "2023-02-01"),  # ... so this is no new employment in 2023
    job("p16", "2021-03-01", "2022-12-30"),  # ends the day before Dec31 2022 ...
    job("p16", "2023-01-01", form="个体就业"),  # ... so this is new in 2023
    course("p18", "按摩培训", "2022-12-31", "2023-01-15"),
    course("p18", "按摩培训", "2023-01-01", "2023-02-01"),
    course("p02", "手工培训", "2023-03-01", "2023-03-31"),
    course("p99", "电商培训", "2023-05-01", "2023-05-31"),  # not a registry person
    job("p99", "2023-05-01"),
    job("p30", "2019-01-01", form="农村种养殖"),
    job("p31", "2022-01-01", "2022-06-30"),
]
EMPLOYMENT_202306 = [  # older snapshot: must change nothing
    job("p14", "2021-01-01"),
    job("p12", "2020-05-01", form="按比例就业", uscc=USCC_1),
    job("p40", "2022-01-01"),
]

# ---------------------------------------------------------------- subsidy ledgers
HARDSHIP_AID, SEVERE_CARE = "困难残疾人生活补贴", "重度残疾人护理补贴"
CHILD_REHAB, ACCESSIBILITY = "残疾儿童康复救助", "家庭无障碍改造"
SUBSIDY = {  # pay month -> (person, type, paying town 发放镇街)
    "202105": [("p05", ACCESSIBILITY, B), ("p26", ACCESSIBILITY, A)],
    "202211": [("p99", ACCESSIBILITY, B), ("p06", SEVERE_CARE, B)],
    "202212": [("p20", HARDSHIP_AID, A), ("p20", ACCESSIBILITY, A), ("p38", CHILD_REHAB, A)],
    "202310": [
        ("p05", HARDSHIP_AID, B), ("p20", HARDSHIP_AID, A), ("p20", HARDSHIP_AID, A),
        ("p06", ACCESSIBILITY, A), ("p34", CHILD_REHAB, A),
    ],
    "202311": [
        ("p05", HARDSHIP_AID, B), ("p06", HARDSHIP_AID, B), ("p19", HARDSHIP_AID, B),
        ("p19", HARDSHIP_AID, A), ("p21", HARDSHIP_AID, A), ("p99", HARDSHIP_AID, A),
        ("p23", SEVERE_CARE, A), ("p24", SEVERE_CARE, A), ("p05", SEVERE_CARE, B),
        ("p06", SEVERE_CARE, B),
        ("p36", CHILD_REHAB, A), ("p39", CHILD_REHAB, B), ("p41", CHILD_REHAB, B),
        ("p05", ACCESSIBILITY, B), ("p30", "困难救助", A), ("p31", "其他", A),
    ],
}

# ---------------------------------------------------------------- surveys
# (person, survey town, school, pension, medical, rehab_need, rehab_served, at_need,
#  at_fitted, gp_signed, income), in file order.
NO_NEEDS = ("无", "未服务", "无", "未适配")
SURVEY = {
    2022: [
        ("p30", A, "不适用", "已参保", "已参保", *NO_NEEDS, "是", 20000),
        ("p31", A, "不适用", "领取待遇", "未参保", *NO_NEEDS, "否", 10000),
        ("p32", B, "不适用", "未参保", "已参保", *NO_NEEDS, "是", 0),
        ("p33", A, "在校", "不适用", "已参保", *NO_NEEDS, "是", 8000),
        ("p35", B, "未入学", "不适用", "已参保", *NO_NEEDS, "否", 9000),
        ("p36", B, "未入学", "不适用", "未参保", *NO_NEEDS, "是", None),
        ("p37", B, "在校", "不适用", "已参保", *NO_NEEDS, "否", 7000),
        ("p40", A, "不适用", "已参保", "已参保", *NO_NEEDS, "是", 12000),  # surveyed by A
        ("p01", A, "不适用", "已参保", "已参保", *NO_NEEDS, "是", 4000),
        ("p02", A, "不适用", "已参保", "已参保", *NO_NEEDS, "是", 5000),
        ("p03", B, "不适用", "已参保", "未参保", *NO_NEEDS, "是", 6000),
        ("p04", B, "不适用", "已参保", "已参保", *NO_NEEDS, "是", 6000),
    ],
    2023: [
        ("p30", A, "不适用", "已参保", "已参保", "有", "已服务", "有", "已适配", "是", 22000),
        ("p31", A, "不适用", "领取待遇", "未参保", "有", "未服务", "有", "未适配", "否", 11000),
        ("p32", B, "不适用", "未参保", "已参保", "无", "未服务", "无", "未适配", "是", 30000),
        ("p33", A, "在校", "不适用", "已参保", "无", "未服务", "无", "未适配", "是", 8000),
        ("p34", A, "未入学", "不适用", "已参保", "有", "已服务", "无", "未适配", "否", 9000),
        ("p35", B, "在校", "不适用", "已参保", "有", "未服务", "有", "已适配", "是", 10000),
        ("p36", B, "未入学", "不适用", "未参保", "有", "已服务", "无", "未适配", "是", 10000),
        ("p37", B, "在校", "不适用", "已参保", "无", "未服务", "无", "未适配", "否", 0),
        ("p38", A, "休学", "未参保", "已参保", "有", "未服务", "有", "已适配", "是", 5000),
        ("p39", B, "不适用", "已参保", "已参保", "有", "已服务", "无", "未适配", "是", 25000),
        ("p40", A, "不适用", "已参保", "已参保", "无", "未服务", "有", "未适配", "是", 15000),
        ("p02", A, "不适用", "已参保", "已参保", "有", "已服务", "有", "已适配", "是", 6000),
        ("p99", B, "不适用", "领取待遇", "已参保", "有", "已服务", "有", "已适配", "是", 7000),
        # second rows of one person and year (R04): the first row wins for the official
        # figures; the hand tally (reported_value) counts them too, by their own town
        ("p40", B, "不适用", "未参保", "未参保", "有", "已服务", "有", "已适配", "否", 99999),
        ("p31", B, "不适用", "已参保", "已参保", "有", "已服务", "有", "已适配", "是", 50000),
    ],
}


def load_raw(db_path: Path) -> None:
    con = duckdb.connect(str(db_path))
    create_raw_tables(con)  # the raw schema exactly as ingestion creates it
    number = PersonNumbers()
    registry = []
    for month, rows in (("202306", REGISTRY_202306), ("202312", REGISTRY_202312)):
        for i, r in enumerate(rows):
            registry.append((
                month, f"registry/registry_{month}.csv", i + 2, number(r["person"]), f"c-{r['person']}-{i}",
                True, "男", BIRTH[r["person"]], True, True, r["category"], r["grade"], r["town"],
                VILLAGE[r["town"]], r["issue"], None, r["status"], r["cancel"], r["reason"],
                r["hardship"], None,
            ))
    con.executemany(f"insert into raw.registry_rows values ({', '.join(['?'] * 21)})", registry)
    employment = []
    for month, rows in (("202306", EMPLOYMENT_202306), ("202310", EMPLOYMENT_202310)):
        for i, r in enumerate(rows):
            employment.append((
                month, f"employment/employment_{month}.csv", i + 2, number(r["person"]), BIRTH[r["person"]],
                r["record_type"], r["form"], "某公司" if r["uscc"] else None, r["uscc"], r["course"],
                r["start"], r["end"],
            ))
    con.executemany(f"insert into raw.employment_rows values ({', '.join(['?'] * 12)})", employment)
    subsidy = [
        (month, f"subsidy/subsidy_{month}.csv", i + 2, number(person), BIRTH[person], kind, month, 500, town)
        for month, rows in SUBSIDY.items()
        for i, (person, kind, town) in enumerate(rows)
    ]
    con.executemany(f"insert into raw.subsidy_rows values ({', '.join(['?'] * 9)})", subsidy)
    survey = [
        (year, f"survey/survey_{year}.csv", i + 2, number(row[0]), BIRTH[row[0]], year, *row[1:])
        for year, rows in SURVEY.items()
        for i, row in enumerate(rows)
    ]
    con.executemany(f"insert into raw.survey_rows values ({', '.join(['?'] * 16)})", survey)
    number.write(con)
    con.close()


def run_dbt(args: list[str], db_path: Path, work: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DPF_WORK_DB": str(db_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt), *args,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work / "target"),
        "--log-path", str(work / "logs"),
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def values(tmp_path_factory) -> dict[tuple[str, str, str], dict]:
    work = tmp_path_factory.mktemp("dbt")
    db_path = work / "work.duckdb"
    load_raw(db_path)
    result = run_dbt(["build", "--no-partial-parse"], db_path, work)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-3000:]
    con = duckdb.connect(str(db_path), read_only=True)
    rows = con.execute("select * from marts.indicator_values").fetchall()
    columns = [d[0] for d in con.description]
    types = con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = 'marts' and table_name = 'indicator_values' order by ordinal_position"
    ).fetchall()
    con.close()
    table = {(r[0], r[1], r[3]): dict(zip(columns, r)) for r in rows}
    table["__types__"] = types
    table["__rows__"] = len(rows)
    table["__db__"] = db_path
    return table


def test_output_contract_columns_and_types(values):
    assert values["__types__"] == [
        ("indicator_code", "VARCHAR"), ("period", "VARCHAR"), ("area_level", "VARCHAR"),
        ("area_name", "VARCHAR"), ("numerator", "DOUBLE"), ("denominator", "DOUBLE"),
        ("value", "DOUBLE"), ("reported_value", "DOUBLE"), ("target", "DOUBLE"),
        ("meets_target", "BOOLEAN"),
    ]


def expected_rows() -> set[tuple[str, str, str]]:
    """Every (indicator, period, area) the population defines (also used by the landing-folder test)."""
    years = ["2021", "2022", "2023"]
    i04_months = [f"{y}-{m:02d}" for y in (2021, 2022) for m in range(1, 13)] + [
        f"2023-{m:02d}" for m in range(1, 11)]  # up to the newest employment snapshot 202310
    ledger_months = ["2021-05", "2022-11", "2022-12", "2023-10", "2023-11"]
    periods = {f"I{n:02d}": years for n in range(1, 15)}
    periods["I04"] = years + i04_months
    periods["I05"] = periods["I06"] = years + ledger_months
    areas = [DISTRICT, *TOWNS]
    return {(code, p, area) for code, ps in periods.items() for p in ps for area in areas}


def test_every_indicator_has_every_area_and_period(values):
    expected = expected_rows()
    actual = {k for k in values if isinstance(k, tuple)}
    assert actual == expected
    assert values["__rows__"] == len(expected) == 13 * (11 * 3 + 37 + 2 * 8)
    for (code, period, area), row in ((k, v) for k, v in values.items() if isinstance(k, tuple)):
        assert row["area_level"] == ("district" if area == DISTRICT else "town")


# (indicator, period, area) -> (numerator, denominator, value, reported_value), by hand.
EXPECTED = {
    # ---- I01 income growth, panel = active at Dec31 2023, income > 0 in 2022 and 2023
    # A: p30 20000->22000, p31 10000->11000 (its second 2023 row of 50000 is unused),
    #    p33 8000->8000. Out: p02 (cancelled 2023-01-01), p40's 2022 row was by A but p40 is B.
    ("I01", "2023", A): (41000, 38000, 100 * (41000 / 38000 - 1), None),
    # B: p35 9000->10000, p40 12000->15000 (first 2023 row; the 99999 row is unused).
    #    Out: p32 (2022 income 0), p36 (2022 income empty), p37 (2023 income 0).
    ("I01", "2023", B): (25000, 21000, 100 * (25000 / 21000 - 1), None),
    ("I01", "2023", DISTRICT): (66000, 59000, 100 * (66000 / 59000 - 1), None),
    # no 2021 survey: the 2022 panel is empty -> all null
    ("I01", "2022", DISTRICT): (None, None, None, None),
    ("I01", "2023", "江口街道"): (None, None, None, None),
    # ---- I02 new employment (registry persons, any status)
    # 2021: p11, p15, p16 (B) start in 2021, nothing covers 2020-12-31. p10/p12/p30 started earlier.
    ("I02", "2021", A): (0, None, 0, None),
    ("I02", "2021", B): (3, None, 3, None),
    ("I02", "2021", DISTRICT): (3, None, 3, None),
    # 2022: p01 (dies 2022-12-31: still counts), p13 (two identical rows), p31 -- all A.
    # p40's 2022 job is only in the older snapshot.
    ("I02", "2022", A): (3, None, 3, None),
    ("I02", "2022", DISTRICT): (3, None, 3, None),
    # 2023: A p08, p09; B p16 (old job ended 2022-12-30), p07 (died in 2023).
    # Not p15 (old job ends ON 2022-12-31), not p99 (not in the newest registry).
    ("I02", "2023", A): (2, None, 2, None),
    ("I02", "2023", B): (2, None, 2, None),
    ("I02", "2023", DISTRICT): (4, None, 4, None),
    # ---- I03 training rows starting in Y of registry persons
    # 2023: A p13 电商 (identical pair = 1) + 烹饪, p02 (moved away, still counts) = 3;
    #       B p18 (2023-01-01) = 1; p99 not in the registry.
    ("I03", "2023", A): (3, None, 3, None),
    ("I03", "2023", B): (1, None, 1, None),
    ("I03", "2023", DISTRICT): (4, None, 4, None),
    ("I03", "2022", DISTRICT): (1, None, 1, None),  # p18 starting 2022-12-31
    ("I03", "2021", DISTRICT): (0, None, 0, None),
    # ---- I04 employment rate at month end, aged 16-59
    # 2023-10-31, A denominator 11: p08 (16 today), p12, p13, p14, p19, p20, p23, p24, p30,
    #   p31, p38; out: p09/p33/p34 (15), p21 (68), p01/p02/p26 (cancelled).
    #   Employed: p08 (starts that day), p13, p30. Not p12 (ended 10-30), p14 (old snapshot only).
    ("I04", "2023-10", A): (3, 11, 100 * 3 / 11, None),
    # B denominator 13: p03, p04, p05, p06, p11 (59), p15, p16, p18, p25, p32, p37 (16),
    #   p39, p40; out: p10 (60 today), p07 (cancelled), p22 (issued 11-30), children.
    #   Employed: p11 (ends that day), p15, p16.
    ("I04", "2023-10", B): (3, 13, 100 * 3 / 13, None),
    ("I04", "2023-10", DISTRICT): (6, 24, 25.0, None),
    # annual 2023 = the newest month, 2023-10
    ("I04", "2023", DISTRICT): (6, 24, 25.0, None),
    ("I04", "2023", B): (3, 13, 100 * 3 / 13, None),
    # annual 2022 = 2022-12: A p02, p12, p13, p14, p19, p20, p23, p24, p30, p31, p38 (16);
    #   employed p12, p13, p30. B p03 (issued 12-31), p05, p06, p10 (59), p11, p15, p16, p18,
    #   p25, p32, p39, p40; employed p10, p11, p15 (ends 12-31); not p16 (ended 12-30).
    ("I04", "2022", A): (3, 11, 100 * 3 / 11, None),
    ("I04", "2022", B): (3, 12, 25.0, None),
    ("I04", "2022-12", DISTRICT): (6, 23, 100 * 6 / 23, None),
    # ---- I05 hardship living allowance, month
    # 2023-11: denominator A p19 (低保边缘), p20; B p05 (later 正常 cert: 低保), p22 (issued
    #   11-30). Not p21 (died 11-15), p26 (cancelled), p06 (特困), p99 (older snapshot only).
    #   Paid: p19 (paid by B and by A; official town A), p05.
    #   Reported by 发放镇街: A p19, p21, p99 = 3; B p05, p06, p19 = 3; district 5 distinct.
    ("I05", "2023-11", A): (1, 2, 50.0, 150.0),
    ("I05", "2023-11", B): (1, 2, 50.0, 150.0),
    ("I05", "2023-11", DISTRICT): (2, 4, 50.0, 125.0),
    ("I05", "2023", DISTRICT): (2, 4, 50.0, 125.0),  # annual = latest ledger month 2023-11
    # 2023-10: denominator A p19, p20, p21 (still alive); B p05. Paid: p20 (twice), p05.
    ("I05", "2023-10", A): (1, 3, 100 / 3, 100 / 3),
    ("I05", "2023-10", B): (1, 1, 100.0, 100.0),
    ("I05", "2023-10", DISTRICT): (2, 4, 50.0, 50.0),
    # annual 2022 = 2022-12: same denominator as 2023-10; only p20 paid.
    ("I05", "2022", A): (1, 3, 100 / 3, 100 / 3),
    ("I05", "2022", B): (0, 1, 0.0, 0.0),
    ("I05", "2022", DISTRICT): (1, 4, 25.0, 25.0),
    # annual 2021 = 2021-05 (only ledger of 2021, no allowance paid): + p26 still alive.
    ("I05", "2021", A): (0, 4, 0.0, 0.0),
    ("I05", "2021", DISTRICT): (0, 5, 0.0, 0.0),
    ("I05", "2023", "江口街道"): (0, 0, None, None),
    # ---- I06 severe disability care allowance, month
    # 2023-11: denominator A p23 (三级 智力); B p05 (一级), p06 (二级), p25 (三级 精神).
    #   Not p24 (三级 肢体), p26 (cancelled). Paid: p23, p05, p06.
    #   Reported: A p23, p24 = 2 (over a denominator of 1); B p05, p06 = 2; district 4.
    ("I06", "2023-11", A): (1, 1, 100.0, 200.0),
    ("I06", "2023-11", B): (2, 3, 200 / 3, 200 / 3),
    ("I06", "2023-11", DISTRICT): (3, 4, 75.0, 100.0),
    ("I06", "2023", DISTRICT): (3, 4, 75.0, 100.0),
    ("I06", "2023-10", DISTRICT): (0, 4, 0.0, 0.0),
    # ---- I07 pension, active at Dec31 2023, aged >= 16, surveyed, school not 在校
    # A: p30 (已参保), p31 (领取待遇), p38 (17, 休学, 未参保). Out: p33 (16 but 在校), p34 (15).
    # B: p39 (18, 已参保), p40 (已参保), p32 (未参保). Out: p37 (16, 在校), children.
    # Reported (every row, by survey town): A p30, p31, p40, p02 = 4; B p39, p99, p31 (its
    #   second row, surveyed by B) = 3; district 6 distinct.
    ("I07", "2023", A): (2, 3, 200 / 3, 400 / 3),
    ("I07", "2023", B): (2, 3, 200 / 3, 100.0),
    ("I07", "2023", DISTRICT): (4, 6, 200 / 3, 100.0),
    ("I07", "2021", DISTRICT): (0, 0, None, None),  # no survey in 2021
    # ---- I08 medical insurance, active at Dec31 and surveyed
    # 2023 A: p30, p31, p33, p34, p38 -> 已参保 all but p31. B: p32, p35, p36, p37, p39, p40
    #   -> all but p36. Reported: A p30, p33, p34, p38, p40, p02 = 6; B p32, p35, p37, p39, p99,
    #   p31 (second row) = 6; district 12 distinct.
    ("I08", "2023", A): (4, 5, 80.0, 120.0),
    ("I08", "2023", B): (5, 6, 500 / 6, 100.0),
    ("I08", "2023", DISTRICT): (9, 11, 900 / 11, 1200 / 11),
    # 2022 A: p30, p31, p33, p02 (cancelled 2023-01-01: active) -> not p31; p01 (cancelled
    #   ON 2022-12-31) out. B: p32, p35, p36, p37, p40, p03 (issued 12-31); p04 out.
    #   Reported: A p30, p33, p40, p01, p02 = 5; B p32, p35, p37, p04 = 4.
    ("I08", "2022", A): (3, 4, 75.0, 125.0),
    ("I08", "2022", B): (4, 6, 400 / 6, 400 / 6),
    ("I08", "2022", DISTRICT): (7, 10, 70.0, 90.0),
    # ---- I09 compulsory education, aged 6-15 on Aug31 2023
    # A: p33 (15 on Aug31, 16 on Dec31; 在校), p34 (15; 未入学). B: p35 (6 ON Aug31; 在校).
    # Out: p36 (5 on Aug31), p37 (16 ON Aug31), p39 (17).
    ("I09", "2023", A): (1, 2, 50.0, 50.0),
    ("I09", "2023", B): (1, 1, 100.0, 100.0),
    ("I09", "2023", DISTRICT): (2, 3, 200 / 3, 200 / 3),
    # ---- I10 rehabilitation: need 有 -> A p30, p31, p34, p38 (served p30, p34);
    #   B p35, p36, p39 (served p36, p39). Reported: A p30, p34, p02; B p36, p39, p99 and the
    #   second rows of p40, p31 = 5; district 8 distinct.
    ("I10", "2023", A): (2, 4, 50.0, 75.0),
    ("I10", "2023", B): (2, 3, 200 / 3, 500 / 3),
    ("I10", "2023", DISTRICT): (4, 7, 400 / 7, 800 / 7),
    # ---- I11 assistive devices: need 有 -> A p30, p31, p38 (fitted p30, p38); B p35, p40
    #   (fitted p35). Reported: A p30, p38, p02; B p35, p99 and the second rows of p40, p31 = 4;
    #   district 7 distinct.
    ("I11", "2023", A): (2, 3, 200 / 3, 100.0),
    ("I11", "2023", B): (1, 2, 50.0, 200.0),
    ("I11", "2023", DISTRICT): (3, 5, 60.0, 140.0),
    # ---- I12 child rehabilitation aid: aged 0-17 at Dec31, surveyed, need 有
    # A: p34 (paid 2023-10), p38 (17; paid only in 2022-12). B: p35 (not paid), p36 (paid by
    #   A). Out: p39 (18 ON Dec31, paid), p33/p37 (no need), p41 (not surveyed).
    # Reported by 发放镇街, aged 0-17: A p34, p36 = 2; B p41 = 1 (p39 is 18).
    ("I12", "2023", A): (1, 2, 50.0, 100.0),
    ("I12", "2023", B): (1, 2, 50.0, 50.0),
    ("I12", "2023", DISTRICT): (2, 4, 50.0, 75.0),
    # ---- I13 accessibility renovations, cumulative from 2021-01
    # eligible: p05 (低保 一级), p06 (特困 二级), p26 (低保 二级, died 2022: still counts).
    # 2021: p26 (A), p05 (B). Reported: A p26; B p05.
    ("I13", "2021", A): (1, None, 1, 1),
    ("I13", "2021", B): (1, None, 1, 1),
    ("I13", "2021", DISTRICT): (2, None, 2, 2),
    # 2022: same; reported + p20 (A, not eligible: 四级), p99 (B, not a registry person).
    ("I13", "2022", DISTRICT): (2, None, 2, 4),
    ("I13", "2022", A): (1, None, 1, 2),
    # 2023: + p06 (paid by A, registry town B); p05 paid again. Reported A p26, p20, p06;
    #   B p05, p99.
    ("I13", "2023", A): (1, None, 1, 3),
    ("I13", "2023", B): (2, None, 2, 2),
    ("I13", "2023", DISTRICT): (3, None, 3, 5),
    ("I13", "2023", "江口街道"): (0, None, 0, 0),
    # ---- I14 family doctor: 是 -> A p30, p33, p38 of 5; B p32, p35, p36, p39, p40 of 6.
    #   Reported: A p30, p33, p38, p40, p02 = 5; B p32, p35, p36, p39, p99 and p31's second
    #   row = 6; district 11 distinct.
    ("I14", "2023", A): (3, 5, 60.0, 100.0),
    ("I14", "2023", B): (5, 6, 500 / 6, 100.0),
    ("I14", "2023", DISTRICT): (8, 11, 800 / 11, 100.0),
    # 2022: A p30, p33, p02 of 4; B p32, p36, p40, p03 of 6. Reported: A p30, p33, p40, p01,
    #   p02; B p32, p36, p03, p04.
    ("I14", "2022", A): (3, 4, 75.0, 125.0),
    ("I14", "2022", DISTRICT): (7, 10, 70.0, 90.0),
}


def assert_figures(row: dict, key: tuple[str, str, str]) -> None:
    """The row's numerator, denominator, value and reported_value are EXPECTED[key]
    (also used by the landing-folder test)."""
    actual = (row["numerator"], row["denominator"], row["value"], row["reported_value"])
    expected = tuple(None if x is None else pytest.approx(x, rel=1e-12) for x in EXPECTED[key])
    assert actual == expected


@pytest.mark.parametrize("key", list(EXPECTED), ids=lambda k: "-".join(k))
def test_indicator_value(values, key):
    assert_figures(values[key], key)


@pytest.mark.parametrize(
    ("key", "target", "meets"),
    [
        (("I01", "2023", A), 7.0, True),  # 7.89 >= 7
        (("I01", "2022", DISTRICT), 7.0, None),  # no value
        (("I06", "2023", A), 100.0, True),  # exactly the target
        (("I06", "2023", DISTRICT), 100.0, False),
        (("I09", "2023", B), 97.0, True),
        (("I13", "2023", DISTRICT), 255.0, False),
        (("I04", "2023-10", DISTRICT), 48.0, False),  # a month takes its year's target
        (("I08", "2021", DISTRICT), 98.0, None),
    ],
)
def test_target_and_meets_target(values, key, target, meets):
    assert values[key]["target"] == target
    assert values[key]["meets_target"] is meets


def test_reported_value_is_null_for_i01_to_i04(values):
    for (code, _, _), row in ((k, v) for k, v in values.items() if isinstance(k, tuple)):
        if code in ("I01", "I02", "I03", "I04"):
            assert row["reported_value"] is None


def test_the_drill_down_adds_up_to_the_annual_figures(values):
    """fct_indicator_persons computes the monthly indicators for the month each annual value
    shows only, apart from the views indicator_values aggregates: its persons give the same
    annual numerator, denominator and reported value, per town and for the district."""
    con = duckdb.connect(str(values["__db__"]), read_only=True)
    try:
        differences = con.execute("""
            with persons as (
                select fct.* from marts.fct_indicator_persons as fct
                inner join reference.indicator_catalogue as catalogue
                    on catalogue.indicator_code = fct.indicator_code and catalogue.kind = 'ratio'
            ),

            by_area as (
                select indicator_code, period, area_name,
                    count(*) filter (where in_denominator) as denominator,
                    count(*) filter (where in_numerator) as numerator,
                    count(*) filter (where in_reported_numerator) as reported
                from persons group by all
                union all
                select indicator_code, period, '奉化区',
                    count(distinct person_key) filter (where in_denominator),
                    count(distinct person_key) filter (where in_numerator),
                    count(distinct person_key) filter (where in_reported_numerator)
                from persons group by all
            )

            select values.indicator_code, values.period, values.area_name,
                values.numerator, values.denominator, values.reported_value,
                by_area.numerator, by_area.denominator, by_area.reported
            from marts.indicator_values as values
            inner join reference.indicator_catalogue as catalogue
                on catalogue.indicator_code = values.indicator_code and catalogue.kind = 'ratio'
            left join by_area
                on by_area.indicator_code = values.indicator_code and by_area.period = values.period
                and by_area.area_name = values.area_name
            where length(values.period) = 4
                and (values.numerator <> coalesce(by_area.numerator, 0)
                     or values.denominator <> coalesce(by_area.denominator, 0)
                     or abs(coalesce(values.reported_value, 0)
                            - coalesce(100.0 * by_area.reported / nullif(by_area.denominator, 0), 0)) > 1e-9)
        """).fetchall()
        monthly = con.execute(
            "select indicator_code, count(*) filter (where in_numerator), count(*) filter (where in_reported_numerator)"
            " from marts.fct_indicator_persons where indicator_code in ('I04', 'I05', 'I06') group by all order by 1"
        ).fetchall()
    finally:
        con.close()
    assert differences == []
    assert [code for code, numerator, _ in monthly if numerator > 0] == ["I04", "I05", "I06"]


def test_the_unit_tests_of_the_models_ran_here(values, tmp_path_factory):
    """The refresh leaves dbt's unit tests out (they check SQL, not data): this build runs them."""
    results = [json.loads(p.read_text()) for p in tmp_path_factory.getbasetemp().glob("dbt*/target/run_results.json")]
    unit = [r for result in results for r in result["results"] if r["unique_id"].startswith("unit_test.")]
    assert len(unit) >= 13 and all(r["status"] == "pass" for r in unit)


_I07 = "intermediate.int_indicator__i07"


def _i06_with_an_extra_row(columns: str, where: str) -> str:
    """The view (persons x month ends) with one row more: the original renamed, and a view
    of the same name that adds `columns` (a select list) of the first row `where` selects."""
    return (
        "alter view intermediate.int_indicator__i06 rename to i06_original;"
        " create view intermediate.int_indicator__i06 as select * from intermediate.i06_original"
        f" union all (select {columns} from intermediate.i06_original where {where} limit 1)"
    )


@pytest.mark.parametrize(("breach", "selection", "failing_test"), [
    # an official row twice: official rows are one per indicator, period and person
    (f"insert into {_I07} select * from {_I07} where side = 'official' limit 1",
     "int_indicator__i07", "indicator_rows_int_indicator__i07"),
    # an official row again under another town (one per period and person)
    (f"insert into {_I07} select * replace ('另一镇' as town) from {_I07} where side = 'official' limit 1",
     "int_indicator__i07", "indicator_rows_int_indicator__i07"),
    # a reported row twice under one town
    (f"insert into {_I07} select * from {_I07} where side = 'reported' limit 1",
     "int_indicator__i07", "indicator_rows_int_indicator__i07"),
    # a ratio numerator person outside the denominator
    (f"update {_I07} set in_denominator = false where side = 'official' and in_numerator",
     "int_indicator__i07", "indicator_rows_int_indicator__i07"),
    # a reported row without the source's town, and a side that is neither
    (f"update {_I07} set town = null where side = 'reported'",
     "int_indicator__i07", "indicator_rows_int_indicator__i07"),
    (f"update {_I07} set side = 'other' where side = 'official'",
     "int_indicator__i07", "indicator_rows_int_indicator__i07"),
    # one row of another indicator, one row without a period (the yearly models' column rules)
    (f"update {_I07} set indicator_code = 'I08' where rowid = (select min(rowid) from {_I07})",
     "int_indicator__i07", "indicator_rows_int_indicator__i07"),
    (f"update {_I07} set period = null where rowid = (select max(rowid) from {_I07})",
     "int_indicator__i07", "indicator_rows_int_indicator__i07"),
    # a monthly view's official row twice; an official row again under another town (one
    # per period and person); a reported row twice (one per period, town and person): one
    # test, grouped on the hash of person_key
    (_i06_with_an_extra_row("*", "side = 'official'"),
     "int_indicator__i06", "unique_person_rows_int_indicator__i06"),
    (_i06_with_an_extra_row("* replace ('另一镇' as town)", "side = 'official'"),
     "int_indicator__i06", "unique_person_rows_int_indicator__i06"),
    (_i06_with_an_extra_row("*", "side = 'reported'"),
     "int_indicator__i06", "unique_person_rows_int_indicator__i06"),
])
def test_the_member_row_tests_catch_each_breach(values, tmp_path, breach, selection, failing_test):
    """Each rule on the indicators' person-level rows fails its model's test (a yearly
    model's rules in one node, indicator_rows; a monthly view's grain in unique_person_rows):
    no test stacks all fourteen models."""
    db_path = tmp_path / "work.duckdb"
    shutil.copyfile(values["__db__"], db_path)
    con = duckdb.connect(str(db_path))
    try:
        con.execute(breach)
    finally:
        con.close()
    result = run_dbt(["test", "--select", selection], db_path, tmp_path)
    failed = set(re.findall(r" FAIL \d+ (\S+)", result.stdout))
    assert result.returncode != 0 and any(name.startswith(failing_test) for name in failed), result.stdout[-3000:]
