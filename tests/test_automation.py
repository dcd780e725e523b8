"""The monthly schedule and the landing-folder sensor, evaluated with Dagster's build
contexts: the right run request on the right day; one run per new or changed file."""

import datetime as dt
import json
import os
import time
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from pipelines.automation import landing_sensor, monthly_schedule
from pipelines.ingest import landing as landing_folder
from pipelines.ingest.landing import content_hash
from pipelines.resources import WarehouseResource

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def no_telemetry(monkeypatch):
    monkeypatch.setenv("DAGSTER_DISABLE_TELEMETRY", "1")


def test_schedule_runs_refresh_at_six_on_the_fifth_shanghai_time():
    schedule = monthly_schedule()
    assert schedule.job_name == "refresh"
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 6 5 * *", "Asia/Shanghai")
    from dagster._utils.schedules import cron_string_iterator  # the iterator the daemon uses

    ticks = cron_string_iterator(dt.datetime(2025, 12, 20, tzinfo=SHANGHAI).timestamp(),
                                 schedule.cron_schedule, schedule.execution_timezone)
    first = [next(ticks) for _ in range(3)]
    assert [t.astimezone(SHANGHAI).replace(tzinfo=None) for t in first] == [
        dt.datetime(2026, 1, 5, 6), dt.datetime(2026, 2, 5, 6), dt.datetime(2026, 3, 5, 6)]
    assert first[0].astimezone(dt.timezone.utc).hour == 22  # 06:00 in Shanghai is 22:00 UTC the day before

    result = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=first[0]))
    assert len(result.run_requests) == 1
    request = result.run_requests[0]
    assert request.tags.get("dpf/trigger") == "schedule" and request.job_name in (None, "refresh")


def write(landing, relative: str, content: str, age_seconds: float = 600):
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    stamp = time.time() - age_seconds  # delivered a while ago: settled
    os.utime(path, (stamp, stamp))
    return path


def tick(landing, cursor, sensor=None):
    sensor = sensor or landing_sensor()
    context = dg.build_sensor_context(cursor=cursor,
                                      resources={"warehouse": WarehouseResource(landing_dir=str(landing))})
    return sensor.evaluate_tick(context)


def test_sensor_fires_once_per_new_file_and_again_when_it_changes(tmp_path):
    landing = tmp_path / "landing"
    sensor = landing_sensor()
    assert sensor.job_name == "refresh" and sensor.minimum_interval_seconds == 60

    first = write(landing, "subsidy/subsidy_202501.csv", "身份证号,金额\n1,2\n")
    write(landing, "manifest.json", "{}")  # not an extract
    result = tick(landing, None)
    assert len(result.run_requests) == 1
    cursor = json.loads(result.cursor)
    assert cursor == {"subsidy/subsidy_202501.csv": content_hash(first)}
    first_key = result.run_requests[0].run_key
    assert first_key and result.run_requests[0].tags["dpf/trigger"] == "landing"

    again = tick(landing, result.cursor)  # nothing new: no run, cursor kept
    assert again.run_requests == [] and again.skip_message
    assert again.cursor in (None, result.cursor)

    write(landing, "registry/registry_202512.csv", "身份证号\n")
    write(landing, "subsidy/not_a_period.csv", "x\n")  # F02 name: not an extract, no run
    new = tick(landing, result.cursor)
    assert len(new.run_requests) == 1 and new.run_requests[0].run_key != first_key
    assert set(json.loads(new.cursor)) == {"subsidy/subsidy_202501.csv", "registry/registry_202512.csv"}
    assert tick(landing, new.cursor).run_requests == []

    write(landing, "subsidy/subsidy_202501.csv", "身份证号,金额\n1,3\n")  # re-delivered with other content
    changed = tick(landing, new.cursor)
    assert len(changed.run_requests) == 1
    assert json.loads(changed.cursor)["subsidy/subsidy_202501.csv"] != cursor["subsidy/subsidy_202501.csv"]
    assert changed.run_requests[0].run_key not in (first_key, new.run_requests[0].run_key)

    # removed, then the same bytes delivered again: the same file, no second run
    saved = first.read_bytes()
    first.unlink()
    assert tick(landing, changed.cursor).run_requests == []
    first.write_bytes(saved)
    assert tick(landing, changed.cursor).run_requests == []


def test_sensor_reads_a_file_again_to_hash_it_only_when_its_stat_changed(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    path = write(landing, "subsidy/subsidy_202501.csv", "身份证号,金额\n1,2\n")
    monkeypatch.setattr(landing_folder, "STAT_SETTLED_SECONDS", 0.05)
    time.sleep(0.1)  # the file has settled, and the clock's tick is past
    hashed = []

    def counted(file):
        hashed.append(file.name)
        return content_hash(file)

    monkeypatch.setattr(landing_folder, "content_hash", counted)
    first = tick(landing, None)
    assert len(first.run_requests) == 1 and hashed == ["subsidy_202501.csv"]
    assert tick(landing, first.cursor).run_requests == [] and hashed == ["subsidy_202501.csv"]

    # re-delivered with the same size, its modification time kept (cp -p): the change time tells
    before = path.stat()
    path.write_text("身份证号,金额\n1,3\n", encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    changed = tick(landing, first.cursor)
    assert len(changed.run_requests) == 1 and hashed == ["subsidy_202501.csv"] * 2
    assert json.loads(changed.cursor) == {"subsidy/subsidy_202501.csv": content_hash(path)}


def test_sensor_waits_for_a_file_still_being_written(tmp_path):
    landing = tmp_path / "landing"
    write(landing, "survey/survey_2025.csv", "身份证号\n", age_seconds=0)
    waiting = tick(landing, None)
    assert waiting.run_requests == [] and "still being written" in waiting.skip_message
    old = time.time() - 120
    os.utime(landing / "survey/survey_2025.csv", (old, old))
    assert len(tick(landing, waiting.cursor).run_requests) == 1


def test_sensor_skips_a_missing_landing_folder(tmp_path):
    result = tick(tmp_path / "nowhere", None)
    assert result.run_requests == [] and "not found" in result.skip_message
