"""The ingestion assets: one per source table of the raw layer (raw/registry_rows, …),
plus raw/quarantine_rows and raw/landing_files. They are computed by one op so that a
refresh is all-or-nothing (load.py): a blocked file stops every table, not just its own.
The keys match the dbt sources (source `raw`), so the graph connects to the dbt models.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation at runtime.
from functools import cache

import dagster as dg

from pipelines.contract import SOURCES
from pipelines.resources import WarehouseResource

RAW_TABLE_DESCRIPTIONS = {
    "registry_rows": "残疾人证登记快照（每个快照月份一份）/ registry snapshots",
    "subsidy_rows": "补贴发放明细（每个发放月份一份）/ subsidy ledger rows",
    "employment_rows": "就业与培训记录快照 / employment and training snapshots",
    "survey_rows": "基本服务状况和需求信息（每年一份）/ survey rows",
    "quarantine_rows": "隔离行及原因 / quarantined rows with rule and reason",
    "landing_files": "已读取的落地文件及内容哈希 / landing files read, with content hash",
}


def raw_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", table])


@cache
def ingest_assets() -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(raw_key(table), description=text, group_name="raw", kinds={"duckdb", "polars"})
        for table, text in RAW_TABLE_DESCRIPTIONS.items()
    ]

    @dg.multi_asset(specs=specs, name="ingest_landing_files", can_subset=False)
    def ingest_landing_files(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        """Read new and changed landing files, quarantine bad rows, pseudonymise, load raw tables."""
        from pipelines import dbt_worker
        from pipelines.ingest.keys import PseudonymKeyError
        from pipelines.ingest.load import RefreshBlocked, ingest

        dbt_worker.start()  # dbt's process starts while the files are read (if not started yet)
        try:
            report = ingest(warehouse.landing(), warehouse.warehouse(), env_key=warehouse.env_key(),
                            log=context.log.debug)
        except RefreshBlocked as blocked:
            context.log.error(blocked.message)
            raise dg.Failure(description=blocked.message) from blocked
        except PseudonymKeyError as refused:
            context.log.error(str(refused))
            raise dg.Failure(description=str(refused)) from refused
        context.log.info(
            f"loaded {len(report.loaded)} file(s), {len(report.unchanged)} unchanged, "
            f"{report.quarantined()} row(s) quarantined"
        )
        files = [p.file.relative for p in report.loaded]
        for source in SOURCES:
            yield dg.MaterializeResult(
                asset_key=raw_key(f"{source}_rows"),
                metadata={
                    "files_loaded": [p.file.relative for p in report.loaded if p.file.source == source],
                    "rows_loaded": report.rows(source),
                    "rows_quarantined": report.quarantined(source),
                },
            )
        yield dg.MaterializeResult(asset_key=raw_key("quarantine_rows"),
                                   metadata={"rows_quarantined": report.quarantined()})
        yield dg.MaterializeResult(asset_key=raw_key("landing_files"),
                                   metadata={"files_loaded": files, "files_unchanged": len(report.unchanged)})

    return ingest_landing_files
