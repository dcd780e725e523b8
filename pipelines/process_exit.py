"""Ending a process whose work is done without the interpreter's teardown.

After a refresh has imported Dagster, dbt and Great Expectations, the interpreter's own
exit (freeing every module and object one by one) takes 1.5 s at district, and the dbt
worker's about 0.8 s, on the refresh's critical path (benchmarks/RESULTS.md). Nothing in
that teardown is needed once the work is finished and its files are closed: this runs
what an exit must run (the atexit handlers: logging's flush and close, multiprocessing's
clean-up of its semaphores, dbt-duckdb's close of its database, this project's end of a
dbt worker) and the flush of the standard streams, then ends the process at once.

Only for the end of a command-line process (`dpf`, the dbt worker): a library caller
(tests, notebooks) keeps its interpreter.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import NoReturn


def exit_now(status: int) -> NoReturn:
    """Exit with `status` as `sys.exit` would, minus the teardown of modules and objects.
    Every file the work wrote must be closed by then (they are: `with` blocks, DuckDB
    connections closed in `finally`)."""
    atexit._run_exitfuncs()  # noqa: SLF001  (the interpreter's own list; runs each once)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or full stream: nothing more to say on it
            pass
    os._exit(status)
