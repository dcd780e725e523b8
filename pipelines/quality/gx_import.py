"""Great Expectations' import, without the library it imports for expectations we never run.

`import great_expectations` took 3.2-4.5 s of CPU here, and a refresh pays it during the dbt
step (pipelines/dbt.py), whose build wants both cores. About 1 s of it is scipy.stats,
imported by GX's KL-divergence expectation and its two KS-test metrics at import time and
used only when they run; no suite of ours has them. scipy.stats is registered as a lazy
module first: it loads on first use, which may never come (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

DEFERRED_MODULES = ("scipy.stats",)


def import_great_expectations() -> ModuleType:
    """great_expectations, with the project's custom expectations registered."""
    for name in DEFERRED_MODULES:
        _defer(name)
    import great_expectations

    import pipelines.quality.custom_expectations  # noqa: F401  (registers the custom types)

    return great_expectations


def _defer(name: str) -> None:
    """Register `name` as a module that runs its code on its first attribute access. Only a
    module reached as `from package import name` stays unloaded: `import name` reads its
    `__spec__` and so loads it at once."""
    if name in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        return
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
