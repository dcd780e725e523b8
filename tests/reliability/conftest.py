"""Reliability tests (issue 7): readers during refreshes, killed refreshes, full or
unwritable disks. Real refreshes of a small generated district into real warehouse folders.

One warehouse is refreshed once per session (`published`): the district's extracts without
the last three monthly ledgers, which "arrive" later, one per refresh. Each test works on its
own copy of that warehouse, so the expensive first build is paid once. A second copy goes
through everything that can stop a refresh, one run after the other (`abused`), then one run
is left to finish: test_disk_problems.py and test_crash_recovery.py read what it left.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import duckdb
import pytest

from pipelines.config import PROJECT_ROOT
from pipelines.ingest.landing import content_hash
from pipelines.refresh import RefreshBusy, WarehouseLock

HOLDERS = 1_500
SEED = 7
LATE_LEDGERS = ("subsidy_202510", "subsidy_202511", "subsidy_202512")  # arrive one per refresh
# What a refresh leaves only while it runs (publish.py, dashboard/render.py, quality/run.py):
# none of it may survive the next complete refresh. (Ingestion's `.ingest-*` scratch folders:
# see test_crash_recovery.py.)
TEMPORARY_PREFIXES = ("analytics.duckdb.building", "dashboard.building-", ".dashboard.link-", ".quality.building",
                      ".quality.old")


@pytest.fixture(scope="session")
def district(tmp_path_factory) -> Path:
    """Every extract of a small district (1,500 holders), 2021-01 to 2025-12."""
    from pipelines.generate.run import generate

    folder = tmp_path_factory.mktemp("district") / "landing"
    generate(folder, holders=HOLDERS, seed=SEED)
    return folder


def landing_copy(district: Path, target: Path, arrived: int = 0) -> Path:
    """The district's extracts without the late ledgers, but for the first `arrived` of them."""
    shutil.copytree(district, target)
    for stem in LATE_LEDGERS[arrived:]:
        for path in (target / "subsidy").glob(stem + ".*"):
            path.unlink()
    return target


def deliver(district: Path, landing: Path, stem: str) -> Path:
    """One late ledger arrives in the landing folder."""
    [source] = (district / "subsidy").glob(stem + ".*")
    return Path(shutil.copy2(source, landing / "subsidy" / source.name))


def reexport(path: Path) -> None:
    """The same CSV exported again: identical rows, other bytes (BOM added or removed, or GB18030
    turned into UTF-8), so ingestion loads it again while every result must stay the same."""
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        path.write_bytes(raw[3:])
        return
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        path.write_bytes(raw.decode("gb18030").encode("utf-8"))
    else:
        path.write_bytes(b"\xef\xbb\xbf" + raw)


@pytest.fixture(scope="session")
def published(district, tmp_path_factory):
    """(landing, warehouse) after one good refresh of the district minus the late ledgers."""
    from pipelines.refresh import refresh

    root = tmp_path_factory.mktemp("published")
    landing = landing_copy(district, root / "landing")
    warehouse = root / "warehouse"
    outcome = refresh(landing, warehouse, log=lambda _: None)
    assert outcome.status == 0, outcome.message
    return landing, warehouse


def copy_warehouse(source: Path, target: Path) -> Path:
    """A copy to break: the dashboard link is relative, so it follows the copy."""
    shutil.copytree(source, target, symlinks=True)
    return target


def published_files(warehouse: Path) -> dict[str, str]:
    """What analysts use, byte for byte: analytics.duckdb, where the dashboard link points,
    and the sha256 of every file of the dashboard folder behind it."""
    warehouse = Path(warehouse)
    files = {"analytics.duckdb": content_hash(warehouse / "analytics.duckdb"),
             "dashboard ->": os.readlink(warehouse / "dashboard")}
    folder = (warehouse / "dashboard").resolve()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            files[f"dashboard/{path.relative_to(folder)}"] = content_hash(path)
    return files


def marts(warehouse: Path) -> dict[str, list[tuple]]:
    """indicator_values and dq_findings of the published database, rows in a fixed order (the
    comparison does not depend on the order a refresh wrote them in)."""
    con = duckdb.connect(str(Path(warehouse) / "analytics.duckdb"), read_only=True)
    try:
        return {name: con.execute(f"select * from marts.{name} order by all").fetchall()
                for name in ("indicator_values", "dq_findings")}
    finally:
        con.close()


def published_version(warehouse: Path) -> str:
    con = duckdb.connect(str(Path(warehouse) / "analytics.duckdb"), read_only=True)
    try:
        [(version,)] = con.execute("select distinct version from marts.publish_version").fetchall()
        return version
    finally:
        con.close()


def temporary_files(warehouse: Path) -> list[str]:
    return sorted(p.name for p in Path(warehouse).iterdir() if p.name.startswith(TEMPORARY_PREFIXES))


def refresh_command(landing: Path, warehouse: Path) -> list[str]:
    """`dpf refresh` exactly as the console script runs it."""
    return [sys.executable, "-m", "pipelines.cli", "refresh", "--landing", str(landing), "--warehouse", str(warehouse)]


def start(command: list[str], output: Path, **options) -> subprocess.Popen:
    """A child in its own session, so that it and anything it starts can be killed as a group.
    Its output goes to <output>.out and <output>.err (files: a pipe nobody reads could block it)."""
    with open(f"{output}.out", "w") as out, open(f"{output}.err", "w") as err:
        return subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=out, stderr=err, text=True,
                                start_new_session=True, **options)


def output(process_output: Path) -> tuple[str, str]:
    """What a child started by `start` wrote: (stdout, stderr)."""
    return (Path(f"{process_output}.out").read_text(encoding="utf-8"),
            Path(f"{process_output}.err").read_text(encoding="utf-8"))


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the child's whole process group (if it still runs) and reap it."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()


# ---------------------------------------------------------------- a full disk, then four kills

FILE_SIZE_LIMIT = 1 << 20  # bytes: the small district's working warehouse is ~20 MB, the dashboard ~5 MB
KILL_POINTS = ("ingestion", "dbt", "publish", "quality")  # in the order a refresh reaches them
DBT_NODES = 20  # dbt nodes (seeds, models, tests) done before the kill, of about 125
NODE_LINE = re.compile(r"^\d+ of \d+ ", re.M)


def file_size_limit(limit: int = FILE_SIZE_LIMIT):
    """preexec_fn of a child whose disk is "full": any write past `limit` bytes fails with EFBIG,
    for root too (SIGXFSZ ignored, so the write fails instead of killing the process)."""
    def preexec() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


def dbt_nodes_done(warehouse: Path, logs_before: set[str]) -> int:
    """dbt nodes this run has finished: one line each in its log file (pipelines/dbt.py)."""
    logs = [p for p in (warehouse / "logs").glob("refresh-*.log") if p.name not in logs_before]
    return sum(len(NODE_LINE.findall(p.read_text(encoding="utf-8", errors="replace"))) for p in logs)


# Each stage, seen from outside by what it leaves in the warehouse folder while it runs.
IN_STAGE = {
    "ingestion": lambda warehouse, names, logs: any(n.startswith(".ingest-") for n in names),
    "dbt": lambda warehouse, names, logs: dbt_nodes_done(warehouse, logs) >= DBT_NODES,
    "quality": lambda warehouse, names, logs: ".quality.building" in names,
    "publish": lambda warehouse, names, logs: "analytics.duckdb.building" in names,
}


def wait_for(point: str, process: subprocess.Popen, warehouse: Path, logs_before: set[str]) -> bool:
    """Watch the warehouse folder until the refresh is in `point` (True) or has ended (False)."""
    interval = 0.002 if point == "publish" else 0.02  # publishing the small district takes ~0.2 s
    while process.poll() is None:
        if IN_STAGE[point](warehouse, os.listdir(warehouse), logs_before):
            return True
        time.sleep(interval)
    return False


def lock_is_free(warehouse: Path) -> bool:
    try:
        with WarehouseLock(warehouse):
            return True
    except RefreshBusy:
        return False


def give_ingestion_work(landing: Path, warehouse: Path) -> None:
    """Where a full disk strikes first depends on when DuckDB writes past the size limit: if the
    run before committed the re-exported snapshot (and failed later), export it once more, so
    that the next run has a changed file to read and can be killed while reading it."""
    newest = sorted((landing / "registry").glob("registry_*.csv"))[-1]
    con = duckdb.connect(str(warehouse / "work.duckdb"), read_only=True)
    try:
        stored = con.execute("select content_hash from raw.landing_files where source_file = ?",
                             [f"registry/{newest.name}"]).fetchall()
    finally:
        con.close()
    if stored and stored[0][0] == content_hash(newest):
        reexport(newest)


@pytest.fixture(scope="session")
def abused(published, tmp_path_factory):
    """A copy of the published warehouse through, one after the other: a refresh that runs out
    of disk, four refreshes killed (SIGKILL to the process group) at four points, and one
    refresh left to finish. Each run starts from what the one before left, and each killed run
    gets further than the one before. All are `dpf refresh` child processes.

    The landing folder is the published warehouse's own with the newest registry snapshot
    exported again (same rows, other bytes): every stage has work to do, and the refresh nobody
    interrupted is the one that published the warehouse in the first place."""
    good_landing, good = published
    root = tmp_path_factory.mktemp("abused")
    landing = shutil.copytree(good_landing, root / "landing")
    reexport(sorted((landing / "registry").glob("registry_*.csv"))[-1])
    warehouse = copy_warehouse(good, root / "warehouse")
    before = published_files(warehouse)

    full = subprocess.run(refresh_command(landing, warehouse), cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=1800, preexec_fn=file_size_limit())
    full_disk = types.SimpleNamespace(done=full, files=published_files(warehouse),
                                      temporary=temporary_files(warehouse))
    killed = {}
    for point in KILL_POINTS:
        if point == "ingestion":
            give_ingestion_work(landing, warehouse)
        started = time.time()
        logs_before = {p.name for p in (warehouse / "logs").iterdir()}
        process = start(refresh_command(landing, warehouse), root / f"killed-{point}")
        try:
            reached = wait_for(point, process, warehouse, logs_before)
        finally:
            kill_group(process)
        names = set(os.listdir(warehouse))
        run_results = warehouse / "dbt" / "run_results.json"
        killed[point] = types.SimpleNamespace(
            reached=reached, returncode=process.returncode, output=output(root / f"killed-{point}"),
            files=published_files(warehouse), lock_free=lock_is_free(warehouse),
            # what the stage leaves behind when it is killed: proof the kill came during it
            evidence={
                "ingestion": any(n.startswith(".ingest-") for n in names),
                "dbt": dbt_nodes_done(warehouse, logs_before) >= DBT_NODES and run_results.stat().st_mtime < started,
                "quality": ".quality.building" in names,
                "publish": "analytics.duckdb.building" in names,
            }[point],
        )
    finished = subprocess.run(refresh_command(landing, warehouse), cwd=PROJECT_ROOT, capture_output=True, text=True,
                              timeout=1800)
    return types.SimpleNamespace(good=good, warehouse=warehouse, before=before, full_disk=full_disk, killed=killed,
                                 finished=finished)


@pytest.fixture(scope="session")
def rel():
    """The helpers above, for the test modules (importlib mode: no package imports)."""
    return types.SimpleNamespace(
        landing_copy=landing_copy, deliver=deliver, reexport=reexport, copy_warehouse=copy_warehouse,
        published_files=published_files, marts=marts, published_version=published_version,
        temporary_files=temporary_files, refresh_command=refresh_command, start=start, output=output,
        kill_group=kill_group, file_size_limit=file_size_limit,
        LATE_LEDGERS=LATE_LEDGERS,
    )
