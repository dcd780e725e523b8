"""Time one `refresh` per stage: `uv run python benchmarks/bench_refresh.py HOLDERS`.

Reuses benchmarks/data/landing_<HOLDERS> (generated when missing), refreshes into a fresh
benchmarks/data/warehouse_<HOLDERS>, and prints a Markdown row: holders, stage seconds
(Dagster step wall times), total. Run it under `/usr/bin/time -v` for peak memory.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from pipelines.generate.run import generate
from pipelines.refresh import refresh

DATA = Path(__file__).resolve().parent / "data"


def main(holders: int) -> None:
    landing, warehouse = DATA / f"landing_{holders}", DATA / f"warehouse_{holders}"
    if not (landing / "manifest.json").exists():
        generate(landing, holders=holders)
    shutil.rmtree(warehouse, ignore_errors=True)
    started = time.perf_counter()
    outcome = refresh(landing, warehouse, log=lambda _: None)
    total = time.perf_counter() - started
    if outcome.status != 0:
        sys.exit(outcome.message)
    stages = outcome.stage_seconds
    cells = " | ".join(f"{name} {seconds:.1f}" for name, seconds in stages.items())
    print(f"| {holders:,} | {cells} | {total:.1f} |")


if __name__ == "__main__":
    main(int(sys.argv[1]))
