"""Dates as numpy datetime64[D] arrays: the generator's clock (2021-01 .. 2025-12)."""

from __future__ import annotations

import numpy as np

FIRST_MONTH = "2021-01"
LAST_MONTH = "2025-12"
YEARS = (2021, 2022, 2023, 2024, 2025)
H1_2022 = (np.datetime64("2022-01-01"), np.datetime64("2022-06-30"))
CALIBRATION_DAY = np.datetime64("2022-06-30")  # the district's half-year report

MONTHS = np.arange(np.datetime64(FIRST_MONTH), np.datetime64(LAST_MONTH) + 1)  # datetime64[M]


def month_start(month: np.datetime64) -> np.datetime64:
    return month.astype("datetime64[D]")


def month_end(month: np.datetime64) -> np.datetime64:
    return (month + 1).astype("datetime64[D]") - 1


def year_end(year: int) -> np.datetime64:
    return np.datetime64(f"{year}-12-31")


def yyyymm(month: np.datetime64) -> str:
    return str(month).replace("-", "")


def add_years(days: np.ndarray, years: int | np.ndarray) -> np.ndarray:
    """The same calendar day `years` later (29 Feb -> 28 Feb)."""
    y = days.astype("datetime64[Y]").astype(int) + 1970
    m = days.astype("datetime64[M]").astype(int) % 12
    d = (days - days.astype("datetime64[M]").astype("datetime64[D]")).astype(int)
    target_month = ((y + years - 1970) * 12 + m).astype("datetime64[M]")
    last_day = ((target_month + 1).astype("datetime64[D]") - target_month.astype("datetime64[D]")).astype(int) - 1
    return target_month.astype("datetime64[D]") + np.minimum(d, last_day)


def age_at(birth: np.ndarray, day: np.datetime64 | np.ndarray) -> np.ndarray:
    """Completed years on `day`."""
    by = birth.astype("datetime64[Y]").astype(int)
    dy = np.asarray(day).astype("datetime64[Y]").astype(int)
    age = dy - by
    return age - (add_years(birth, age) > day).astype(int)


def uniform_days(rng: np.random.Generator, start, end, size) -> np.ndarray:
    """Uniform random days in [start, end] (arrays or scalars)."""
    start = np.asarray(start, dtype="datetime64[D]")
    end = np.asarray(end, dtype="datetime64[D]")
    span = (end - start).astype(int) + 1
    return start + (rng.random(size) * span).astype(int)
