"""The dbt worker process (pipelines/dbt_worker.py): how it ends when things go wrong.
A real build through it is every refresh's dbt step (tests/test_refresh.py and others)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import duckdb

from pipelines import dbt_worker
from pipelines.config import DBT_PROJECT_DIR, PROJECT_ROOT


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # a dead child of a dead parent is reaped by init; until then it is a zombie
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(") ", 1)[1].startswith("Z"):
                    return True
        except FileNotFoundError:  # reaped since
            return True
        time.sleep(0.05)
    return False


def test_a_worker_that_dies_before_its_build_is_a_failure_not_a_hang():
    worker = dbt_worker.DbtWorker()
    worker.process.kill()
    messages = list(worker.build(["build"]))
    assert len(messages) == 1
    assert "the dbt worker process exited with status -9 before the end of the build" in messages[0]["failure"]


def test_a_build_dbt_refuses_is_a_failure_message_and_the_worker_ends():
    worker = dbt_worker.DbtWorker()
    messages = list(worker.build(["build", "--project-dir", str(PROJECT_ROOT / "no-such-project")]))
    assert messages[-1] == {"done": True}
    failures = [m["failure"] for m in messages if "failure" in m]
    assert failures and any("no-such-project" in text or "dbt_project.yml" in text for text in failures), failures
    assert worker.process.returncode == 0


def test_start_keeps_one_worker_waiting_and_it_ends_when_its_stdin_closes():
    dbt_worker.start()
    first = dbt_worker._ready
    dbt_worker.start()
    assert dbt_worker._ready is first and first.process.poll() is None
    taken = dbt_worker.take()
    assert taken is first and dbt_worker._ready is None
    taken.process.stdin.close()  # as when this process is gone without its exit handlers
    assert taken.process.wait(timeout=60) == 0


def test_a_worker_whose_output_cannot_be_copied_still_finishes(tmp_path, monkeypatch):
    """On a full disk the refresh's log file refuses the worker's stderr lines: they are
    dropped, but the pipe is still drained, or a worker that prints more than a pipe holds
    would block for ever (dbt's log handler prints each failed write of dbt.log there).
    `dbt ls --output json` prints about 260 KB."""
    log = open(tmp_path / "refresh.log", "w")
    log.close()  # every write to it fails
    monkeypatch.setattr(sys, "stderr", log)
    worker = dbt_worker.DbtWorker()
    arguments = ["ls", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                 "--output", "json", "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path),
                 "--vars", json.dumps({"work_db": str(tmp_path / "work.duckdb")})]
    messages: list[dict] = []
    reader = threading.Thread(target=lambda: messages.extend(worker.build(arguments)), daemon=True)
    reader.start()
    reader.join(timeout=120)
    if reader.is_alive():
        worker.process.kill()
    assert not reader.is_alive(), "the worker blocked writing its stderr"
    assert messages == [{"done": True}]


def test_the_worker_ends_with_the_process_that_started_it(tmp_path):
    """A refresh killed by itself (not its process group) must not leave dbt running on the
    working warehouse: the worker, busy (importing dbt, then a full parse: 5-7 s) and silent
    (so that no write to a closed pipe ends it), ends at once."""
    arguments = ["parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                 "--no-partial-parse", "--quiet", "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path),
                 "--vars", json.dumps({"work_db": str(tmp_path / "work.duckdb")})]
    code = ("import json, sys, time\nfrom pipelines import dbt_worker\n"
            "worker = dbt_worker.DbtWorker()\n"
            "worker.process.stdin.write(json.dumps(json.loads(sys.argv[1])) + '\\n')\n"
            "worker.process.stdin.close()\n"
            "print(worker.process.pid, flush=True)\ntime.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, "-c", code, json.dumps(arguments)], stdout=subprocess.PIPE,
                              text=True, cwd=PROJECT_ROOT)
    try:
        worker_pid = int(parent.stdout.readline())
        parent.send_signal(signal.SIGKILL)  # the worker is importing dbt, then parses: 5-7 s
        parent.wait()
        assert _gone(worker_pid, within=1.5)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def test_a_worker_s_fast_exit_still_closes_the_warehouse_and_frees_its_semaphores(tmp_path):
    """The worker skips the interpreter's teardown (pipelines/process_exit.py) but not the
    exit handlers: dbt-duckdb's closes the database, so DuckDB's log is checkpointed into
    the file (a worker ended by `os._exit` alone leaves `work.duckdb.wal` behind), and
    multiprocessing's releases dbt's semaphores (else its resource tracker warns of leaks)."""
    from pipelines.dbt_command import build_arguments

    work_db = tmp_path / "work.duckdb"
    worker = dbt_worker.DbtWorker()
    arguments = build_arguments(work_db, tmp_path / "target", ["--select", "towns", "villages"], None)
    messages = list(worker.build(arguments))
    assert messages[-1] == {"done": True} and not [m for m in messages if "failure" in m], messages
    assert worker.process.returncode == 0
    assert not list(tmp_path.glob("work.duckdb*.wal"))
    assert not [line for line in worker.stderr_tail if "leaked" in line], worker.stderr_tail
    con = duckdb.connect(str(work_db), read_only=True)
    try:
        assert con.sql("select count(*) from reference.towns").fetchall() == [(12,)]
    finally:
        con.close()
