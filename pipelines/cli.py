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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
