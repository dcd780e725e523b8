"""The Dagster Definitions: `dagster dev -w workspace.yaml`, or dagster.materialize in tests.

Built by a cached factory: importing this module reads no environment and does no work;
the resource resolves its paths and key when a run uses it.
"""

from __future__ import annotations

from functools import cache

import dagster as dg

from pipelines.ingest.assets import ingest_assets
from pipelines.resources import WarehouseResource


@cache
def build_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[ingest_assets()],
        resources={"warehouse": WarehouseResource()},
        # One process: DuckDB allows one writer per file, and the machine has few cores.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
