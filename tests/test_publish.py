"""Publishing (pipelines/publish.py) when the new file is built ahead, while the quality suites
run: the file built ahead is the one swapped in; one built from a working warehouse that has
changed since is not, nor one whose build was discarded (a suite blocked); a run of the suites
alone builds nothing."""

from __future__ import annotations

import hashlib
import shutil

import dagster as dg
import duckdb
import pytest

from pipelines import publish as publishing
from pipelines.ingest.load import work_db
from pipelines.publish import discard_building, publish, published_path, start_building

MARTS = ("indicator_values", "dq_findings", "fct_indicator_persons")


@pytest.fixture
def warehouse(demo_warehouse, tmp_path):
    """A copy of the demo's warehouse: its working and published databases and its key."""
    copy = tmp_path / "warehouse"
    copy.mkdir()
    for name in ("work.duckdb", "analytics.duckdb", "pseudonym.key"):
        shutil.copy2(demo_warehouse / name, copy / name)
    return copy


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(database, table: str) -> list[tuple]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(f"select * from marts.{table} order by all").fetchall()
    finally:
        con.close()


def published_version(warehouse) -> str:
    con = duckdb.connect(str(published_path(warehouse)), read_only=True)
    try:
        return con.execute("select distinct version from marts.publish_version").fetchall()[0][0]
    finally:
        con.close()


def leftovers(warehouse) -> list[str]:
    return sorted(p.name for p in warehouse.iterdir() if p.name.startswith("analytics.duckdb."))


def wait_for_the_build(warehouse) -> None:
    publishing._builds_ahead[warehouse.resolve()].thread.join()


def test_the_file_built_ahead_is_the_one_published(warehouse):
    version = start_building(work_db(warehouse), warehouse)
    published = publish(work_db(warehouse), warehouse)
    assert published.version == version == published_version(warehouse)
    for table in MARTS:
        assert rows(published.path, table) == rows(work_db(warehouse), table), table
    assert leftovers(warehouse) == []


def test_a_file_built_before_the_working_warehouse_changed_is_not_published(warehouse):
    version = start_building(work_db(warehouse), warehouse)
    wait_for_the_build(warehouse)  # it has copied the marts as they were
    con = duckdb.connect(str(work_db(warehouse)))
    try:
        con.execute("delete from marts.indicator_values where indicator_code = 'I01'")
    finally:
        con.close()
    published = publish(work_db(warehouse), warehouse)
    assert published.version != version
    assert rows(published.path, "indicator_values") == rows(work_db(warehouse), "indicator_values")
    assert not [row for row in rows(published.path, "indicator_values") if row[0] == "I01"]
    assert leftovers(warehouse) == []


def test_a_discarded_build_leaves_the_published_file_and_nothing_else(warehouse):
    before = sha256(published_path(warehouse))
    start_building(work_db(warehouse), warehouse)
    discard_building(warehouse)  # at once: the copy is interrupted
    assert leftovers(warehouse) == []
    start_building(work_db(warehouse), warehouse)
    wait_for_the_build(warehouse)
    discard_building(warehouse)  # after the whole file was built
    assert leftovers(warehouse) == []
    assert sha256(published_path(warehouse)) == before
    published = publish(work_db(warehouse), warehouse)  # builds its own
    assert published_version(warehouse) == published.version
    assert leftovers(warehouse) == []


def test_a_run_of_the_suites_alone_builds_no_published_file(demo, warehouse, dagster_home):
    from pipelines.quality.checks import quality_asset
    from pipelines.resources import WarehouseResource

    before = sha256(published_path(warehouse))
    with dg.DagsterInstance.get() as instance:
        result = dg.materialize([quality_asset()], instance=instance, resources={
            "warehouse": WarehouseResource(landing_dir=str(demo[0]), warehouse_dir=str(warehouse))})
    assert result.success
    assert publishing._builds_ahead == {}
    assert leftovers(warehouse) == []
    assert sha256(published_path(warehouse)) == before


def test_the_refresh_job_publishes_the_file_built_while_the_suites_ran(demo, warehouse, dagster_home):
    from pipelines.definitions import publish_asset
    from pipelines.quality.checks import quality_asset
    from pipelines.resources import WarehouseResource

    with dg.DagsterInstance.get() as instance:
        result = dg.materialize([quality_asset(), publish_asset()], instance=instance, resources={
            "warehouse": WarehouseResource(landing_dir=str(demo[0]), warehouse_dir=str(warehouse))})
        assert result.success
        said = [entry.user_message for entry in instance.all_logs(result.run_id)
                if entry.step_key == "quality__data_docs" and "while the suites run" in entry.user_message]
    [published] = result.asset_materializations_for_node("published__analytics")
    version = published.metadata["version"].value
    assert said == [f"building analytics.duckdb version {version} while the suites run"]
    assert published.metadata["copy_seconds"].value > 0  # the harness compares it with DuckDB's own copy
    assert published_version(warehouse) == version
    assert leftovers(warehouse) == []
