"""The dbt project's manifest, prepared once: `dbt parse` when the manifest is missing or
older than the project's files (`prepare_manifest`), never on every run; dbt's own Manifest
object is read from what the parse wrote (`prepared_manifest_object`).

No Dagster here: the dbt worker process (pipelines/dbt_worker.py) imports this module.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from functools import cache
from pathlib import Path

from pipelines.config import DBT_PROJECT_DIR

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
PARSED = MANIFEST.with_name("partial_parse.msgpack")  # dbt's own Manifest object, serialised
# What the preparation does; a target folder prepared otherwise (an older recipe) is stale.
RECIPE = MANIFEST.with_name(".prepared")
RECIPE_TEXT = "dbt parse, work_db=<target>/work.duckdb, msgpack read by dbt_build\n"
PROJECT_INPUTS = ("models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml")


def _input_files() -> list[Path]:
    files = []
    for name in PROJECT_INPUTS:
        path = DBT_PROJECT_DIR / name
        files += [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sorted(files)


def _newest_input_mtime() -> float:
    return max([0.0, *(p.stat().st_mtime for p in _input_files())])


def project_fingerprint() -> str:
    """A hash of the dbt project's files (names and contents): the `landing_increment`
    models compute every period again when it differs from their last build's
    (macros/landing_increments.sql)."""
    digest = hashlib.sha256()
    for path in _input_files():
        digest.update(path.relative_to(DBT_PROJECT_DIR).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


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


@cache
def prepared_manifest_object():
    """The parsed project as dbt's own Manifest object, read from the msgpack that
    `prepare_manifest` wrote: dbt then skips parsing entirely (a full parse costs ~13 s)."""
    from dbt.contracts.graph.manifest import Manifest

    return Manifest.from_msgpack(PARSED.read_bytes())
