"""The small district shared by the hostile-extract, privacy and repeatability tests.

A generated landing folder (1,500 holders, seed 2022) with the corpus's quarantine-level
content merged in (corpus/formulas: rows appended to generated files; corpus/numeric_id: a
ledger replaced), refreshed once by the real command, `python -m pipelines.cli refresh`, in a
subprocess with its own DAGSTER_HOME and its console output (stdout and stderr) kept.
A full refresh takes about 1.5 minutes on two cores, so it is built once per test session
(`small_district`) and shared; tests that refresh it again must leave it as it was (the
blocking cases assert exactly that).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pipelines.config import PROJECT_ROOT
from pipelines.generate.run import generate
from pipelines.ingest.landing import content_hash as sha256  # sha256 of a file, read in blocks

CORPUS = Path(__file__).parent / "corpus"
HOLDERS = 1500
SEED = 2022
FORMULAS = ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)")
TRACE_MARKERS = ("Traceback (most recent call last)", "Stack Trace:", 'File "/')


@dataclass(frozen=True)
class District:
    root: Path  # the subprocess's working directory: everything it wrote is under here
    landing: Path
    warehouse: Path
    dagster_home: Path
    console: str  # stdout and stderr of `dpf refresh`, interleaved
    returncode: int
    seconds: float


_built: dict[Path, District] = {}


def small_district(tmp_path_factory) -> District:
    """The shared district, built on first use in this test session."""
    base = tmp_path_factory.getbasetemp()
    if base not in _built:
        _built[base] = _build(tmp_path_factory.mktemp("district"))
    return _built[base]


def _build(root: Path) -> District:
    landing, warehouse, dagster_home = root / "landing", root / "warehouse", root / "dagster_home"
    generate(landing, holders=HOLDERS, seed=SEED)
    merge_rows(landing, CORPUS / "formulas")
    replace_files(landing, CORPUS / "numeric_id")
    dagster_home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", dagster_home / "dagster.yaml")  # as README, Operations
    env = os.environ | {"DAGSTER_HOME": str(dagster_home), "DAGSTER_DISABLE_TELEMETRY": "1"}
    env.pop("DPF_PSEUDONYM_KEY", None)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "refresh", "--landing", str(landing), "--warehouse", str(warehouse)],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900, check=False,
    )
    return District(root, landing, warehouse, dagster_home, done.stdout, done.returncode,
                    time.perf_counter() - started)


def merge_rows(landing: Path, folder: Path) -> None:
    """Append the rows of each corpus CSV to the generated CSV of the same name, in that
    file's encoding (manifest.json) and column order (generated files reorder and pad headers)."""
    manifest = json.loads((landing / "manifest.json").read_text(encoding="utf-8"))["files"]
    for extra in sorted(folder.glob("*/*.csv")):
        relative = f"{extra.parent.name}/{extra.name}"
        entry = manifest[relative]
        assert entry["format"] == "csv", f"{relative} is generated as {entry['format']}; pick a CSV file"
        target = landing / relative
        text = target.read_bytes().decode(entry["encoding"])
        header = next(csv.reader(io.StringIO(text)))
        positions = [h.replace("\ufeff", "").strip() for h in header]
        rows = list(csv.DictReader(io.StringIO(extra.read_text(encoding="utf-8"))))
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n" if "\r\n" in text else "\n").writerows(
            [[row.get(h, "") for h in positions] for row in rows])
        if not text.endswith("\n"):
            text += "\n"
        target.write_bytes((text + out.getvalue()).encode(entry["encoding"]))


def replace_files(landing: Path, folder: Path) -> None:
    """Put each corpus file in place of the generated file for its period (any format)."""
    for extra in sorted(folder.glob("*/*")):
        source_folder = landing / extra.parent.name
        for generated in source_folder.glob(f"{extra.stem}.*"):
            generated.unlink()
        shutil.copy(extra, source_folder / extra.name)


def copy_landing(landing: Path, target: Path) -> Path:
    """A private copy of a landing folder: the shared one is never changed by a test."""
    shutil.copytree(landing, target, symlinks=True)
    return target


def published_state(warehouse: Path) -> dict[str, str]:
    """sha256 of every published file (analytics.duckdb, the dashboard the link points at,
    the Data Docs), of the working database and the key, and the dashboard link itself."""
    state = {"dashboard ->": os.readlink(warehouse / "dashboard")}
    for name in ("analytics.duckdb", "work.duckdb", "pseudonym.key"):
        state[name] = sha256(warehouse / name)
    for folder in ("dashboard", "quality"):
        for path in sorted((warehouse / folder).rglob("*")):
            if path.is_file():
                state[str(path.relative_to(warehouse))] = sha256(path)
    return state


def traces(output: str) -> list[str]:
    """Lines of a Python or Dagster stack trace in console output."""
    return [line for line in output.splitlines() if any(marker in line for marker in TRACE_MARKERS)]
