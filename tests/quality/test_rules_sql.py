"""The data-quality rules (../shared/spec/quality.md) in dbt, on a hand-made district.

raw.* is written here by hand (the ingestion's output contract), `dbt build` runs for real
(models, data tests, the unit tests of int_dq__a04 / int_dq__a05 for the A04 MAD-0 and the
A05 exactly-15 boundaries), and every rule's findings are compared with the rows that
trigger it; each rule also has a row that must NOT trigger it.

Two towns: A = 锦屏街道, B = 溪口镇. Registry snapshots 202212 (older) and 202312 (newest);
a ledger every month 2022-01 .. 2023-12; employment snapshot 202312; surveys 2022, 2023.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.load import create_raw_tables
from tests.raw_rows import PersonNumbers

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
A, B = "锦屏街道", "溪口镇"
VILLAGE = {A: "江宁社区", B: "西河村"}
LIVING, CARE, RELIEF, OTHER = "困难残疾人生活补贴", "重度残疾人护理补贴", "困难救助", "其他"
MONTHS = [f"{y}{m:02d}" for y in (2022, 2023) for m in range(1, 13)]

def person(key, town, hardship="低保", grade="四级", category="肢体", status="正常", cancel=None,
           birth="1970-01-01", issue="2015-01-01", cert_ok=True, gender_ok=True):
    return dict(key=key, town=town, hardship=hardship, grade=grade, category=category, status=status,
                cancel=cancel, birth=birth, issue=issue, cert_ok=cert_ok, gender_ok=gender_ok)


A_POOR = [f"pA{i:02d}" for i in range(1, 11)]  # ten 低保 persons in A
B_POOR = ["pB1", "pB2", "pB3"]                  # three 低保 persons in B
NEWEST = (
    [person(k, A) for k in A_POOR]
    + [person(k, B) for k in B_POOR]
    + [
        person("pd1", A, status="注销", cancel="2023-03-15"),   # X02, X07, X08
        person("pc2", A, hardship="无", status="注销", cancel="2023-03-15"),  # X07 clean: starts ON the cancel day
        person("pn1", A, hardship="无"),                        # X05: paid 生活补贴 without hardship
        person("pn2", A, hardship="无", grade="一级"),           # X05 clean: 护理补贴, 一级
        person("pr1", B, hardship="无", issue="2010-01-01"),    # R04: two 正常 certificates
        person("pr1", B, hardship="无", issue="2020-01-01"),
        person("pk1", B, hardship="无", birth="2010-05-01"),    # X07: starts work at 13
        person("pk2", B, hardship="无", birth="2007-09-01"),    # X07 clean: starts on the 16th birthday
        person("pq1", B, hardship="无"), person("pq2", B, hardship="无"),  # X06 / clean
        person("pv3", A, hardship="无"),                        # X09 clean: R02 typo in the older snapshot
        person("pg1", A, hardship="无", cert_ok=False),         # R02
        person("pg2", A, hardship="无", gender_ok=False),       # R03
    ]
)
OLDER = [p for p in NEWEST if p["key"] not in ("pg1", "pg2", "pv3")] + [
    person("pv1", A, hardship="无"),                            # X09: vanished without a cancellation
    person("pv2", A, hardship="无", status="注销", cancel="2022-06-30"),  # X09 clean: cancelled, then dropped
    person("pv3", A, hardship="无", cert_ok=False),
]


def ledger() -> list[tuple]:
    """(month, person, type, amount, town, stated month)."""
    rows = []
    for month in MONTHS:
        year, mm = int(month[:4]), int(month[4:])
        if year == 2022:  # A: 4, 5, 4, 5 ... recipients (A04 history)
            paid_a = A_POOR[:4] if mm % 2 else A_POOR[:5]
        else:
            paid_a = A_POOR  # 2023: all ten (A04 at 2023-01)
        rows += [(month, k, LIVING, 600, A, month) for k in paid_a]
        rows += [(month, k, LIVING, 600, B, month) for k in B_POOR if not (month == "202310" and k == "pB3")]
    rows += [
        ("202303", "pd1", LIVING, 600, A, "202303"),   # X02 clean: the cancellation month itself
        ("202304", "pd1", LIVING, 600, A, "202304"),   # X02: the month after
        ("202303", "px1", LIVING, 600, A, "202303"),   # X01
        ("202306", "pA01", LIVING, 550, A, "202306"),  # X03: a second payment in the month
        ("202306", "pA02", RELIEF, 300, A, "202306"),  # X03 clean: another type
        ("202307", "pn2", CARE, 20, A, "202307"),      # X04: below the 2023 minimum (150)
        ("202308", "pn2", CARE, 150, A, "202308"),     # X04 clean: exactly the minimum
        ("202309", "pA05", RELIEF, 1000, A, "202308"),  # X10: 发放年月 says 202308
        # A03: B pays 困难救助 in Feb, Mar, Apr 2023 and not in May -> one finding (B, 2023-05);
        # A pays 其他 only in Mar and Apr -> none.
        ("202302", "pB1", RELIEF, 1000, B, "202302"), ("202303", "pB1", RELIEF, 1000, B, "202303"),
        ("202304", "pB2", RELIEF, 1000, B, "202304"),
        ("202303", "pA04", OTHER, 100, A, "202303"), ("202304", "pA04", OTHER, 100, A, "202304"),
        # A01/A02: A's ledger of 2023-10 also lists pB3 (B's target person), px3 (not in the
        # registry), pd1 (cancelled in March), pn1 (no hardship).
        ("202310", "pB3", LIVING, 600, A, "202310"), ("202310", "px3", LIVING, 600, A, "202310"),
        ("202310", "pd1", LIVING, 600, A, "202310"), ("202310", "pn1", LIVING, 600, A, "202310"),
    ]
    return rows


EMPLOYMENT = [  # (person, form, uscc, start, end)
    ("pq1", "按比例就业", "U1", "2022-01-01", None), ("pq1", "按比例就业", "U2", "2023-03-01", None),   # X06
    ("pq2", "按比例就业", "U1", "2020-01-01", "2022-12-31"), ("pq2", "按比例就业", "U2", "2023-01-01", None),  # clean
    ("pk1", "辅助性就业", None, "2023-09-01", None),  # X07: 13 years old
    ("pk2", "辅助性就业", None, "2023-09-01", None),  # clean: 16 that day
    ("pd1", "灵活就业", None, "2023-03-16", None),    # X07: the day after the cancellation
    ("pc2", "灵活就业", None, "2023-03-15", None),    # clean: on the cancellation day
]
QUARANTINE = [  # (source, period, rule, person_key)
    ("subsidy", "202305", "R01", None), ("registry", "202312", "R05", "pA05"),
    ("registry", "202212", "R06", "pA06"), ("employment", "202312", "R07", "pq1"),
]


def load_raw(db_path: Path) -> None:
    con = duckdb.connect(str(db_path))
    create_raw_tables(con)  # the raw schema exactly as ingestion creates it
    number = PersonNumbers()
    registry = []
    for month, people in (("202212", OLDER), ("202312", NEWEST)):
        for i, p in enumerate(people):
            cert = f"c-{p['key']}-{p['issue']}" if p["cert_ok"] else f"typo-{p['key']}"
            registry.append((month, f"registry/registry_{month}.csv", i + 2, number(p["key"]), cert, p["cert_ok"], "男",
                             p["birth"], p["gender_ok"], True, p["category"], p["grade"], p["town"],
                             VILLAGE[p["town"]], p["issue"], None, p["status"], p["cancel"],
                             "死亡" if p["cancel"] else None, p["hardship"], None))
    con.executemany(f"insert into raw.registry_rows values ({', '.join(['?'] * 21)})", registry)
    births = {p["key"]: p["birth"] for p in NEWEST}
    subsidy = [(month, f"subsidy/subsidy_{month}.csv", i + 2, number(key), births.get(key, "1970-01-01"), kind,
                stated, amount, town) for i, (month, key, kind, amount, town, stated) in enumerate(ledger())]
    con.executemany(f"insert into raw.subsidy_rows values ({', '.join(['?'] * 9)})", subsidy)
    employment = [("202312", "employment/employment_202312.csv", i + 2, number(key), births[key], "就业", form,
                   "某公司" if uscc else None, uscc, None, start, end)
                  for i, (key, form, uscc, start, end) in enumerate(EMPLOYMENT)]
    con.executemany(f"insert into raw.employment_rows values ({', '.join(['?'] * 12)})", employment)
    # Survey 2022: every person active at Dec31 2022 (coverage 100%: no A06), pA01 twice (R04).
    # Survey 2023: pA01 .. pA03 only (A06 in both towns and the district), pd1 (cancelled:
    # X08), px2 (not in the registry: X08).
    active_2022 = sorted({p["key"] for p in NEWEST if p["status"] == "正常" or p["cancel"] > "2022-12-31"})
    survey = []
    for year, keys in ((2022, active_2022 + ["pA01"]), (2023, ["pA01", "pA02", "pA03", "pd1", "px2"])):
        for i, key in enumerate(keys):
            survey.append((year, f"survey/survey_{year}.csv", i + 2, number(key), births.get(key, "1970-01-01"), year,
                           A, "不适用", "已参保", "已参保", "无", "未服务", "无", "未适配", "是", 30000))
    con.executemany(f"insert into raw.survey_rows values ({', '.join(['?'] * 16)})", survey)
    con.executemany("insert into raw.quarantine_rows values (?, ?, ?, ?, ?, ?, ?)", [
        (source, f"{source}/{source}_{period}.csv", period, 9, rule, f"{rule} 原因", number(key))
        for source, period, rule, key in QUARANTINE])
    number.write(con)
    con.close()


def run_dbt(args: list[str], db_path: Path, work: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DPF_WORK_DB": str(db_path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}
    command = [str(Path(sys.executable).with_name("dbt")), *args, "--project-dir", str(DBT_PROJECT_DIR),
               "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(work / "target"),
               "--log-path", str(work / "logs")]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def work_db(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("dq-dbt")
    db_path = work / "work.duckdb"
    load_raw(db_path)
    result = run_dbt(["build", "--no-partial-parse"], db_path, work)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-3000:]
    return db_path


def query(db_path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def findings(work_db) -> dict[str, Counter]:
    """rule -> Counter of (person_key or area, period)."""
    found: dict[str, Counter] = {}
    for rule, key, area, period in query(work_db, "select rule_id, person_key, area_name, period from marts.dq_findings"):
        found.setdefault(rule, Counter())[(key or area, period)] += 1
    return found


def test_findings_contract(work_db):
    columns = query(work_db, "select column_name, data_type from information_schema.columns where table_schema = 'marts'"
                             " and table_name = 'dq_findings' order by ordinal_position")
    assert [c for c, _ in columns] == ["rule_id", "severity", "source", "person_key", "area_name", "period", "detail", "amount"]
    severities = dict(query(work_db, "select distinct rule_id, severity from marts.dq_findings"))
    assert {severities[r] for r in ("R01", "R05", "R06", "R07")} == {"quarantine"}
    assert {v for r, v in severities.items() if r not in ("R01", "R05", "R06", "R07")} == {"warn"}
    assert not query(work_db, "select * from marts.dq_findings where rule_id like 'F%'")  # F01-F03: at ingestion


def test_quarantine_rules_come_from_raw_quarantine_rows(findings):
    assert findings["R01"] == Counter({(None, "2023-05"): 1})
    assert findings["R05"] == Counter({("pA05", "2023-12"): 1})
    assert findings["R06"] == Counter({("pA06", "2022-12"): 1})
    assert findings["R07"] == Counter({("pq1", "2023-12"): 1})


def test_r02_r03_one_finding_per_flagged_registry_row(findings):
    assert findings["R02"] == Counter({("pg1", "2023-12"): 1, ("pv3", "2022-12"): 1})
    assert findings["R03"] == Counter({("pg2", "2023-12"): 1})


def test_r04_two_normal_certificates_and_two_survey_rows(work_db, findings):
    assert findings["R04"] == Counter({("pr1", "2023-12"): 1, ("pA01", "2022"): 1})
    assert dict(query(work_db, "select period, source from marts.dq_findings where rule_id = 'R04'")) == {
        "2023-12": "registry", "2022": "survey"}


def test_x01_payment_to_an_id_not_in_the_registry(findings):
    assert findings["X01"] == Counter({("px1", "2023-03"): 1, ("px3", "2023-10"): 1})


def test_x02_after_the_cancellation_month_not_in_it(work_db, findings):
    assert findings["X02"] == Counter({("pd1", "2023-04"): 1, ("pd1", "2023-10"): 1})
    assert query(work_db, "select sum(amount) from marts.dq_findings where rule_id = 'X02'") == [(1200,)]


def test_x03_one_finding_per_extra_row_with_its_amount(work_db, findings):
    assert findings["X03"] == Counter({("pA01", "2023-06"): 1})
    assert query(work_db, "select amount from marts.dq_findings where rule_id = 'X03'") == [(550,)]


def test_x04_outside_the_standard_bounds_inclusive(work_db, findings):
    assert findings["X04"] == Counter({("pn2", "2023-07"): 1})  # 150 (the 2023 minimum) is allowed
    assert query(work_db, "select amount from marts.dq_findings where rule_id = 'X04'") == [(20,)]


def test_x05_outside_the_target_group(findings):
    assert findings["X05"] == Counter({("pn1", "2023-10"): 1})  # pn2's 护理补贴 (一级) is in its group


def test_x06_two_quota_employers_on_the_same_day(findings):
    assert findings["X06"] == Counter({("pq1", "2023-03"): 1})


def test_x07_under_16_or_after_cancellation(findings):
    assert findings["X07"] == Counter({("pk1", "2023-09"): 1, ("pd1", "2023-03"): 1})


def test_x08_surveyed_but_not_active_at_dec31(findings):
    assert findings["X08"] == Counter({("pd1", "2023"): 1, ("px2", "2023"): 1})


def test_x09_vanished_without_cancellation(findings):
    assert findings["X09"] == Counter({("pv1", "2022-12"): 1})


def test_x10_stated_month_differs(findings):
    assert findings["X10"] == Counter({("pA05", "2023-09"): 1})


def test_a01_a02_and_reconciliation(work_db, findings):
    assert findings["A01"][(A, "2023-10")] == 1
    assert findings["A02"][(A, "2023-10")] == 1
    assert not [k for k in findings["A01"] if k[0] == B]
    row = query(work_db, "select value, reported_value, denominator, numerator, reported_numerator, matched_eligible,"
                         " counted_by_other_town, not_in_registry, cancelled_before_period, paid_not_eligible"
                         f" from marts.dq_reconciliation where indicator_code = 'I05' and period = '2023-10'"
                         f" and area_name = '{A}'")
    # A's ten 低保 persons are its denominator and all paid; the ledger adds pB3 (B's),
    # px3 (no registry), pd1 (cancelled in March), pn1 (no hardship).
    assert row == [(100.0, 140.0, 10, 10, 14, 10, 1, 1, 1, 1)]


def test_a03_three_months_then_none(findings):
    assert findings["A03"] == Counter({(B, "2023-05"): 1})


def test_a04_modified_z_score(findings):
    assert findings["A04"][(A, "2023-01")] == 1
    assert not [k for k in findings["A04"] if k[0] == B]  # B's constant history: MAD 0, skipped


def test_a06_survey_coverage_below_95(work_db, findings):
    assert {k for k in findings["A06"]} == {(A, "2023"), (B, "2023"), ("奉化区", "2023")}
    coverage = dict(query(work_db, "select area_name, coverage_percent from intermediate.int_dq__survey_coverage"
                                   " where period = '2022'"))
    assert coverage == {A: 100.0, B: 100.0, "奉化区": 100.0}


def test_summary_counts_the_findings(work_db):
    total = query(work_db, "select count(*) from marts.dq_findings")[0][0]
    assert query(work_db, "select sum(findings) from marts.dq_summary")[0][0] == total
    assert query(work_db, "select findings, amount from marts.dq_summary where rule_id = 'X02'") == [(1, 600), (1, 600)]
