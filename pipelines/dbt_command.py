"""The `dbt build` command line of a refresh: project, profile values, threads, what is left
out, the log level. Free of Dagster and dbt imports, so that the dbt worker process
(pipelines/dbt_worker.py) can use it too."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pipelines.config import DBT_PROJECT_DIR
from pipelines.dbt_manifest import project_fingerprint

DBT_THREADS = 2  # the machine's cores; DuckDB itself also uses both
# Data tests of the SQL rather than the data (grains that follow from the SQL once its
# inputs are unique, tested on every refresh): the test suite runs them, the refresh does not.
SQL_SHAPE_TAG = "sql_shape"
SQL_SHAPE_TESTS = f"tag:{SQL_SHAPE_TAG}"
# dbt's DuckDB buffer pool. DuckDB's own default, 80% of RAM, let the province build
# (1M holders) take 17.9 GB. Capped at 6 GB, the whole refresh peaked at 7.1 GB; the full
# refresh's dbt took 278 s against 282 s, the incremental one's 318 s against 273 s
# (it spills to <warehouse>/work.duckdb.tmp; benchmarks/RESULTS.md).
# DPF_DUCKDB_MEMORY_LIMIT sets another limit (a DuckDB size such as "4GB", or "80%").
DBT_MEMORY_CAP_BYTES = 6 * 2**30


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
        "--vars", json.dumps({"work_db": str(work_db), "memory_limit": dbt_memory_limit(),
                              "project_fingerprint": project_fingerprint()}),
        "--target-path", str(target), "--log-path", str(target),
        "--threads", str(DBT_THREADS),
        # Unit tests check the SQL, not the data: the test suite runs them (tests/dbt); so
        # are the data tests tagged sql_shape (they are not asset checks either).
        "--exclude-resource-type", "unit_test",
        "--exclude", SQL_SHAPE_TESTS,
        "--quiet", "--no-use-colors",
        # dbt.log at info, not debug: nodes, their results and errors, without a line per
        # statement and connection (14,304 lines at district against 535): about 1-1.5 s of
        # a district build (benchmarks/RESULTS.md). `dbt build --debug` by hand shows them.
        "--log-level-file", "info",
        # No manifest.json, semantic_manifest.json nor graph.gpickle of the run: nothing reads
        # them (the refresh's definitions read the prepared manifest), and writing them made
        # the worker's warm-up build 0.8 s longer on average (benchmarks/RESULTS.md).
        # run_results.json, which operators and tests read, the worker writes itself
        # (pipelines/dbt_worker.py); the SQL each node ran stays in compiled/ and run/.
        "--no-write-json",
        *(["--indirect-selection", indirect_selection] if indirect_selection else []),
        *selection,
    ]
