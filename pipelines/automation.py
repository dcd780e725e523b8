"""Dagster automation for the `refresh` job (wired in definitions.py): the monthly
schedule and the landing-folder sensor.

The sensor's cursor is JSON {landing-relative path: sha256 of the content}. A file fires
a run when its path is new or its hash differs from the cursor's; the cursor then keeps
the hash, so one delivery never fires twice (not even when the file is removed and the
same bytes are delivered again). The run key is derived from the hashes that fired, so
Dagster itself also refuses a duplicate run for the same delivery. A file whose stat is
the one it was hashed with in this process is not read again to be hashed (ingestion's
rule, landing.hash_unless_known): hashing a province's 4.3 GB of extracts took 5 s.
"""

# No `from __future__ import annotations`: Dagster reads the resource annotation at runtime.
import hashlib
import json
import time
from functools import cache
from typing import TYPE_CHECKING

import dagster as dg

from pipelines.resources import WarehouseResource

if TYPE_CHECKING:
    from pipelines.ingest.landing import FileStat

JOB_NAME = "refresh"
MONTHLY_CRON = "0 6 5 * *"  # 06:00 on the 5th: the month's ledgers and snapshots are in by then
TIMEZONE = "Asia/Shanghai"
SENSOR_INTERVAL_SECONDS = 60
SETTLE_SECONDS = 60  # a file modified more recently may still be being copied: next tick


@cache
def monthly_schedule(default_status: dg.DefaultScheduleStatus = dg.DefaultScheduleStatus.RUNNING
                     ) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="monthly_refresh",
        cron_schedule=MONTHLY_CRON,
        execution_timezone=TIMEZONE,
        job_name=JOB_NAME,
        default_status=default_status,
        tags={"dpf/trigger": "schedule"},
        description="每月5日06:00（北京时间）刷新指标。 Monthly refresh, 06:00 Asia/Shanghai on the 5th.",
    )


# absolute path -> (sha256, stat when hashed), for the code server's lifetime
_hashed: "dict[str, tuple[str, FileStat]]" = {}


def landing_hashes(landing, settle_seconds: float = 0, now: float | None = None) -> tuple[dict[str, str], list[str]]:
    """{relative path: sha256} of the contract files in the landing folder, and the files
    left for a later tick because they changed less than settle_seconds ago."""
    from pipelines.ingest.landing import discover, hash_unless_known

    now = time.time() if now is None else now
    files, _rejected = discover(landing)
    hashes, unsettled = {}, []
    for f in files:
        if settle_seconds and now - f.path.stat().st_mtime < settle_seconds:
            unsettled.append(f.relative)
            continue
        path = str(f.path.absolute())
        digest, stat = hash_unless_known(f.path, _hashed.get(path))
        if stat is None:
            _hashed.pop(path, None)
        else:
            _hashed[path] = (digest, stat)
        hashes[f.relative] = digest
    return hashes, unsettled


def run_key(changed: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for path, content in sorted(changed.items()):
        digest.update(f"{path}\0{content}\n".encode())
    return f"landing-{digest.hexdigest()[:32]}"


@cache
def landing_sensor(default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
                   settle_seconds: float = SETTLE_SECONDS) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_sensor",
        job_name=JOB_NAME,
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=default_status,
        description="落地目录出现新的或有变化的抽取文件时触发刷新。"
        " Requests a refresh when a new or changed extract appears in the landing folder.",
    )
    def landing_files(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        landing = warehouse.landing()
        if not landing.is_dir():
            return dg.SkipReason(f"落地目录不存在 / landing folder not found: {landing}")
        seen = json.loads(context.cursor) if context.cursor else {}
        hashes, unsettled = landing_hashes(landing, settle_seconds)
        changed = {path: digest for path, digest in hashes.items() if seen.get(path) != digest}
        if not changed:
            waiting = f"; {len(unsettled)} file(s) still being written" if unsettled else ""
            return dg.SkipReason(f"no new or changed extract in {landing}{waiting}")
        context.log.info(f"new or changed extracts: {', '.join(sorted(changed))}")
        return dg.SensorResult(
            run_requests=[dg.RunRequest(
                run_key=run_key(changed),
                tags={"dpf/trigger": "landing", "dpf/files": str(len(changed))},
            )],
            cursor=json.dumps({**seen, **changed}, sort_keys=True, ensure_ascii=False),
        )

    return landing_files
