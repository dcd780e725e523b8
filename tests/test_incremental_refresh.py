"""An incremental refresh computes again only the ledger months and survey years whose files
changed (dbt_project/macros/landing_increments.sql), and publishes what a full refresh of the
same landing folder publishes.

A small district is refreshed without its newest ledger month and survey year; then they
arrive with a re-delivered older month (another month's content under its name), and the
same warehouse is refreshed again. A second warehouse, given the first one's pseudonym key,
is refreshed once from the final folder. Tables are compared as multisets (EXCEPT ALL both
ways); the working warehouse's tables by person_key, since each warehouse numbers its
persons in the order it first read them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.generate.run import generate
from pipelines.ingest import keys
from pipelines.refresh import refresh

MARTS = ["indicator_values", "dq_findings", "dq_summary", "dq_reconciliation", "fct_indicator_persons"]
INCREMENTS = {  # model -> the landing periods the second refresh computes again
    "int_subsidy_payments": "202103, 202512",
    "int_dq__x03": "202103, 202512",
    "int_dq__x04": "202103, 202512",
    "int_dq__x10": "202103, 202512",
    "int_survey_first_rows": "2025",
}


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental")
    landing, held_back = root / "landing", root / "held_back"
    generate(landing, holders=400, seed=11)
    held_back.mkdir()
    newest = [landing / "subsidy" / "subsidy_202512.csv", landing / "survey" / "survey_2025.csv"]
    for path in newest:
        shutil.move(path, held_back / path.name)
    incremental, full = root / "incremental", root / "full"
    first = refresh(landing, incremental, log=lambda _: None)
    assert first.status == 0, first.message
    shutil.move(held_back / "subsidy_202512.csv", landing / "subsidy")
    shutil.move(held_back / "survey_2025.csv", landing / "survey")
    shutil.copy(landing / "subsidy" / "subsidy_202104.csv", landing / "subsidy" / "subsidy_202103.csv")
    second = refresh(landing, incremental, log=lambda _: None)
    assert second.status == 0, second.message
    keys.key_file(full).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(keys.key_file(incremental), keys.key_file(full))
    once = refresh(landing, full, log=lambda _: None)
    assert once.status == 0, once.message
    return incremental, full


def computed(warehouse: Path) -> dict[str, str]:
    """model -> what the last refresh's dbt log says it computed."""
    said = {}
    for line in (warehouse / "dbt" / "dbt.log").read_text(encoding="utf-8").splitlines():
        for model in INCREMENTS:
            if f"]: {model}: " in line:
                said[model] = line.split(f"]: {model}: ", 1)[1]
    return said


def test_the_second_refresh_computed_only_the_new_and_changed_periods(warehouses):
    incremental, full = warehouses
    assert computed(incremental) == {model: f"landing periods computed again: {periods}"
                                     for model, periods in INCREMENTS.items()}
    assert computed(full) == {model: "every landing period computed" for model in INCREMENTS}


@pytest.mark.parametrize("table", MARTS)
def test_it_publishes_what_a_full_refresh_publishes(warehouses, table):
    incremental, full = warehouses
    with duckdb.connect() as con:
        con.execute(f"attach '{incremental / 'analytics.duckdb'}' as a (read_only)")
        con.execute(f"attach '{full / 'analytics.duckdb'}' as b (read_only)")
        assert_same_rows(con, f"select * from a.marts.{table}", f"select * from b.marts.{table}")


@pytest.mark.parametrize("model", sorted(INCREMENTS))
def test_its_incremental_tables_hold_what_a_full_build_computes(warehouses, model):
    incremental, full = warehouses
    with duckdb.connect() as con:
        con.execute(f"attach '{incremental / 'work.duckdb'}' as a (read_only)")
        con.execute(f"attach '{full / 'work.duckdb'}' as b (read_only)")

        def by_person_key(db: str) -> str:
            return (f"select t.* exclude (person_id), k.person_key from {db}.intermediate.{model} as t "
                    f"left join {db}.raw.person_keys as k using (person_id)")

        assert_same_rows(con, by_person_key("a"), by_person_key("b"))


def assert_same_rows(con: duckdb.DuckDBPyConnection, a: str, b: str) -> None:
    count = con.execute(f"select count(*) from ({a})").fetchall()[0][0]
    assert count > 0 and count == con.execute(f"select count(*) from ({b})").fetchall()[0][0]
    for one, other in ((a, b), (b, a)):
        extra = con.execute(f"select * from ({one}) except all select * from ({other}) limit 5").fetchall()
        assert extra == [], extra
