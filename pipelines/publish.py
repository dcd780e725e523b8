"""Publish: build a new analytics.duckdb beside the old one, check it, swap it in.

The published file holds only the marts schema (indicators, dimensions, drill-down facts
with pseudonymous keys, data-quality findings) and a publish_version table; never the raw,
staging or intermediate layers. The swap is one `os.replace`, so a reader that opened the
old file keeps reading it, a new reader gets the complete new one, and nobody sees a
half-built file or a lock (interface.md).

In a refresh the new file is built while the quality suites run (`start_building`: they and
the build only read the working warehouse, and the suites are mostly Python on one core while
DuckDB copies on the other); `publish` then checks and swaps it, or builds it itself when none
was started or the working warehouse changed since. When a suite blocks, `discard_building`
stops the build and removes its file: nothing is swapped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

PUBLISHED_NAME = "analytics.duckdb"
BUILDING_SUFFIX = ".building"
PUBLISHED_SCHEMA = "marts"
# A full disk, a quota, a file-size limit, a read-only or forbidden folder: the operator's to fix.
DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM)


class PublishFailed(Exception):
    """The new database did not pass its checks; the published one is untouched."""


@dataclass(frozen=True)
class Published:
    path: Path
    version: str
    tables: dict[str, int]  # table -> rows
    copy_seconds: float = 0.0  # building the new file (during the quality suites, in a refresh)


def published_path(warehouse: Path) -> Path:
    return Path(warehouse) / PUBLISHED_NAME


def building_path(warehouse: Path) -> Path:
    return Path(warehouse) / (PUBLISHED_NAME + BUILDING_SUFFIX)


def remove_leftovers(warehouse: Path) -> None:
    """A refresh killed while publishing leaves a half-built file; it is never read."""
    for leftover in (building_path(warehouse), Path(str(building_path(warehouse)) + ".wal")):
        leftover.unlink(missing_ok=True)


def disk_problem(error: BaseException | str) -> str | None:
    """The disk-space or permission error behind `error`, in the system's words, or None.
    DuckDB reports it in the text of its own exceptions (e.g. "Could not write file ...: No
    space left on device"), so the text is searched too."""
    if isinstance(error, OSError) and error.errno in DISK_ERRNOS:
        return os.strerror(error.errno)
    text = str(error)
    return next((os.strerror(code) for code in DISK_ERRNOS if os.strerror(code) in text), None)


def publish(work_db: Path, warehouse: Path, refreshed_at: dt.datetime | None = None) -> Published:
    """Copy the marts of the working warehouse into a new file, verify it, swap it in.
    Whatever stops it, the published file is untouched and the half-built one is removed (on a
    full disk it would only take the room the operator is about to make)."""
    warehouse = Path(warehouse)
    try:
        ahead = _take_build(work_db, warehouse)
        if ahead is None:
            remove_leftovers(warehouse)
            built = _build(work_db, building_path(warehouse), refreshed_at)
        else:
            built = ahead.outcome()
        published = _check_and_swap(warehouse, built)
    except Exception as error:
        with contextlib.suppress(OSError):
            remove_leftovers(warehouse)
        problem = disk_problem(error)
        if problem is None or isinstance(error, PublishFailed):
            raise
        raise PublishFailed(
            f"无法写入新的发布库 {building_path(warehouse)}：{problem}。请检查磁盘空间和仓库目录的写权限后重新运行；"
            f"已发布的数据库保持不变。 Could not write the new published database {building_path(warehouse)}:"
            f" {problem}. Check free disk space and write permission on the warehouse folder, then run again;"
            f" the published database is unchanged. ({error})") from error
    fsync(warehouse)
    return published


class _BuildAhead:
    """The new published file, built in a thread from the working warehouse as it was."""

    def __init__(self, work_db: Path, warehouse: Path):
        self.work_db, self.warehouse = Path(work_db), Path(warehouse)
        self.stamp = _stamp(self.work_db)
        self.version = uuid.uuid4().hex[:12]
        self.connection: duckdb.DuckDBPyConnection | None = None
        self.built: _Built | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="publish-build", daemon=True)

    def _run(self) -> None:
        try:
            self.built = _build(self.work_db, building_path(self.warehouse), None,
                                version=self.version, opened=self._opened)
        except BaseException as error:  # noqa: BLE001 - handed to whoever takes the build
            self.error = error

    def _opened(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection

    def stop(self) -> None:
        """Interrupt the copy (when a suite blocked) until the thread ends: an interrupt stops
        the running statement only, and the thread may be between two."""
        while self.thread.is_alive():
            if self.connection is not None:
                with contextlib.suppress(Exception):
                    self.connection.interrupt()
            self.thread.join(0.05)

    def outcome(self) -> _Built:
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.built


_builds_ahead: dict[Path, _BuildAhead] = {}  # warehouse folder -> the build started for it


def start_building(work_db: Path, warehouse: Path) -> str:
    """Start building the new published file in a thread; `publish` takes it. Returns the
    version it will have; its published_at is now. Only for a caller that publishes next or
    calls `discard_building`."""
    discard_building(warehouse)
    remove_leftovers(Path(warehouse))
    ahead = _BuildAhead(work_db, warehouse)
    _builds_ahead[Path(warehouse).resolve()] = ahead
    ahead.thread.start()
    return ahead.version


def discard_building(warehouse: Path) -> None:
    """Stop a build started ahead and remove its file: nothing is published from it."""
    ahead = _builds_ahead.pop(Path(warehouse).resolve(), None)
    if ahead is not None:
        ahead.stop()
        remove_leftovers(Path(warehouse))


def _take_build(work_db: Path, warehouse: Path) -> _BuildAhead | None:
    """The build started ahead for this warehouse, if it read the working warehouse as it is now
    (else its file is left to the caller, who removes it before building again)."""
    ahead = _builds_ahead.pop(Path(warehouse).resolve(), None)
    if ahead is None:
        return None
    ahead.thread.join()
    if ahead.work_db.resolve() == Path(work_db).resolve() and ahead.stamp == _stamp(Path(work_db)):
        return ahead
    return None


def _stamp(work_db: Path) -> tuple:
    """What changes when anything writes the working warehouse (the file or its log)."""
    stamps = []
    for path in (work_db, Path(str(work_db) + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            status = path.stat()
            stamps.append((path.name, status.st_ino, status.st_size, status.st_mtime_ns))
    return tuple(stamps)


@dataclass(frozen=True)
class _Built:
    """A new published file, built and checkpointed, not yet verified or swapped in."""

    version: str
    counts: dict[str, int]  # table -> rows
    seconds: float


def _build(work_db: Path, target: Path, refreshed_at: dt.datetime | None, version: str | None = None,
           opened=lambda connection: None) -> _Built:
    """The new published file at `target`."""
    started = time.perf_counter()
    version = version or uuid.uuid4().hex[:12]
    refreshed_at = refreshed_at or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)

    con = duckdb.connect(str(target))
    try:
        opened(con)
        con.execute(f"ATTACH '{work_db}' AS work (READ_ONLY)")
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'work' AND schema_name = ? "
            "ORDER BY table_name", [PUBLISHED_SCHEMA]).fetchall()]
        views = [r[0] for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE database_name = 'work' AND schema_name = ? "
            "AND NOT internal ORDER BY view_name", [PUBLISHED_SCHEMA]).fetchall()]
        if "indicator_values" not in tables + views:
            raise PublishFailed("工作库中没有 marts.indicator_values：dbt 未成功构建。"
                                " / The working warehouse has no marts.indicator_values: dbt did not build.")
        con.execute(f"CREATE SCHEMA {PUBLISHED_SCHEMA}")
        counts: dict[str, int] = {}
        for name in tables + views:
            con.execute(f'CREATE TABLE {PUBLISHED_SCHEMA}."{name}" AS SELECT * FROM work.{PUBLISHED_SCHEMA}."{name}"')
            counts[name] = con.execute(f'SELECT count(*) FROM {PUBLISHED_SCHEMA}."{name}"').fetchall()[0][0]
        con.execute("DETACH work")
        con.execute(
            f"CREATE TABLE {PUBLISHED_SCHEMA}.publish_version AS "
            "SELECT ?::VARCHAR AS version, ?::TIMESTAMPTZ AS published_at, t.table_name, t.row_count "
            "FROM (SELECT unnest(?::VARCHAR[]) AS table_name, unnest(?::BIGINT[]) AS row_count) t",
            [version, refreshed_at, list(counts), list(counts.values())],
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return _Built(version, counts, round(time.perf_counter() - started, 2))


def _check_and_swap(warehouse: Path, built: _Built) -> Published:
    target = building_path(warehouse)
    verify(target, built.counts)
    fsync(target)
    os.replace(target, published_path(warehouse))
    return Published(published_path(warehouse), built.version, built.counts, built.seconds)


def verify(path: Path, counts: dict[str, int]) -> None:
    """Reopen the built file read-only: every table there, with the rows copied."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        recorded = dict(con.execute(
            f"SELECT table_name, row_count FROM {PUBLISHED_SCHEMA}.publish_version").fetchall())
        for name, rows in counts.items():
            found = con.execute(f'SELECT count(*) FROM {PUBLISHED_SCHEMA}."{name}"').fetchall()[0][0]
            if found != rows or recorded.get(name) != rows:
                raise PublishFailed(f"发布检查失败：{name} 行数 {found} ≠ {rows} / publish check failed for {name}")
    finally:
        con.close()


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
