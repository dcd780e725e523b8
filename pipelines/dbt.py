"""The dbt project as Dagster assets (dagster-dbt).

- The manifest is prepared by `dbt parse` once, when missing or older than the project's
  files (`prepare_manifest`), never on every run.
- dbt sources `raw.*` carry the ingestion assets' keys (raw/<table>), so the graph runs
  from the landing files through staging, intermediate and marts in one picture.
- `dbt build` runs the models with their tests: dbt tests appear as asset checks, and a
  failing error-severity test fails the step, which blocks publishing.
- The working warehouse path reaches dbt's profile as a `--vars` value, not by changing
  this process's environment.
"""

# No `from __future__ import annotations`: Dagster reads resource annotations at runtime.
import fcntl
import json
import sys
from collections.abc import Iterator
from functools import cache, cached_property
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets
from packaging import version

from pipelines.config import DBT_PROJECT_DIR
from pipelines.resources import WarehouseResource

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
PROJECT_INPUTS = ("models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml")


def _newest_input_mtime() -> float:
    newest = 0.0
    for name in PROJECT_INPUTS:
        path = DBT_PROJECT_DIR / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        newest = max([newest, *(p.stat().st_mtime for p in files)])
    return newest


def prepare_manifest(force: bool = False) -> Path:
    """`dbt parse` when the manifest is missing or stale; a lock keeps two processes from
    parsing at once."""
    if not force and MANIFEST.exists() and MANIFEST.stat().st_mtime >= _newest_input_mtime():
        return MANIFEST
    MANIFEST.parent.mkdir(parents=True, exist_ok=True)
    with open(MANIFEST.parent / ".parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and MANIFEST.exists() and MANIFEST.stat().st_mtime >= _newest_input_mtime():
            return MANIFEST
        from dbt.cli.main import dbtRunner

        result = dbtRunner().invoke([
            "parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--quiet", "--no-partial-parse",
            # parse reads the profile but opens no database
            "--vars", json.dumps({"work_db": str(MANIFEST.parent / "parse-only.duckdb")}),
        ])
        if not result.success:
            raise RuntimeError(f"dbt parse failed: {result.exception}")
    return MANIFEST


class LocalDbtCli(DbtCliResource):
    """DbtCliResource without its `dbt --version` subprocess (which also asks PyPI for the
    latest release): the version is the installed dbt-core's."""

    @cached_property
    def _cli_version(self) -> version.Version:
        from dbt.version import __version__

        return version.parse(__version__)


class Translator(DagsterDbtTranslator):
    """Groups by layer; sources keep the default key source/table = raw/<table>, the key of
    the ingestion asset that writes it."""

    def get_group_name(self, dbt_resource_props) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "seed":
            return "reference"
        return fqn[1] if len(fqn) > 2 else None


def dbt_resource() -> LocalDbtCli:
    # The dbt of this environment, found beside its Python whatever PATH says.
    executable = Path(sys.executable).parent / "dbt"
    return LocalDbtCli(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR),
                       dbt_executable=str(executable) if executable.exists() else "dbt")


@cache
def dbt_models() -> dg.AssetsDefinition:
    translator = Translator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    @dbt_assets(manifest=prepare_manifest(), dagster_dbt_translator=translator, name="dbt_models")
    def _dbt_models(context: dg.AssetExecutionContext, dbt: LocalDbtCli,
                    warehouse: WarehouseResource) -> Iterator:
        """dbt build: seeds, staging, intermediate, the 14 indicators and marts, with tests."""
        work_vars = json.dumps({"work_db": str(warehouse.work_db())})
        target = warehouse.warehouse() / "dbt"
        yield from dbt.cli(["build", "--vars", work_vars], context=context, target_path=target).stream()

    return _dbt_models


def model_key(name: str) -> dg.AssetKey:
    from dagster_dbt import get_asset_key_for_model

    return get_asset_key_for_model([dbt_models()], name)
