"""The Dagster definitions: load without work or environment, and materialise the
ingestion assets for real (dagster.materialize, DuckDB file in tmp_path)."""

import csv
import json
import subprocess
import sys

import dagster as dg
import duckdb
import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.ingest.assets import ingest_assets, raw_key
from pipelines.ingest.load import work_db
from pipelines.resources import WarehouseResource

SUBSIDY_HEADER = ["身份证号", "姓名", "补贴类型", "发放年月", "金额", "发放镇街"]
ID = "11010519491231002X"


pytestmark = pytest.mark.usefixtures("dagster_home")  # tests/conftest.py


def write_subsidy(landing, name: str, rows: list[list[str]]):
    folder = landing / "subsidy"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([SUBSIDY_HEADER, *rows])
    return folder / name


def test_definitions_import_without_environment_or_work(tmp_path):
    code = (
        "import os; before = dict(os.environ)\n"
        "from pipelines.definitions import defs\n"
        "keys = {'/'.join(k.path) for k in defs.resolve_all_asset_keys()}\n"
        # one connected picture: landing files -> raw -> dbt -> quality -> published
        "assert {'raw/registry_rows', 'raw/subsidy_rows', 'raw/employment_rows', 'raw/survey_rows',"
        " 'raw/quarantine_rows', 'raw/landing_files', 'marts/indicator_values', 'marts/dq_findings',"
        " 'quality/data_docs', 'published/analytics', 'published/dashboard'} <= keys, keys\n"
        "import dagster as dg\n"
        "node = defs.resolve_asset_graph().get(dg.AssetKey(['staging', 'stg_raw__registry_rows']))\n"
        "assert dg.AssetKey(['raw', 'registry_rows']) in node.parent_keys\n"
        "assert defs.resolve_job_def('refresh') and defs.resolve_schedule_def('monthly_refresh')"
        " and defs.resolve_sensor_def('landing_sensor')\n"
        "assert dict(os.environ) == before\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DAGSTER_DISABLE_TELEMETRY": "1"}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert not list(tmp_path.glob("*.duckdb"))
    assert "pipelines.definitions" in (PROJECT_ROOT / "workspace.yaml").read_text(encoding="utf-8")


def test_materialize_loads_the_raw_tables(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    write_subsidy(landing, "subsidy_202201.csv", [
        [ID, "张三", "困难残疾人生活补贴", "202201", "500", "锦屏街道"],
        ["123", "李四", "困难残疾人生活补贴", "202201", "500", "锦屏街道"],
    ])
    resource = WarehouseResource(landing_dir=str(landing), warehouse_dir=str(warehouse))
    result = dg.materialize([ingest_assets()], resources={"warehouse": resource})
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert raw_key("subsidy_rows") in materialized and raw_key("landing_files") in materialized
    subsidy = next(e for e in result.get_asset_materialization_events() if e.asset_key == raw_key("subsidy_rows"))
    assert subsidy.materialization.metadata["rows_loaded"].value == 1
    assert subsidy.materialization.metadata["rows_quarantined"].value == 1

    con = duckdb.connect(str(work_db(warehouse)), read_only=True)
    try:
        assert con.execute("select count(*) from raw.subsidy_rows").fetchall() == [(1,)]
        assert con.execute("select rule_id from raw.quarantine_rows").fetchall() == [("R01",)]
    finally:
        con.close()


def test_a_blocked_refresh_fails_the_run_and_writes_nothing(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    write_subsidy(landing, "subsidy_2022.csv", [[ID, "张三", "困难残疾人生活补贴", "202201", "500", "锦屏街道"]])
    resource = WarehouseResource(landing_dir=str(landing), warehouse_dir=str(warehouse))
    result = dg.materialize([ingest_assets()], resources={"warehouse": resource}, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "subsidy_2022.csv" in str(failure.event_specific_data.error)
    assert not work_db(warehouse).exists()


def test_the_ingestion_step_starts_the_dbt_worker(tmp_path):
    """The ingestion step starts the dbt worker process, which imports dbt and reads the
    prepared manifest while the files are read, then waits for its build. A fresh
    interpreter: the worker is this process's own."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    write_subsidy(landing, "subsidy_202201.csv", [[ID, "张三", "困难残疾人生活补贴", "202201", "500", "锦屏街道"]])
    code = (
        "import sys, dagster as dg\n"
        "from pipelines import dbt_worker\n"
        "from pipelines.ingest.assets import ingest_assets\n"
        "from pipelines.resources import WarehouseResource\n"
        "resource = WarehouseResource(landing_dir=sys.argv[1], warehouse_dir=sys.argv[2])\n"
        "assert dbt_worker._ready is None\n"
        "assert dg.materialize([ingest_assets()], resources={'warehouse': resource}).success\n"
        "assert dbt_worker._ready is not None and dbt_worker._ready.process.poll() is None, 'no dbt worker'\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(landing), str(warehouse)], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


GRAPH_OF_DBT_MODELS = """
import json, sys
{setup}
def graph(assets):
    specs = {{spec.key.to_user_string(): [sorted(dep.asset_key.to_user_string() for dep in spec.deps),
              spec.group_name, spec.description, sorted(spec.metadata), spec.tags, sorted(spec.kinds)]
              for spec in assets.specs}}
    checks = sorted([check.asset_key.to_user_string(), check.name, check.blocking, check.description]
                    for check in assets.check_specs)
    return {{"specs": specs, "checks": checks,
             "dbt_imported": sorted({{name.split(".")[0] for name in sys.modules}} & {{"dbt", "dbt_common"}})}}
print(json.dumps(graph(assets)))
"""

WITHOUT_DBT_CORE = """
from pipelines.dbt import dbt_models
assets = dbt_models()
"""

# pipelines.dbt in a process that imported dbt-core before it (a test session, say):
# dagster-dbt then has dbt-core and selects from the manifest that dbt_models() filtered.
AFTER_DBT_CORE = """
import dbt.version
from pipelines.dbt import dbt_models
import dagster_dbt.compat
assert dagster_dbt.compat.DBT_PYTHON_VERSION is not None
assets = dbt_models()
"""

# What dbt_models() was before this process stopped importing dbt-core: dagster-dbt with
# dbt-core, the prepared manifest as it is, and the selection made by dbt's own engine.
WITH_DBT_CORE = """
import dbt.version
import dagster_dbt.compat
assert dagster_dbt.compat.DBT_PYTHON_VERSION is not None
from dagster_dbt import DagsterDbtTranslatorSettings, dbt_assets
from pipelines.dbt import Translator
from pipelines.dbt_command import SQL_SHAPE_TESTS
from pipelines.dbt_manifest import prepare_manifest
@dbt_assets(manifest=prepare_manifest(), name="dbt_models", exclude=SQL_SHAPE_TESTS,
            dagster_dbt_translator=Translator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)))
def assets(context): ...
"""


def test_the_dbt_assets_are_those_dbt_core_selects_without_importing_it():
    """This process builds the dbt assets without importing dbt-core (pipelines/dbt.py):
    the same assets, dependencies and checks as dagster-dbt builds with dbt-core selecting
    the nodes (the sql_shape tests left out), and no dbt module loaded; the same again when
    dbt-core was imported before pipelines.dbt."""
    graphs = []
    for setup in (WITHOUT_DBT_CORE, WITH_DBT_CORE, AFTER_DBT_CORE):
        result = subprocess.run([sys.executable, "-c", GRAPH_OF_DBT_MODELS.format(setup=setup)], cwd=PROJECT_ROOT,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        graphs.append(json.loads(result.stdout.splitlines()[-1]))
    without, with_dbt_core, after_dbt_core = graphs
    assert without["dbt_imported"] == [] and with_dbt_core["dbt_imported"] == ["dbt", "dbt_common"]
    assert without["specs"] == with_dbt_core["specs"] == after_dbt_core["specs"]
    assert without["checks"] == with_dbt_core["checks"] == after_dbt_core["checks"]
    assert len(without["checks"]) > 50
    manifest = json.loads((PROJECT_ROOT / "dbt_project" / "target" / "manifest.json").read_text(encoding="utf-8"))
    sql_shape = {node["name"] for node in manifest["nodes"].values()
                 if "sql_shape" in node.get("tags", []) and node.get("attached_node")}
    assert len(sql_shape) >= 6 and not sql_shape & {check[1] for check in without["checks"]}
