"""Ingestion alone at a given scale: `uv run python benchmarks/bench_ingest.py HOLDERS`.

Reads benchmarks/data/landing_<HOLDERS> (make it with benchmarks/generate.sh) into a fresh
benchmarks/data/ingest_<HOLDERS>/work.duckdb and prints rows, seconds, rows per second and,
per phase (reading + normalising + keying + writing every file into the run's scratch
database, then the finish: the scratch database renamed to work.duckdb), the wall time and
the peak resident memory of this process (sampled every 0.2 s).
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from pathlib import Path

from pipelines.ingest import load

DATA = Path(__file__).resolve().parent / "data"


def _rss_gb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**30


def main(holders: int) -> None:
    landing, warehouse = DATA / f"landing_{holders}", DATA / f"ingest_{holders}"
    shutil.rmtree(warehouse, ignore_errors=True)
    phase, peaks, seconds = ["prepare"], {}, {}

    def sample() -> None:
        while True:
            peaks[phase[0]] = max(peaks.get(phase[0], 0.0), _rss_gb())
            time.sleep(0.2)

    def timed(finish):
        def run(*args, **kwargs) -> None:
            seconds["prepare"] = time.perf_counter() - started
            phase[0] = "finish"
            finish(*args, **kwargs)
            seconds["finish"] = time.perf_counter() - started - seconds["prepare"]
        return run

    load._first_load, load._write = timed(load._first_load), timed(load._write)
    threading.Thread(target=sample, daemon=True).start()
    started = time.perf_counter()
    report = load.ingest(landing, warehouse)
    total = time.perf_counter() - started
    rows = sum(p.rows_read for p in report.loaded)
    size = sum(p.file.path.stat().st_size for p in report.loaded)
    print(f"| {holders:,} | {len(report.loaded)} | {rows:,} | {size / 1e9:.2f} GB | {total:.1f} s | "
          f"{rows / total:,.0f} rows/s |")
    for name in ("prepare", "finish"):
        print(f"{name}: {seconds.get(name, 0):.1f} s, peak {peaks.get(name, 0):.2f} GB")


if __name__ == "__main__":
    main(int(sys.argv[1]))
