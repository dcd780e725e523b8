"""load: landing files -> raw tables of work.duckdb. Real files in tmp_path, real DuckDB.

Small landing folders are written next to the assertions; the demo is ingested once per
module for the counts against the manifest and the privacy scan."""

import csv
import datetime as dt
import os
import re
import stat
import time

import duckdb
import numpy as np
import polars as pl
import pytest
import xlsxwriter

from pipelines import identity
from pipelines.contract import CONTRACT
from pipelines.ingest import keys, landing as landing_folder, load
from pipelines.ingest.load import RAW_TABLES, RefreshBlocked, ingest, work_db
from pipelines.ingest.read import read_extract

ID_PATTERN = r"[0-9]{15}|[0-9]{17}[0-9Xx]"


def make_id(n: int) -> str:
    """A valid 18-digit Fenghua ID, born 1980-01-01, sequence n."""
    body = f"330283198001010{n:02d}"
    return body + identity.id_check_chars(np.array([[int(c) for c in body]]))[0]


def registry_row(n: int, **changes) -> dict:
    row = {
        "残疾人证号": make_id(n) + "41", "姓名": f"测试人{n}", "身份证号": make_id(n),
        "性别": "男" if int(make_id(n)[16]) % 2 else "女", "出生日期": "1980-01-01", "残疾类别": "肢体",
        "残疾等级": "一级", "所属镇街": "锦屏街道", "所属村社": "江宁社区", "首次发证日期": "2015-03-01",
        "有效期至": "2025-03-01", "证件状态": "正常", "注销日期": "", "注销原因": "", "困难类型": "无",
        "审验日期": "",
    }
    return row | changes


def subsidy_row(n: int, amount: str = "500", **changes) -> dict:
    return {
        "身份证号": make_id(n), "姓名": f"测试人{n}", "补贴类型": "困难残疾人生活补贴",
        "发放年月": "202201", "金额": amount, "发放镇街": "锦屏街道",
    } | changes


def write_csv(landing, source: str, name: str, rows: list[dict]):
    folder = landing / source
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(list(rows[0]))
        writer.writerows([str(v) for v in row.values()] for row in rows)
    return path


def write_xlsx(landing, source: str, name: str, rows: list[dict]):
    folder = landing / source
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, list(rows[0]))
    for i, row in enumerate(rows, start=1):
        sheet.write_row(i, 0, [str(v) for v in row.values()])
    book.close()
    return path


def tables(warehouse) -> dict[str, list[tuple]]:
    """Every raw table, rows sorted, for whole-warehouse comparisons. Persons are shown by
    their person_key: the numbers (person_id) follow the order the run's workers keyed the
    files in, so two warehouses of the same rows may number them differently. Not
    raw.landing_file_stats: what the file system said of the landing files, remembered when
    they had settled (timing, not rows; its own tests below)."""
    con = duckdb.connect(str(work_db(warehouse)), read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' "
            "and table_name <> 'landing_file_stats' order by 1").fetchall()]
        found = {}
        for n in names:
            sql = f"select * from raw.{n}"
            if n == "person_keys":
                sql = "select person_key from raw.person_keys"
            elif "person_id" in RAW_TABLES[n]:
                sql = f"select rows.* replace (keys.person_key as person_id) from raw.{n} as rows {_KEYS}"
            found[n] = sorted(con.execute(sql).fetchall(), key=repr)
        return found
    finally:
        con.close()


_KEYS = "left join raw.person_keys as keys on keys.person_id = rows.person_id"  # rows: a raw table


def query(warehouse, sql: str) -> list[tuple]:
    con = duckdb.connect(str(work_db(warehouse)), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def folders(tmp_path):
    return tmp_path / "landing", tmp_path / "warehouse"


# ---------------------------------------------------------------- rows and quarantine

def test_quarantined_rows_go_to_quarantine_only_with_rule_and_masked_reason(folders):
    landing, warehouse = folders
    bad_id = make_id(2)[:17] + ("0" if make_id(2)[17] != "0" else "1")
    write_csv(landing, "registry", "registry_202201.csv", [
        registry_row(1),
        registry_row(2, 身份证号=bad_id),
        registry_row(3, 所属镇街="奉化镇"),
        registry_row(4, 首次发证日期="2015-02-30"),
    ])
    report = ingest(landing, warehouse)

    assert report.rows("registry") == 1 and report.quarantined() == 3
    assert query(warehouse, "select snapshot_month, source_file, source_row from raw.registry_rows") == [
        ("202201", "registry/registry_202201.csv", 2)
    ]
    quarantine = query(warehouse, "select source, source_file, period, source_row, rule_id, reason, person_key "
                                  f"from raw.quarantine_rows as rows {_KEYS} order by source_row")
    assert [q[:5] for q in quarantine] == [
        ("registry", "registry/registry_202201.csv", "202201", 3, "R01"),
        ("registry", "registry/registry_202201.csv", "202201", 4, "R06"),
        ("registry", "registry/registry_202201.csv", "202201", 5, "R05"),
    ]
    r01, r06, r05 = quarantine
    assert bad_id not in r01[5] and r01[5].startswith("身份证号「330*") and r01[6] is None
    assert "奉化镇" in r06[5] and r06[6] == identity.keyed_hash(
        keys.resolve_secret(warehouse, None, True), pl.Series([make_id(3)]))[0]
    assert "2015-02-30" in r05[5]
    assert query(warehouse, "select source_file, period, rows_read, rows_quarantined from raw.landing_files") == [
        ("registry/registry_202201.csv", "202201", 4, 3)
    ]


def test_raw_columns_and_types_follow_the_contract(folders):
    landing, warehouse = folders
    write_csv(landing, "registry", "registry_202201.csv", [registry_row(1), registry_row(2, 残疾人证号="X")])
    write_csv(landing, "subsidy", "subsidy_202201.csv", [subsidy_row(1, "1,234.5", 发放年月="2021-12")])
    ingest(landing, warehouse)
    types = dict(((t, c), d) for t, c, d in query(
        warehouse, "select table_name, column_name, data_type from information_schema.columns "
                   "where table_schema = 'raw'"))
    assert types["registry_rows", "snapshot_month"] == "VARCHAR"
    assert types["registry_rows", "first_issue_date"] == "DATE"
    assert types["registry_rows", "cert_no_matches_id"] == "BOOLEAN"
    assert types["subsidy_rows", "amount"] == "DECIMAL(14,2)"
    assert types["survey_rows", "survey_year"] == "INTEGER"
    assert types["landing_files", "loaded_at"] == "TIMESTAMP"
    assert not any(c in ("name", "id_no", "cert_no", "id_normalised") for _, c in types)
    registry = query(warehouse, "select cert_no_matches_id, gender_matches_id, birth_date, length(cert_key) "
                                "from raw.registry_rows order by source_row")
    assert registry == [(True, True, dt.date(1980, 1, 1), 64), (False, True, dt.date(1980, 1, 1), 64)]
    assert query(warehouse, "select pay_month, pay_month_stated, amount::varchar from raw.subsidy_rows") == [
        ("202201", "202112", "1234.50")  # X10: kept under the file's month
    ]


# ---------------------------------------------------------------- whole files block the run

def _snapshot_files(warehouse) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(warehouse.iterdir()) if p.is_file()}


@pytest.mark.parametrize("problem", ["F01_missing_column", "F01_empty", "F02_name", "F03_truncated"])
def test_whole_file_problems_stop_the_run_and_leave_the_warehouse_as_it_was(folders, problem):
    landing, warehouse = folders
    write_csv(landing, "registry", "registry_202201.csv", [registry_row(n) for n in range(1, 11)])
    ingest(landing, warehouse)
    before = _snapshot_files(warehouse)

    # a good new file next to the bad one must not be loaded either
    write_csv(landing, "subsidy", "subsidy_202201.csv", [subsidy_row(1)])
    if problem == "F01_missing_column":
        bad = write_csv(landing, "subsidy", "subsidy_202202.csv",
                        [{k: v for k, v in subsidy_row(1).items() if k != "金额"}])
    elif problem == "F01_empty":
        bad = landing / "survey" / "survey_2022.csv"
        bad.parent.mkdir()
        bad.write_text("身份证号,调查年度\n", encoding="utf-8")
    elif problem == "F02_name":
        bad = write_csv(landing, "subsidy", "subsidy_2022-02.csv", [subsidy_row(1)])
    else:
        bad = write_csv(landing, "registry", "registry_202202.csv", [registry_row(n) for n in range(1, 8)])

    with pytest.raises(RefreshBlocked) as blocked:
        ingest(landing, warehouse)
    assert blocked.value.rule == problem[:3]
    assert blocked.value.file.name == bad.name and bad.name in str(blocked.value)
    assert _snapshot_files(warehouse) == before


def test_blocked_first_run_creates_no_database(folders):
    landing, warehouse = folders
    write_csv(landing, "subsidy", "subsidy_202213.csv", [subsidy_row(1)])  # month 13: F02
    with pytest.raises(RefreshBlocked, match="subsidy_202213.csv"):
        ingest(landing, warehouse)
    assert not work_db(warehouse).exists()


def test_f03_compares_with_a_snapshot_loaded_in_an_earlier_run(folders):
    landing, warehouse = folders
    write_csv(landing, "registry", "registry_202201.csv", [registry_row(n) for n in range(1, 11)])
    ingest(landing, warehouse)
    write_csv(landing, "registry", "registry_202202.csv", [registry_row(n) for n in range(1, 9)])  # 80%: fine
    ingest(landing, warehouse)
    write_csv(landing, "registry", "registry_202203.csv", [registry_row(n) for n in range(1, 6)])  # 5 < 6.4
    with pytest.raises(RefreshBlocked, match="202203") as blocked:
        ingest(landing, warehouse)
    assert blocked.value.rule == "F03"


# ---------------------------------------------------------------- landing folder hygiene

def test_only_source_folders_count_and_outside_links_are_refused(folders, tmp_path):
    landing, warehouse = folders
    write_csv(landing, "subsidy", "subsidy_202201.csv", [subsidy_row(1)])
    (landing / "manifest.json").write_text("{}", encoding="utf-8")
    write_csv(landing, "archive", "subsidy_202202.csv", [subsidy_row(2)])  # not a source folder
    (landing / "subsidy" / "old").mkdir()
    write_csv(landing / "subsidy", "old", "subsidy_202203.csv", [subsidy_row(3)])  # sub-folder
    (landing / "subsidy" / ".~lock.subsidy_202201.csv#").write_text("x", encoding="utf-8")
    report = ingest(landing, warehouse)
    assert [p.file.relative for p in report.loaded] == ["subsidy/subsidy_202201.csv"]

    outside = write_csv(tmp_path / "elsewhere", "subsidy", "subsidy_202204.csv", [subsidy_row(4)])
    (landing / "subsidy" / "subsidy_202204.csv").symlink_to(outside)
    with pytest.raises(RefreshBlocked, match="outside the landing folder") as blocked:
        ingest(landing, warehouse)
    assert blocked.value.rule == "F01"


def test_two_new_files_for_one_period_are_refused(folders):
    landing, warehouse = folders
    write_csv(landing, "subsidy", "subsidy_202201.csv", [subsidy_row(1)])
    write_xlsx(landing, "subsidy", "subsidy_202201.xlsx", [subsidy_row(2)])
    with pytest.raises(RefreshBlocked, match="same period") as blocked:
        ingest(landing, warehouse)
    assert blocked.value.rule == "F02"


# ---------------------------------------------------------------- idempotent and incremental

def test_running_twice_changes_nothing(folders):
    landing, warehouse = folders
    write_csv(landing, "registry", "registry_202201.csv", [registry_row(1), registry_row(2, 所属镇街="奉化镇")])
    write_csv(landing, "subsidy", "subsidy_202201.csv", [subsidy_row(1), subsidy_row(2)])
    ingest(landing, warehouse)
    first = tables(warehouse)
    report = ingest(landing, warehouse)
    assert report.loaded == [] and len(report.unchanged) == 2
    assert tables(warehouse) == first


def test_unchanged_files_are_not_read_again(folders):
    landing, warehouse = folders
    write_csv(landing, "subsidy", "subsidy_202201.csv", [subsidy_row(1)])
    ingest(landing, warehouse)
    loaded_at = query(warehouse, "select loaded_at from raw.landing_files")
    write_csv(landing, "subsidy", "subsidy_202202.csv", [subsidy_row(1, 发放年月="202202")])
    report = ingest(landing, warehouse)
    assert [p.file.relative for p in report.loaded] == ["subsidy/subsidy_202202.csv"]
    assert report.unchanged == ["subsidy/subsidy_202201.csv"]
    assert query(warehouse, "select loaded_at from raw.landing_files "
                            "where source_file = 'subsidy/subsidy_202201.csv'") == loaded_at


@pytest.fixture
def hashed(monkeypatch) -> list[str]:
    """The names of the files read to be hashed, in order; files settle after 50 ms."""
    names: list[str] = []
    content_hash = landing_folder.content_hash

    def counted(path):
        names.append(path.name)
        return content_hash(path)

    monkeypatch.setattr(landing_folder, "content_hash", counted)
    monkeypatch.setattr(landing_folder, "STAT_SETTLED_SECONDS", 0.05)
    return names


def settle() -> None:
    time.sleep(0.1)  # past STAT_SETTLED_SECONDS as `hashed` sets it, and past the clock's tick


def test_a_file_with_the_stat_it_was_hashed_with_is_not_read_to_be_hashed(folders, hashed):
    landing, warehouse = folders
    first = write_csv(landing, "subsidy", "subsidy_202201.csv", [subsidy_row(1)])
    settle()
    ingest(landing, warehouse)
    assert hashed == ["subsidy_202201.csv"]
    found = first.stat()
    assert query(warehouse, "select * from raw.landing_file_stats") == [(
        "subsidy/subsidy_202201.csv", landing_folder.content_hash(first), found.st_size, found.st_mtime_ns,
        found.st_ctime_ns, found.st_ino)]
    hashed.clear()
    write_csv(landing, "subsidy", "subsidy_202202.csv", [subsidy_row(1, 发放年月="202202")])
    report = ingest(landing, warehouse)
    assert report.unchanged == ["subsidy/subsidy_202201.csv"]
    assert hashed == ["subsidy_202202.csv"]
    assert query(warehouse, "select pay_month, count(*) from raw.subsidy_rows group by 1 order by 1") == [
        ("202201", 1), ("202202", 1)]


def test_a_file_rewritten_with_its_size_and_modification_time_kept_is_read_again(folders, hashed):
    """What copying a re-exported file over the old one with its times kept (cp -p) does:
    same size, inode and modification time; its change time and the rows tell."""
    landing, warehouse = folders
    path = write_csv(landing, "subsidy", "subsidy_202201.csv", [subsidy_row(1, "500")])
    settle()
    ingest(landing, warehouse)
    before = path.stat()
    write_csv(landing, "subsidy", "subsidy_202201.csv", [subsidy_row(1, "600")])
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    hashed.clear()
    report = ingest(landing, warehouse)
    assert [p.file.relative for p in report.loaded] == ["subsidy/subsidy_202201.csv"]
    assert query(warehouse, "select amount::varchar from raw.subsidy_rows") == [("600.00",)]


def test_a_file_hashed_before_it_settled_is_remembered_by_a_later_run_that_loads_nothing(
        folders, hashed, monkeypatch):
    landing, warehouse = folders
    write_csv(landing, "subsidy", "subsidy_202201.csv", [subsidy_row(1)])
    monkeypatch.setattr(landing_folder, "STAT_SETTLED_SECONDS", 3600)  # written just now
    ingest(landing, warehouse)
    assert query(warehouse, "select count(*) from raw.landing_file_stats") == [(0,)]
    rows = tables(warehouse)
    monkeypatch.setattr(landing_folder, "STAT_SETTLED_SECONDS", 0.05)
    settle()
    hashed.clear()
    assert ingest(landing, warehouse).loaded == []
    assert hashed == ["subsidy_202201.csv"]
    assert query(warehouse, "select source_file from raw.landing_file_stats") == [("subsidy/subsidy_202201.csv",)]
    assert tables(warehouse) == rows
    hashed.clear()
    assert ingest(landing, warehouse).loaded == []
    assert hashed == []


def test_a_redelivered_ledger_month_replaces_it_and_never_double_counts(folders):
    landing, warehouse = folders
    write_csv(landing, "subsidy", "subsidy_202201.csv", [subsidy_row(1, "100"), subsidy_row(2, "200")])
    write_csv(landing, "subsidy", "subsidy_202202.csv", [subsidy_row(1, "100", 发放年月="202202")])
    ingest(landing, warehouse)

    write_csv(landing, "subsidy", "subsidy_202201.csv",
              [subsidy_row(1, "100"), subsidy_row(2, "250"), subsidy_row(3, "300"), subsidy_row(4, "0")])
    ingest(landing, warehouse)
    assert query(warehouse, "select pay_month, count(*), sum(amount)::varchar from raw.subsidy_rows "
                            "group by 1 order by 1") == [("202201", 3, "650.00"), ("202202", 1, "100.00")]
    assert query(warehouse, "select period, count(*) from raw.quarantine_rows group by 1") == [("202201", 1)]

    # the same month again, now as XLSX: replaces the CSV's rows
    write_xlsx(landing, "subsidy", "subsidy_202201.xlsx", [subsidy_row(5, "50")])
    ingest(landing, warehouse)
    assert query(warehouse, "select pay_month, source_file, count(*), sum(amount)::varchar from raw.subsidy_rows "
                            "group by 1, 2 order by 1") == [
        ("202201", "subsidy/subsidy_202201.xlsx", 1, "50.00"),
        ("202202", "subsidy/subsidy_202202.csv", 1, "100.00"),
    ]
    assert query(warehouse, "select count(*) from raw.quarantine_rows") == [(0,)]
    first = tables(warehouse)
    ingest(landing, warehouse)  # both 202201 files unchanged now: nothing flips back
    assert tables(warehouse) == first


_DISTINCT_PERSONS = ("select count(distinct person_id) from (select person_id from raw.registry_rows union all "
                     "select person_id from raw.subsidy_rows union all select person_id from raw.quarantine_rows)")


def test_a_warehouse_from_before_person_numbers_gets_them_on_the_next_run(folders):
    """The raw tables once held person_key itself (and raw.person_keys came later still):
    the next ingestion numbers the keys and puts the numbers in their place, also when no
    file changed, and the rows stay the same rows."""
    landing, warehouse = folders
    write_csv(landing, "registry", "registry_202201.csv", [registry_row(1), registry_row(2)])
    write_csv(landing, "subsidy", "subsidy_202201.csv", [subsidy_row(1), subsidy_row(3, "0")])
    ingest(landing, warehouse)
    before = tables(warehouse)
    con = duckdb.connect(str(work_db(warehouse)))
    try:  # back to the old shape: the key in each row, no raw.person_keys
        for table in ("registry_rows", "subsidy_rows", "employment_rows", "survey_rows", "quarantine_rows"):
            con.execute(f"create table raw.old as select rows.* replace (keys.person_key as person_id) "
                        f"from raw.{table} as rows {_KEYS}")
            con.execute(f"drop table raw.{table}")
            con.execute("alter table raw.old rename column person_id to person_key")
            con.execute(f"alter table raw.old rename to {table}")
        con.execute("drop table raw.person_keys")
    finally:
        con.close()
    report = ingest(landing, warehouse)
    assert report.loaded == []
    assert tables(warehouse) == before
    assert query(warehouse, "select count(*), min(person_id), max(person_id) from raw.person_keys") == [(3, 1, 3)]
    assert query(warehouse, _DISTINCT_PERSONS) == [(3,)]
    # and the next file's persons keep those numbers
    numbers = query(warehouse, "select person_id, person_key from raw.person_keys order by 1")
    write_csv(landing, "subsidy", "subsidy_202202.csv", [subsidy_row(1, 发放年月="202202"), subsidy_row(4)])
    ingest(landing, warehouse)
    assert query(warehouse, "select person_id, person_key from raw.person_keys order by 1")[:3] == numbers
    assert query(warehouse, "select count(*) from raw.person_keys") == [(4,)]
    assert query(warehouse, "select person_id from raw.subsidy_rows where pay_month = '202202' order by 1") == [
        (query(warehouse, "select person_id from raw.subsidy_rows where pay_month = '202201' and source_row = 2")[0][0],),
        (4,),
    ]


def test_a_first_load_and_a_later_load_write_the_same_rows_and_leave_no_scratch(tmp_path):
    """A first load turns the run's scratch database into work.duckdb; a later load inserts
    from it into work.duckdb. Both give the rows one load of everything gives."""
    landing = tmp_path / "landing"
    write_csv(landing, "registry", "registry_202201.csv", [registry_row(1), registry_row(2)])
    write_csv(landing, "subsidy", "subsidy_202201.csv", [subsidy_row(1), subsidy_row(2, "0")])
    in_steps, at_once = tmp_path / "in_steps", tmp_path / "at_once"
    ingest(landing, in_steps, env_key="a shared key")
    write_csv(landing, "subsidy", "subsidy_202202.csv", [subsidy_row(1, 发放年月="202202"), subsidy_row(3, "x")])
    report = ingest(landing, in_steps, env_key="a shared key")
    assert [p.file.relative for p in report.loaded] == ["subsidy/subsidy_202202.csv"]
    ingest(landing, at_once, env_key="a shared key")

    def without_load_times(warehouse):
        found = tables(warehouse)
        found["landing_files"] = [row[:-1] for row in found["landing_files"]]  # loaded_at
        return found

    assert without_load_times(in_steps) == without_load_times(at_once)
    assert query(in_steps, "select count(*) from raw.quarantine_rows") == [(2,)]
    assert query(in_steps, "select count(*) from raw.person_keys") == [(3,)] == query(in_steps, _DISTINCT_PERSONS)
    # no key file (the key came from the environment), no scratch folder, no WAL
    assert sorted(p.name for p in in_steps.iterdir()) == ["work.duckdb"]


def test_commits_every_few_rows_write_the_same_rows_as_one_commit(tmp_path, monkeypatch):
    """The scratch database commits every COMMIT_ROWS rows (about a million): a commit
    after each file, here, gives the rows a single commit gives, quarantine included."""
    landing = tmp_path / "landing"
    write_csv(landing, "registry", "registry_202201.csv", [registry_row(1), registry_row(2)])
    write_csv(landing, "subsidy", "subsidy_202201.csv", [subsidy_row(1), subsidy_row(2, "0")])
    write_csv(landing, "subsidy", "subsidy_202202.csv", [subsidy_row(1, 发放年月="202202"), subsidy_row(3, "x")])
    write_xlsx(landing, "subsidy", "subsidy_202203.xlsx", [subsidy_row(2, 发放年月="202203")])
    ingest(landing, tmp_path / "one_commit", env_key="a shared key")
    monkeypatch.setattr(load, "COMMIT_ROWS", 1)
    ingest(landing, tmp_path / "many_commits", env_key="a shared key")

    def without_load_times(warehouse):
        found = tables(warehouse)
        found["landing_files"] = [row[:-1] for row in found["landing_files"]]  # loaded_at
        return found

    many = without_load_times(tmp_path / "many_commits")
    assert many == without_load_times(tmp_path / "one_commit")
    assert (len(many["registry_rows"]), len(many["subsidy_rows"]), len(many["quarantine_rows"])) == (2, 3, 2)


def test_registry_snapshots_are_all_kept_and_a_vanished_file_keeps_its_rows(folders):
    landing, warehouse = folders
    write_csv(landing, "registry", "registry_202201.csv", [registry_row(1), registry_row(2)])
    write_csv(landing, "registry", "registry_202202.csv", [registry_row(1), registry_row(2), registry_row(3)])
    ingest(landing, warehouse)
    (landing / "registry" / "registry_202201.csv").unlink()
    ingest(landing, warehouse)
    assert query(warehouse, "select snapshot_month, count(*) from raw.registry_rows group by 1 order by 1") == [
        ("202201", 2), ("202202", 3)
    ]


# ---------------------------------------------------------------- the pseudonym key

def test_key_file_is_created_once_with_mode_0600_and_guarded_by_a_fingerprint(folders):
    landing, warehouse = folders
    write_csv(landing, "subsidy", "subsidy_202201.csv", [subsidy_row(1)])
    ingest(landing, warehouse)
    key_file = keys.key_file(warehouse)
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert re.fullmatch(r"[0-9a-f]{64}\n", key_file.read_text())
    secret = bytes.fromhex(key_file.read_text())
    assert query(warehouse, "select value from raw.warehouse_meta where setting = 'key_fingerprint'") == [
        (keys.fingerprint(secret),)
    ]
    assert query(warehouse, f"select person_key from raw.subsidy_rows as rows {_KEYS}") == [
        (identity.keyed_hash(secret, pl.Series([make_id(1)]))[0],)
    ]
    ingest(landing, warehouse, env_key=key_file.read_text())  # the same key from the environment is fine

    with pytest.raises(keys.PseudonymKeyError, match="differs"):
        ingest(landing, warehouse, env_key="00" * 32)
    key_file.unlink()
    with pytest.raises(keys.PseudonymKeyError, match="missing"):
        ingest(landing, warehouse)
    assert not key_file.exists()  # never a silent new key


def test_key_from_the_environment_writes_no_key_file(folders):
    landing, warehouse = folders
    write_csv(landing, "subsidy", "subsidy_202201.csv", [subsidy_row(1)])
    ingest(landing, warehouse, env_key="ab" * 32)
    assert not keys.key_file(warehouse).exists()
    assert query(warehouse, f"select person_key from raw.subsidy_rows as rows {_KEYS}") == [
        (identity.keyed_hash(bytes.fromhex("ab" * 32), pl.Series([make_id(1)]))[0],)
    ]


# ---------------------------------------------------------------- the demo

@pytest.fixture(scope="module")
def demo_warehouse(demo, tmp_path_factory):
    landing, manifest = demo
    warehouse = tmp_path_factory.mktemp("demo_warehouse")
    ingest(landing, warehouse)
    return landing, manifest, warehouse


def test_demo_quarantine_counts_equal_the_manifest(demo_warehouse):
    landing, manifest, warehouse = demo_warehouse
    found: dict[str, dict[str, int]] = {}
    for source_file, rule, n in query(warehouse, "select source_file, rule_id, count(*) from raw.quarantine_rows "
                                                 "group by 1, 2"):
        found.setdefault(source_file, {})[rule] = n
    expected = {
        name: {r: n for r, n in entry["defects"].items() if r in ("R01", "R05", "R06", "R07") and n}
        for name, entry in manifest["files"].items()
    }
    assert {k: v for k, v in expected.items() if v} == found
    loaded = dict(query(warehouse, "select source_file, rows_read from raw.landing_files"))
    assert loaded == {name: entry["rows"] for name, entry in manifest["files"].items()}


def test_demo_warehouse_holds_no_id_number_and_no_name(demo_warehouse):
    landing, _, warehouse = demo_warehouse
    names: set[str] = set()
    ids: set[str] = set()
    for path in sorted((landing / "registry").iterdir()):
        registry = read_extract(path, "registry")
        names |= set(registry.get_column("name").drop_nulls().str.strip_chars())
        ids |= set(registry.select(identity.normalise_id(pl.col("id_no"))).to_series().drop_nulls())
    for path in sorted((landing / "subsidy").iterdir())[:3]:
        names |= set(read_extract(path, "subsidy").get_column("name").drop_nulls().str.strip_chars())
    assert len(names) > 1000

    columns = query(warehouse, "select table_schema, table_name, column_name from information_schema.columns "
                               "where data_type = 'VARCHAR'")
    assert len(columns) > 40
    con = duckdb.connect(str(work_db(warehouse)), read_only=True)
    try:
        for schema, table, column in columns:
            ident = f'"{schema}"."{table}"."{column}"'
            if column in ("person_key", "cert_key", "content_hash") or (table, column) == ("warehouse_meta", "value"):
                # hex digests may hold long digit runs by chance: they must be digests, nothing else
                condition = f"not regexp_full_match({ident}, '[0-9a-f]{{64}}')"
            elif column == "employer_uscc":
                # an all-digit credit code looks like an ID: it must not be anyone's ID
                codes = {v for (v,) in con.execute(f"select distinct {ident} from \"{schema}\".\"{table}\"").fetchall()}
                assert not codes & ids, "a credit code column holds an ID number"
                continue
            else:
                condition = f"regexp_matches({ident}, '{ID_PATTERN}')"
            with_id = con.execute(f"select count(*) from \"{schema}\".\"{table}\" where {condition}").fetchall()[0][0]
            assert with_id == 0, f"{table}.{column} holds ID-like numbers"
            values = {v for (v,) in con.execute(f"select distinct {ident} from \"{schema}\".\"{table}\"").fetchall()}
            assert not values & names, f"{table}.{column} holds names"
            if column == "reason":  # quoted values inside reasons
                quoted = {q for v in values if v for q in re.findall(r"「([^」]*)」", v)}
                assert not quoted & names, "a reason quotes a name"
    finally:
        con.close()
    assert CONTRACT["registry"].column("name").kind == "personal"
