"""A small dbt project in a test's folder, on a DuckDB file of its own, for testing one of the
real project's macro files or generic tests with real dbt (tests/dbt/test_materializations.py,
tests/dbt/test_column_rules.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def write_project(folder: Path, name: str) -> None:
    """dbt_project.yml and profiles.yml (one thread, schema main, `<folder>/work.duckdb`)."""
    (folder / "dbt_project.yml").write_text(
        f"name: {name}\nversion: '1.0.0'\nconfig-version: 2\nprofile: {name}\n"
        "flags:\n  send_anonymous_usage_stats: false\n")
    (folder / "profiles.yml").write_text(
        f"{name}:\n  target: t\n  outputs:\n    t:\n      type: duckdb\n"
        f"      path: '{folder / 'work.duckdb'}'\n      schema: main\n      threads: 1\n")


def run_dbt(folder: Path, arguments: list[str]) -> subprocess.CompletedProcess:
    """dbt with `arguments` on the project in `folder`; target and logs inside it."""
    dbt = Path(sys.executable).with_name("dbt")
    return subprocess.run(
        [str(dbt), *arguments, "--project-dir", str(folder), "--profiles-dir", str(folder),
         "--target-path", str(folder / "target"), "--log-path", str(folder / "logs")],
        env={**os.environ, "DO_NOT_TRACK": "1"}, capture_output=True, text=True, timeout=300)
