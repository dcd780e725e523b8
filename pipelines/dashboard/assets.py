"""The Dagster asset of the dashboard: rendered from the published database after each publish."""

# No `from __future__ import annotations`: Dagster reads the resource annotation at runtime.
from functools import cache

import dagster as dg

from pipelines.resources import WarehouseResource

DASHBOARD_KEY = dg.AssetKey(["published", "dashboard"])
ANALYTICS_KEY = dg.AssetKey(["published", "analytics"])


@cache
def dashboard_asset() -> dg.AssetsDefinition:
    @dg.asset(
        key=DASHBOARD_KEY,
        deps=[ANALYTICS_KEY],
        group_name="published",
        kinds={"plotly", "html"},
        description="看板：从发布库生成的静态 plotly 网页（离线可用，原子替换）。"
        " The dashboard: static plotly pages rendered from analytics.duckdb (offline, swapped in atomically).",
    )
    def dashboard(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        from pipelines.dashboard.render import current_version, render_dashboard

        index = render_dashboard(warehouse.warehouse())
        pages = sorted(p.name for p in index.parent.glob("*.html"))
        context.log.info(f"dashboard rendered: {index}")
        return dg.MaterializeResult(metadata={
            "index": dg.MetadataValue.path(str(index)),
            "folder": current_version(warehouse.warehouse()),
            "pages": len(pages),
        })

    return dashboard
