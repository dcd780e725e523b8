"""A refresh killed at any point (power cut, OOM killer, `kill -9`) changes nothing analysts
use, leaves nothing that stops the next run, and the next run gives the same results as a
refresh nobody interrupted (README, Operations: "After a failed refresh").

`dpf refresh` runs as a child process in its own session and is killed with SIGKILL, as a
process group, at four points found from outside, by what each stage leaves in the warehouse
folder while it runs (conftest.IN_STAGE): ingestion's scratch folder `.ingest-*`, dbt's node
lines in the run's log under logs/, the new database being built in `analytics.duckdb.building`
(from the start of the quality suites: publishing builds it while they run), the Data Docs
being built in `.quality.building` (at the end of the suites). The runs follow one another on one
warehouse (the `abused` fixture: after a run that ran out of disk), so each also starts from
the leftovers of the one before and must get further than it did.
"""

from __future__ import annotations

import os
import sys
import time

import pytest

from pipelines.dashboard.render import LINK_NAME, render_dashboard

KILL_POINTS = ("ingestion", "dbt", "publish", "quality")  # in the order a refresh reaches them


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_refresh_killed_during_a_stage_leaves_the_published_files_byte_for_byte(abused, point):
    after = abused.killed[point]
    assert after.reached, f"the refresh ended (exit {after.returncode}) before {point}: {after.output}"
    assert after.returncode == -9 and after.evidence, f"the kill did not come during {point}"
    assert after.files == abused.before  # analytics.duckdb, the dashboard link and every dashboard file
    assert after.lock_free  # the kernel dropped the dead refresh's lock


def test_the_refresh_after_the_kills_publishes_what_an_uninterrupted_refresh_did(abused, rel):
    finished = abused.finished
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert rel.marts(abused.warehouse) == rel.marts(abused.good)  # indicator_values and dq_findings
    assert rel.published_version(abused.warehouse) != rel.published_version(abused.good)
    assert (abused.warehouse / LINK_NAME / "index.html").is_file()


def test_the_refresh_after_the_kills_removes_their_half_built_files(abused, rel):
    assert abused.finished.returncode == 0, abused.finished.stderr[-3000:]
    assert rel.temporary_files(abused.warehouse) == []
    versions = [p.name for p in abused.warehouse.iterdir() if p.name.startswith("dashboard-")]
    assert versions == [os.readlink(abused.warehouse / LINK_NAME)]


def test_the_refresh_after_the_kills_removes_the_killed_ingestion_s_scratch_folder(abused):
    assert abused.finished.returncode == 0, abused.finished.stderr[-3000:]
    assert [p.name for p in abused.warehouse.glob(".ingest-*")] == []


def test_a_dashboard_render_killed_half_way_leaves_the_previous_dashboard(published, rel, tmp_path):
    """The symlink swap of dashboard/render.py: kill a render while it writes the new folder."""
    warehouse = rel.copy_warehouse(published[1], tmp_path / "warehouse")
    before = rel.published_files(warehouse)
    process = rel.start([sys.executable, "-c", "import sys; from pipelines.dashboard.render import render_dashboard;"
                         " render_dashboard(sys.argv[1])", str(warehouse)], tmp_path / "render")
    building = []
    try:
        # Killed as soon as its first file (plotly.min.js, 4.8 MB) is being written: a wider
        # window than waiting for a second file. With that wait, the test failed once in a
        # full run (2026-11-29; its message was not kept) and passed alone.
        while process.poll() is None and not building:
            building = [p for p in warehouse.glob("dashboard.building-*") if any(p.iterdir())]
            time.sleep(0.002)
    finally:
        rel.kill_group(process)
    assert building and process.returncode == -9, f"the render ended first: {rel.output(tmp_path / 'render')}"
    assert rel.published_files(warehouse) == before

    index = render_dashboard(warehouse)  # the next render: a new version, the leftovers gone
    assert index.is_file() and os.readlink(warehouse / LINK_NAME) != before["dashboard ->"]
    assert rel.temporary_files(warehouse) == []
    assert [p.name for p in warehouse.glob("dashboard-*")] == [os.readlink(warehouse / LINK_NAME)]
