"""`dpf`: the command line. Thin: every command calls the same code Dagster runs."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


def cmd_generate(args: argparse.Namespace) -> int:
    from pipelines.generate.run import generate

    started = time.perf_counter()
    manifest = generate(Path(args.out), holders=args.holders, seed=args.seed, defect_rate=args.defect_rate,
                        progress=_progress)
    files = manifest["files"]
    rows = sum(f["rows"] for f in files.values())
    print(f"已生成 {len(files)} 个文件，共 {rows:,} 行 -> {args.out} ({time.perf_counter() - started:.1f} s)")
    print(f"Generated {len(files)} files, {rows:,} rows; manifest: {Path(args.out) / 'manifest.json'}")
    return 0


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{rule} {n:,}" for rule, n in counts.items()) or "-"


def cmd_check(args: argparse.Namespace) -> int:
    from pipelines.ingest.landing import discover, snapshot_drops
    from pipelines.ingest.load import F03_THRESHOLD, duplicate_periods, f03_problem, prepare
    from pipelines.ingest.read import FileRejected
    from pipelines.reference import load_reference

    landing = Path(args.landing)
    if not landing.is_dir():
        print(f"落地目录不存在 / landing folder not found: {landing}", file=sys.stderr)
        return 2
    files, rejected = discover(landing)
    rejected += duplicate_periods(files)  # with no warehouse every file is new (as a first refresh sees it)
    reference = load_reference()
    registry_rows: dict[str, int] = {}
    registry_files = {}
    for f in files:
        try:
            prepared = prepare(f, reference)
        except FileRejected as problem:
            rejected.append(problem)
            continue
        counts = prepared.rule_counts()
        quarantined = {rule: n for rule, n in counts.items() if rule in ("R01", "R05", "R06", "R07")}
        warned = {rule: n for rule, n in counts.items() if rule not in quarantined}
        print(f"{f.relative}: {prepared.rows_read:,} rows read; "
              f"quarantined {_counts_text(quarantined)}; warn {_counts_text(warned)}")
        if f.source == "registry":
            registry_rows[f.period] = prepared.rows_read
            registry_files[f.period] = f
    for current, previous, rows, previous_rows in snapshot_drops(registry_rows, None, F03_THRESHOLD):
        rejected.append(f03_problem(registry_files[current], current, previous, rows, previous_rows))
    for problem in rejected:
        print(f"REJECTED [{problem.rule}] {problem.path}: {problem.message}")
    print(f"{len(files)} file(s) checked, {len(rejected)} rejected / 检查 {len(files)} 个文件，拒收 {len(rejected)} 个")
    return 1 if rejected else 0


def cmd_refresh(args: argparse.Namespace) -> int:
    from pipelines.refresh import refresh

    return _report(refresh(Path(args.landing), Path(args.warehouse), log=_progress), Path(args.warehouse))


def cmd_demo(args: argparse.Namespace) -> int:
    from pipelines.generate.run import generate
    from pipelines.refresh import refresh

    warehouse = Path(args.warehouse)
    landing = Path(args.landing) if args.landing else warehouse / "landing"
    if not (landing / "manifest.json").exists():
        _progress(f"生成演示数据 generating the demo extracts into {landing}")
        generate(landing, progress=_progress)
    return _report(refresh(landing, warehouse, log=_progress), warehouse)


def _report(outcome, warehouse: Path) -> int:
    from pipelines.publish import published_path
    from pipelines.refresh import summary_text

    if outcome.status != 0:
        print(outcome.message, file=sys.stderr)
        return outcome.status
    print(summary_text(outcome.summary))
    print(f"\n发布库 / database:   {published_path(warehouse)}")
    print(f"仪表板 / dashboard: {warehouse / 'dashboard' / 'index.html'}")
    print(f"数据质量 / quality: {warehouse / 'quality'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dpf",
        description="奉化区残联“十四五”指标数据仓库 / Fenghua DPF five-year-plan indicators warehouse.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser(
        "generate",
        help="write synthetic extracts in the contract format",
        description="Write synthetic registry, subsidy, employment and survey extracts for the Fenghua "
        "district (2021-01 to 2025-12) in the exact format of the data contract, with realistic "
        "mess and a manifest.json of the injected defects. Same seed, same bytes.",
    )
    gen.add_argument("--out", required=True, help="folder to write the landing files into (created if missing)")
    gen.add_argument("--holders", type=int, default=14_608,
                     help="certificate holders on record at 2022-06-30 (default 14608, the district's figure)")
    gen.add_argument("--seed", type=int, default=2022, help="random seed (default 2022)")
    gen.add_argument("--defect-rate", type=float, default=0.01,
                     help="share of rows given a row-level defect (default 0.01)")
    gen.set_defaults(func=cmd_generate)

    check = sub.add_parser(
        "check",
        help="validate a landing folder against the data contract (no warehouse touched)",
        description="Read every landing file as a refresh would and report, per file, the rows read, the "
        "rows that would be quarantined (by rule) and the files that would be rejected (F01 unreadable or "
        "missing column, F02 bad file name, F03 registry snapshot under 80% of the previous one). Touches "
        "no warehouse. Exit status 1 when any file would be rejected.",
    )
    check.add_argument("--landing", required=True, help="the landing folder to check")
    check.set_defaults(func=cmd_check)

    ref = sub.add_parser(
        "refresh",
        help="the whole job: ingest, build the indicators, check, publish",
        description="Load new and changed extracts from the landing folder into the warehouse, build the "
        "14 indicators with dbt (and run its tests), then publish analytics.duckdb atomically. Prints the "
        "latest year's district value of each indicator against its target. On any blocking problem the "
        "published database stays as it was and the exit status says why (README, Operations).",
    )
    ref.add_argument("--landing", required=True, help="the landing folder (registry/, subsidy/, employment/, survey/)")
    ref.add_argument("--warehouse", required=True, help="the warehouse folder (created if missing)")
    ref.set_defaults(func=cmd_refresh)

    demo = sub.add_parser(
        "demo",
        help="generate the synthetic Fenghua extracts, then refresh a warehouse from them",
        description="Generate the built-in synthetic Fenghua extracts (unless the landing folder already holds "
        "them) and run refresh on them; prints where the database is.",
    )
    demo.add_argument("--warehouse", default="demo", help="the warehouse folder (default ./demo)")
    demo.add_argument("--landing", default=None, help="where the extracts go (default <warehouse>/landing)")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


def run() -> None:
    """The `dpf` command: `main`, then the process ends without the interpreter's teardown
    (1.5 s after a refresh: pipelines/process_exit.py)."""
    from pipelines.process_exit import exit_now

    exit_now(main())


if __name__ == "__main__":
    run()
