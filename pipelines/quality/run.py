"""Run the suites of expectations/suites/ against the working warehouse through GX
checkpoints and publish their Data Docs (offline) in <warehouse>/quality/.

- Each suite names its frame (a DuckDB query over raw / intermediate / marts tables):
  the frame is read read-only into pandas with pseudonymous columns only, so no ID number
  or name can reach a GX result, a Data Docs page or a log.
- Each expectation's meta carries `severity` (block / warn) and, where it checks a rule of
  the catalogue, `rule_id`. A failed block expectation stops the refresh before publishing.
- The context is ephemeral: nothing is written into the project; results live in memory
  until the Data Docs are built into a fresh folder that replaces <warehouse>/quality.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.quality.catalogue import FORBIDDEN_COLUMNS, SuiteSpec, suite_specs

QUALITY_DIR_NAME = "quality"
EXAMPLES = 5
READ_BATCH_ROWS = 1_000_000
# DuckDB only scans for the suites: without a limit its buffer pool keeps what it read
# (2.3 GB more after the ledger suite's read at province scale).
SUITE_MEMORY_LIMIT = "1GB"


@dataclass
class ExpectationOutcome:
    suite: str
    expectation_type: str
    column: str
    severity: str
    rule_id: str | None
    note: str
    success: bool
    unexpected_count: int
    examples: list[dict] = field(default_factory=list)  # pseudonymous index columns of failing rows
    error: str | None = None  # GX could not evaluate the expectation (it then counts as failed)


@dataclass
class SuiteOutcome:
    spec: SuiteSpec
    rows: int
    expectations: list[ExpectationOutcome]
    docs_page: Path | None = None
    seconds: float = 0.0

    @property
    def blocking_failures(self) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if not e.success and e.severity == "block"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if not e.success and e.severity == "warn"]

    @property
    def table(self) -> str:
        return self.spec.dbt_asset or f"raw.{self.spec.raw_asset}"


@dataclass
class QualityReport:
    suites: list[SuiteOutcome]
    docs_index: Path | None
    seconds: float

    @property
    def blocking_failures(self) -> list[tuple[SuiteOutcome, ExpectationOutcome]]:
        return [(s, e) for s in self.suites for e in s.blocking_failures]

    def block_message(self) -> str:
        lines = [f"质量检查阻断发布（{len(self.blocking_failures)} 项阻断级期望未通过），已发布的数据库保持不变。"
                 f" Blocking data-quality checks failed; the published database is unchanged:"]
        for suite, e in self.blocking_failures:
            rule = e.rule_id or "sanity"
            found = (f"无法计算 could not be evaluated: {e.error}" if e.error else
                     f"{e.unexpected_count} 行不符 failing rows;"
                     f" 例 e.g. {json.dumps(e.examples[:3], ensure_ascii=False, default=str)}")
            lines.append(f"- [{rule}] 表 table {suite.table}（套件 suite {suite.spec.name}）: {e.note}"
                         f" — {e.expectation_type}({e.column}) {found}")
        if self.docs_index:
            lines.append(f"Data Docs: {self.docs_index}")
        return "\n".join(lines)


def load_suite(spec: SuiteSpec):
    """The suite from its JSON, after the custom expectations are registered. GX drops an
    expectation whose type it does not know without a word: the count is checked."""
    from great_expectations.core.expectation_suite import ExpectationSuite

    import pipelines.quality.custom_expectations  # noqa: F401  (registers the custom types)

    doc = json.loads(spec.path.read_text(encoding="utf-8"))
    suite = ExpectationSuite(**doc)
    if len(suite.expectations) != len(doc["expectations"]):
        raise RuntimeError(f"{spec.path}: GX loaded {len(suite.expectations)} of {len(doc['expectations'])}"
                           " expectations (a custom expectation class was not registered?)")
    return suite


def suite_connection(work_db: Path) -> duckdb.DuckDBPyConnection:
    """The warehouse, read-only, set up for read_frame."""
    con = duckdb.connect(str(work_db), read_only=True)
    con.execute("set enable_progress_bar = false")
    con.execute(f"set memory_limit = '{SUITE_MEMORY_LIMIT}'")
    # 64-bit offsets for text: a text column of tens of millions of rows can pass 2 GB (33 M
    # person keys did), past what Arrow's `string` can hold when pandas gathers the failing
    # rows (offset overflow at province scale).
    con.execute("set arrow_large_buffer_size = true")
    return con


def read_frame(con: duckdb.DuckDBPyConnection, spec: SuiteSpec):
    """The suite's rows as a pandas frame backed by Arrow: text stays in Arrow buffers
    instead of one Python object per cell (a third of the memory at district scale, and
    what keeps tens of millions of ledger rows within reach at province scale)."""
    import pandas as pd

    # Streamed in batches, so DuckDB does not hold the whole result besides the Arrow table
    # (with suite_connection's limit, the 34 M ledger rows at province scale: 5.7 GB once
    # read instead of 7.3 GB).
    table = con.sql(spec.query).to_arrow_reader(READ_BATCH_ROWS).read_all()
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    forbidden = FORBIDDEN_COLUMNS & set(frame.columns)
    if forbidden:
        raise RuntimeError(f"suite {spec.name} would read personal columns {sorted(forbidden)}")
    return frame


def run_suites(work_db: Path, warehouse: Path, specs: tuple[SuiteSpec, ...] | None = None,
               log=lambda message: None) -> QualityReport:
    started = time.perf_counter()
    from pipelines.quality.gx_import import import_great_expectations

    gx = import_great_expectations()

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    skip_frame_fingerprints()
    specs = specs if specs is not None else suite_specs()
    warehouse = Path(warehouse)
    building = warehouse / f".{QUALITY_DIR_NAME}.building"
    shutil.rmtree(building, ignore_errors=True)

    context = gx.get_context(mode="ephemeral")
    _quiet(context)
    context.add_data_docs_site(site_name="warehouse", site_config={
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(building)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    datasource = context.data_sources.add_pandas("warehouse")

    outcomes: list[SuiteOutcome] = []
    con = suite_connection(work_db)
    try:
        parameters = {"towns": [r[0] for r in con.execute("select town_name from reference.towns").fetchall()]}
        for spec in specs:
            t0 = time.perf_counter()
            frame = read_frame(con, spec)
            suite = context.suites.add(load_suite(spec))
            batch = datasource.add_dataframe_asset(spec.name).add_batch_definition_whole_dataframe("whole table")
            validation = context.validation_definitions.add(
                gx.ValidationDefinition(name=f"{spec.name} validation", data=batch, suite=suite))
            checkpoint = context.checkpoints.add(gx.Checkpoint(
                name=f"{spec.name} checkpoint", validation_definitions=[validation], actions=[],
                # Failing rows by position, not by index columns: GX builds the index-column
                # dict of *every* failing row in a Python loop (467,000 finding rows took 80 s
                # at province scale) and keeps 5; the examples are looked up below instead.
                # Nor the "unexpected index query" (a text listing every failing row's index,
                # shown nowhere): building it filtered each frame once more, about 3 s of the
                # province's suites (benchmarks/RESULTS.md).
                result_format={"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES,
                               "return_unexpected_index_query": False},
            ))
            result = checkpoint.run(batch_parameters={"dataframe": frame}, expectation_parameters=parameters)
            outcomes.append(SuiteOutcome(spec, len(frame), _outcomes(spec, result, frame),
                                         seconds=round(time.perf_counter() - t0, 2)))
            log(f"suite {spec.name}: {len(frame)} rows, {len(outcomes[-1].blocking_failures)} blocking and "
                f"{len(outcomes[-1].warnings)} warning expectation(s) failed")
            _forget_batches(datasource)
            del frame, result
    finally:
        con.close()

    context.build_data_docs(site_names=["warehouse"])
    docs = warehouse / QUALITY_DIR_NAME
    from pipelines.quality.docs import make_offline

    make_offline(building)
    old = warehouse / f".{QUALITY_DIR_NAME}.old"
    shutil.rmtree(old, ignore_errors=True)
    if docs.exists():
        docs.rename(old)
    building.rename(docs)
    shutil.rmtree(old, ignore_errors=True)
    for outcome in outcomes:
        pages = sorted((docs / "validations").glob(outcome.spec.name.replace(".", "/") + "/**/*.html"))
        outcome.docs_page = pages[-1] if pages else None
    return QualityReport(outcomes, docs / "index.html", round(time.perf_counter() - started, 2))


def skip_frame_fingerprints() -> None:
    """GX's pandas engine hashes every row of each frame under 1 GB for a batch marker,
    `pandas_data_fingerprint`, that no result, Data Docs page or message of ours shows: 1.4-1.6
    s of the suites' 4.3-5.2 s at city scale (benchmarks/RESULTS.md). Its size threshold is
    set to 0, so no frame is hashed (tests/quality/test_suites.py checks that GX still
    reads it)."""
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0


def _forget_batches(datasource) -> None:
    """Drop the frames GX's execution engine keeps of every batch it validated: otherwise
    each suite's frame stays in memory until the end (at province scale the ledger suite
    read its 4.4 GB frame with the registry's and the survey's still held)."""
    batches = datasource.get_execution_engine().batch_manager
    batches.batch_data_cache.clear()
    batches.reset_batch_cache()


def _quiet(context) -> None:
    """No progress bars in logs."""
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    except Exception:  # noqa: BLE001 - cosmetic only
        pass


def _outcomes(spec: SuiteSpec, checkpoint_result, frame) -> list[ExpectationOutcome]:
    outcomes = []
    for validation in checkpoint_result.run_results.values():
        for r in validation.results:
            config = r.expectation_config
            kwargs = config.kwargs
            meta = config.meta or {}
            result = r.result or {}
            examples = [{k: _plain(frame.at[position, k]) for k in spec.index_columns}
                        for position in (result.get("partial_unexpected_index_list") or [])[:EXAMPLES]]
            column = kwargs.get("column") or f"{kwargs.get('column_A')}, {kwargs.get('column_B')}"
            outcomes.append(ExpectationOutcome(
                suite=spec.name, expectation_type=config.type, column=column, severity=meta.get("severity", "block"),
                rule_id=meta.get("rule_id"), note=meta.get("notes", ""), success=bool(r.success),
                unexpected_count=int(result.get("unexpected_count") or 0), examples=examples,
                error=_raised(r.exception_info),
            ))
    return outcomes


def _raised(info) -> str | None:
    """The message of an exception GX caught while evaluating an expectation: its
    exception_info is either one record or one per metric."""
    records = [info] if isinstance(info, dict) and "raised_exception" in info else list((info or {}).values())
    for record in records:
        if isinstance(record, dict) and record.get("raised_exception"):
            return str(record.get("exception_message") or "exception")[:300]
    return None


def _plain(value):
    import pandas as pd

    value = value.item() if hasattr(value, "item") else value
    if value is pd.NA or value is pd.NaT:
        return None
    return None if isinstance(value, float) and value != value else value  # NaN -> None
