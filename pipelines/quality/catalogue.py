"""The suites as stored in expectations/suites/*.json, read without importing Great
Expectations (Dagster needs their names and assets when it builds the definitions)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipelines.config import EXPECTATIONS_DIR

SUITES_DIR = EXPECTATIONS_DIR / "suites"
SEVERITIES = ("block", "warn")
# Columns that must never be read into a suite's frame (personal data stays in the raw
# layer; the raw tables hold none of these, but a suite query could ask for them).
FORBIDDEN_COLUMNS = frozenset({"id_no", "name", "cert_no", "birth_date", "employer_name"})


@dataclass(frozen=True)
class SuiteSpec:
    name: str           # e.g. marts.indicators: layer.subject
    path: Path
    layer: str
    subject: str
    query: str          # DuckDB SQL over the working warehouse
    index_columns: tuple[str, ...]  # identify failing rows in results (pseudonymous only)
    dbt_asset: str | None   # the dbt model the Dagster check is attached to
    raw_asset: str | None   # or the raw table (ingestion asset)
    expectations: int
    has_block: bool

    @property
    def check_name(self) -> str:
        return "gx_" + self.name.replace(".", "__")


@cache
def suite_specs() -> tuple[SuiteSpec, ...]:
    specs = []
    for path in sorted(SUITES_DIR.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        meta = doc["meta"]
        severities = {e["meta"]["severity"] for e in doc["expectations"]}
        unknown = severities - set(SEVERITIES)
        if unknown:
            raise ValueError(f"{path}: unknown severity {sorted(unknown)}")
        specs.append(SuiteSpec(
            name=doc["name"], path=path, layer=meta["layer"], subject=meta["subject"], query=meta["query"],
            index_columns=tuple(meta["index_columns"]), dbt_asset=meta.get("dbt_asset"),
            raw_asset=meta.get("raw_asset"), expectations=len(doc["expectations"]), has_block="block" in severities,
        ))
    return tuple(specs)
