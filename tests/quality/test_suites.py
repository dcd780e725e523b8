"""The GX suites: loading (custom expectation registered, count checked), blocking in the
Dagster job (the published database stays byte for byte as it was; the refresh's exit
status for the failing step is 4), and the offline post-processing of Data Docs."""

from __future__ import annotations

import hashlib
import json
import shutil

import dagster as dg
import duckdb
import pytest

from pipelines.quality.catalogue import suite_specs


def test_every_suite_loads_with_all_its_expectations():
    from pipelines.quality.run import load_suite

    specs = suite_specs()
    assert {s.layer for s in specs} == {"raw", "intermediate", "marts"}
    for spec in specs:
        suite = load_suite(spec)
        assert len(suite.expectations) == spec.expectations > 0
        for expectation in suite.expectations:
            assert expectation.meta["severity"] in ("block", "warn"), spec.name
    rules = {e["meta"].get("rule_id") for s in specs for e in json.loads(s.path.read_text())["expectations"]}
    assert {"R01", "R02", "R03", "R04", "R05", "R06", "R07", "X10", "A01", "A02", "A06"} <= rules
    assert {f"X0{i}" for i in range(1, 10)} | {"A03", "A04", "A05"} <= rules


def test_a_custom_expectation_dropped_by_gx_is_an_error(tmp_path):
    from pipelines.quality import run

    spec = next(s for s in suite_specs() if s.name == "marts.cross_source")
    doc = json.loads(spec.path.read_text(encoding="utf-8"))
    doc["expectations"][0]["type"] = "expect_something_gx_does_not_know"
    path = tmp_path / "suite.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    from dataclasses import replace

    with pytest.raises(Exception):
        run.load_suite(replace(spec, path=path))


def test_make_offline_removes_every_remote_resource(tmp_path):
    from pipelines.quality.docs import make_offline, remote_resources

    page = tmp_path / "validations" / "x" / "page.html"
    page.parent.mkdir(parents=True)
    page.write_text(
        '<html><head><link href="https://cdn.example/b.css" rel="stylesheet"/>'
        '<script src="https://code.jquery.com/jquery.min.js"></script>'
        "<style>.logo { background: url('https://s3.example/logo.png') 0 0; }</style></head>"
        '<body><img src="https://s3.example/logo.png"/><a href="https://greatexpectations.io">GX</a></body></html>',
        encoding="utf-8")
    assert len(remote_resources(tmp_path)) == 4
    make_offline(tmp_path)
    assert remote_resources(tmp_path) == []
    text = page.read_text(encoding="utf-8")
    assert '<a href="https://greatexpectations.io">' in text and "../../static/images/logo-long.png" in text


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_failed_block_expectation_stops_publishing(demo, demo_warehouse, tmp_path, dagster_home):
    """A registry row with a town outside the reference table reached raw (R06 quarantine
    failed): the raw.registry suite blocks, the step fails naming the rule and the table,
    publishing does not run, analytics.duckdb is unchanged, and refresh maps the step to 4."""
    from pipelines.definitions import publish_asset
    from pipelines.quality.checks import quality_asset
    from pipelines.refresh import EXIT_BLOCKED_CHECK, STEP_EXIT
    from pipelines.resources import WarehouseResource

    landing, _ = demo
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    for name in ("work.duckdb", "analytics.duckdb", "pseudonym.key"):
        shutil.copy2(demo_warehouse / name, warehouse / name)
    con = duckdb.connect(str(warehouse / "work.duckdb"))
    con.execute("insert into raw.registry_rows (snapshot_month, source_file, source_row, person_id, town, status)"
                " select min(snapshot_month), 'registry/x.csv', 2, 987654, '奉化镇', '正常' from raw.registry_rows")
    con.close()
    before = sha256(warehouse / "analytics.duckdb")

    # the last two steps of the refresh job, over the warehouse dbt already built
    with dg.DagsterInstance.get() as instance:
        result = dg.materialize(
            [quality_asset(), publish_asset()],
            instance=instance,
            resources={"warehouse": WarehouseResource(landing_dir=str(landing), warehouse_dir=str(warehouse))},
            raise_on_error=False,
        )
    assert not result.success
    failure = result.get_step_failure_events()[0]
    assert STEP_EXIT[failure.step_key] == EXIT_BLOCKED_CHECK
    message = failure.step_failure_data.user_failure_data.description
    # the failing row is named by its snapshot, row and person (person_id, its number)
    assert "[R06]" in message and "raw.registry_rows" in message
    assert '"person_id": 987654' in message and '"source_row": 2' in message
    assert "published__analytics" not in {e.step_key for e in result.all_events if e.is_step_success}
    assert sha256(warehouse / "analytics.duckdb") == before
    # the new file built while the suites ran (publish.py) was stopped and removed
    assert not [p.name for p in warehouse.iterdir() if p.name.startswith("analytics.duckdb.")]
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not evaluations["gx_raw__registry"].passed
    assert evaluations["gx_raw__registry"].severity == dg.AssetCheckSeverity.ERROR
    # the demo's A01/A02 cases fail warn expectations only: reported, not blocking
    assert evaluations["gx_marts__indicators"].severity == dg.AssetCheckSeverity.WARN
    assert evaluations["gx_raw__subsidy"].severity == dg.AssetCheckSeverity.WARN
    assert (warehouse / "quality" / "index.html").is_file()


def test_an_expectation_gx_cannot_evaluate_blocks_and_says_so(demo_warehouse, tmp_path):
    """GX catches the exceptions of a metric (at province scale: Arrow's 2 GB string offset
    overflow) and only marks the expectation failed: the block message must say the check
    could not be evaluated, not that zero rows failed."""
    from dataclasses import replace

    from pipelines.quality.run import run_suites

    spec = next(s for s in suite_specs() if s.name == "raw.subsidy")
    doc = json.loads(spec.path.read_text(encoding="utf-8"))
    doc["expectations"] = [{"type": "expect_column_values_to_be_between",
                            "kwargs": {"column": "subsidy_type", "min_value": 0, "max_value": 1},
                            "meta": {"severity": "block", "notes": "text compared with numbers"}}]
    path = tmp_path / "raw.subsidy.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    report = run_suites(demo_warehouse / "work.duckdb", tmp_path / "warehouse",
                        specs=(replace(spec, path=path, expectations=1),))
    [(_, failed)] = report.blocking_failures
    assert not failed.success and failed.error
    assert "could not be evaluated" in report.block_message() and "0 行不符" not in report.block_message()


def test_suite_frames_hold_text_with_64_bit_offsets_and_persons_as_numbers(demo_warehouse):
    """Text columns are read as large_string (a text column of 33 M rows can pass 2 GB);
    the raw suites read persons as their number person_id, never the 64-character key."""
    from pipelines.quality.run import read_frame, suite_connection

    spec = next(s for s in suite_specs() if s.name == "raw.subsidy")
    con = suite_connection(demo_warehouse / "work.duckdb")
    try:
        frame = read_frame(con, spec)
    finally:
        con.close()
    assert str(frame.dtypes["subsidy_type"]) == "large_string[pyarrow]"
    assert str(frame.dtypes["person_id"]) == "int32[pyarrow]" and "person_key" not in frame.columns
    assert frame["person_id"].notna().all()


def test_the_suites_frames_are_not_fingerprinted_by_gx():
    """run.skip_frame_fingerprints: GX's pandas engine gives a frame's batch no
    `pandas_data_fingerprint` (a hash of every row) once it has run; it did before. Were the
    threshold renamed in GX, the frame would still be hashed and the test fail."""
    import pandas as pd
    from great_expectations.core.batch_spec import RuntimeDataBatchSpec
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.execution_engine import pandas_execution_engine

    from pipelines.quality.run import skip_frame_fingerprints

    def markers():
        frame = pd.DataFrame({"person_id": range(1000), "town": ["岳林街道"] * 1000})
        return PandasExecutionEngine().get_batch_data_and_markers(RuntimeDataBatchSpec(batch_data=frame))[1]

    threshold = pandas_execution_engine.HASH_THRESHOLD  # 0 when the suites have run in this session
    try:
        pandas_execution_engine.HASH_THRESHOLD = float("inf")
        assert "pandas_data_fingerprint" in markers()  # GX's own behaviour
        skip_frame_fingerprints()
        assert "pandas_data_fingerprint" not in markers()
    finally:
        pandas_execution_engine.HASH_THRESHOLD = threshold
