"""The project's `landing_increment` materialization (dbt_project/macros/landing_increments.sql),
run by real dbt on a real DuckDB file, in a small project: a source `raw.ledger` of rows per
landing month, `raw.landing_files` as ingestion writes it, and a model `per_month` that
sums each month's rows. A changed file is a new content hash in raw.landing_files, as after
a re-delivery; `per_month` rows edited by hand show which months a build computed again."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.dbt.mini_project import run_dbt, write_project

MACROS = Path(__file__).resolve().parents[2] / "dbt_project" / "macros"

SOURCES = """version: 2
sources:
  - name: raw
    schema: raw
    tables: [{name: landing_files}, {name: ledger}]
"""

PER_MONTH = """{{ config(materialized='landing_increment', landing_source='ledger', landing_period='month') }}
select month, count(*) as row_count, sum(cast(amount as integer)) as amount
from {{ source('raw', 'ledger') }}
where {{ landing_periods_filter('month') }}
group by month
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "models").mkdir()
    (tmp_path / "macros").mkdir()
    for name in ("materializations.sql", "landing_increments.sql"):
        shutil.copy(MACROS / name, tmp_path / "macros" / name)
    (tmp_path / "models" / "sources.yml").write_text(SOURCES)
    (tmp_path / "models" / "per_month.sql").write_text(PER_MONTH)
    write_project(tmp_path, "increments")
    with connect(tmp_path) as con:
        con.execute("create schema raw;"
                    "create table raw.landing_files (source varchar, source_file varchar, period varchar,"
                    " content_hash varchar);"
                    "create table raw.ledger (month varchar, amount varchar)")
    deliver(tmp_path, "202101", ["1", "2"])
    deliver(tmp_path, "202102", ["10"])
    return tmp_path


def connect(project: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(project / "work.duckdb"))


def deliver(project: Path, month: str, amounts: list[str]) -> None:
    """A ledger file for `month` as ingestion loads it: its rows replace the month's."""
    with connect(project) as con:
        con.execute("delete from raw.ledger where month = ?", [month])
        for amount in amounts:
            con.execute("insert into raw.ledger values (?, ?)", [month, amount])
        con.execute("delete from raw.landing_files where period = ?", [month])
        con.execute("insert into raw.landing_files values ('ledger', ?, ?, ?)",
                    [f"ledger/ledger_{month}.csv", month, f"{month}:{','.join(amounts)}"])


def build(project: Path, *extra: str, fingerprint: str | None = "one") -> subprocess.CompletedProcess:
    variables = [] if fingerprint is None else ["--vars", f"{{project_fingerprint: {fingerprint}}}"]
    return run_dbt(project, ["build", *variables, *extra])


def table(project: Path, name: str = "per_month") -> list[tuple]:
    with connect(project) as con:
        return con.execute(f"select * from main.{name} order by all").fetchall()


def computed(done: subprocess.CompletedProcess) -> str:
    """What dbt's log says the build computed."""
    assert done.returncode == 0, done.stdout[-3000:]
    lines = [line for line in done.stdout.splitlines() if "per_month: " in line and "computed" in line]
    assert len(lines) == 1, done.stdout[-3000:]
    return lines[0].split("per_month: ", 1)[1]


def edit_by_hand(project: Path, month: str) -> None:
    """A row that no build would write: it stays only if its month is not computed again."""
    with connect(project) as con:
        con.execute("update main.per_month set amount = -1 where month = ?", [month])


def test_a_first_build_computes_every_period_and_records_the_files_it_read(project):
    assert computed(build(project)) == "every landing period computed"
    assert table(project) == [("202101", 2, 3), ("202102", 1, 10)]
    assert table(project, "per_month__landing_state") == [
        ("ledger/ledger_202101.csv", "202101", "202101:1,2", "one"),
        ("ledger/ledger_202102.csv", "202102", "202102:10", "one"),
    ]


def test_a_later_build_computes_only_the_periods_whose_files_are_new_or_changed(project):
    build(project)
    edit_by_hand(project, "202101")
    deliver(project, "202102", ["10", "20"])  # re-delivered
    deliver(project, "202103", ["5"])  # new
    assert computed(build(project)) == "landing periods computed again: 202102, 202103"
    assert table(project) == [("202101", 2, -1), ("202102", 2, 30), ("202103", 1, 5)]
    assert [row[1:3] for row in table(project, "per_month__landing_state")] == [
        ("202101", "202101:1,2"), ("202102", "202102:10,20"), ("202103", "202103:5")]
    assert computed(build(project)) == "landing periods computed again: none"
    assert table(project) == [("202101", 2, -1), ("202102", 2, 30), ("202103", 1, 5)]


def test_a_period_whose_new_file_has_no_rows_loses_its_rows(project):
    build(project)
    deliver(project, "202102", [])  # every row quarantined, say
    assert computed(build(project)) == "landing periods computed again: 202102"
    assert table(project) == [("202101", 2, 3)]


def test_a_period_delivered_under_another_file_name_is_computed_again(project):
    build(project)
    with connect(project) as con:  # ledger_202102.xlsx after .csv: ingestion keeps both names
        con.execute("insert into raw.landing_files values ('ledger', 'ledger/ledger_202102.xlsx', '202102', 'x')")
        con.execute("update raw.ledger set amount = '11' where month = '202102'")
    assert computed(build(project)) == "landing periods computed again: 202102"
    assert table(project) == [("202101", 2, 3), ("202102", 1, 11)]


@pytest.mark.parametrize("case", ["another project fingerprint", "no fingerprint", "--full-refresh",
                                  "no state table"])
def test_every_period_is_computed_again_when_the_build_cannot_trust_the_table(project, case):
    build(project)
    edit_by_hand(project, "202101")
    if case == "no state table":
        with connect(project) as con:
            con.execute("drop table main.per_month__landing_state")
    done = {"another project fingerprint": lambda: build(project, fingerprint="two"),
            "no fingerprint": lambda: build(project, fingerprint=None),
            "--full-refresh": lambda: build(project, "--full-refresh"),
            "no state table": lambda: build(project)}[case]()
    assert computed(done) == "every landing period computed"
    assert table(project) == [("202101", 2, 3), ("202102", 1, 10)]


def test_a_build_that_fails_leaves_table_and_state_as_they_were_and_the_next_one_catches_up(project):
    build(project)
    before = table(project), table(project, "per_month__landing_state")
    deliver(project, "202102", ["5", "x"])  # re-delivered with an amount that cannot be cast
    failed = build(project)
    assert failed.returncode != 0 and "Conversion Error" in failed.stdout
    assert "landing periods computed again: 202102" in failed.stdout  # its old rows deleted, then
    assert (table(project), table(project, "per_month__landing_state")) == before
    deliver(project, "202102", ["5", "6"])
    assert computed(build(project)) == "landing periods computed again: 202102"
    assert table(project) == [("202101", 2, 3), ("202102", 2, 11)]


def test_a_model_without_its_landing_source_fails_with_a_message(project):
    (project / "models" / "per_month.sql").write_text(PER_MONTH.replace("landing_source='ledger', ", ""))
    done = build(project)
    assert done.returncode != 0
    assert "model per_month is a landing_increment without 'landing_source'" in done.stdout


def test_a_model_that_does_not_filter_its_input_fails_with_a_message(project):
    build(project)
    (project / "models" / "per_month.sql").write_text(PER_MONTH.replace("{{ landing_periods_filter('month') }}", "true"))
    deliver(project, "202103", ["5"])
    done = build(project, fingerprint="one")  # the same fingerprint: an incremental build
    assert done.returncode != 0
    assert "does not select its input with landing_periods_filter()" in done.stdout
    assert table(project) == [("202101", 2, 3), ("202102", 1, 10)]
