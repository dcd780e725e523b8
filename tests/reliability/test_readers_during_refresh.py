"""Analysts read analytics.duckdb while refreshes publish new versions (interface.md: "nobody
ever sees a half-built database or a lock error").

Separate reader processes open the published database read-only, a new connection for every
query, hundreds of times each, while three refreshes run back to back, each on a landing folder
where one more monthly ledger has arrived. Every query reads publish_version and counts the rows
of every table it lists, in one connection: the counts must agree, the tables must be exactly
the ones listed, and nothing may fail. One more reader holds a single connection from before the
first refresh to after the last: it keeps reading the version it opened.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from pipelines.publish import published_path
from pipelines.refresh import refresh

READERS = 3
QUERIES = 300  # at least, per reader; they go on until the last refresh is done
PAUSE = 0.2  # seconds between queries (a query costs ~40 ms of CPU): readers, not a load test

READER = r"""
import json, pathlib, sys, time
import duckdb

database, stop, ready, minimum, pause, mode = sys.argv[1:7]
stop, ready, minimum, pause = pathlib.Path(stop), pathlib.Path(ready), int(minimum), float(pause)


def read(con):
    # One connection: publish_version and the tables it lists must belong to one version.
    listed = con.execute("select version, table_name, row_count from marts.publish_version").fetchall()
    present = {r[0] for r in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
    counts = {t: con.execute(f'select count(*) from marts."{t}"').fetchone()[0] for _, t, _ in listed}
    problems = []
    versions = sorted({v for v, _, _ in listed})
    if len(versions) != 1:
        problems.append(f"publish_version names {versions}")
    if {t for _, t, _ in listed} != present - {"publish_version"}:
        problems.append(f"tables {sorted(present)} but publish_version lists {sorted(t for _, t, _ in listed)}")
    problems += [f"{t}: {counts[t]} rows, publish_version says {n}" for _, t, n in listed if counts[t] != n]
    return (versions[0] if versions else None), counts, problems


queries, seen, problems = 0, {}, []
if mode == "hold":  # one connection, opened before the refreshes and read again after them
    con = duckdb.connect(database, read_only=True)
    first = read(con)
    ready.touch()
    while not stop.exists():
        time.sleep(pause)
    last = read(con)
    con.close()
    print(json.dumps({"first": first, "last": last}))
    sys.exit(0)

while not (stop.exists() and queries >= minimum):
    try:
        con = duckdb.connect(database, read_only=True)  # a new connection for every query
        try:
            version, _, wrong = read(con)
        finally:
            con.close()
        seen[version] = seen.get(version, 0) + 1
        problems += wrong
    except Exception as error:  # any error at all is a failure of the publish contract
        problems.append(f"{type(error).__name__}: {error}")
    queries += 1
    ready.touch()
    time.sleep(pause)
print(json.dumps({"queries": queries, "versions": seen, "problems": problems[:20]}))
"""


def start_reader(database, stop, ready, mode="query") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", READER, str(database), str(stop), str(ready), str(QUERIES),
                             str(PAUSE), mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until_ready(readers: list[tuple[subprocess.Popen, object]]) -> None:
    """Every reader has read the database once (a guard against hanging, not a timing claim)."""
    deadline = time.monotonic() + 120
    while not all(ready.exists() for _, ready in readers):
        for process, _ in readers:
            assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "readers did not start"
        time.sleep(0.1)


def test_readers_see_one_complete_version_while_three_refreshes_publish(published, district, rel, tmp_path):
    _, good = published
    landing = rel.landing_copy(district, tmp_path / "landing")
    warehouse = rel.copy_warehouse(good, tmp_path / "warehouse")
    database, stop = published_path(warehouse), tmp_path / "stop"
    versions = [rel.published_version(warehouse)]

    readers = [(start_reader(database, stop, tmp_path / f"ready-{i}"), tmp_path / f"ready-{i}")
               for i in range(READERS)]
    holder = (start_reader(database, stop, tmp_path / "ready-hold", mode="hold"), tmp_path / "ready-hold")
    outcomes = []
    try:
        wait_until_ready([*readers, holder])
        for ledger in rel.LATE_LEDGERS:  # three refreshes back to back, a new month each
            rel.deliver(district, landing, ledger)
            outcomes.append(refresh(landing, warehouse, log=lambda _: None))
            versions.append(rel.published_version(warehouse))
    finally:
        stop.touch()
        results = []
        for process, _ in [*readers, holder]:
            out, err = process.communicate(timeout=600)
            assert process.returncode == 0, err
            results.append(json.loads(out))

    assert [o.status for o in outcomes] == [0, 0, 0], [o.message for o in outcomes]
    assert len(set(versions)) == 4  # the first and three new ones
    *query_results, hold = results
    for number, result in enumerate(query_results):
        assert result["problems"] == [], f"reader {number}"
        assert result["queries"] >= QUERIES
        seen = set(result["versions"])
        assert seen <= set(versions), f"reader {number} saw a version that was never published"
        # it started before the first refresh and stopped after the last: the runs overlapped it
        assert {versions[0], versions[-1]} <= seen, f"reader {number} saw only {seen}"
    assert len(set().union(*(r["versions"] for r in query_results))) > 1

    first_version, first_counts, first_problems = hold["first"]
    last_version, last_counts, last_problems = hold["last"]
    assert first_problems == last_problems == []
    assert first_version == last_version == versions[0]  # the file it opened, three swaps later
    assert first_counts == last_counts
