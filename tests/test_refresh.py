"""`dpf refresh` end to end: the demo publishes every indicator row; blocking problems
leave the published database byte for byte as it was and say why in the exit status."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.dbt_manifest import MANIFEST
from pipelines.generate.run import generate
from pipelines.refresh import EXIT_BLOCKED_CHECK, EXIT_BLOCKED_FILE, EXIT_BUSY, WarehouseLock, refresh, summary_text

TOWNS = 12
OUTPUT_COLUMNS = ["indicator_code", "period", "area_level", "area_name", "numerator", "denominator",
                  "value", "reported_value", "target", "meets_target"]
RATIO = ["I04", "I05", "I06", "I07", "I08", "I09", "I10", "I11", "I12", "I14"]


def read(database: Path, query: str) -> pl.DataFrame:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.sql(query).pl()
    finally:
        con.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- the demo

def test_demo_publishes_every_indicator_area_and_period(demo_warehouse):
    values = read(demo_warehouse / "analytics.duckdb", "select * from marts.indicator_values")
    assert values.columns == OUTPUT_COLUMNS
    years = [str(y) for y in range(2021, 2026)]
    months = [f"{y}-{m:02d}" for y in range(2021, 2026) for m in range(1, 13)]
    for code in [f"I{i:02d}" for i in range(1, 15)]:
        rows = values.filter(pl.col("indicator_code") == code)
        periods = years + (months if code in ("I04", "I05", "I06") else [])
        assert sorted(set(rows["period"])) == sorted(periods), code
        assert rows.height == len(periods) * (TOWNS + 1), code
        assert rows.filter(pl.col("area_level") == "district")["area_name"].unique().to_list() == ["奉化区"]


def test_demo_official_values_are_percentages_and_a_hand_tally_exceeds_100(demo_warehouse):
    values = read(demo_warehouse / "analytics.duckdb", "select * from marts.indicator_values")
    ratios = values.filter(pl.col("indicator_code").is_in(RATIO) & pl.col("value").is_not_null())
    assert ratios["value"].min() >= 0 and ratios["value"].max() <= 100
    assert (ratios["numerator"] <= ratios["denominator"]).all()
    above = values.filter(pl.col("reported_value") > 100, pl.col("indicator_code") != "I13")
    # the generator's A01 case: 松岙镇's ledger pays part of 莼湖镇's recipients in 2023
    assert above.filter((pl.col("indicator_code") == "I05") & (pl.col("area_name") == "松岙镇")
                        & (pl.col("period") == "2023")).height == 1


def test_published_database_holds_the_marts_only_and_names_its_version(demo_warehouse):
    database = demo_warehouse / "analytics.duckdb"
    tables = read(database, "select schema_name, table_name from duckdb_tables()")
    assert set(tables["schema_name"]) == {"marts"}
    assert {"indicator_values", "dim_indicator", "dim_area", "publish_version"} <= set(tables["table_name"])
    version = read(database, "select table_name, row_count from marts.publish_version")
    for table, rows in version.iter_rows():
        assert read(database, f"select count(*) n from marts.{table}")["n"][0] == rows, table
    # no ID number in any text column of the published database (keys are 64 hex characters,
    # inside which a run of digits is no ID: hence the word boundaries)
    for schema, table in tables.iter_rows():
        text = read(database, f"select * from {schema}.{table}").select(pl.col(pl.String))
        for column in text.columns:
            values = text[column].drop_nulls()
            assert not values.str.contains(r"\b(\d{15}|\d{17}[\dXx])\b").any(), f"{table}.{column}"


def test_the_refresh_runs_the_data_tests_and_leaves_the_tests_of_the_sql_to_the_suite(demo_warehouse):
    """dbt's data tests run on every refresh; unit tests and the data tests tagged sql_shape
    (grains that follow from the SQL) run in tests/dbt only."""
    target = demo_warehouse / "dbt"
    ran = {r["unique_id"] for r in json.loads((target / "run_results.json").read_text())["results"]}
    nodes = json.loads(MANIFEST.read_text())["nodes"]  # the prepared one: the build writes none
    sql_shape = {node for node, props in nodes.items() if "sql_shape" in props.get("tags", [])}
    # the three monthly views' grains and I04's row checks, int_subsidy_payments,
    # int_indicator_persons, and the monthly counts against the views
    assert len(sql_shape) == 7
    data_tests = {node for node, props in nodes.items() if props["resource_type"] == "test"}
    assert len(data_tests - sql_shape) >= 50 and ran >= data_tests - sql_shape
    assert any(node.startswith("test.dpf_indicators.indicator_rows_well_formed_int_indicator__i06") for node in ran)
    assert not ran & sql_shape
    assert not any(node.startswith("unit_test.") for node in ran)


def test_the_refresh_caps_dbts_memory_and_the_environment_can_change_it(demo_warehouse, monkeypatch):
    """dbt's DuckDB gets a memory limit (6 GiB, or 80% of a smaller machine's RAM) unless
    DPF_DUCKDB_MEMORY_LIMIT sets one: DuckDB's own default took 17.9 GB at province scale."""
    from pipelines.dbt_command import dbt_memory_limit

    passed = json.loads((demo_warehouse / "dbt" / "run_results.json").read_text())["args"]["vars"]
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    default = f"{min(6 * 2**30, int(ram * 0.8)) // 2**20}MiB"
    assert passed["memory_limit"] == (os.environ.get("DPF_DUCKDB_MEMORY_LIMIT") or default)
    monkeypatch.setenv("DPF_DUCKDB_MEMORY_LIMIT", "3GB")
    assert dbt_memory_limit() == "3GB"


def test_dbt_s_own_log_keeps_each_node_s_result_not_each_statement(demo_warehouse):
    """<warehouse>/dbt/dbt.log at info level: a START and a result line per node, no line
    per SQL statement (the debug level's; benchmarks/RESULTS.md)."""
    log = (demo_warehouse / "dbt" / "dbt.log").read_text(encoding="utf-8")
    assert re.search(r"\d+ of \d+ OK created sql table model intermediate\.int_persons ", log)
    assert re.search(r"\d+ of \d+ PASS column_rules_stg_raw__registry_rows ", log)
    assert "SQL status" not in log and "[debug]" not in log


def test_dbt_s_duckdb_runs_under_the_memory_limit_it_is_given(tmp_path):
    """The profile hands memory_limit to DuckDB when dbt-duckdb opens the database
    (`config_options`, once, not a SET per cursor): DuckDB itself reports it."""
    script = f"""
import json
from dbt.cli.main import dbtRunner
from pipelines.config import DBT_PROJECT_DIR
from pipelines.dbt_manifest import prepared_manifest_object
arguments = ["show", "--inline", "select current_setting('memory_limit') as m",
             "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
             "--vars", json.dumps({{"work_db": {str(tmp_path / 'work.duckdb')!r}, "memory_limit": "1GiB"}}),
             "--target-path", {str(tmp_path / 'target')!r}, "--log-path", {str(tmp_path)!r}, "--quiet"]
result = dbtRunner(manifest=prepared_manifest_object()).invoke(arguments)
print("memory_limit:", result.result.results[0].agate_table.rows[0][0])
"""
    shown = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True,
                           timeout=300)
    assert "memory_limit: 1.0 GiB" in shown.stdout, shown.stdout[-2000:] + shown.stderr[-2000:]


def test_summary_lists_the_latest_year_of_each_indicator(demo_refresh_outcome):
    assert demo_refresh_outcome.status == 0
    assert [row["indicator_code"] for row in demo_refresh_outcome.summary] == [f"I{i:02d}" for i in range(1, 15)]
    assert {row["period"] for row in demo_refresh_outcome.summary} == {"2025"}


def test_the_outcome_says_how_long_the_published_file_took_to_copy(demo_refresh_outcome):
    """For the benchmark harness: the copy runs during the quality step, not in the publish step."""
    assert 0 < demo_refresh_outcome.publish_copy_seconds < demo_refresh_outcome.stage_seconds["quality__data_docs"] + \
        demo_refresh_outcome.stage_seconds["published__analytics"]


# ---------------------------------------------------------------- blocking and repeating

@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A small district refreshed once: (landing, warehouse)."""
    root = tmp_path_factory.mktemp("small")
    landing, warehouse = root / "landing", root / "warehouse"
    generate(landing, holders=400, seed=11)
    outcome = refresh(landing, warehouse, log=lambda _: None)
    assert outcome.status == 0, outcome.message
    return landing, warehouse


def test_a_second_refresh_of_the_same_files_changes_nothing(small):
    landing, warehouse = small
    before = read(warehouse / "analytics.duckdb", "select * from marts.indicator_values order by all")
    assert refresh(landing, warehouse, log=lambda _: None).status == 0
    after = read(warehouse / "analytics.duckdb", "select * from marts.indicator_values order by all")
    assert before.equals(after)


def test_a_bad_file_stops_the_refresh_and_leaves_the_published_database(small, tmp_path):
    landing, warehouse = small
    published = sha256(warehouse / "analytics.duckdb")
    bad = landing / "subsidy" / "subsidy_2025.csv"  # F02: no month in the name
    bad.write_text("身份证号,姓名,补贴类型,发放年月,金额,发放镇街\n", encoding="utf-8")
    try:
        outcome = refresh(landing, warehouse, log=lambda _: None)
    finally:
        bad.unlink()
    assert outcome.status == EXIT_BLOCKED_FILE
    assert "subsidy_2025.csv" in outcome.message and "F02" in outcome.message
    assert sha256(warehouse / "analytics.duckdb") == published


def test_a_failing_dbt_test_blocks_publishing(small):
    landing, warehouse = small
    published = sha256(warehouse / "analytics.duckdb")
    con = duckdb.connect(str(warehouse / "work.duckdb"))
    try:  # a category no contract allows, slipped past ingestion: the column rules must fail
        con.execute("update raw.registry_rows set category = '未知' where source_row = 2")
    finally:
        con.close()
    try:
        outcome = refresh(landing, warehouse, log=lambda _: None)
        assert outcome.status == EXIT_BLOCKED_CHECK, outcome.message
        assert "dbt_models" in outcome.message
        assert "column_rules_stg_raw__registry_rows" in outcome.message and "Got 1 result" in outcome.message
        # which column and rule, read from the test's own query
        assert "column_rules_stg_raw__registry_rows: category accepted_values: 1 行 rows" in outcome.message
        assert sha256(warehouse / "analytics.duckdb") == published
    finally:
        con = duckdb.connect(str(warehouse / "work.duckdb"))
        try:
            con.execute("delete from raw.landing_files where source = 'registry'")  # reload on the next run
        finally:
            con.close()
    assert refresh(landing, warehouse, log=lambda _: None).status == 0


def test_a_refresh_waits_for_no_one_and_says_the_warehouse_is_busy(small):
    landing, warehouse = small
    with WarehouseLock(warehouse):
        outcome = refresh(landing, warehouse, log=lambda _: None)
    assert outcome.status == EXIT_BUSY and "Another refresh" in outcome.message


def test_the_summary_shows_a_rate_below_its_target_below_it():
    rows = [{"indicator_code": "I09", "name": "义务教育入学率", "unit": "%", "period": "2025",
             "value": 420 / 433 * 100, "target": 97.0, "meets_target": False},
            {"indicator_code": "I02", "name": "新增就业", "unit": "人", "period": "2025",
             "value": 116.0, "target": 120.0, "meets_target": False}]
    lines = summary_text(rows).splitlines()
    assert re.search(r"^I09\s+2025\s+96\.998\s+97\.0\s+未达标", lines[1])
    assert re.search(r"^I02\s+2025\s+116\s+120\s+未达标", lines[2])


def test_the_command_line_prints_the_summary_and_the_database(small):
    landing, warehouse = small
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "refresh", "--landing", str(landing),
                           "--warehouse", str(warehouse)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^I05\s+2025", done.stdout, re.M) and str(warehouse / "analytics.duckdb") in done.stdout
    assert "PASS" not in done.stdout  # dbt's own log goes to <warehouse>/logs, not the console
