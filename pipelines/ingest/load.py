"""Landing files -> the raw tables of the working warehouse <warehouse>/work.duckdb.

One run is all-or-nothing: every new or changed file is read, normalised and keyed into a
scratch database of the run (`.ingest-*/delta.duckdb`) first; any whole-file problem (F01,
F02, F03) stops the run with RefreshBlocked before work.duckdb is opened for writing, so it
stays byte for byte as it was. Then, if there is no work.duckdb yet, the scratch database
becomes it (one rename: the first, largest load writes its rows once); else one transaction
replaces, per (source, period), the rows of every changed file with the scratch rows.

- A file whose content hash (sha256) is already recorded in raw.landing_files is not read.
  Nor is it read to be hashed when its size, times and inode are those it had when it was
  last hashed (raw.landing_file_stats; landing.hash_unless_known).
- A changed file, or another file for a loaded period (registry_202201.xlsx after
  registry_202201.csv), replaces that period's rows: ledgers and surveys never double-count;
  registry and employment snapshots are kept side by side, one per snapshot month.
- A file that disappears from the landing folder keeps its rows: the warehouse holds what
  was delivered; withdrawing a period is an administrator's decision, not a side effect.
- Privacy at the door: names are never selected; IDs become person_key and certificate
  numbers cert_key (HMAC-SHA256 with the pseudonym secret, keys.py). The raw tables hold
  each person as person_id, the number of their person_key in raw.person_keys (assigned
  once, never changed or reused).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines.contract import SOURCES
from pipelines.identity import NO_NUMBERS, KeyedHasher
from pipelines.ingest import keys
from pipelines.ingest.landing import FileStat, LandingFile, content_hash, discover, hash_unless_known, snapshot_drops
from pipelines.ingest.normalise import QUARANTINE_REASON, QUARANTINE_RULE, normalise, rule_counts
from pipelines.ingest.read import FileRejected, read_extract
from pipelines.publish import fsync
from pipelines.reference import Reference, load_reference

WORK_DB_NAME = "work.duckdb"
F03_THRESHOLD = 0.8
PREPARE_AHEAD = 2  # files read, normalised and keyed at once (worker threads; this machine has 2 cores)
DELTA_NAME = "delta.duckdb"  # the scratch database of a run, inside its `.ingest-*` folder
# The writes are streams of inserts: DuckDB needs little memory for them, but by default
# keeps up to 80% of RAM of them in its buffer pool (6.2 GB for 48.6 M rows at province).
# Province ingest alone peaked at 3.6-3.8 GB under a 1 GB limit and 3.1 GB under this one,
# in the same time within the machine's noise (benchmarks/RESULTS.md).
WRITE_MEMORY_LIMIT = "256MB"
COMMIT_ROWS = 1_000_000  # rows of the scratch database's transactions (_Delta)

# The raw table contract (dbt_project/models/staging/_raw__sources.yml): name -> DuckDB type.
_ROW_PREFIX = {"source_file": "VARCHAR", "source_row": "INTEGER", "person_id": "INTEGER"}
RAW_TABLES: dict[str, dict[str, str]] = {
    "registry_rows": {
        "snapshot_month": "VARCHAR", **_ROW_PREFIX, "cert_key": "VARCHAR",
        "cert_no_matches_id": "BOOLEAN", "gender": "VARCHAR", "birth_date": "DATE",
        "gender_matches_id": "BOOLEAN", "birth_date_matches_id": "BOOLEAN", "category": "VARCHAR",
        "grade": "VARCHAR", "town": "VARCHAR", "village": "VARCHAR", "first_issue_date": "DATE",
        "valid_until": "DATE", "status": "VARCHAR", "cancel_date": "DATE", "cancel_reason": "VARCHAR",
        "hardship": "VARCHAR", "review_date": "DATE",
    },
    "subsidy_rows": {
        "pay_month": "VARCHAR", **_ROW_PREFIX, "birth_date": "DATE", "subsidy_type": "VARCHAR",
        "pay_month_stated": "VARCHAR", "amount": "DECIMAL(14,2)", "town": "VARCHAR",
    },
    "employment_rows": {
        "snapshot_month": "VARCHAR", **_ROW_PREFIX, "birth_date": "DATE", "record_type": "VARCHAR",
        "form": "VARCHAR", "employer_name": "VARCHAR", "employer_uscc": "VARCHAR", "course": "VARCHAR",
        "start_date": "DATE", "end_date": "DATE",
    },
    "survey_rows": {
        "survey_year": "INTEGER", **_ROW_PREFIX, "birth_date": "DATE", "year_stated": "INTEGER",
        "town": "VARCHAR", "school": "VARCHAR", "pension": "VARCHAR", "medical": "VARCHAR",
        "rehab_need": "VARCHAR", "rehab_served": "VARCHAR", "at_need": "VARCHAR", "at_fitted": "VARCHAR",
        "gp_signed": "VARCHAR", "income": "DECIMAL(14,2)",
    },
    "quarantine_rows": {
        "source": "VARCHAR", "source_file": "VARCHAR", "period": "VARCHAR", "source_row": "INTEGER",
        "rule_id": "VARCHAR", "reason": "VARCHAR", "person_id": "INTEGER",
    },
    "landing_files": {
        "source": "VARCHAR", "source_file": "VARCHAR", "period": "VARCHAR", "content_hash": "VARCHAR",
        "rows_read": "INTEGER", "rows_quarantined": "INTEGER", "loaded_at": "TIMESTAMP",
    },
    # Every person_key ever issued, once, with its number: the tables above hold the number
    # (person_id), 4 bytes per row instead of 64 characters (benchmarks/RESULTS.md), and
    # dbt turns it back into the key only where a mart publishes persons (int_person_keys).
    # Numbers are added, never changed, removed or reused (a key whose rows were replaced
    # keeps its number).
    "person_keys": {"person_id": "INTEGER", "person_key": "VARCHAR"},
    # Not a dbt source: the fingerprint of the pseudonym key (keys.py).
    "warehouse_meta": {"setting": "VARCHAR", "value": "VARCHAR"},
    # Not a dbt source: the content hash of each landing file as last hashed, with what the
    # file system said of the file then. A file that still has that stat is not read again to
    # be hashed (5 s for a province's 4.3 GB of landing files). Rewritten by every run that
    # loads a file or finds a stat changed; a memo of the landing folder, not warehouse rows.
    "landing_file_stats": {
        "source_file": "VARCHAR", "content_hash": "VARCHAR", "size_bytes": "BIGINT", "mtime_ns": "BIGINT",
        "ctime_ns": "BIGINT", "inode": "UBIGINT",
    },
}
# HMAC keys are 64 random hex digits: DuckDB's string compression gains little on them and
# its analysis was half the cost of writing the raw rows, so they are stored as they are.
_KEY_COLUMNS = {"person_key", "cert_key"}
ROWS_TABLE = {s: f"{s}_rows" for s in SOURCES}
PERIOD_COLUMN = {"registry": "snapshot_month", "subsidy": "pay_month", "employment": "snapshot_month",
                 "survey": "survey_year"}

_POLARS_TYPE = {"VARCHAR": pl.String, "INTEGER": pl.Int32, "DATE": pl.Date, "BOOLEAN": pl.Boolean,
                "DECIMAL(14,2)": pl.Float64, "TIMESTAMP": pl.Datetime("us")}


class RefreshBlocked(Exception):
    """The refresh stopped before publishing: a whole-file rule (F01, F02, F03) failed.

    `rule` and `file` name the first problem; `problems` holds all of them."""

    def __init__(self, rule: str, file: Path | str, message: str, problems: list[FileRejected] | None = None):
        super().__init__(message)
        self.rule = rule
        self.file = Path(file)
        self.message = message
        self.problems = problems or [FileRejected(rule, Path(file), message)]


@dataclass
class PreparedFile:
    """One landing file read and normalised. Once keyed (`keyed`: the rows for its raw
    table and for raw.quarantine_rows), `normalised` is dropped, and once the run has
    written them (or, once blocked, passed over them), `keyed` is too, so a province-scale
    run holds a few files in memory at a time."""

    file: LandingFile
    content_hash: str
    normalised: pl.DataFrame | None
    keyed: tuple[pl.DataFrame, pl.DataFrame] | None = None
    rows_read: int = 0
    rows_quarantined: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.normalised is not None:
            self.rows_read = self.normalised.height
            self.rows_quarantined = int(self.normalised.get_column(QUARANTINE_RULE).is_not_null().sum())
            self.counts = rule_counts(self.normalised)

    def rule_counts(self) -> dict[str, int]:
        return self.counts


@dataclass
class IngestReport:
    loaded: list[PreparedFile] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # source_file of files not read again

    def rows(self, source: str) -> int:
        return sum(p.rows_read - p.rows_quarantined for p in self.loaded if p.file.source == source)

    def quarantined(self, source: str | None = None) -> int:
        return sum(p.rows_quarantined for p in self.loaded if source in (None, p.file.source))


# ---------------------------------------------------------------- read + normalise

def prepare(file: LandingFile, reference: Reference, hash_: str | None = None) -> PreparedFile:
    """Read (F01) and normalise one file. Raises FileRejected."""
    raw = read_extract(file.path, file.source)
    return PreparedFile(file, hash_ or content_hash(file.path), normalise(raw, file.source, file.period, reference))


def _typed(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    columns = RAW_TABLES[table]
    return frame.select(pl.col(name).cast(_POLARS_TYPE[kind]) for name, kind in columns.items())


def keyed_tables(
    prepared: PreparedFile, hasher: KeyedHasher, cert_hasher: KeyedHasher
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rows for raw.<source>_rows, rows for raw.quarantine_rows): IDs as person_id, the
    number of their person_key (`hasher`, numbered), certificate numbers as cert_key
    (`cert_hasher`), names never selected."""
    file, frame = prepared.file, prepared.normalised
    valid_id = frame.select(pl.when(pl.col("id_valid")).then(pl.col("id_normalised"))).to_series()
    frame = frame.with_columns(
        person_id=hasher(valid_id),
        source_file=pl.lit(file.relative),
    )
    if "cert_no" in frame.columns:
        frame = frame.with_columns(cert_key=cert_hasher(frame.get_column("cert_no")))
    quarantined = pl.col(QUARANTINE_RULE).is_not_null()

    period_value = int(file.period) if file.source == "survey" else file.period
    rows = frame.filter(~quarantined).with_columns(pl.lit(period_value).alias(PERIOD_COLUMN[file.source]))
    quarantine = frame.filter(quarantined).select(
        source=pl.lit(file.source),
        source_file="source_file",
        period=pl.lit(file.period),
        source_row="source_row",
        rule_id=QUARANTINE_RULE,
        # normalise masks IDs in reasons; mask any other long digit run too (an ID typed
        # into the wrong column).
        reason=pl.col(QUARANTINE_REASON).str.replace_all(r"[0-9]{14,}[0-9Xx]?", "***"),
        person_id="person_id",
    )
    return _typed(rows, ROWS_TABLE[file.source]), _typed(quarantine, "quarantine_rows")


# ---------------------------------------------------------------- the warehouse

def work_db(warehouse: Path) -> Path:
    return Path(warehouse) / WORK_DB_NAME


def _frame(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> pl.DataFrame:
    """A small query result as a polars frame, its types inferred from every row."""
    cursor = con.execute(query, params or [])
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    return pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)


def _raw_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """The columns of raw.<table> in the connection's own database (none: no such table)."""
    return {c for (c,) in con.execute(
        "select column_name from information_schema.columns "
        "where table_catalog = current_database() and table_schema = 'raw' and table_name = ?", [table]
    ).fetchall()}


def _table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(_raw_columns(con, table))


FileStats = dict[str, tuple[str, FileStat]]  # source_file -> (content hash, stat when hashed)


@dataclass
class _State:
    fingerprint: str | None
    landing_files: pl.DataFrame
    unnumbered: bool  # a warehouse from before person_id: its raw tables hold person_key
    file_stats: FileStats


def _read_state(db: Path) -> _State | None:
    """What the warehouse already holds (read-only open: a blocked run writes nothing)."""
    if not db.exists():
        return None
    con = duckdb.connect(str(db), read_only=True)
    try:
        fingerprint = None
        if _table_exists(con, "warehouse_meta"):
            found = con.execute("select value from raw.warehouse_meta where setting = 'key_fingerprint'").fetchall()
            fingerprint = found[0][0] if found else None
        files = pl.DataFrame(schema={c: _POLARS_TYPE[t] for c, t in RAW_TABLES["landing_files"].items()})
        if _table_exists(con, "landing_files"):
            stored = _frame(con, "select * from raw.landing_files")
            if stored.height:
                files = _typed(stored, "landing_files")
        file_stats: FileStats = {}
        if _table_exists(con, "landing_file_stats"):
            file_stats = {name: (digest, FileStat(*stat)) for name, digest, *stat in con.execute(
                "select source_file, content_hash, size_bytes, mtime_ns, ctime_ns, inode "
                "from raw.landing_file_stats").fetchall()}
        return _State(fingerprint, files, "person_id" not in _raw_columns(con, "person_keys"), file_stats)
    finally:
        con.close()


def _person_numbers(db: Path, unnumbered: bool) -> pl.DataFrame:
    """person_key -> person_id as raw.person_keys holds them, or (a warehouse from before
    person_id) as number_person_keys will. Read only when files are to be keyed: about
    0.6 s for a million keys."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(_numbering_of_unnumbered(con) if unnumbered else
                       "select person_key, person_id from raw.person_keys").pl()
    finally:
        con.close()


def _numbering_of_unnumbered(con: duckdb.DuckDBPyConnection) -> str:
    """A query numbering the person_keys of a warehouse from before person_id (its raw
    tables and raw.person_keys, where it has one, hold the keys): 1, 2, ... in the keys'
    order, so the run's hasher and number_person_keys agree."""
    tables = [t for t in (*ROWS_TABLE.values(), "quarantine_rows", "person_keys") if _table_exists(con, t)]
    written = " union ".join(f"select person_key from raw.{t}" for t in tables) or "select null as person_key"
    return (f"select person_key, cast(row_number() over (order by person_key) as integer) as person_id "
            f"from ({written}) where person_key is not null")


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The raw schema of the contract (_raw__sources.yml), empty; tests build on it too."""
    con.execute("create schema if not exists raw")
    for table, columns in RAW_TABLES.items():
        body = ", ".join(
            f"{name} {kind}" + (" using compression uncompressed" if name in _KEY_COLUMNS else "")
            for name, kind in columns.items()
        )
        con.execute(f"create table if not exists raw.{table} ({body})")


def number_person_keys(con: duckdb.DuckDBPyConnection) -> None:
    """A warehouse from before person_id gets it: raw.person_keys numbers every person_key
    of its raw tables (as _numbering_of_unnumbered), and each table's person_key becomes that
    number. In the caller's transaction."""
    con.execute(f"create temp table unnumbered_keys as {_numbering_of_unnumbered(con)}")
    if _table_exists(con, "person_keys"):
        con.execute("drop table raw.person_keys")
    for table in (*ROWS_TABLE.values(), "quarantine_rows"):
        con.execute(f"alter table raw.{table} rename to {table}_unnumbered")
    create_raw_tables(con)
    con.execute("insert into raw.person_keys by name select person_id, person_key from unnumbered_keys")
    for table in (*ROWS_TABLE.values(), "quarantine_rows"):
        columns = ", ".join("keys.person_id" if c == "person_id" else f"rows.{c}" for c in RAW_TABLES[table])
        con.execute(f"insert into raw.{table} select {columns} from raw.{table}_unnumbered as rows "
                    "left join unnumbered_keys as keys on keys.person_key = rows.person_key")
        con.execute(f"drop table raw.{table}_unnumbered")
    con.execute("drop table unnumbered_keys")


def _writer(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("set enable_progress_bar = false")
    con.execute(f"set memory_limit = '{WRITE_MEMORY_LIMIT}'")
    # Rows of one file need not keep their order (every reader orders or groups them):
    # without it DuckDB's insert skips its order-preserving batches; on 8 M rows the
    # write took 9.9 s instead of 14.3 s and the file was a third smaller.
    con.execute("set preserve_insertion_order = false")
    return con


class _Delta:
    """The keyed rows of this run's files, written as each file is ready into a DuckDB file
    of the run's scratch folder (the raw schema, nothing else): the writing overlaps the
    reading of the next files, and a first load's rows are written once (it becomes
    work.duckdb). Rows of a file that turns out blocked never reach work.duckdb.

    Files are written in transactions of about COMMIT_ROWS rows. Committed one by one, the
    rows of each file's last, partly filled row group (all of a city ledger's 87,000) went
    through the write-ahead log and were compressed again at each checkpoint: 2.15 us of CPU
    per city ledger row, against 1.35 us in one transaction. But DuckDB holds a
    transaction's rows in memory (about 190 bytes each: 12.3 GB at province in one).
    See benchmarks/RESULTS.md."""

    def __init__(self, path: Path, secret: bytes, numbers: pl.DataFrame):
        """numbers: person_key -> person_id of the keys the warehouse has numbered."""
        self.path = path
        self.persons, self.certificates = KeyedHasher(secret, numbers), KeyedHasher(secret)
        self.con = _writer(path)
        create_raw_tables(self.con)
        self.con.execute("begin transaction")
        self.uncommitted = 0  # rows

    def key(self, prepared: PreparedFile) -> None:
        """prepared.keyed from prepared.normalised, which is dropped. Thread-safe (the
        hashers are): the workers key their files."""
        prepared.keyed = keyed_tables(prepared, self.persons, self.certificates)
        prepared.normalised = None

    def add(self, prepared: PreparedFile) -> None:
        """Write prepared.keyed. One file at a time: with the workers writing their own
        files, two inserts at once, city's ingestion took 37.0 s against 35.6 s (the two
        cores were busy already)."""
        rows, quarantine = prepared.keyed
        for table, frame in ((ROWS_TABLE[prepared.file.source], rows), ("quarantine_rows", quarantine)):
            if frame.height:
                self.con.register("_frame", frame)
                try:
                    self.con.execute(f"insert into raw.{table} by name select * from _frame")
                finally:
                    self.con.unregister("_frame")
        self.uncommitted += rows.height + quarantine.height
        if self.uncommitted >= COMMIT_ROWS:
            self.con.execute("commit")
            self.con.execute("begin transaction")
            self.uncommitted = 0

    def finish(self) -> None:
        """raw.person_keys gets the keys this run numbered; then the run's transaction is
        committed."""
        keys = self.persons.issued()  # noqa: F841 (read by DuckDB below)
        self.con.execute("insert into raw.person_keys by name select person_id, person_key from keys")
        self.con.execute("commit")

    def close(self) -> None:
        self.con.close()


def _record_landing_files(con: duckdb.DuckDBPyConnection, prepared: list[PreparedFile]) -> None:
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    rows = [[p.file.source, p.file.relative, p.file.period, p.content_hash, p.rows_read, p.rows_quarantined,
             loaded_at] for p in prepared]
    if rows:
        con.executemany("insert into raw.landing_files values (?, ?, ?, ?, ?, ?, ?)", rows)


def _remember_file_stats(con: duckdb.DuckDBPyConnection, file_stats: FileStats) -> None:
    con.execute("delete from raw.landing_file_stats")
    rows = [[name, digest, stat.size, stat.mtime_ns, stat.ctime_ns, stat.inode]
            for name, (digest, stat) in sorted(file_stats.items())]
    if rows:
        con.executemany("insert into raw.landing_file_stats values (?, ?, ?, ?, ?, ?)", rows)


_META = ("insert into raw.warehouse_meta select 'key_fingerprint', ? "
         "where not exists (select 1 from raw.warehouse_meta where setting = 'key_fingerprint')")


def _first_load(db: Path, delta: _Delta, prepared: list[PreparedFile], fingerprint: str,
                file_stats: FileStats) -> None:
    """No work.duckdb yet: the scratch database gets the bookkeeping and becomes it."""
    delta.finish()
    con = delta.con
    con.execute(_META, [fingerprint])
    _record_landing_files(con, prepared)
    _remember_file_stats(con, file_stats)
    con.execute("checkpoint")
    delta.close()
    fsync(delta.path)
    os.replace(delta.path, db)


def _write(db: Path, delta: _Delta, prepared: list[PreparedFile], fingerprint: str, unnumbered: bool,
           file_stats: FileStats) -> None:
    """One transaction on work.duckdb: the periods of the changed files replaced by their
    rows in the scratch database. A warehouse from before person_id is numbered first."""
    delta.finish()
    delta.close()
    con = _writer(db)
    try:
        quoted = str(delta.path).replace("'", "''")
        con.execute(f"attach '{quoted}' as delta (read_only)")
        con.execute("begin transaction")
        try:
            if unnumbered:
                number_person_keys(con)
            create_raw_tables(con)
            con.execute(_META, [fingerprint])
            for p in prepared:
                f = p.file
                period = int(f.period) if f.source == "survey" else f.period
                con.execute(f"delete from raw.{ROWS_TABLE[f.source]} where {PERIOD_COLUMN[f.source]} = ?",
                            [period])
                con.execute("delete from raw.quarantine_rows where source = ? and period = ?",
                            [f.source, f.period])
                con.execute("delete from raw.landing_files where source_file = ?", [f.relative])
            for table in sorted({ROWS_TABLE[p.file.source] for p in prepared} | {"quarantine_rows"}):
                con.execute(f"insert into raw.{table} by name select * from delta.raw.{table}")
            con.execute("insert into raw.person_keys by name select * from delta.raw.person_keys")
            _record_landing_files(con, prepared)
            _remember_file_stats(con, file_stats)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        con.close()


def _write_file_stats(db: Path, file_stats: FileStats) -> None:
    """No file to load, but stats to remember (the files were hashed: copied, touched, or
    delivered too shortly before the last run for their stat to be remembered)."""
    con = _writer(db)
    try:
        con.execute("begin transaction")
        create_raw_tables(con)  # a warehouse from before raw.landing_file_stats
        _remember_file_stats(con, file_stats)
        con.execute("commit")
    finally:
        con.close()


# ---------------------------------------------------------------- the run

def _blocked(problems: list[FileRejected]) -> RefreshBlocked:
    first = problems[0]
    listed = "\n".join(f"- [{p.rule}] {p.message}" for p in problems)
    return RefreshBlocked(
        first.rule,
        first.path,
        f"刷新已停止，仓库未作任何改动（{len(problems)} 个文件有问题）。"
        f" Refresh stopped; the warehouse was not changed ({len(problems)} file problem(s)):\n{listed}",
        problems,
    )


def f03_problem(landing_file: LandingFile | Path, current: str, previous: str, rows: int, previous_rows: int) -> FileRejected:
    path = landing_file.path if isinstance(landing_file, LandingFile) else Path(landing_file)
    return FileRejected(
        "F03",
        path,
        f"文件 {path}：登记快照 {current} 只有 {rows:,} 行，不足上一快照 {previous}（{previous_rows:,} 行）的80%，"
        f"疑似导出不完整。请重新完整导出该月快照后再刷新。 File {path}: registry snapshot {current} has "
        f"{rows:,} rows, fewer than 80% of the previous snapshot {previous} ({previous_rows:,} rows); "
        f"a truncated export is suspected. Export the snapshot again in full, then refresh.",
    )


def duplicate_periods(files: list[LandingFile]) -> list[FileRejected]:
    seen: dict[tuple[str, str], LandingFile] = {}
    problems = []
    for f in files:
        other = seen.setdefault((f.source, f.period), f)
        if other is not f:
            problems.append(FileRejected(
                "F02", f.path,
                f"文件 {f.path} 与 {other.path} 属于同一期间 {f.period}，无法确定以哪个为准。请只保留一个。"
                f" Files {f.path} and {other.path} give the same period {f.period}; keep only one.",
            ))
    return problems


def ingest(
    landing: Path,
    warehouse: Path,
    env_key: str | None = None,
    sources: tuple[str, ...] = SOURCES,
    reference: Reference | None = None,
    log: Callable[[str], None] | None = None,
) -> IngestReport:
    """Load the new and changed landing files of `sources` into <warehouse>/work.duckdb.

    env_key: the pseudonym secret from the environment, if set (else the key file).
    Raises RefreshBlocked (F01/F02/F03) or keys.PseudonymKeyError; then nothing is written."""
    log = log or (lambda message: None)
    landing, warehouse = Path(landing), Path(warehouse)
    db = work_db(warehouse)
    if not landing.is_dir():
        raise RefreshBlocked("F01", landing, f"落地目录 {landing} 不存在。 Landing folder {landing} does not exist.")
    state = _read_state(db)
    secret = keys.resolve_secret(warehouse, env_key, has_data=state is not None)
    keys.check_fingerprint(state.fingerprint if state else None, secret, warehouse)

    files, problems = discover(landing, sources)
    known = dict(state.landing_files.select("source_file", "content_hash").iter_rows()) if state else {}
    remembered = state.file_stats if state else {}
    file_stats: FileStats = {}
    changed: list[tuple[LandingFile, str]] = []
    report = IngestReport()
    for f in files:
        digest, stat = hash_unless_known(f.path, remembered.get(f.relative))
        if stat is not None:
            file_stats[f.relative] = (digest, stat)
        if known.get(f.relative) == digest:
            report.unchanged.append(f.relative)
        else:
            changed.append((f, digest))
    problems += duplicate_periods([f for f, _ in changed])

    reference = reference or load_reference()
    # Keyed rows wait in a scratch database inside the (private) warehouse folder until
    # every file has passed; a hidden folder, removed whatever happens. It must be on the
    # same file system as work.duckdb, which a first load renames it to.
    warehouse.mkdir(parents=True, exist_ok=True)
    for leftover in warehouse.glob(".ingest-*"):  # a killed run's: one writer per warehouse, so not in use
        shutil.rmtree(leftover, ignore_errors=True)
    with tempfile.TemporaryDirectory(dir=warehouse, prefix=".ingest-") as scratch:
        numbers = _person_numbers(db, state.unnumbered) if state and changed else NO_NUMBERS
        delta = _Delta(Path(scratch) / DELTA_NAME, secret, numbers)
        try:
            for f, outcome in _prepared_in_order(changed, reference, delta.key):
                if isinstance(outcome, FileRejected):
                    problems.append(outcome)
                    continue
                if not problems:  # once blocked, the rest is only checked
                    delta.add(outcome)
                outcome.keyed = None  # written: a few files in memory at a time
                report.loaded.append(outcome)
                log(f"read {f.relative}: {outcome.rows_read} rows")
            _check_snapshots(state, report, problems)
            if problems:
                raise _blocked(problems)
            if state is None:
                _first_load(db, delta, report.loaded, keys.fingerprint(secret), file_stats)
            elif report.loaded or state.unnumbered:
                _write(db, delta, report.loaded, keys.fingerprint(secret), state.unnumbered, file_stats)
            elif file_stats != state.file_stats:
                _write_file_stats(db, file_stats)
        finally:
            delta.close()
    return report


def _prepared_in_order(
    changed: list[tuple[LandingFile, str]],
    reference: Reference,
    key: Callable[[PreparedFile], None],
    ahead: int = PREPARE_AHEAD,
) -> Iterator[tuple[LandingFile, PreparedFile | FileRejected]]:
    """prepare() and key() of each file, in order, `ahead` files at a time on worker threads
    while the caller writes the previous one. Most of polars' string work on one column runs
    on one core, and polars releases the GIL, so two files at a time use both cores. The
    keying is the workers' job too: the caller's DuckDB insert is one file at a time. At
    most `ahead` + 1 files are held in memory: `ahead` in the workers, one being written."""

    def attempt(f: LandingFile, digest: str) -> PreparedFile | FileRejected:
        try:
            prepared = prepare(f, reference, digest)
        except FileRejected as rejected:
            return rejected
        key(prepared)
        return prepared

    waiting = iter(changed)
    with ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="prepare") as pool:
        pending: deque[tuple[LandingFile, Future]] = deque(
            (f, pool.submit(attempt, f, digest)) for f, digest in itertools.islice(waiting, ahead)
        )
        while pending:
            first, future = pending.popleft()
            outcome = future.result()
            # The next file starts before the caller writes this one, so that both
            # workers stay busy while it does.
            for f, digest in itertools.islice(waiting, 1):
                pending.append((f, pool.submit(attempt, f, digest)))
            yield first, outcome


def _check_snapshots(state: "_State | None", report: IngestReport, problems: list[FileRejected]) -> None:
    """F03 against the previous snapshot, loaded before or delivered now."""
    counts: dict[str, int] = {}
    if state is not None:
        stored = state.landing_files.filter(pl.col("source") == "registry").sort("loaded_at")
        counts.update(dict(stored.select("period", "rows_read").iter_rows()))  # latest per period wins
    new = {p.file.period: p for p in report.loaded if p.file.source == "registry"}
    counts.update({period: p.rows_read for period, p in new.items()})
    for current, previous, rows, previous_rows in snapshot_drops(counts, set(new), F03_THRESHOLD):
        problems.append(f03_problem(new[current].file, current, previous, rows, previous_rows))

