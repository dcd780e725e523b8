"""A full disk or an unwritable warehouse: `dpf refresh` stops with exit status 5 and a message
that says so, and analytics.duckdb and the dashboard stay byte for byte as they were (README,
Operations). After the disk has room again, the next refresh works.

How the disk is made full or unwritable, honestly, whoever runs the tests:
- "full": RLIMIT_FSIZE in the child (conftest.file_size_limit, SIGXFSZ ignored): any write past
  1 MB fails with EFBIG ("File too large"), for root too. That is far below the working
  warehouse, so the refresh runs out of room in the middle of its work. The run is the first
  of the `abused` fixture's: the refresh that finishes there, after it and four killed runs,
  is the one "after the disk has room again".
- "unwritable": as a normal user the warehouse and its files lose their write bits; chmod does
  not stop root, so as root the warehouse is mounted read-only (a bind mount in a private mount
  namespace of the child: nothing changes for anyone else). Where neither is possible the test
  is skipped and says why.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import stat
import subprocess
import sys

import pytest

from pipelines.refresh import EXIT_PUBLISH

# The one-paragraph message `dpf` prints last (after Dagster's own log lines on stderr).
MESSAGE = re.compile(r"^(步骤 |无法写入|数据库已发布)", re.M)


def final_message(stderr: str) -> str:
    starts = list(MESSAGE.finditer(stderr))
    assert starts, f"no message from dpf in:\n{stderr[-3000:]}"
    return stderr[starts[-1].start():]


# ---------------------------------------------------------------- a full disk during a refresh

def test_a_full_disk_stops_the_refresh_and_leaves_the_published_files(abused):
    full = abused.full_disk
    assert full.done.returncode not in (0, 1), full.done.stderr[-3000:]  # stopped by a handled, classified failure
    assert final_message(full.done.stderr)
    assert full.files == abused.before  # analytics.duckdb, the dashboard link and every dashboard file
    assert not [name for name in full.temporary if name.startswith("analytics.duckdb.building")]


def test_a_full_disk_exits_with_status_5_and_says_the_disk_is_full(abused):
    done = abused.full_disk.done
    message = final_message(done.stderr)
    assert done.returncode == EXIT_PUBLISH, message
    assert os.strerror(errno.EFBIG) in message and "磁盘" in message, message


def test_a_failed_refresh_prints_its_message_not_dagster_s_stack_traces(abused):
    done = abused.full_disk.done
    assert "Stack Trace:" not in done.stderr and "Traceback" not in done.stderr, done.stderr[-3000:]


def test_the_refresh_after_a_full_disk_publishes_what_an_uninterrupted_refresh_did(abused, rel):
    assert abused.finished.returncode == 0, abused.finished.stderr[-3000:]
    assert rel.marts(abused.warehouse) == rel.marts(abused.good)
    assert rel.temporary_files(abused.warehouse) == []


# ---------------------------------------------------------------- an unwritable warehouse

def unwritable(warehouse, command: list[str]) -> tuple[list[str], str]:
    """The command, run so that the warehouse is unwritable for it, and the error it should meet."""
    if os.geteuid() != 0:
        for path in [warehouse, *warehouse.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        return command, os.strerror(errno.EACCES)
    if shutil.which("unshare") is None:
        pytest.skip("running as root (chmod does not stop root) and no unshare(1) to mount the warehouse read-only")
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && ! touch "$1/.probe"',
                            "sh", str(warehouse)], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"running as root (chmod does not stop root) without the right to mount: {probe.stderr.strip()}")
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(warehouse),
            *command], os.strerror(errno.EROFS)


def test_an_unwritable_warehouse_stops_the_refresh_with_status_5(published, rel, tmp_path):
    good_landing, good = published
    warehouse = rel.copy_warehouse(good, tmp_path / "warehouse")
    before = rel.published_files(warehouse)
    command, error = unwritable(warehouse, rel.refresh_command(good_landing, warehouse))
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    finally:
        for path in [warehouse, *warehouse.rglob("*")]:  # let pytest clean up
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | stat.S_IWUSR)
    message = final_message(done.stderr)
    assert done.returncode == EXIT_PUBLISH, done.stderr[-3000:]
    assert "Cannot write to the warehouse folder" in message and error in message, message
    assert rel.published_files(warehouse) == before


# ---------------------------------------------------------------- publishing and rendering on a full disk

PUBLISH = """
import json, sys
from pathlib import Path
from pipelines.ingest.load import work_db
from pipelines.publish import publish
warehouse = Path(sys.argv[1])
try:
    publish(work_db(warehouse), warehouse)
except Exception as error:
    print(json.dumps({"error": type(error).__name__, "message": str(error)}))
else:
    print(json.dumps({"error": None}))
"""

RENDER = (PUBLISH.replace("from pipelines.publish import publish",
                          "from pipelines.dashboard.render import render_dashboard")
          .replace("publish(work_db(warehouse), warehouse)", "render_dashboard(warehouse)"))


@pytest.mark.parametrize("step", ["publish", "render"])
def test_a_full_disk_while_publishing_or_rendering_changes_nothing_and_leaves_no_half_built_file(
        step, published, rel, tmp_path):
    warehouse = rel.copy_warehouse(published[1], tmp_path / "warehouse")
    before = rel.published_files(warehouse)
    done = subprocess.run([sys.executable, "-c", PUBLISH if step == "publish" else RENDER, str(warehouse)],
                          capture_output=True, text=True, timeout=600, preexec_fn=rel.file_size_limit())
    assert done.returncode == 0, done.stderr[-3000:]  # the error reached the caller as an exception
    result = json.loads(done.stdout)
    assert result["error"] is not None, "the step fitted into the limit"
    # an error of the step's own that says what went wrong and what to do
    assert result["error"] == {"publish": "PublishFailed", "render": "DashboardNotWritten"}[step], result
    assert os.strerror(errno.EFBIG) in result["message"] and "disk space" in result["message"], result
    assert rel.published_files(warehouse) == before
    assert rel.temporary_files(warehouse) == []  # a half-built file would only fill the disk further
