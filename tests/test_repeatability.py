"""Repeatability: the same landing folder refreshed into two fresh warehouses publishes the
same marts, row for row.

The first warehouse is the small district's (tests/hostile/district.py: `dpf refresh` in a
subprocess); the second is refreshed here, in process, from the same landing folder. It is
given the first one's pseudonym key before its first run — as a restored backup would be
(docs/operations.md) — since person keys, and so the findings' person_key, depend on it.
Tables are compared as multisets (EXCEPT ALL both ways), so row order does not matter.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

from pipelines.ingest import keys
from pipelines.refresh import refresh
from tests.hostile.district import small_district

TABLES = ["indicator_values", "dq_findings", "dq_summary", "dq_reconciliation", "fct_indicator_persons"]


@pytest.fixture(scope="module")
def two_warehouses(tmp_path_factory):
    district = small_district(tmp_path_factory)
    assert district.returncode == 0, district.console
    second = tmp_path_factory.mktemp("second-warehouse")
    shutil.copy2(keys.key_file(district.warehouse), keys.key_file(second))
    outcome = refresh(district.landing, second, log=lambda _: None)
    assert outcome.status == 0, outcome.message
    con = duckdb.connect()
    con.execute(f"attach '{district.warehouse / 'analytics.duckdb'}' as first (read_only)")
    con.execute(f"attach '{second / 'analytics.duckdb'}' as second (read_only)")
    yield con
    con.close()


@pytest.mark.parametrize("table", TABLES)
def test_two_refreshes_of_the_same_landing_folder_publish_the_same_rows(two_warehouses, table):
    con = two_warehouses
    counts = con.execute(f"select (select count(*) from first.marts.{table}), "
                         f"(select count(*) from second.marts.{table})").fetchall()[0]
    assert counts[0] == counts[1] and counts[0] > 0, counts
    for a, b in (("first", "second"), ("second", "first")):
        extra = con.execute(f"select * from {a}.marts.{table} except all select * from {b}.marts.{table} "
                            "limit 5").fetchall()
        assert extra == [], f"rows of {table} only in the {a} warehouse: {extra}"


def test_the_two_warehouses_are_two_publishes(two_warehouses):
    # not one file compared with itself: each refresh published its own version
    versions = two_warehouses.execute("select (select any_value(version) from first.marts.publish_version), "
                                      "(select any_value(version) from second.marts.publish_version)").fetchall()[0]
    assert versions[0] != versions[1]
