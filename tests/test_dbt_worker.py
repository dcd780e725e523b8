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
from pathlib import Path

import duckdb
import pytest

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


def _dbt_arguments(tmp_path: Path, *command: str) -> list[str]:
    return [*command, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--quiet",
            "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path),
            "--vars", json.dumps({"work_db": str(tmp_path / "work.duckdb")})]


def _parent_of_a_worker(arguments: list[str], env: dict | None = None) -> subprocess.Popen:
    """A process that starts a worker, hands it one build (`arguments`) and sleeps; its first
    line of output is the worker's pid."""
    code = ("import json, sys, time\nfrom pipelines import dbt_worker\n"
            "worker = dbt_worker.DbtWorker()\n"
            "worker.process.stdin.write(json.dumps(json.loads(sys.argv[1])) + '\\n')\n"
            "worker.process.stdin.flush()\n"
            "print(worker.process.pid, flush=True)\ntime.sleep(600)\n")
    return subprocess.Popen([sys.executable, "-c", code, json.dumps(arguments)], stdout=subprocess.PIPE, text=True,
                            cwd=PROJECT_ROOT, env=env)


def test_the_worker_ends_with_the_process_that_started_it(tmp_path):
    """A refresh killed by itself (not its process group) must not leave dbt running on the
    working warehouse: the worker, busy (importing dbt, then a full parse: 5-7 s) and silent
    (so that no write to a closed pipe ends it), ends at once."""
    parent = _parent_of_a_worker(_dbt_arguments(tmp_path, "parse", "--no-partial-parse"))
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


def _warm_up_results(temporary: Path, within: float) -> dict[str, str]:
    """unique_id -> status of the warm-up build, once its scratch folder has its results."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for results in temporary.glob(f"{dbt_worker.WARM_UP_PREFIX}*/target/run_results.json"):
            try:
                return {r["unique_id"]: r["status"] for r in json.loads(results.read_text())["results"]}
            except ValueError:  # being written
                pass
        time.sleep(0.2)
    raise AssertionError(f"no warm-up build in {temporary} within {within} s")


def test_the_worker_warms_up_in_a_scratch_folder_and_leaves_nothing_there(tmp_path, monkeypatch):
    """Before its build the worker builds the towns seed and dim_area, with their tests, into
    a scratch database in the temporary folder, gone when the worker ends, with a build after
    it or none; the build proper holds only its own nodes."""
    from pipelines.dbt_command import build_arguments

    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))

    idle = dbt_worker.DbtWorker()
    warmed = _warm_up_results(temporary, within=120)
    assert {node.split(".")[-1] for node in warmed if not node.startswith("test.")} == {"towns", "dim_area"}
    # their tests too (one column_rules test each)
    assert len([node for node in warmed if node.startswith("test.")]) >= 2, warmed
    assert set(warmed.values()) <= {"success", "pass"}, warmed
    idle.process.stdin.close()  # no build after all
    assert idle.process.wait(timeout=60) == 0
    assert list(temporary.iterdir()) == []

    worker = dbt_worker.DbtWorker()
    _warm_up_results(temporary, within=120)
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "manifest.json").write_text("{}")  # an older version's, of a build long past
    arguments = build_arguments(tmp_path / "work.duckdb", tmp_path / "target", ["--select", "villages"], "cautious")
    messages = list(worker.build(arguments))
    assert messages[-1] == {"done": True} and not [m for m in messages if "failure" in m], messages
    built = {r["unique_id"] for r in json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]}
    assert "seed.dpf_indicators.villages" in built and not any(node.endswith((".towns", ".dim_area")) for node in built)
    # run_results.json is the worker's; dbt wrote no other artifact (--no-write-json), and
    # the older one is gone
    written = {p.name for p in (tmp_path / "target").iterdir()}
    assert not {"manifest.json", "semantic_manifest.json", "graph.gpickle"} & written, written
    assert list(temporary.iterdir()) == []


def test_a_warm_up_that_cannot_run_leaves_the_build_alone(tmp_path, monkeypatch):
    from pipelines.dbt_command import build_arguments

    monkeypatch.setenv("TMPDIR", str(tmp_path / "no-such-folder"))  # no scratch folder: no warm-up
    worker = dbt_worker.DbtWorker()
    messages = list(worker.build(build_arguments(tmp_path / "work.duckdb", tmp_path / "target",
                                                 ["--select", "towns"], "cautious")))
    assert messages[-1] == {"done": True} and not [m for m in messages if "failure" in m], messages
    assert worker.process.returncode == 0


def test_a_warm_up_removes_the_scratch_folders_of_ended_workers(tmp_path, monkeypatch):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("TMPDIR", str(temporary))
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    stale = temporary / f"{dbt_worker.WARM_UP_PREFIX}{ended.pid}-left"  # a worker killed outright
    in_use = temporary / f"{dbt_worker.WARM_UP_PREFIX}{os.getpid()}-busy"  # a running process's
    for folder in (stale, in_use):
        (folder / "target").mkdir(parents=True)
    worker = dbt_worker.DbtWorker()
    _warm_up_results(temporary, within=120)
    assert not stale.exists() and in_use.exists()
    worker.process.stdin.close()
    assert worker.process.wait(timeout=60) == 0
    assert [folder.name for folder in temporary.iterdir()] == [in_use.name]


@pytest.mark.parametrize("after", [0.0, 1.4, 1.7, 2.0, 2.4, "the warm-up"])
def test_a_worker_whose_parent_is_killed_removes_its_scratch_folder(tmp_path, after):
    """Killed at several moments of the warm-up (seconds after its folder appears) and in the
    long query it runs after it: dbt, still writing into the folder from the worker's
    main thread, made files again behind a removal done from its watcher (CI, once)."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    query = "select count(*) from range(100000000000) t(i) where i % 7 = 3"  # minutes
    parent = _parent_of_a_worker(_dbt_arguments(tmp_path, "show", "--inline", query),
                                 env={**os.environ, "TMPDIR": str(temporary)})
    try:
        worker_pid = int(parent.stdout.readline())
        deadline = time.monotonic() + 120
        while not list(temporary.glob(f"{dbt_worker.WARM_UP_PREFIX}{worker_pid}-*")):
            assert time.monotonic() < deadline, "no warm-up folder"
            time.sleep(0.05)
        if after == "the warm-up":
            _warm_up_results(temporary, within=120)
            time.sleep(1)  # its build has returned: the worker runs the query
        else:
            time.sleep(after)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert _gone(worker_pid, within=1.5)
        deadline = time.monotonic() + 2
        while list(temporary.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [str(path.relative_to(temporary)) for path in temporary.rglob("*")] == []
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
