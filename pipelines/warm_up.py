"""Import the later steps' heavy libraries in the background while ingestion runs.

Great Expectations takes about 7 s to import; ingestion spends most of its time in polars
and DuckDB, which release the GIL, so on two cores the import costs the refresh little.
(dbt runs in a worker process that ingestion starts: pipelines/dbt_worker.py.)

Nothing else may import or use a module while this thread is importing it: Python hands a
second thread a half-imported module. A refresh once failed so, when Dagster's storage
queried through `sqlalchemy.orm` at the start of the dbt step while GX was importing it
(ingestion had little to do and finished first). So the ingestion step imports
`sqlalchemy.orm` before `start()` and calls `wait()` before it returns, and a step that
needs the libraries calls `wait()` first.
"""

from __future__ import annotations

import threading

_thread: threading.Thread | None = None
_failure: BaseException | None = None


def _import_everything() -> None:
    global _failure
    try:
        import great_expectations  # noqa: F401

        import pipelines.quality.custom_expectations  # noqa: F401
    except BaseException as error:  # the step that needs the module imports it again and reports
        _failure = error


def start() -> None:
    """Start the background imports (once per process)."""
    global _thread
    if _thread is None:
        _thread = threading.Thread(target=_import_everything, name="warm-up", daemon=True)
        _thread.start()


def wait() -> None:
    """Block until the background imports are done (at once when none were started)."""
    if _thread is not None:
        _thread.join()
