"""The dbt project as Dagster assets (dagster-dbt).

- The manifest is prepared by `dbt parse` once, when missing or older than the project's
  files (pipelines/dbt_manifest.py), never on every run.
- dbt sources `raw.*` carry the ingestion assets' keys (raw/<table>), so the graph runs
  from the landing files through staging, intermediate and marts in one picture.
- `dbt build` runs on that prepared manifest in a worker process started ahead of time
  (`dbt_build`, pipelines/dbt_worker.py): dbt tests appear as asset checks, and a failing
  error-severity test fails the step, which blocks publishing. dbt's unit tests, and the
  data tests tagged sql_shape (tests of the SQL, not of the data), run in the test suite,
  not in every refresh.
- The working warehouse path and DuckDB's memory limit reach dbt's profile as `--vars`
  values, not by changing the environment.
- This process does not import dbt-core (unless `prepare_manifest` must run `dbt parse`
  for a missing or stale manifest): dagster-dbt imports dbt's adapter and result
  classes when it can (about 2 s, on the refresh's critical path at start-up) only to name
  types and to evaluate selection strings. Imported with dbt-core out of its sight
  (`_import_dagster_dbt`), it takes the path it has for dbt Fusion (no dbt-core in the
  environment): it reads the manifest as data. The one selection it would need dbt-core
  for, leaving out the tests tagged sql_shape, is made on the manifest instead
  (`_refresh_manifest`); the asset graph is the same (tests/test_definitions.py).
"""

# No `from __future__ import annotations`: Dagster reads resource annotations at runtime.
import json
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import dagster as dg

from pipelines.dbt_command import SQL_SHAPE_TAG, build_arguments
from pipelines.dbt_manifest import prepare_manifest
from pipelines.resources import WarehouseResource


def _import_dagster_dbt() -> None:
    """Import dagster-dbt with dbt-core hidden, unless this process imported dbt already:
    `None` in `sys.modules` makes `import dbt.version` fail, which is how dagster_dbt.compat
    tells that dbt-core is missing. The entry is removed right after, so that dbt-core
    imports normally later in this process (`dbt parse` for a stale manifest)."""
    hide = "dbt.version" not in sys.modules
    if hide:
        sys.modules["dbt.version"] = None  # type: ignore[assignment]
    try:
        import dagster_dbt  # noqa: F401
    finally:
        if hide:
            del sys.modules["dbt.version"]


_import_dagster_dbt()
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets  # noqa: E402


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


def dbt_build(context: dg.AssetExecutionContext, work_db: Path, target: Path) -> Iterator:
    """`dbt build` in the dbt worker process on the prepared manifest, yielding Dagster
    events (outputs for models and seeds, asset check results for data tests) as nodes
    finish, while the worker goes on with the next ones.

    Not dagster-dbt's `dbt` subprocess: that one parses the project (~13 s on a fresh
    warehouse, whose target folder holds no partial-parse state) and starts only when the
    step does. Not in this process either: dbt's Python and Dagster's handling of its
    events would share one interpreter lock (pipelines/dbt_worker.py).
    """
    from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets, get_subset_selection_for_context
    from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

    from pipelines import dbt_worker

    manifest, translator, _ = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    selection, indirect = get_subset_selection_for_context(
        context=context, manifest=manifest, select=None, exclude=None, selector=None,
        dagster_dbt_translator=translator, current_dbt_indirect_selection_env=None)
    target.mkdir(parents=True, exist_ok=True)
    failures: list[str] = []
    messages = dbt_worker.take().build(build_arguments(work_db, target, selection, indirect))
    _import_great_expectations()
    for message in messages:
        if "failure" in message:
            failures.append(message["failure"])
        elif "event" in message:
            event = DbtCoreCliEventMessage(raw_event=message["event"], event_history_metadata={})
            print(event, flush=True)  # the refresh keeps these lines in its log file
            yield from event.to_default_asset_events(manifest=manifest, dagster_dbt_translator=translator,
                                                     context=context, target_path=target)
    if failures:
        broken = broken_column_rules(failures, work_db, target)
        raise DbtBuildFailed("dbt build failed:\n" + "\n".join([*dict.fromkeys(failures), *broken]))


def broken_column_rules(failures: list[str], work_db: Path, target: Path) -> list[str]:
    """For each failed column_rules test (dbt_project/tests/generic/column_rules.sql), which
    dbt reports only as "Got N results": the column, the rule and the rows that break it,
    read by running its compiled SQL on the working warehouse, free once the worker has
    ended. Nothing when that cannot be done (the message then stays dbt's own)."""
    import duckdb

    lines = []
    for name in dict.fromkeys(re.findall(r"\b(column_rules_\w+)", "\n".join(failures))):
        try:
            compiled = next((target / "compiled").rglob(f"{name}.sql")).read_text(encoding="utf-8")
            con = duckdb.connect(str(work_db), read_only=True)
            try:
                rows = con.execute(compiled).fetchall()
            finally:
                con.close()
        except Exception:  # noqa: BLE001
            continue
        lines += [f"  {name}: {column} {rule}: {count} 行 rows" for column, rule, count in rows]
    return lines


def _import_great_expectations() -> None:
    """The quality step's library (2.3-2.6 s of CPU in six runs, see
    pipelines/quality/gx_import.py), loaded here while the worker builds: this process has
    little else to do then. Before the first event, so no other thread of this process is
    importing anything meanwhile. A failure is left to the quality step, which imports it
    again and reports it."""
    try:
        from pipelines.quality.gx_import import import_great_expectations

        import_great_expectations()
    except Exception:  # noqa: BLE001
        pass


def _refresh_manifest() -> dict:
    """The prepared manifest without the data tests tagged sql_shape, which the refresh's
    `dbt build` leaves out (they are not asset checks either): the selection `--exclude
    tag:sql_shape` made here, on the manifest, rather than by dagster-dbt with dbt-core."""
    manifest = json.loads(prepare_manifest().read_text(encoding="utf-8"))
    left_out = {uid for uid, node in manifest["nodes"].items() if SQL_SHAPE_TAG in node.get("tags", [])}
    manifest["nodes"] = {uid: node for uid, node in manifest["nodes"].items() if uid not in left_out}
    for graph in ("parent_map", "child_map"):
        manifest[graph] = {uid: [other for other in others if other not in left_out]
                           for uid, others in manifest[graph].items() if uid not in left_out}
    return manifest


@cache
def dbt_models() -> dg.AssetsDefinition:
    translator = Translator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    @dbt_assets(manifest=_refresh_manifest(), dagster_dbt_translator=translator, name="dbt_models")
    def _dbt_models(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Iterator:
        """dbt build: seeds, staging, intermediate, the 14 indicators and marts, with tests."""
        yield from dbt_build(context, warehouse.work_db(), warehouse.warehouse() / "dbt")

    return _dbt_models


def model_key(name: str) -> dg.AssetKey:
    from dagster_dbt import get_asset_key_for_model

    return get_asset_key_for_model([dbt_models()], name)
