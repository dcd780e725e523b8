"""Dagster resources: where the landing folder and the warehouse are, and the pseudonym key.

Empty settings are resolved when a run uses them (config.py: $DPF_LANDING, $DPF_WAREHOUSE,
$DPF_PSEUDONYM_KEY), never at import time.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from pipelines import config


class WarehouseResource(dg.ConfigurableResource):
    """The landing folder (read) and the warehouse folder (work.duckdb, pseudonym.key)."""

    landing_dir: str = ""
    warehouse_dir: str = ""
    pseudonym_key: str = ""  # empty: $DPF_PSEUDONYM_KEY, else <warehouse>/pseudonym.key

    def landing(self) -> Path:
        return config.landing_dir(self.landing_dir or None)

    def warehouse(self) -> Path:
        return config.warehouse_dir(self.warehouse_dir or None)

    def work_db(self) -> Path:
        from pipelines.ingest.load import work_db

        return work_db(self.warehouse())

    def env_key(self) -> str | None:
        return self.pseudonym_key or config.pseudonym_key_from_env()
