"""Ingestion alone at a given scale: `uv run python benchmarks/bench_ingest.py HOLDERS`.

Reads benchmarks/data/landing_<HOLDERS> (make it with benchmarks/generate.sh) into a fresh
benchmarks/data/ingest_<HOLDERS>/work.duckdb and prints rows, seconds and rows per second.
Run it under `/usr/bin/time -v` for peak memory.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from pipelines.ingest.load import ingest

DATA = Path(__file__).resolve().parent / "data"


def main(holders: int) -> None:
    landing, warehouse = DATA / f"landing_{holders}", DATA / f"ingest_{holders}"
    shutil.rmtree(warehouse, ignore_errors=True)
    started = time.perf_counter()
    report = ingest(landing, warehouse)
    seconds = time.perf_counter() - started
    rows = sum(p.rows_read for p in report.loaded)
    size = sum(p.file.path.stat().st_size for p in report.loaded)
    print(f"| {holders:,} | {len(report.loaded)} | {rows:,} | {size / 1e9:.2f} GB | {seconds:.1f} s | "
          f"{rows / seconds:,.0f} rows/s |")


if __name__ == "__main__":
    main(int(sys.argv[1]))
