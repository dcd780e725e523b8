"""Custom expectations of the project. GX registers an expectation type when its class is
defined: this module must be imported before a suite JSON that uses one is loaded, or GX
drops those expectations silently (run.load_suite asserts the count)."""

from __future__ import annotations

import great_expectations as gx


class ExpectNoFindingsOfRule(gx.expectations.ExpectColumnValuesToNotBeInSet):
    """No row of a findings frame (marts.dq_findings) carries the rule in `value_set`:
    the unexpected count is the number of findings of the rule; run.py names a few of them
    by pseudonymous key, area and period (from the positions GX reports)."""
