"""Great Expectations imported without running scipy.stats, which loads when first used."""

from __future__ import annotations

import subprocess
import sys

from pipelines.config import PROJECT_ROOT

CODE = """
import sys
from pipelines.quality.gx_import import import_great_expectations

gx = import_great_expectations()
assert "great_expectations" in sys.modules and hasattr(gx, "expectations")
assert "pipelines.quality.custom_expectations" in sys.modules
print("scipy.stats ran:", "scipy.stats._stats_py" in sys.modules)
from scipy import stats
print("entropy:", stats.entropy([0.5, 0.5], [0.5, 0.5]))
print("scipy.stats ran:", "scipy.stats._stats_py" in sys.modules)
"""


def test_scipy_stats_runs_only_when_used():
    # a fresh interpreter: the test session may have imported scipy.stats already
    done = subprocess.run([sys.executable, "-c", CODE], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["scipy.stats ran: False", "entropy: 0.0", "scipy.stats ran: True"]
