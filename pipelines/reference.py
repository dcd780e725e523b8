"""The reference tables shipped as dbt seeds (towns, villages, subsidy standards,
targets), loaded for Python code that needs them (generator, ingestion)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

from pipelines.config import REFERENCE_DIR


@dataclass(frozen=True)
class Reference:
    towns: pl.DataFrame  # town_code, town_name, town_type
    villages: pl.DataFrame  # village_code, village_name, town_code, town_name
    subsidy_standards: pl.DataFrame  # subsidy_type, year, min_amount, max_amount
    targets: pl.DataFrame  # indicator_code, year, target


@cache
def load_reference(folder: Path = REFERENCE_DIR) -> Reference:
    def read(name: str) -> pl.DataFrame:
        return pl.read_csv(folder / f"{name}.csv", infer_schema=False)

    standards = read("subsidy_standards").with_columns(
        pl.col("year").cast(pl.Int32), pl.col("min_amount", "max_amount").cast(pl.Float64)
    )
    targets = read("indicator_targets").with_columns(
        pl.col("year").cast(pl.Int32), pl.col("target").cast(pl.Float64)
    )
    return Reference(read("towns"), read("villages"), standards, targets)
