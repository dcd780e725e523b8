"""Hostile and broken extracts through the whole `dpf check` / `dpf refresh` path.

Every case is a landing folder holding the small generated district (district.py) plus the
hostile content, and the contract's treatment (extracts.md, quality.md) is asserted on the
real commands:
- quarantine-level content (formula text in name and town fields, an XLSX ledger whose ID
  cells are numbers) is part of the shared district: its refresh publishes, the rows are
  quarantined with their rule, and the formula text reaches no dashboard file;
- block-level files (corpus/<case>/, plus a 100 MB single line, links and a FIFO made at
  test time) each stop `dpf refresh` with status 3 and a message naming the file, its rule
  and its problem, with every published file byte for byte as before (sha256); `dpf check`
  names them all, and neither command prints a stack trace.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines import identity
from pipelines.cli import main as dpf
from pipelines.ingest import keys
from pipelines.refresh import EXIT_BLOCKED_FILE, refresh
from tests.hostile.district import (
    CORPUS,
    FORMULAS,
    copy_landing,
    published_state,
    small_district,
    traces,
)

SINGLE_LINE_BYTES = 100 * 1024 * 1024


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    district = small_district(tmp_path_factory)
    assert district.returncode == 0, district.console
    return district


# ---------------------------------------------------------------- quarantine level

def published(district, query: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(district.warehouse / "analytics.duckdb"), read_only=True)
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


def test_the_refresh_with_quarantine_level_content_publishes_without_a_stack_trace(district):
    assert district.returncode == 0
    assert traces(district.console) == []
    assert re.search(r"^I05\s+2025", district.console, re.M)  # the summary table


@pytest.mark.parametrize(("source_file", "column"), [
    ("registry/registry_202512.csv", "所属镇街"),
    ("registry/registry_202512.csv", "所属村社"),
    ("subsidy/subsidy_202512.csv", "发放镇街"),
    ("survey/survey_2025.csv", "所属镇街"),
])
def test_formula_text_in_a_town_field_quarantines_the_row_with_r06(district, source_file, column):
    for formula in FORMULAS:
        found = published(district, "select rule_id, severity from marts.dq_findings "
                                    "where strpos(detail, ?) > 0 and strpos(detail, ?) > 0",
                          [f"{source_file} 第", f"{column}「{formula}」"])
        assert found == [("R06", "quarantine")], (source_file, column, formula)


def test_rows_with_formula_text_as_name_load_and_the_name_does_not(district):
    # those rows are otherwise valid: their persons are in the raw layer, by key; no raw
    # table has a name column (names never pass the door, load.py)
    corpus = pl.read_csv(CORPUS / "formulas" / "registry" / "registry_202512.csv", infer_schema=False)
    ids = corpus.filter(pl.col("姓名").is_in(FORMULAS)).get_column("身份证号")
    secret = keys.resolve_secret(district.warehouse, None, has_data=True)
    expected = set(identity.keyed_hash(secret, ids).to_list())
    con = duckdb.connect(str(district.warehouse / "work.duckdb"), read_only=True)
    try:
        loaded = {k for (k,) in con.execute(
            "select keys.person_key from raw.registry_rows as rows inner join raw.person_keys as keys "
            "on keys.person_id = rows.person_id where rows.source_file = 'registry/registry_202512.csv'").fetchall()}
        columns = {r[0] for r in con.execute("select column_name from information_schema.columns "
                                             "where table_schema = 'raw'").fetchall()}
    finally:
        con.close()
    assert len(expected) == len(FORMULAS) and expected <= loaded
    assert "name" not in columns


def test_an_xlsx_ledger_with_numeric_id_cells_quarantines_those_rows_with_r01(district):
    # corpus/numeric_id: 4 eighteen-digit IDs and one 15-digit legacy ID as number cells,
    # 2 IDs as text cells
    assert published(district, "select rule_id, count(*) from marts.dq_findings "
                               "where strpos(detail, 'subsidy/subsidy_202101.xlsx') > 0 group by 1") == [("R01", 5)]
    con = duckdb.connect(str(district.warehouse / "work.duckdb"), read_only=True)
    try:
        loaded = con.execute("select count(*) from raw.subsidy_rows where pay_month = '202101'").fetchall()
    finally:
        con.close()
    assert loaded == [(2,)]


def dashboard_files(warehouse: Path) -> list[Path]:
    files = sorted(p for p in (warehouse / "dashboard").rglob("*") if p.is_file())
    assert len(files) > 15
    return files


def test_formula_text_reaches_no_dashboard_file(district):
    forms = {f for formula in FORMULAS for f in (formula, html.escape(formula), html.escape(formula, quote=False))}
    for path in dashboard_files(district.warehouse):
        text = path.read_text(encoding="utf-8")
        assert not [f for f in forms if f in text], path.name


def test_no_published_text_value_starts_like_a_spreadsheet_formula(district):
    # OWASP CSV injection: a cell starting with = + - @ tab or CR is run by a spreadsheet.
    # The dashboard has no CSV export; the published database is what analysts export.
    columns = published(district, "select table_name, column_name from information_schema.columns "
                                  "where table_schema = 'marts' and data_type = 'VARCHAR'")
    assert len(columns) > 20
    for table, column in columns:
        bad = published(district, f'select distinct "{column}" from marts."{table}" '
                                  f"where regexp_matches(\"{column}\", '^[=+\\-@\\t\\r]')")
        assert bad == [], (table, column, bad[:3])


def test_dpf_check_reports_the_quarantined_rows_by_rule(district, capsys):
    manifest = json.loads((district.landing / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert dpf(["check", "--landing", str(district.landing)]) == 0
    out = capsys.readouterr().out
    added = {("registry/registry_202512.csv", "R06"): 8, ("subsidy/subsidy_202512.csv", "R06"): 4,
             ("survey/survey_2025.csv", "R06"): 4}
    for (source_file, rule), n in added.items():
        generated = manifest[source_file]["defects"].get(rule, 0)
        assert quarantined(out, source_file).get(rule) == generated + n, source_file
    assert quarantined(out, "employment/employment_202506.csv") == {
        r: n for r, n in manifest["employment/employment_202506.csv"]["defects"].items()
        if r in ("R01", "R05", "R06", "R07") and n}  # formula text as employer or course: free text
    assert quarantined(out, "subsidy/subsidy_202101.xlsx") == {"R01": 5}
    assert "subsidy/subsidy_202101.xlsx: 7 rows read;" in out
    assert "0 rejected" in out


def quarantined(out: str, source_file: str) -> dict[str, int]:
    """The quarantine counts `dpf check` prints for one file."""
    line = next(line for line in out.splitlines() if line.startswith(f"{source_file}:"))
    counts = re.search(r"quarantined (.*?); warn", line).group(1)
    return {} if counts == "-" else {rule: int(n.replace(",", "")) for rule, n in
                                     (part.split(" ") for part in counts.split(", "))}


# ---------------------------------------------------------------- block level

@dataclass(frozen=True)
class Case:
    name: str
    relative: str  # the hostile file, as <source>/<name> under the landing folder
    rule: str
    problem: str  # a phrase of the message that says what is wrong


CASES = [
    Case("truncated", "subsidy/subsidy_202601.csv", "F01", "truncated"),
    Case("undecodable", "subsidy/subsidy_202602.csv", "F01", "cannot be decoded"),
    Case("binary", "subsidy/subsidy_202603.csv", "F01", "binary"),
    Case("empty", "subsidy/subsidy_202604.csv", "F01", "is empty"),
    Case("missing_column", "subsidy/subsidy_202605.csv", "F01", "lacks required column(s): 金额"),
    Case("header_only", "survey/survey_2026.csv", "F01", "is empty"),
    Case("duplicate_header", "employment/employment_202606.csv", "F01", "duplicate header(s): 开始日期"),
    Case("dotdot", "subsidy/subsidy_202608..csv", "F02", "does not give a period"),
    # made at test time (add_case)
    Case("single_line_100mb", "subsidy/subsidy_202606.csv", "F01", "no line break"),
    Case("symlink_outside", "subsidy/subsidy_202607.csv", "F01", "outside the landing folder"),
    Case("symlink_loop", "subsidy/subsidy_202609.csv", "F01", "not a regular file"),
    Case("fifo", "subsidy/subsidy_202610.csv", "F01", "not a regular file"),
]


def add_case(case: Case, landing: Path, outside: Path) -> None:
    """Put the hostile file of `case` into `landing` (anything a link points at goes to `outside`)."""
    path = landing / case.relative
    if (CORPUS / case.name).is_dir():
        shutil.copytree(CORPUS / case.name, landing, dirs_exist_ok=True)
    elif case.name == "single_line_100mb":
        # one line, no line break: a contract header, then 100 MB of comma-separated values
        with open(path, "wb") as handle:
            handle.write("身份证号,姓名,补贴类型,发放年月,金额,发放镇街,".encode())
            handle.write(b"330283,x," * (SINGLE_LINE_BYTES // 9))
    elif case.name == "symlink_outside":
        outside.mkdir(exist_ok=True)
        target = shutil.copy(CORPUS / "symlink_target" / path.name, outside / path.name)
        path.symlink_to(target)
    elif case.name == "symlink_loop":
        path.symlink_to(path.name)
    elif case.name == "fifo":
        os.mkfifo(path)
    assert os.path.lexists(path), case


def test_every_case_has_its_corpus_or_is_made_at_test_time():
    made = {"single_line_100mb", "symlink_outside", "symlink_loop", "fifo"}
    corpus = {p.name for p in CORPUS.iterdir() if p.is_dir()} - {"formulas", "numeric_id", "symlink_target"}
    assert {c.name for c in CASES} == corpus | made
    for case in CASES:
        if case.name in corpus:
            assert [str(p.relative_to(CORPUS / case.name)) for p in (CORPUS / case.name).rglob("*") if p.is_file()] \
                == [case.relative]


@pytest.fixture(scope="module")
def before(district):
    return published_state(district.warehouse)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_a_hostile_file_stops_the_refresh_with_status_3_and_changes_nothing(district, before, case, tmp_path):
    landing = copy_landing(district.landing, tmp_path / "landing")
    add_case(case, landing, tmp_path / "outside")
    outcome = refresh(landing, district.warehouse, log=lambda _: None)
    try:
        assert outcome.status == EXIT_BLOCKED_FILE, outcome.message
        path = landing.resolve() / case.relative
        assert f"[{case.rule}] " in outcome.message and str(path) in outcome.message
        problem = next(line for line in outcome.message.splitlines() if str(path) in line)
        assert case.problem in problem, problem
        assert traces(outcome.message) == []
        assert published_state(district.warehouse) == before
    finally:
        (landing / case.relative).unlink(missing_ok=True)  # 100 MB: not left in the temp folder


def test_a_source_folder_linked_to_outside_the_landing_folder_is_not_followed(district, before, tmp_path):
    landing = copy_landing(district.landing, tmp_path / "landing")
    outside = tmp_path / "outside" / "survey"
    shutil.move(landing / "survey", outside)
    (landing / "survey").symlink_to(outside, target_is_directory=True)
    outcome = refresh(landing, district.warehouse, log=lambda _: None)
    assert outcome.status == EXIT_BLOCKED_FILE, outcome.message
    for name in sorted(p.name for p in outside.iterdir()):
        assert f"[F01] 文件 {landing.resolve() / 'survey' / name} 经由链接指向落地目录之外" in outcome.message
    assert published_state(district.warehouse) == before


def all_cases_landing(district, root: Path) -> Path:
    landing = copy_landing(district.landing, root / "landing")
    for case in CASES:
        add_case(case, landing, root / "outside")
    return landing


def run_measured(args: list[str], cwd: Path) -> tuple[int, str, int]:
    """(exit status, stdout + stderr, peak resident memory in KiB) of a child process.

    The peak is the child's own VmHWM, read from /proc while it runs: its rusage would also
    count the pages it shared with this (large, late in a test session) process between fork
    and exec."""
    with open(cwd / "console.txt", "w+", encoding="utf-8") as console:
        process = subprocess.Popen([sys.executable, "-m", "pipelines.cli", *args], cwd=cwd,
                                   stdout=console, stderr=subprocess.STDOUT)
        peak_kib = 0
        while process.poll() is None:
            try:  # before its exec the child is still a copy of this process: not counted
                status = Path(f"/proc/{process.pid}/status").read_text()
                execed = b"pipelines.cli" in Path(f"/proc/{process.pid}/cmdline").read_bytes()
            except OSError:
                break
            found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
            if found and execed:
                peak_kib = max(peak_kib, int(found[1]))
            time.sleep(0.02)
        process.wait()
        console.seek(0)
        return process.returncode, console.read(), peak_kib


def test_dpf_check_names_every_hostile_file_in_bounded_memory_without_a_stack_trace(district, tmp_path):
    landing = all_cases_landing(district, tmp_path)
    status, out, peak_kib = run_measured(["check", "--landing", str(landing)], tmp_path)
    try:
        assert status == 1, out
        assert traces(out) == []
        rejected = [line for line in out.splitlines() if line.startswith("REJECTED")]
        for case in CASES:
            path = landing / case.relative
            line = next((line for line in rejected if line.startswith(f"REJECTED [{case.rule}] {path}:")), None)
            assert line is not None and case.problem in line, (case.name, line)
        assert len(rejected) == len(CASES)
        # the link's target was never read (no rows reported for it), the 100 MB line was refused
        # before parsing: memory stays that of an ordinary check (it was above 20 GB)
        assert not re.search(r"^subsidy/subsidy_202607\.csv: .* rows read", out, re.M)
        assert 0 < peak_kib < 1024 * 1024, f"peak memory {peak_kib // 1024} MiB"
    finally:
        (landing / "subsidy" / "subsidy_202606.csv").unlink()


def test_dpf_refresh_of_all_hostile_files_exits_3_names_them_all_and_prints_no_stack_trace(district, before, tmp_path):
    landing = all_cases_landing(district, tmp_path)
    status, out, _ = run_measured(["refresh", "--landing", str(landing), "--warehouse", str(district.warehouse)],
                                  tmp_path)
    try:
        assert status == EXIT_BLOCKED_FILE, out
        for case in CASES:
            assert f"[{case.rule}] 文件 {landing.resolve() / case.relative}" in out, case.name
        assert published_state(district.warehouse) == before
        assert traces(out) == [], "\n".join(traces(out)[:5])
    finally:
        (landing / "subsidy" / "subsidy_202606.csv").unlink()
