"""The suites in Dagster: one asset, `quality/data_docs` (the Data Docs site the suites
publish in <warehouse>/quality/), computed after dbt build from the tables the suites read,
and one asset check per suite on it. Publishing depends on it.

Why not checks on the validated tables themselves: a blocking check on a dbt model makes
every downstream model of the same `dbt build` step wait for it - a cycle. Each check's
metadata names the table it validated.

Checks of suites with block expectations are `blocking=True`; when one fails the step fails
with a message naming the rule and the table, and publishing does not run (the published
database stays as it was). Warn-level failures are reported with severity WARN and the
refresh goes on. Great Expectations is imported once, inside the step.
"""

# No `from __future__ import annotations`: Dagster reads resource annotations at runtime.
from functools import cache

import dagster as dg

from pipelines.quality.catalogue import suite_specs
from pipelines.resources import WarehouseResource

DATA_DOCS_KEY = dg.AssetKey(["quality", "data_docs"])


def _table_key(spec) -> dg.AssetKey:
    if spec.dbt_asset:
        from pipelines.dbt import model_key

        return model_key(spec.dbt_asset)
    from pipelines.ingest.assets import raw_key

    return raw_key(spec.raw_asset)


def _publishes_next(context: dg.AssetExecutionContext) -> bool:
    """Whether this run publishes after the suites: only then is the published file built
    during them (a run of the suites alone must not leave one behind)."""
    from pipelines.dashboard.assets import ANALYTICS_KEY

    steps = context.run.step_keys_to_execute
    if steps is None:  # every step of the job
        return ANALYTICS_KEY in context.job_def.asset_layer.asset_graph.get_all_asset_keys()
    return ANALYTICS_KEY.to_python_identifier() in steps


@cache
def quality_asset() -> dg.AssetsDefinition:
    specs = suite_specs()
    check_specs = [
        dg.AssetCheckSpec(
            name=spec.check_name, asset=DATA_DOCS_KEY, blocking=spec.has_block,
            description=f"GX 套件 suite {spec.name}（{spec.layer} / {spec.subject}）：{spec.expectations} 项期望"
                        f" expectations on {spec.dbt_asset or 'raw.' + spec.raw_asset}",
        )
        for spec in specs
    ]
    deps = sorted({_table_key(spec) for spec in specs}, key=lambda k: k.to_user_string())

    @dg.asset(
        key=DATA_DOCS_KEY, deps=deps, check_specs=check_specs, group_name="quality", kinds={"great_expectations"},
        description="数据质量套件（Great Expectations）及其 Data Docs（<warehouse>/quality/，可离线打开）。"
                    " The data-quality suites (Great Expectations) and their offline Data Docs.",
    )
    def data_docs(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        from pipelines.publish import discard_building, start_building
        from pipelines.quality.run import run_suites

        # The published file is built meanwhile (publish.py); it is swapped in only after the
        # suites passed, by the publish step.
        if _publishes_next(context):
            version = start_building(warehouse.work_db(), warehouse.warehouse())
            context.log.info(f"building analytics.duckdb version {version} while the suites run")
        try:
            report = run_suites(warehouse.work_db(), warehouse.warehouse(), log=context.log.info)
        except BaseException:
            discard_building(warehouse.warehouse())
            raise
        results = []
        for outcome in report.suites:
            blocked, warned = outcome.blocking_failures, outcome.warnings
            failed = blocked + warned
            results.append(dg.AssetCheckResult(
                check_name=outcome.spec.check_name,
                asset_key=DATA_DOCS_KEY,
                passed=not failed,
                severity=dg.AssetCheckSeverity.ERROR if blocked else dg.AssetCheckSeverity.WARN,
                metadata={
                    "table": outcome.table,
                    "rows_validated": outcome.rows,
                    "failed_expectations": len(failed),
                    "failed_blocking": len(blocked),
                    "failed_rows": dg.MetadataValue.json(
                        {f"{e.rule_id or 'sanity'} {e.expectation_type}({e.column})": e.unexpected_count
                         for e in failed}),
                    "examples": dg.MetadataValue.json(
                        {f"{e.rule_id or 'sanity'} {e.column}": e.examples[:3] for e in failed}),
                    "data_docs": dg.MetadataValue.path(str(outcome.docs_page or report.docs_index)),
                    "seconds": outcome.seconds,
                },
            ))
        context.log.info(f"Data Docs: {report.docs_index} ({report.seconds} s)")
        if report.blocking_failures:
            # record every suite's result, then fail the step: publishing does not run
            discard_building(warehouse.warehouse())
            yield from results
            raise dg.Failure(description=report.block_message(),
                             metadata={"data_docs": dg.MetadataValue.path(str(report.docs_index))})
        yield dg.MaterializeResult(
            metadata={"path": dg.MetadataValue.path(str(report.docs_index)), "seconds": report.seconds,
                      "suites": len(report.suites),
                      "failed_warn_expectations": sum(len(s.warnings) for s in report.suites)},
        )
        yield from results

    return data_docs
