"""The dbt project as Dagster assets (dagster-dbt).

- The manifest is prepared by `dbt parse` once, when missing or older than the project's
  files (`prepare_manifest`), never on every run.
- dbt sources `raw.*` carry the ingestion assets' keys (raw/<table>), so the graph runs
  from the landing files through staging, intermediate and marts in one picture.
- `dbt build` runs inside this process on that prepared manifest (`dbt_build`): dbt tests
  appear as asset checks, and a failing error-severity test fails the step, which blocks
  publishing. dbt's unit tests, and the data tests tagged sql_shape (tests of the SQL,
  not of the data), run in the test suite, not in every refresh.
- The working warehouse path and DuckDB's memory limit reach dbt's profile as `--vars`
  values, not by changing this process's environment.
"""

# No `from __future__ import annotations`: Dagster reads resource annotations at runtime.
import contextlib
import fcntl
import gc
import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets

from pipelines.config import DBT_PROJECT_DIR
from pipelines.resources import WarehouseResource

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
PARSED = MANIFEST.with_name("partial_parse.msgpack")  # dbt's own Manifest object, serialised
DBT_THREADS = 2  # the machine's cores; DuckDB itself also uses both
# Data tests of the SQL rather than the data (grains that follow from the SQL once its
# inputs are unique, tested on every refresh): the test suite runs them, the refresh does not.
SQL_SHAPE_TESTS = "tag:sql_shape"
# What the preparation does; a target folder prepared otherwise (an older recipe) is stale.
RECIPE = MANIFEST.with_name(".prepared")
RECIPE_TEXT = "dbt parse, work_db=<target>/work.duckdb, msgpack read by dbt_build\n"
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})
# dbt's DuckDB buffer pool. DuckDB's own default, 80% of RAM, let the province build
# (1M holders) take 17.9 GB. Capped at 6 GB, the whole refresh peaked at 7.1 GB; the full
# refresh's dbt took 278 s against 282 s, the incremental one's 318 s against 273 s
# (it spills to <warehouse>/work.duckdb.tmp; benchmarks/RESULTS.md).
# DPF_DUCKDB_MEMORY_LIMIT sets another limit (a DuckDB size such as "4GB", or "80%").
DBT_MEMORY_CAP_BYTES = 6 * 2**30
PROJECT_INPUTS = ("models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml")


def _newest_input_mtime() -> float:
    newest = 0.0
    for name in PROJECT_INPUTS:
        path = DBT_PROJECT_DIR / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        newest = max([newest, *(p.stat().st_mtime for p in files)])
    return newest


def _prepared() -> bool:
    if not RECIPE.exists() or RECIPE.read_text() != RECIPE_TEXT:
        return False
    newest = _newest_input_mtime()
    return all(path.exists() and path.stat().st_mtime >= newest for path in (MANIFEST, PARSED))


def prepare_manifest(force: bool = False) -> Path:
    """`dbt parse` when the manifest is missing or stale; a lock keeps two processes from
    parsing at once."""
    if not force and _prepared():
        return MANIFEST
    MANIFEST.parent.mkdir(parents=True, exist_ok=True)
    with open(MANIFEST.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and _prepared():
            return MANIFEST
        from dbt.cli.main import dbtRunner

        result = dbtRunner().invoke([
            "parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--quiet", "--no-partial-parse",
            # parse reads the profile but opens no database; the file's stem is the database
            # name nodes are compiled with, the same as every warehouse's work.duckdb
            "--vars", json.dumps({"work_db": str(MANIFEST.with_name("work.duckdb"))}),
        ])
        if not result.success:
            raise RuntimeError(f"dbt parse failed: {result.exception}")
        RECIPE.write_text(RECIPE_TEXT)
    return MANIFEST


class Translator(DagsterDbtTranslator):
    """Groups by layer; sources keep the default key source/table = raw/<table>, the key of
    the ingestion asset that writes it."""

    def get_group_name(self, dbt_resource_props) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "seed":
            return "reference"
        return fqn[1] if len(fqn) > 2 else None


class DbtBuildFailed(Exception):
    """dbt build finished with failed models or tests (or did not run)."""


@cache
def prepared_manifest_object():
    """The parsed project as dbt's own Manifest object, read from the msgpack that
    `prepare_manifest` wrote: dbt then skips parsing entirely (a full parse costs ~13 s)."""
    from dbt.contracts.graph.manifest import Manifest

    return Manifest.from_msgpack(PARSED.read_bytes())


def dbt_memory_limit() -> str:
    """DPF_DUCKDB_MEMORY_LIMIT if set, else 6 GiB or 80% of this machine's RAM, the smaller."""
    chosen = os.environ.get("DPF_DUCKDB_MEMORY_LIMIT", "").strip()
    if chosen:
        return chosen
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{min(DBT_MEMORY_CAP_BYTES, int(ram * 0.8)) // 2**20}MiB"


def build_arguments(work_db: Path, target: Path, selection: list[str], indirect_selection: str | None) -> list[str]:
    return [
        "build", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--vars", json.dumps({"work_db": str(work_db), "memory_limit": dbt_memory_limit()}),
        "--target-path", str(target), "--log-path", str(target),
        "--threads", str(DBT_THREADS),
        # Unit tests check the SQL, not the data: the test suite runs them (tests/dbt); so
        # are the data tests tagged sql_shape (they are not asset checks either).
        "--exclude-resource-type", "unit_test",
        "--exclude", SQL_SHAPE_TESTS,
        "--quiet", "--no-use-colors",
        *(["--indirect-selection", indirect_selection] if indirect_selection else []),
        *selection,
    ]


def dbt_build(context: dg.AssetExecutionContext, work_db: Path, target: Path) -> Iterator:
    """`dbt build` inside this process with the prepared Manifest, yielding Dagster events
    (outputs for models and seeds, asset check results for data tests) as nodes finish.

    In-process instead of dagster-dbt's `dbt` subprocess: no second interpreter start
    (~4 s of imports) and no parse (~13 s on a fresh warehouse, whose target folder holds
    no partial-parse state). The DuckDB handle dbt-duckdb keeps is closed afterwards, so
    this process can open the working warehouse again.
    """
    import queue
    import threading

    from pipelines import warm_up

    warm_up.wait()
    from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets, get_subset_selection_for_context
    from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    manifest, translator, _ = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    selection, indirect = get_subset_selection_for_context(
        context=context, manifest=manifest, select=None, exclude=None, selector=None,
        dagster_dbt_translator=translator, current_dbt_indirect_selection_env=None)
    target.mkdir(parents=True, exist_ok=True)
    results: queue.Queue = queue.Queue()
    failures: list[str] = []
    finished = object()

    def on_event(message) -> None:
        if message.info.name in RESULT_EVENTS:
            results.put(msg_to_dict(message))
        elif message.info.level == "error":
            failures.append(_without_traceback(message.info.msg))

    def run() -> None:
        try:
            outcome = dbtRunner(manifest=prepared_manifest_object(), callbacks=[on_event]).invoke(
                build_arguments(work_db, target, selection, indirect))
            if outcome.exception is not None:
                failures.append(f"{type(outcome.exception).__name__}: {outcome.exception}")
            elif not outcome.success:
                failures.append("dbt build did not succeed")
        except BaseException as error:  # reported by the step below, never lost in the thread
            failures.append(f"{type(error).__name__}: {error}")
        finally:
            _close_dbt_duckdb()
            results.put(finished)

    worker = threading.Thread(target=run, name="dbt-build", daemon=True)
    worker.start()
    while (raw := results.get()) is not finished:
        event = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
        print(event, flush=True)  # the refresh keeps these lines in its log file
        yield from event.to_default_asset_events(manifest=manifest, dagster_dbt_translator=translator,
                                                 context=context, target_path=target)
    worker.join()
    if failures:
        raise DbtBuildFailed("dbt build failed:\n" + "\n".join(dict.fromkeys(failures)))


def _without_traceback(text: str) -> str:
    """dbt's error events may carry a Python traceback: the message is what comes before it
    (dbt.log under <warehouse>/dbt keeps everything)."""
    return text.split("Traceback (most recent call last)", 1)[0].strip()


def _close_dbt_duckdb() -> None:
    """dbt-duckdb forgets its DuckDB environment without closing it; close it, and let go of
    the adapters, so that the file is free for the next step of this process."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.adapters.factory import reset_adapters

    environment = DuckDBConnectionManager._ENV
    with contextlib.suppress(Exception):
        DuckDBConnectionManager.close_all_connections()
    if environment is not None:
        with contextlib.suppress(Exception):
            environment.close()
    reset_adapters()
    gc.collect()


@cache
def dbt_models() -> dg.AssetsDefinition:
    translator = Translator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    @dbt_assets(manifest=prepare_manifest(), dagster_dbt_translator=translator, name="dbt_models",
                exclude=SQL_SHAPE_TESTS)
    def _dbt_models(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Iterator:
        """dbt build: seeds, staging, intermediate, the 14 indicators and marts, with tests."""
        yield from dbt_build(context, warehouse.work_db(), warehouse.warehouse() / "dbt")

    return _dbt_models


def model_key(name: str) -> dg.AssetKey:
    from dagster_dbt import get_asset_key_for_model

    return get_asset_key_for_model([dbt_models()], name)
