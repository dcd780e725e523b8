"""The Dagster Definitions: `dagster dev -w workspace.yaml`, `dpf refresh`, or
dagster.materialize in tests. One job, `refresh`: ingest -> dbt build -> quality suites
(Great Expectations, asset checks; blocking ones stop the run) -> publish -> dashboard;
the monthly schedule and the landing-folder sensor start it.

Built by a cached factory: importing this module reads no environment and does no work
beyond preparing the dbt manifest when it is missing or stale; the resource resolves its
paths and key when a run uses it.
"""

# No `from __future__ import annotations`: Dagster reads resource annotations at runtime.
from functools import cache

import dagster as dg

from pipelines.automation import landing_sensor, monthly_schedule
from pipelines.dashboard.assets import ANALYTICS_KEY, dashboard_asset
from pipelines.dbt import dbt_models, model_key
from pipelines.ingest.assets import ingest_assets
from pipelines.quality.checks import DATA_DOCS_KEY, quality_asset
from pipelines.resources import WarehouseResource

PUBLISHED_MARTS = ("indicator_values", "dim_indicator", "dim_area", "fct_indicator_persons",
                   "dq_findings", "dq_summary", "dq_reconciliation")


@cache
def publish_asset() -> dg.AssetsDefinition:
    @dg.asset(
        key=ANALYTICS_KEY,
        # the quality suites first: a failed blocking suite stops publishing
        deps=[*(model_key(name) for name in PUBLISHED_MARTS), DATA_DOCS_KEY],
        group_name="published",
        kinds={"duckdb"},
        description="analytics.duckdb：分析人员只读使用的发布库（仅 marts，无个人信息），原子替换。"
        " The published read-only database (marts only, no personal data), swapped in atomically.",
    )
    def analytics(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        from pipelines.publish import publish

        published = publish(warehouse.work_db(), warehouse.warehouse())
        context.log.info(f"published {published.path} version {published.version}")
        return dg.MaterializeResult(metadata={
            "path": str(published.path), "version": published.version, "copy_seconds": published.copy_seconds,
            **{f"rows.{name}": rows for name, rows in published.tables.items()},
        })

    return analytics


@cache
def refresh_job():
    return dg.define_asset_job(
        "refresh",
        selection=dg.AssetSelection.all(),
        description="每月刷新：读取落地文件、dbt 构建与测试、质量套件、发布。"
        " Monthly refresh: ingest, dbt build with tests, quality suites, publish.",
    )


@cache
def build_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[ingest_assets(), dbt_models(), quality_asset(), publish_asset(), dashboard_asset()],
        jobs=[refresh_job()],
        schedules=[monthly_schedule()],
        sensors=[landing_sensor()],
        resources={"warehouse": WarehouseResource()},
        # One process: DuckDB allows one writer per file, and the machine has few cores.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
