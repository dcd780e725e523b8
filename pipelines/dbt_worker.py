"""`dbt build` in a process of its own, started before it is needed.

In the refresh's own process, dbt's Python (Jinja, its adapter, its events: about 45 ms per
node) and Dagster's handling of each finished node (events stored, data versions looked up)
shared one interpreter lock: at district the dbt step took 17.8-21 s where dbt alone takes
about 13 s. In a process of its own dbt runs on one core while this process turns its
results into Dagster events on the other.

The worker is started early (by `dpf refresh` first thing, else by the ingestion step) so
that its start-up, importing dbt and reading the prepared manifest (about 3 s), and a small
warm-up build into a scratch database (`_warm_up`) overlap Dagster's start-up and
ingestion; it then waits for its one build.

`python -m pipelines.dbt_worker <parent pid>` is the worker: it reads one JSON line (the
`dbt build` arguments) on stdin and writes JSON lines on its stdout: {"event": <dbt event>}
for each finished node, {"failure": <text>} for each error, then {"done": true}. It writes
dbt's `run_results.json` into the build's target folder itself (`_write_run_results`).
Anything dbt prints goes to its stderr, which the parent copies into the log of the build.
It exits after the build, when its stdin closes, when its parent is gone (within 0.2 s), and
is killed if still running when its parent's interpreter ends. It exits without the
interpreter's teardown (pipelines/process_exit.py; about 0.8 s after a build, which the dbt
step waited for): the exit handlers still run, among them dbt-duckdb's, which closes the
DuckDB database and so checkpoints its log into the file.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

# dbt's artifacts that the builds no longer write (`--no-write-json`, pipelines/dbt_command.py):
# an older version's, left in a warehouse's target folder, would describe a build long past.
UNWRITTEN_ARTIFACTS = ("manifest.json", "semantic_manifest.json", "graph.gpickle")
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})
STDERR_TAIL_LINES = 5  # of a worker that dies, in the step's failure message
WARM_UP_PREFIX = "dpf-dbt-warm-up-"  # its scratch folder, in the system's temporary folder
_scratch: Path | None = None  # this worker's, once made
_warming_up = False  # while the warm-up's build writes into it


# ---------------------------------------------------------------- the worker process

def _watch_parent(parent: int) -> None:
    """Exit when the process that started this one is gone (killed mid-build, say), so that
    it frees the working warehouse for the next refresh within a fraction of a second."""
    while os.getppid() == parent:
        time.sleep(0.2)
    if _scratch is not None:
        if _warming_up:
            _remove_once_ended(_scratch)
        else:
            shutil.rmtree(_scratch, ignore_errors=True)
    os._exit(1)


def _remove_once_ended(folder: Path) -> None:
    """Remove the warm-up's folder after this process has ended. The warm-up may still be
    writing into it from the main thread (dbt makes the folders it writes to again), so a
    removal from here could leave files behind: a process forked for the purpose waits for
    this one to end, then removes it. Without a fork (no memory for one), remove it now.
    Only during the warm-up: a worker in the build proper is not forked with its memory and
    its handle on the working warehouse."""
    worker = os.getpid()
    try:
        cleaner = os.fork()
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return
    if cleaner == 0:
        try:
            while os.getppid() == worker:
                time.sleep(0.01)
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            os._exit(0)


def _without_traceback(text: str) -> str:
    """dbt's error events may carry a Python traceback: the message is what comes before it."""
    return text.split("Traceback (most recent call last)", 1)[0].strip()


def main(parent: int) -> int:
    """parent: the pid of the process that started this one (it may be gone already)."""
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    # As in the refresh (pipelines/refresh.py): a log handler that cannot write (a full
    # disk) must not print "--- Logging error ---" tracebacks; the failing node reports it.
    logging.raiseExceptions = False
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # dbt's own printing goes to stderr; stdout carries the protocol only
    sys.stdout = sys.stderr
    lock = threading.Lock()

    def send(message: dict) -> None:
        line = json.dumps(message, ensure_ascii=False, default=str)
        with lock:
            protocol.write(line + "\n")
            protocol.flush()

    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    from pipelines.dbt_manifest import prepare_manifest, prepared_manifest_object

    prepare_manifest()  # prepared already in a refresh, whose definitions need it
    manifest = prepared_manifest_object()
    _warm_up(dbtRunner, manifest)
    line = sys.stdin.readline()
    if not line:  # the parent did not need a build
        return 0
    arguments = json.loads(line)

    def on_event(message) -> None:
        if message.info.name in RESULT_EVENTS:
            send({"event": msg_to_dict(message)})
        elif message.info.level == "error":
            send({"failure": _without_traceback(message.info.msg)})

    try:
        outcome = dbtRunner(manifest=manifest, callbacks=[on_event]).invoke(arguments)
        if outcome.exception is not None:
            send({"failure": f"{type(outcome.exception).__name__}: {outcome.exception}"})
        elif not outcome.success:
            send({"failure": "dbt build did not succeed"})
        _write_run_results(outcome, arguments)  # after dbt's own failure, which it must not hide
    except BaseException as error:  # reported by the parent's step, never lost
        send({"failure": f"{type(error).__name__}: {error}"})
    send({"done": True})
    return 0


def _write_run_results(outcome, arguments: list[str]) -> None:
    """dbt's run_results.json into the build's target folder, as dbt writes it without
    `--no-write-json` (pipelines/dbt_command.py): the nodes' statuses, timings and failures,
    and the build's arguments. A build that did not run (an exception) has none. The
    artifacts dbt no longer writes there go, if an older version left them."""
    if "--target-path" not in arguments:  # not a build of build_arguments (pipelines/dbt_command.py)
        return
    target = Path(arguments[arguments.index("--target-path") + 1])
    for name in UNWRITTEN_ARTIFACTS:
        (target / name).unlink(missing_ok=True)
    result = outcome.result
    if hasattr(result, "write"):
        target.mkdir(parents=True, exist_ok=True)
        result.write(str(target / "run_results.json"))


def _warm_up(dbt_runner, manifest) -> None:
    """A first, small build while the refresh still loads Dagster and ingests: the towns seed
    and dim_area, with their tests, into a DuckDB file of a temporary folder. dbt's first
    build in a process pays for work a second one does not (loading its DuckDB adapter,
    compiling its validators, its macros' templates): at district, the refresh's dbt step
    took 1-2 s less after this one (benchmarks/RESULTS.md). Whatever happens here stays
    here: its output is not the build's and the build runs anyway.

    The folder (about 2 MB) goes when the worker ends: at its exit, or (just after it) when
    its parent is gone (`_watch_parent`). A worker killed outright leaves it; the next warm-up
    removes the folders of workers that are no longer running (their pid is in the name)."""
    global _scratch, _warming_up
    from pipelines.dbt_command import build_arguments

    try:
        _remove_scratch_of_ended_workers()
        _scratch = Path(tempfile.mkdtemp(prefix=f"{WARM_UP_PREFIX}{os.getpid()}-"))
        # Registered before dbt-duckdb's own exit handler (its module loads in the build
        # below), so it runs after it: the scratch database is closed before its folder goes.
        atexit.register(shutil.rmtree, _scratch, True)
        _warming_up = True
        arguments = build_arguments(_scratch / "work.duckdb", _scratch / "target",
                                    ["--select", "towns", "dim_area"], "cautious")
        _write_run_results(dbt_runner(manifest=manifest, callbacks=[]).invoke(arguments), arguments)
    except Exception:  # noqa: BLE001  (no temporary folder, say: the build proper reports its own errors)
        pass
    finally:
        _warming_up = False


def _remove_scratch_of_ended_workers() -> None:
    for folder in Path(tempfile.gettempdir()).glob(f"{WARM_UP_PREFIX}*-*"):
        pid = folder.name[len(WARM_UP_PREFIX):].split("-", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:  # ended: not a folder in use
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # another user's process, alive
            pass


# ---------------------------------------------------------------- the parent's side

class DbtWorker:
    """One worker process, for one build."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipelines.dbt_worker", str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8", errors="replace",
        )
        self.stderr_tail: list[str] = []
        self.sink = None  # where its stderr is copied: this process's stderr when its build starts
        self._relay = threading.Thread(target=self._copy_stderr, name="dbt-worker-stderr", daemon=True)
        self._relay.start()
        _started.add(self)  # killed if still running when this process ends (_end_workers)

    def _copy_stderr(self) -> None:
        """The worker's stderr into this process's stderr as it was when the build started
        (the refresh's log file), never the console after it; the last lines are kept for
        the message if the worker dies. It drains the pipe to the end whatever happens to
        the copy: a worker whose stderr fills up blocks."""
        for line in self.process.stderr:
            self.stderr_tail = [*self.stderr_tail[-(STDERR_TAIL_LINES - 1):], line.rstrip("\n")]
            if self.sink is not None:
                try:
                    print(line, end="", file=self.sink, flush=True)
                except Exception:  # noqa: BLE001  (a full disk or a closed log: the line is dropped)
                    pass

    def build(self, arguments: list[str]) -> Iterator[dict]:
        """Send the arguments and return the worker's messages, read as they come by a
        thread of their own (the worker never waits for this process), until it is done
        and has exited (so that its DuckDB file is free). A worker that dies yields a
        failure; a caller that stops reading ends the worker."""
        self.sink = sys.stderr
        try:
            self.process.stdin.write(json.dumps(arguments) + "\n")
            self.process.stdin.close()
        except OSError:
            pass  # it died before the build: reported when its messages end
        messages: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._read_messages, args=(messages,), name="dbt-worker-messages",
                         daemon=True).start()
        return self._messages(messages)

    def _read_messages(self, messages: queue.SimpleQueue) -> None:
        """Every message, then the worker's exit status, whatever the lines hold."""
        try:
            for line in self.process.stdout:
                try:
                    messages.put(json.loads(line))
                except ValueError:
                    messages.put({"failure": f"the dbt worker wrote an unreadable line: {line[:200]!r}"})
        finally:
            status = self.process.wait()
            self._relay.join()
            messages.put(status)

    def _messages(self, messages: queue.SimpleQueue) -> Iterator[dict]:
        done = False
        try:
            while not isinstance(message := messages.get(), int):
                done = done or message.get("done", False)
                yield message
        finally:
            if not done:  # the step stopped reading (it failed): the build must not go on
                self.process.kill()
                self.process.wait()
                self._relay.join()  # its last lines go where this step's output goes
        if not done or message != 0:
            tail = "\n".join(self.stderr_tail)
            yield {"failure": f"the dbt worker process exited with status {message} before the end of the build"
                              + (f":\n{tail}" if tail else "")}


_ready: DbtWorker | None = None
_started: weakref.WeakSet = weakref.WeakSet()
_lock = threading.Lock()


def start() -> None:
    """Start a worker for the next build, unless one is waiting already."""
    global _ready
    with _lock:
        if _ready is None or _ready.process.poll() is not None:
            _ready = DbtWorker()


def take() -> DbtWorker:
    """The waiting worker, or a new one (a dbt step run without ingestion before it)."""
    global _ready
    with _lock:
        worker, _ready = _ready, None
    if worker is None or worker.process.poll() is not None:
        worker = DbtWorker()
    return worker


@atexit.register
def _end_workers() -> None:
    """Workers still running when this process ends: one waiting holds nothing yet, one
    still building had its step abandoned (say by a failure Dagster did not close it on)."""
    for worker in list(_started):
        if worker.process.poll() is None:
            worker.process.kill()


if __name__ == "__main__":
    from pipelines.process_exit import exit_now

    exit_now(main(int(sys.argv[1])))
