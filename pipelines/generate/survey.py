"""The annual service-status survey (基本服务状况和需求信息动态更新).

Each person carries latent draws that persist across years, so the same people tend to
stay insured, signed, served: rates move toward the plan's targets as the thresholds rise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.generate.calendar import YEARS, age_at, year_end
from pipelines.generate.people import People

# Yearly rates 2021..2025 (share of the relevant group).
SCHOOL_ENROLLED = [0.955, 0.962, 0.966, 0.972, 0.975]
PENSION_INSURED = [0.955, 0.962, 0.968, 0.972, 0.976]
MEDICAL_INSURED = [0.976, 0.980, 0.983, 0.985, 0.986]
REHAB_SERVED = [0.80, 0.83, 0.85, 0.86, 0.87]
AT_FITTED = [0.80, 0.82, 0.835, 0.84, 0.845]
GP_SIGNED = [0.80, 0.83, 0.855, 0.875, 0.895]
INCOME_GROWTH = [0.0, 0.075, 0.068, 0.072, 0.065]
COVERAGE = 0.97  # share of persons active at Dec31 surveyed in the year


@dataclass
class Latent:
    school: np.ndarray
    pension: np.ndarray
    medical: np.ndarray
    rehab_need: np.ndarray
    rehab_served: np.ndarray
    at_need: np.ndarray
    at_fitted: np.ndarray
    gp: np.ndarray
    income: np.ndarray  # 2021 per-capita household income


def latent(rng: np.random.Generator, n: int) -> Latent:
    draws = rng.random((8, n))
    income = np.exp(rng.normal(np.log(26_000), 0.45, n))
    return Latent(*draws, income)


def survey_year(
    rng: np.random.Generator,
    people: People,
    lat: Latent,
    year: int,
    low_coverage_town: str | None,
) -> pl.DataFrame:
    """The logical survey of `year` for persons active at Dec31 (most of them)."""
    dec31 = year_end(year)
    active = np.flatnonzero(people.active_at(dec31) & ~people.quiet)
    coverage = np.where(people.town[active] == low_coverage_town, 0.88, COVERAGE)
    rows = active[rng.random(len(active)) < coverage]
    return survey_rows(rng, people, lat, year, rows)


def survey_rows(rng, people: People, lat: Latent, year: int, rows: np.ndarray) -> pl.DataFrame:
    y = YEARS.index(year)
    dec31 = year_end(year)
    age = age_at(people.birth[rows], dec31)
    age_aug31 = age_at(people.birth[rows], np.datetime64(f"{year}-08-31"))
    compulsory = (age_aug31 >= 6) & (age_aug31 <= 15)
    school = np.select(
        [compulsory & (lat.school[rows] < SCHOOL_ENROLLED[y]), compulsory & (lat.school[rows] < 0.99),
         compulsory, age_aug31 < 6, (age >= 16) & (age <= 22) & (lat.school[rows] < 0.3)],
        ["在校", "休学", "未入学", "未入学", "在校"],
        "不适用",
    )
    insured = lat.pension[rows] < PENSION_INSURED[y]
    pension = np.select(
        [age < 16, insured & (age >= 60), insured], ["不适用", "领取待遇", "已参保"], "未参保"
    )
    need_share = np.where(age < 18, 0.7, 0.42)
    rehab_need = lat.rehab_need[rows] < need_share
    at_need = lat.at_need[rows] < 0.18
    noise = rng.normal(0, 0.05, len(rows))
    income = lat.income[rows] * np.prod(1 + np.array(INCOME_GROWTH[: y + 1])) * (1 + noise)
    return pl.DataFrame({
        "pid": rows,
        "year": np.full(len(rows), year),
        "town": people.text("town", rows),
        "school": school,
        "pension": pension,
        "medical": np.where(lat.medical[rows] < MEDICAL_INSURED[y], "已参保", "未参保"),
        "rehab_need": np.where(rehab_need, "有", "无"),
        "rehab_served": np.where(rehab_need & (lat.rehab_served[rows] < REHAB_SERVED[y]), "已服务", "未服务"),
        "at_need": np.where(at_need, "有", "无"),
        "at_fitted": np.where(at_need & (lat.at_fitted[rows] < AT_FITTED[y]), "已适配", "未适配"),
        "gp_signed": np.where(lat.gp[rows] < GP_SIGNED[y], "是", "否"),
        "income": np.round(np.maximum(income, 0), 0),
    })
