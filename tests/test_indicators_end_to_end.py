"""The 14 indicators end to end, from a hand-made landing folder (issue 4).

The population and the hand-computed figures are those of tests/dbt/test_indicators_sql.py
(loaded from that file, so the two tests cannot drift apart): about 40 persons in two
towns (锦屏街道, 溪口镇), 2021-2023, with every boundary that test documents. Here they are
written as real extracts -- UTF-8 CSV files with the contract's Chinese headers, one file
per registry/employment snapshot, ledger month and survey year, real valid 18-digit IDs
derived from each person's birth date and sex -- and the real pipeline runs once
(`pipelines.refresh.refresh`: ingestion, dbt build with its tests, publish). The published
marts.indicator_values must equal the hand-computed figures exactly.

What the landing files cannot express as the raw fixture does, adapted faithfully:
- person keys: the fixture's 'p05' becomes a real ID 330283 + birth date + '<nn>1' + check
  char (sequence digits = the person's number, third digit odd = 男, as the fixture's gender
  column says); the warehouse keys it by HMAC. 'p99' is simply a valid ID that appears in
  the older registry snapshot, the ledgers, the employment file and a survey, but not in
  the newest registry snapshot.
- cert_key: the fixture invents one per row; here the certificate number is the real
  ID + category code + grade code (so p07's two 四级 肢体 certificates share one number --
  cert_key is not used by any indicator).
- valid_until / review_date: null in the fixture; here 有效期至 = issue date + 10 years
  (not used by any indicator) and 审验日期 empty.
- employer USCCs: the fixture's 91330283MA2AAAAAA1 / 91330213MA2BBBBBB2 have wrong check
  characters (the raw fixture bypasses rule R07); here their first 17 characters get the
  right GB 32100 check character, so quota/sheltered rows are not quarantined.
- source_row: the reader numbers rows as a person sees them (header = 1, first data row
  = 2), the fixture's i + 2 in list order; rows are written in the fixture's list order, so
  "first survey row wins" picks the same rows. test_raw_rows_equal_the_dbt_fixture checks
  the ingested raw tables against the fixture row by row.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import importlib.util
from pathlib import Path

import duckdb
import pytest
from stdnum.cn import ric, uscc

from pipelines.contract import CATEGORIES, CONTRACT, GRADES
from pipelines.identity import ID_CHECK_CHARS, ID_WEIGHTS

_SQL_TEST = Path(__file__).resolve().parent / "dbt" / "test_indicators_sql.py"


def _load_population():
    """tests/dbt/test_indicators_sql.py as a plain module (pytest runs with
    --import-mode=importlib, so tests are not importable as packages)."""
    spec = importlib.util.spec_from_file_location("_dpf_indicators_sql_population", _SQL_TEST)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


POP = _load_population()
A, B, DISTRICT, TOWNS, VILLAGE, BIRTH = POP.A, POP.B, POP.DISTRICT, POP.TOWNS, POP.VILLAGE, POP.BIRTH
EXPECTED = POP.EXPECTED

REGION = "330283"
PSEUDONYM_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
AMOUNT = "500.00"  # the fixture's amount, every payment


# ---------------------------------------------------------------- identities

def id_of(person: str) -> str:
    """A valid 18-digit ID: region, the person's birth date, '<nn>1' (odd: 男), check char."""
    number = int(person[1:])
    body = f"{REGION}{BIRTH[person].replace('-', '')}{number:02d}1"
    check = ID_CHECK_CHARS[sum(int(d) * int(w) for d, w in zip(body, ID_WEIGHTS)) % 11]
    return body + check


def name_of(person: str) -> str:
    digits = "零一二三四五六七八九"
    tens, ones = divmod(int(person[1:]), 10)
    spoken = ("" if tens < 2 else digits[tens]) + ("十" if tens else "") + (digits[ones] if ones else "")
    return "测试" + spoken  # p01 -> 测试一, p12 -> 测试十二, p40 -> 测试四十


def valid_uscc(code: str) -> str:
    """The fixture's credit code with the right GB 32100 check character."""
    return code[:17] + uscc.calc_check_digit(code[:17])


USCC = {POP.USCC_1: valid_uscc(POP.USCC_1), POP.USCC_2: valid_uscc(POP.USCC_2)}


def ten_years_after(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    try:
        return day.replace(year=day.year + 10).isoformat()
    except ValueError:  # 29 February
        return day.replace(year=day.year + 10, day=28).isoformat()


# ---------------------------------------------------------------- the landing folder

def _write_csv(path: Path, source: str, rows: list[dict[str, str]]) -> None:
    headers = CONTRACT[source].headers
    assert all(set(row) == set(headers) for row in rows), f"{path.name}: rows do not match the contract"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=headers)
        writer.writeheader()
        writer.writerows(rows)


def _text(value) -> str:
    return "" if value is None else str(value)


def registry_row(r: dict) -> dict[str, str]:
    person = r["person"]
    return {
        "残疾人证号": id_of(person) + CATEGORIES[r["category"]] + GRADES[r["grade"]],
        "姓名": name_of(person),
        "身份证号": id_of(person),
        "性别": "男",
        "出生日期": BIRTH[person],
        "残疾类别": r["category"],
        "残疾等级": r["grade"],
        "所属镇街": r["town"],
        "所属村社": VILLAGE[r["town"]],
        "首次发证日期": r["issue"],
        "有效期至": ten_years_after(r["issue"]),
        "证件状态": r["status"],
        "注销日期": _text(r["cancel"]),
        "注销原因": _text(r["reason"]),
        "困难类型": r["hardship"],
        "审验日期": "",
    }


def subsidy_row(month: str, person: str, kind: str, town: str) -> dict[str, str]:
    return {"身份证号": id_of(person), "姓名": name_of(person), "补贴类型": kind, "发放年月": month,
            "金额": AMOUNT, "发放镇街": town}


def employment_row(r: dict) -> dict[str, str]:
    return {
        "身份证号": id_of(r["person"]),
        "记录类型": r["record_type"],
        "就业形式": _text(r["form"]),
        "单位名称": "某公司" if r["uscc"] else "",
        "统一社会信用代码": USCC[r["uscc"]] if r["uscc"] else "",
        "培训项目": _text(r["course"]),
        "开始日期": r["start"],
        "结束日期": _text(r["end"]),
    }


SURVEY_FIELDS = ("所属镇街", "在学状态", "养老保险", "医疗保险", "康复需求", "康复服务", "辅具需求", "辅具适配",
                 "家庭医生签约", "家庭人均可支配收入")


def survey_row(year: int, row: tuple) -> dict[str, str]:
    person, *answers = row
    return {"身份证号": id_of(person), "调查年度": str(year),
            **{header: _text(value) for header, value in zip(SURVEY_FIELDS, answers)}}


def write_landing(landing: Path) -> None:
    for month, rows in (("202306", POP.REGISTRY_202306), ("202312", POP.REGISTRY_202312)):
        _write_csv(landing / "registry" / f"registry_{month}.csv", "registry", [registry_row(r) for r in rows])
    for month, rows in POP.SUBSIDY.items():
        _write_csv(landing / "subsidy" / f"subsidy_{month}.csv", "subsidy",
                   [subsidy_row(month, *r) for r in rows])
    for month, rows in (("202306", POP.EMPLOYMENT_202306), ("202310", POP.EMPLOYMENT_202310)):
        _write_csv(landing / "employment" / f"employment_{month}.csv", "employment",
                   [employment_row(r) for r in rows])
    for year, rows in POP.SURVEY.items():
        _write_csv(landing / "survey" / f"survey_{year}.csv", "survey", [survey_row(year, r) for r in rows])


# ---------------------------------------------------------------- the run

@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Landing folder written, `refresh` run once: (warehouse, outcome)."""
    root = tmp_path_factory.mktemp("end_to_end")
    landing, warehouse, dagster_home = root / "landing", root / "warehouse", root / "dagster_home"
    write_landing(landing)
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    from pipelines.refresh import refresh

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(dagster_home))
        mp.setenv("DAGSTER_DISABLE_TELEMETRY", "1")
        mp.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        mp.setenv("DO_NOT_TRACK", "1")
        mp.setenv("DPF_PSEUDONYM_KEY", PSEUDONYM_KEY)
        outcome = refresh(landing, warehouse, log=lambda message: None)
    assert outcome.status == 0, outcome.message
    return warehouse, outcome


@pytest.fixture(scope="module")
def values(run) -> dict[tuple[str, str, str], dict]:
    warehouse, _ = run
    con = duckdb.connect(str(warehouse / "analytics.duckdb"), read_only=True)
    try:
        cursor = con.execute("select * from marts.indicator_values")
        columns = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    finally:
        con.close()
    table = {(r[0], r[1], r[3]): dict(zip(columns, r)) for r in rows}
    assert len(table) == len(rows), "duplicate (indicator, period, area) rows"
    return table


def _work(warehouse: Path, query: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse / "work.duckdb"), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


# ---------------------------------------------------------------- the fixture itself

def test_ids_and_codes_are_valid():
    people = set(BIRTH)
    ids = {id_of(p) for p in people}
    assert len(ids) == len(people)
    for person in people:
        number = id_of(person)
        # GB 11643 check char (ric.is_valid would also demand that the region code existed
        # in the birth year, which the contract does not ask)
        assert ric.calc_check_digit(number) == number[-1], person
        assert ric.get_birth_date(number).isoformat() == BIRTH[person]
        assert int(number[16]) % 2 == 1  # 男
    assert all(uscc.is_valid(code) for code in USCC.values())


def test_nothing_quarantined(run):
    warehouse, _ = run
    assert _work(warehouse, "select rule_id, source_file, source_row, reason from raw.quarantine_rows") == []
    files = _work(warehouse, "select source_file, rows_read, rows_quarantined from raw.landing_files order by 1")
    expected = {
        **{f"registry/registry_{m}.csv": len(rows) for m, rows in
           (("202306", POP.REGISTRY_202306), ("202312", POP.REGISTRY_202312))},
        **{f"subsidy/subsidy_{m}.csv": len(rows) for m, rows in POP.SUBSIDY.items()},
        **{f"employment/employment_{m}.csv": len(rows) for m, rows in
           (("202306", POP.EMPLOYMENT_202306), ("202310", POP.EMPLOYMENT_202310))},
        **{f"survey/survey_{y}.csv": len(rows) for y, rows in POP.SURVEY.items()},
    }
    assert files == sorted((name, n, 0) for name, n in expected.items())


def test_raw_rows_equal_the_dbt_fixture(run, tmp_path):
    """The ingested raw tables hold the dbt test's raw rows, up to the adaptations above:
    same files, row numbers, persons (as keys), birth dates and values."""
    warehouse, _ = run
    fixture_db = tmp_path / "fixture.duckdb"
    POP.load_raw(fixture_db)
    secret = bytes.fromhex(PSEUDONYM_KEY)
    key = {hmac.digest(secret, id_of(p).encode(), hashlib.sha256).hex(): p for p in BIRTH}
    skipped = {"registry_rows": {"cert_key", "valid_until"},
               "employment_rows": {"employer_uscc"}}
    for table in ("registry_rows", "subsidy_rows", "employment_rows", "survey_rows"):
        con = duckdb.connect(str(fixture_db), read_only=True)
        try:
            columns = [c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_schema = 'raw'"
                " and table_name = ? order by ordinal_position", [table]).fetchall()
                if c not in skipped.get(table, set())]
            # persons by their key: the numbers (person_id) are each warehouse's own
            listed = ", ".join("keys.person_key" if c == "person_id" else f"rows.{c}" for c in columns)
            keyed = (f"select {listed} from raw.{table} as rows "
                     "left join raw.person_keys as keys on keys.person_id = rows.person_id")
            expected = con.execute(keyed).fetchall()
        finally:
            con.close()
        actual = _work(warehouse, keyed)
        at = columns.index("person_id")
        actual = [(*r[:at], key[r[at]], *r[at + 1:]) for r in actual]
        assert sorted(actual, key=repr) == sorted(expected, key=repr), table


# ---------------------------------------------------------------- the published figures

def test_every_indicator_has_every_area_and_period(values):
    expected = POP.expected_rows()
    assert set(values) == expected
    assert len(values) == len(expected) == 13 * (11 * 3 + 37 + 2 * 8)
    for (_, _, area), row in values.items():
        assert row["area_level"] == ("district" if area == DISTRICT else "town")


@pytest.mark.parametrize("key", list(EXPECTED), ids=lambda k: "-".join(k))
def test_indicator_value(values, key):
    POP.assert_figures(values[key], key)


def test_refresh_summary_is_the_latest_district_values(values, run):
    """The refresh's summary: the latest year's district value of each indicator."""
    _, outcome = run
    latest = {row["indicator_code"]: row for row in outcome.summary}
    assert sorted(latest) == [f"I{n:02d}" for n in range(1, 15)]
    for code, row in latest.items():
        assert row["period"] == "2023"
        assert row["value"] == values[(code, "2023", DISTRICT)]["value"]
