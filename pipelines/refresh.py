"""`dpf refresh`: run the Dagster `refresh` job in this process, one refresh at a time per
warehouse, and turn its outcome into an exit status and a one-paragraph message.

Exit statuses (README, "Operations"):
  0 published; 3 stopped by a whole-file rule or a key problem (F01-F03, pseudonym key);
  4 stopped by a blocking data check (dbt test, or a blocking Great Expectations suite);
  5 publishing failed (disk, permissions), or the dashboard could not be rendered after the
  database was published; 6 another refresh of this warehouse is running; 1 anything else.
Except for a failed dashboard, the published database is then the previous one, untouched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

LOCK_NAME = ".refresh.lock"
EXIT_OK, EXIT_OTHER, EXIT_BLOCKED_FILE, EXIT_BLOCKED_CHECK, EXIT_PUBLISH, EXIT_BUSY = 0, 1, 3, 4, 5, 6
PUBLISH_STEP = "published__analytics"
STEP_EXIT = {"ingest_landing_files": EXIT_BLOCKED_FILE, "dbt_models": EXIT_BLOCKED_CHECK,
             "quality__data_docs": EXIT_BLOCKED_CHECK}


@dataclass
class Outcome:
    status: int
    message: str = ""
    summary: list[dict] = field(default_factory=list)  # latest-year district value per indicator
    stage_seconds: dict[str, float] = field(default_factory=dict)  # Dagster step -> wall time
    stage_spans: dict[str, tuple[float, float]] = field(default_factory=dict)  # step -> (start, end), epoch s
    # building the new analytics.duckdb, which runs during the quality step (publish.py)
    publish_copy_seconds: float | None = None


class RefreshBusy(Exception):
    pass


class WarehouseLock:
    """An advisory lock on <warehouse>/.refresh.lock: the kernel releases it when the
    process dies, so a killed refresh never leaves a stale lock behind."""

    def __init__(self, warehouse: Path):
        self.path = Path(warehouse) / LOCK_NAME
        self.handle = None

    def __enter__(self) -> "WarehouseLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.path, "a")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as busy:
            self.handle.close()
            raise RefreshBusy(f"另一个刷新正在使用仓库 {self.path.parent}，请稍后再试。"
                              f" Another refresh is using the warehouse {self.path.parent}; try again later.") from busy
        return self

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def refresh(landing: Path, warehouse: Path, log: Callable[[str], None] = print) -> Outcome:
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    # A log handler that cannot write (a full disk) must not print "--- Logging error ---"
    # tracebacks over the refresh's own message; the failing step reports the cause.
    logging.raiseExceptions = False
    landing, warehouse = Path(landing).resolve(), Path(warehouse).resolve()
    try:
        with WarehouseLock(warehouse):
            return _run(landing, warehouse, log)
    except RefreshBusy as busy:
        return Outcome(EXIT_BUSY, str(busy))
    except OSError as error:  # the warehouse folder cannot be created or locked
        return Outcome(EXIT_PUBLISH, f"无法写入仓库目录 {warehouse}：{error.strerror}。请检查磁盘空间和权限。"
                                     f" Cannot write to the warehouse folder {warehouse}: {error.strerror}."
                                     " Check free disk space and permissions.")


def _run(landing: Path, warehouse: Path, log: Callable[[str], None]) -> Outcome:
    from pipelines import dbt_worker

    dbt_worker.start()  # its imports run on the other core while this process loads Dagster
    import dagster as dg

    from pipelines.definitions import build_definitions
    from pipelines.publish import disk_problem
    from pipelines.resources import WarehouseResource

    log("构建作业 loading the refresh job")
    defs = build_definitions()
    job = defs.resolve_job_def("refresh")
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()
    logs = warehouse / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    run_log = logs / f"refresh-{dt.datetime.now():%Y%m%dT%H%M%S}.log"
    log(f"读取落地文件、dbt 构建与测试、质量套件、发布 ingest, dbt build and tests, quality suites, publish"
        f" (details: {run_log})")
    # dagster-dbt echoes every dbt event to stdout: keep them in the run's log file instead.
    try:
        # Dagster's console logger prints a failed step's stack traces on stderr: the log file
        # keeps them, the console gets the one-paragraph message below.
        with open(run_log, "w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink), \
                contextlib.redirect_stderr(sink):
            result = job.execute_in_process(
                instance=instance,
                resources={"warehouse": WarehouseResource(landing_dir=str(landing), warehouse_dir=str(warehouse))},
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
                raise_on_error=False,
            )
        spans = step_spans(instance, result.run_id)
        stages = {step: round(end - start, 2) for step, (start, end) in spans.items()}
    finally:
        if not os.environ.get("DAGSTER_HOME"):
            instance.dispose()
    if result.success:
        [published] = result.asset_materializations_for_node(PUBLISH_STEP)
        return Outcome(EXIT_OK, summary=latest_summary(warehouse), stage_seconds=stages, stage_spans=spans,
                       publish_copy_seconds=published.metadata["copy_seconds"].value)
    failure = result.get_step_failure_events()[0]
    data = failure.step_failure_data
    causes = _error_chain(data.error)
    message = (data.user_failure_data.description if data.user_failure_data else None) or causes[-1]
    disk = next(filter(None, (disk_problem(text) for text in [message, *causes])), None)
    if disk and "dashboard" not in failure.step_key:
        return Outcome(EXIT_PUBLISH, f"步骤 {failure.step_key} 失败：磁盘空间不足或仓库目录不可写（{disk}），已发布的数据库"
                                     f"保持不变。请腾出磁盘空间或修正权限后重新运行。 Step {failure.step_key} failed: the disk"
                                     f" is full or the warehouse folder is not writable ({disk}); the published database"
                                     f" is unchanged. Free disk space or fix the permissions, then run the refresh again."
                                     f"\n{message.strip()}\n(详情 details: {run_log})", stage_seconds=stages)
    if "dashboard" in failure.step_key:  # the database is out; the previous dashboard stays
        return Outcome(EXIT_PUBLISH, f"数据库已发布，但仪表板生成失败，仍为上一版本。 The database was published but the"
                                     f" dashboard could not be rendered; the previous one stays.\n{message.strip()}"
                                     f"\n(详情 details: {run_log})", stage_seconds=stages)
    status = STEP_EXIT.get(failure.step_key, EXIT_PUBLISH if "analytics" in failure.step_key else EXIT_OTHER)
    return Outcome(status, f"步骤 {failure.step_key} 失败，已发布的数据库保持不变。 Step {failure.step_key} failed;"
                           f" the published database is unchanged.\n{message.strip()}\n(详情 details: {run_log})")


def _error_chain(error) -> list[str]:
    """The messages of a Dagster error and its causes, outermost first: Dagster wraps the
    step's own exception ("Error occurred while executing op ..."), the cause says what."""
    messages = []
    while error is not None:
        messages.append(error.message.strip())
        error = error.cause
    return messages


def step_spans(instance, run_id: str) -> dict[str, tuple[float, float]]:
    """Start and end (epoch seconds) of each step of the run, from its events (benchmarks)."""
    started, spans = {}, {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in started:
            spans[event.step_key] = (started[event.step_key], entry.timestamp)
    return spans


def latest_summary(warehouse: Path) -> list[dict]:
    """The latest year's district value of each indicator against its target."""
    import duckdb

    from pipelines.config import DISTRICT_NAME
    from pipelines.publish import published_path

    con = duckdb.connect(str(published_path(warehouse)), read_only=True)
    try:
        rows = con.execute(
            """
            select v.indicator_code, d.name_zh, d.unit, v.period, v.value, v.target, v.meets_target
            from marts.indicator_values v join marts.dim_indicator d using (indicator_code)
            where v.area_level = 'district' and v.area_name = ?
              and v.period = (select max(period) from marts.indicator_values where length(period) = 4)
            order by v.indicator_code
            """,
            [DISTRICT_NAME],
        ).fetchall()
    finally:
        con.close()
    names = ("indicator_code", "name", "unit", "period", "value", "target", "meets_target")
    return [dict(zip(names, row)) for row in rows]


def summary_text(summary: list[dict]) -> str:
    """The summary as the console shows it; values formatted as on the dashboard (a rate
    just below its target keeps the decimals that show it below)."""
    from pipelines.dashboard.html import fmt_value

    lines = [f"{'指标':<4} {'年份':<4} {'数值':>10} {'目标':>8}  状态  名称"]
    for row in summary:
        value = "—" if row["value"] is None else fmt_value(row["value"], row["unit"], row["target"])
        target = "—" if row["target"] is None else fmt_value(row["target"], row["unit"])
        status = "无数据" if row["meets_target"] is None else ("达标" if row["meets_target"] else "未达标")
        lines.append(f"{row['indicator_code']:<4} {row['period']:<6} {value:>10} {target:>8}  {status:<4} "
                     f"{row['name']}（{row['unit']}）")
    return "\n".join(lines)
