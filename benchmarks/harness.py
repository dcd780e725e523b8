"""The benchmark harness of issue 8: one command from district to province scale.

    uv run python benchmarks/harness.py district [city] [province] [--no-floor] [--repeat N]

For each scale (district 14,608 holders, city 150,000, province 1,000,000):

1. Landing folders: benchmarks/data/landing_<holders> is generated when missing; the
   *base* folder is that folder without its newest ledger month and newest registry
   snapshot (hard links, no copies).
2. A full refresh of the base folder into a fresh warehouse, then an incremental refresh
   after the held-back month and snapshot are added. Each refresh is `dpf refresh`'s own
   function in a child process; the harness samples the resident memory of the child's
   whole process tree every 0.1 s and attributes it to the stage running at the time
   (Dagster step spans reported by the child). Start-up (interpreter, imports, Definitions,
   manifest check) and finish (summary) are reported as stages of their own.
3. Floors, measured in the same run on the full refresh's warehouse:
   - ingest: DuckDB's own CSV reader (`read_csv`, every column text) over the same UTF-8
     CSV files (DuckDB reads neither GB18030 nor XLSX without a downloaded extension);
     compared by rows per second;
   - dbt: the compiled SQL of every dbt model (and every data test) of the run, executed in
     dependency order in one DuckDB process over a copy of the same raw and seed tables;
   - publish: one `CREATE TABLE AS` per mart into a new file in one DuckDB process;
     compared with the refresh's copy of the marts (which runs during the quality step,
     sharing the cores with the suites: `publish_copy_seconds`) plus the publish step's
     check and swap (the step without the time it waited for the copy).
4. Results go to benchmarks/results/<scale>.json, and the tables between the harness
   markers of benchmarks/RESULTS.md are rewritten from every results file.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RESULTS = HERE / "results"
RESULTS_MD = HERE / "RESULTS.md"
SCALES = {"district": 14_608, "city": 150_000, "province": 1_000_000}
STAGES = {"ingest_landing_files": "ingest", "dbt_models": "dbt", "quality__data_docs": "quality",
          "published__analytics": "publish", "published__dashboard": "dashboard"}
MARK_START, MARK_END = "<!-- harness:start -->", "<!-- harness:end -->"


# --- landing folders ---------------------------------------------------------------

def landing_folders(holders: int) -> tuple[Path, Path, list[Path]]:
    """(full landing, base landing, the files the base holds back)."""
    full = DATA / f"landing_{holders}"
    if not (full / "manifest.json").exists():
        from pipelines.generate.run import generate

        generate(full, holders=holders)
    held_back = [max((full / source).glob(f"{source}_*.*")) for source in ("subsidy", "registry")]
    base = DATA / f"base_{holders}"
    shutil.rmtree(base, ignore_errors=True)
    for path in sorted(full.glob("*/*")):
        if path not in held_back:
            (base / path.parent.name).mkdir(parents=True, exist_ok=True)
            os.link(path, base / path.parent.name / path.name)
    return full, base, held_back


def landing_volume(landing: Path) -> dict:
    files = [p for p in landing.glob("*/*") if p.is_file()]
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}


# --- one refresh in a child process, with its memory sampled --------------------------------

CHILD = """
import json, sys, time
started = time.time()
from pipelines.refresh import refresh
imported = time.time()
outcome = refresh(sys.argv[1], sys.argv[2], log=lambda _: None)
with open(sys.argv[3], "w") as report:
    json.dump({"started": started, "imported": imported, "finished": time.time(), "status": outcome.status,
               "message": outcome.message, "spans": outcome.stage_spans,
               "publish_copy_seconds": outcome.publish_copy_seconds}, report)
from pipelines.process_exit import exit_now
exit_now(0)  # as `dpf refresh` ends
"""


def _tree_rss_kb(root: int) -> int:
    """Resident memory of a process and all its descendants (kB), from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(entry.path, "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        children.setdefault(int(fields["PPid"]), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def timed_refresh(landing: Path, warehouse: Path) -> dict:
    report = warehouse.parent / f"{warehouse.name}.child.json"
    env = {**os.environ, "DAGSTER_DISABLE_TELEMETRY": "1"}
    env.pop("DAGSTER_HOME", None)
    spawned = time.time()
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(landing), str(warehouse), str(report)],
                             env=env, cwd=HERE.parent)
    samples: list[tuple[float, int]] = []
    while child.poll() is None:
        samples.append((time.time(), _tree_rss_kb(child.pid)))
        time.sleep(0.1)
    ended = time.time()
    if child.returncode != 0 or not report.exists():
        raise SystemExit(f"refresh of {landing} failed (exit {child.returncode})")
    result = json.loads(report.read_text())
    if result["status"] != 0:
        raise SystemExit(f"refresh of {landing} failed: {result['message']}")
    spans = {STAGES.get(step, step): tuple(span) for step, span in result["spans"].items()}
    first = min(start for start, _ in spans.values())
    last = max(end for _, end in spans.values())
    spans = {"start-up": (spawned, first), **spans, "finish": (last, ended)}
    stages = {}
    for name, (start, end) in spans.items():
        inside = [kb for t, kb in samples if start <= t <= end]
        stages[name] = {"seconds": round(end - start, 2), "peak_mb": round(max(inside, default=0) / 1024)}
    return {"seconds": round(ended - spawned, 2), "peak_mb": round(max((kb for _, kb in samples), default=0) / 1024),
            "imports_seconds": round(result["imported"] - result["started"], 2), "stages": stages,
            "publish_copy_seconds": result.get("publish_copy_seconds")}


def warehouse_volume(warehouse: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(warehouse / "work.duckdb"), read_only=True)
    try:
        raw = dict(con.execute("select table_name, estimated_size from duckdb_tables() where schema_name = 'raw'")
                   .fetchall())
        raw = {name: con.execute(f"select count(*) from raw.{name}").fetchall()[0][0] for name in raw}
    finally:
        con.close()
    return {"raw_rows": raw, "work_db_bytes": (warehouse / "work.duckdb").stat().st_size,
            "published_bytes": (warehouse / "analytics.duckdb").stat().st_size}


# --- floors -------------------------------------------------------------------------

def ingest_floor(landing: Path, scratch: Path) -> dict:
    """DuckDB's CSV reader over every UTF-8 CSV of the landing folder, every column text."""
    import duckdb

    files = []
    for path in sorted(landing.glob("*/*.csv")):
        with open(path, "rb") as handle:
            head = handle.read(1 << 20)
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as error:
            if error.start < len(head) - 4:  # not just a character cut at the block's end
                continue
        files.append(path)
    database = scratch / "ingest-floor.duckdb"
    database.unlink(missing_ok=True)
    con = duckdb.connect(str(database))
    try:
        started = time.perf_counter()
        rows = 0
        for number, path in enumerate(files):
            con.execute(f"create table t{number} as select * from read_csv(?, all_varchar = true, header = true, "
                        "delim = ',', quote = '\"', escape = '\"', null_padding = true)", [str(path)])
            rows += con.execute(f"select count(*) from t{number}").fetchall()[0][0]
        con.execute("checkpoint")
        seconds = time.perf_counter() - started
    finally:
        con.close()
        database.unlink(missing_ok=True)
    return {"files": len(files), "rows": rows, "seconds": round(seconds, 2),
            "rows_per_second": round(rows / seconds) if seconds else None}


def dbt_floor(warehouse: Path, scratch: Path) -> dict:
    """The run's compiled models (and data tests) in dependency order, in one DuckDB process,
    over a copy of the working warehouse stripped of everything dbt built but the seeds.
    The compiled SQL is the run's (run_results.json); the graph and materializations are the
    prepared manifest's (the refresh's build writes no manifest.json)."""
    import duckdb

    from pipelines.dbt_manifest import MANIFEST

    manifest = json.loads(MANIFEST.read_text())
    results = json.loads((warehouse / "dbt" / "run_results.json").read_text())["results"]
    compiled = {r["unique_id"]: r["compiled_code"] for r in results if r.get("compiled_code")}
    nodes = {uid: {**node, "compiled_code": compiled[uid]} for uid, node in manifest["nodes"].items()
             if node["resource_type"] in ("model", "test") and uid in compiled}
    copy_dir = scratch / "dbt-floor"
    shutil.rmtree(copy_dir, ignore_errors=True)
    copy_dir.mkdir(parents=True)
    database = copy_dir / "work.duckdb"  # the same database name the compiled SQL refers to
    shutil.copyfile(warehouse / "work.duckdb", database)
    con = duckdb.connect(str(database))
    try:
        for schema in ("staging", "intermediate", "marts"):
            con.execute(f"drop schema if exists {schema} cascade")
        con.execute("checkpoint")
        order, done = [], set()

        def visit(uid: str) -> None:
            if uid in done or uid not in nodes:
                return
            done.add(uid)
            for parent in nodes[uid]["depends_on"]["nodes"]:
                visit(parent)
            order.append(uid)

        for uid in sorted(nodes, key=lambda u: (nodes[u]["resource_type"] == "test", u)):
            visit(uid)
        started = time.perf_counter()
        for schema in sorted({nodes[u]["schema"] for u in order if nodes[u]["resource_type"] == "model"}):
            con.execute(f"create schema if not exists {schema}")
        models = tests = 0
        for uid in order:
            node = nodes[uid]
            if node["resource_type"] == "model":
                kind = "view" if node["config"]["materialized"] == "view" else "table"
                con.execute(f"create {kind} {node['relation_name']} as {node['compiled_code']}")
                models += 1
            else:
                con.execute(f"select count(*) from ({node['compiled_code']}) as failures").fetchall()
                tests += 1
        con.execute("checkpoint")
        seconds = time.perf_counter() - started
    finally:
        con.close()
        shutil.rmtree(copy_dir, ignore_errors=True)
    return {"models": models, "tests": tests, "seconds": round(seconds, 2)}


def publish_floor(warehouse: Path, scratch: Path) -> dict:
    import duckdb

    target = scratch / "publish-floor.duckdb"
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    try:
        started = time.perf_counter()
        con.execute(f"attach '{warehouse / 'work.duckdb'}' as work (read_only)")
        con.execute("create schema marts")
        # the marts' tables and views (fct_indicator_persons), as publish copies them
        for (name,) in con.execute("select table_name from duckdb_tables() where database_name = 'work' "
                                   "and schema_name = 'marts' union all select view_name from duckdb_views() "
                                   "where database_name = 'work' and schema_name = 'marts' and not internal"
                                   ).fetchall():
            con.execute(f'create table marts."{name}" as select * from work.marts."{name}"')
        con.execute("detach work")
        con.execute("checkpoint")
        seconds = time.perf_counter() - started
    finally:
        con.close()
        target.unlink(missing_ok=True)
    return {"seconds": round(seconds, 2)}


# --- one scale, and the Markdown --------------------------------------------------------

def median_run(runs: list[dict]) -> dict:
    """The run of median total time (the lower of the two middle ones for an even count),
    with every run's total beside it; its peak memory is the highest of all runs."""
    ordered = sorted(runs, key=lambda run: run["seconds"])
    return {**ordered[(len(ordered) - 1) // 2], "runs_seconds": [run["seconds"] for run in runs],
            "peak_mb": max(run["peak_mb"] for run in runs)}


def run_scale(scale: str, floor: bool, repeat: int = 1) -> dict:
    """Full refresh, floors, incremental refresh; the results file is written after each, so
    a run stopped half-way (province scale takes an hour) keeps what it measured."""
    holders = SCALES[scale]
    full, base, held_back = landing_folders(holders)
    warehouse = DATA / f"bench_warehouse_{holders}"
    result = {"scale": scale, "holders": holders, "measured_at": time.strftime("%Y-%m-%d %H:%M"),
              "machine": machine(), "load_average_before": os.getloadavg()[0],
              "incremental_adds": [p.name for p in held_back], "floors": {}}
    RESULTS.mkdir(exist_ok=True)

    def save() -> None:
        (RESULTS / f"{scale}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")

    runs = []
    for number in range(1, repeat + 1):
        print(f"[{scale}] full refresh of {base} ({number} of {repeat}) ...", flush=True)
        shutil.rmtree(warehouse, ignore_errors=True)
        runs.append(timed_refresh(base, warehouse))
    result["full"] = median_run(runs)
    result["volume"] = {**landing_volume(base), **warehouse_volume(warehouse)}
    save()
    if floor:
        print(f"[{scale}] floors ...", flush=True)
        for name, measure in (("ingest", lambda: ingest_floor(base, DATA)), ("dbt", lambda: dbt_floor(warehouse, DATA)),
                              ("publish", lambda: publish_floor(warehouse, DATA))):
            try:
                result["floors"][name] = measure()
            except Exception as error:  # a floor that cannot be measured is reported, not fatal
                result["floors"][name] = {"error": f"{type(error).__name__}: {str(error)[:300]}"}
            save()
    for path in held_back:
        os.link(path, base / path.parent.name / path.name)
    before = warehouse.with_name(f"{warehouse.name}.before_incremental")
    shutil.rmtree(before, ignore_errors=True)
    if repeat > 1:  # symlinks as symlinks: `dashboard` is one (pipelines/dashboard/render.py)
        shutil.copytree(warehouse, before, symlinks=True)
    runs = []
    for number in range(1, repeat + 1):
        if number > 1:
            shutil.rmtree(warehouse)
            shutil.copytree(before, warehouse, symlinks=True)
        print(f"[{scale}] incremental refresh (+ {', '.join(p.name for p in held_back)}) ({number} of {repeat}) ...",
              flush=True)
        runs.append(timed_refresh(base, warehouse))
    result["incremental"] = median_run(runs)
    save()
    shutil.rmtree(before, ignore_errors=True)
    shutil.rmtree(base, ignore_errors=True)
    return result


def machine() -> str:
    cpus = os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpus} cores, {memory:.0f} GB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def markdown() -> str:
    results = [json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json"))]
    results.sort(key=lambda r: r["holders"])
    if not results:
        return ""
    stages = ["start-up", "ingest", "dbt", "quality", "publish", "dashboard", "finish"]
    lines = [f"Machine: {results[0]['machine']}. Generated by `uv run python benchmarks/harness.py`;"
             " seconds of wall time, peak resident memory (MB) of the refresh's whole process tree.", "",
             "| scale | holders | landing | raw rows | refresh | " + " | ".join(stages) + " | peak memory |",
             "|---|---|---|---|---|" + "---|" * len(stages) + "---|"]
    for r in results:
        for kind in ("full", "incremental"):
            if kind not in r:
                lines.append(f"| {r['scale']} | {r['holders']:,} | | | {kind}: not measured (run stopped) |")
                continue
            run = r[kind]
            raw_rows = sum(r["volume"]["raw_rows"].values())
            cells = " | ".join(f"{run['stages'].get(s, {}).get('seconds', 0):.1f} s / {run['stages'].get(s, {}).get('peak_mb', 0):,}"
                               for s in stages)
            label = "full" if kind == "full" else "+1 month, +1 snapshot"
            totals = run.get("runs_seconds", [run["seconds"]])
            spread = (f" (median of {len(totals)} runs: {min(totals):.1f}-{max(totals):.1f} s)"
                      if len(totals) > 1 else "")
            lines.append(f"| {r['scale']} ({r['measured_at']}, load {r['load_average_before']:.1f}) | {r['holders']:,} | "
                         f"{r['volume']['files']} files, {r['volume']['bytes'] / 1e6:,.0f} MB | {raw_rows:,} | "
                         f"{label}: **{run['seconds']:.1f} s**{spread} | {cells} | {run['peak_mb']:,} MB |")
    lines += ["", "Floors (the same work done by DuckDB alone, same run, same machine) and ratios:", "",
              "| scale | ingest: pipeline rows/s | DuckDB read_csv rows/s (UTF-8 CSVs) | ratio | dbt: pipeline | "
              "compiled SQL in one DuckDB | ratio | publish: pipeline (copy during quality + check and swap) | DuckDB copy | ratio |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        f = r.get("floors") or {}
        if not f:
            continue
        failed = {name: v["error"] for name, v in f.items() if "error" in v}
        failed.update({name: "not measured (run stopped)" for name in ("ingest", "dbt", "publish") if name not in f})
        if failed:
            lines.append(f"| {r['scale']} | floor not measured: {failed} |")
            continue
        st = r["full"]["stages"]
        rows = sum(r["volume"]["raw_rows"].get(t, 0) for t in ("registry_rows", "subsidy_rows", "employment_rows",
                                                              "survey_rows", "quarantine_rows"))
        pipeline_rate = rows / st["ingest"]["seconds"]
        # The new file is copied during the quality step, from its start (publish.py); the
        # publish step waits for the copy if it is still running, then checks and swaps. The
        # pipeline's publishing: the copy, plus the step without its wait.
        copy = r["full"].get("publish_copy_seconds") or 0.0
        step = st["publish"]["seconds"]
        check_and_swap = step - min(max(0.0, copy - st["quality"]["seconds"]), step)
        published = copy + check_and_swap
        lines.append(
            f"| {r['scale']} | {pipeline_rate:,.0f} | {f['ingest']['rows_per_second']:,} | "
            f"{f['ingest']['rows_per_second'] / pipeline_rate:.1f}x | {st['dbt']['seconds']:.1f} s | "
            f"{f['dbt']['seconds']:.1f} s ({f['dbt']['models']} models, {f['dbt']['tests']} tests) | "
            f"{st['dbt']['seconds'] / f['dbt']['seconds']:.1f}x | {copy:.1f} + {check_and_swap:.1f} s | "
            f"{f['publish']['seconds']:.1f} s | {published / max(f['publish']['seconds'], 0.01):.1f}x |")
    return "\n".join(lines)


def write_markdown() -> None:
    text = RESULTS_MD.read_text(encoding="utf-8")
    table = f"{MARK_START}\n{markdown()}\n{MARK_END}"
    if MARK_START in text:
        head, rest = text.split(MARK_START, 1)
        text = head + table + rest.split(MARK_END, 1)[1]
    else:
        head, _, rest = text.partition("\n\n")
        text = f"{head}\n\n## Harness: full and incremental refresh by stage, with floors (issue 8)\n\n{table}\n\n{rest}"
    RESULTS_MD.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> None:
    floor = "--no-floor" not in argv
    repeat = 1
    if "--repeat" in argv:
        at = argv.index("--repeat")
        value = argv[at + 1] if at + 1 < len(argv) else ""
        if not value.isdigit() or int(value) < 1:
            raise SystemExit(f"--repeat takes a number of runs (1 or more), not {value!r}")
        repeat = int(value)
        argv = argv[:at] + argv[at + 2:]
    scales = [a for a in argv if not a.startswith("--")] or ["district"]
    for scale in scales:
        if scale not in SCALES:
            raise SystemExit(f"unknown scale {scale!r}: one of {', '.join(SCALES)}")
    for scale in scales:
        result = run_scale(scale, floor, repeat)
        print(json.dumps({k: result.get(k) for k in ("full", "incremental", "floors")}, indent=1))
        write_markdown()
    print(markdown())


if __name__ == "__main__":
    main(sys.argv[1:])
