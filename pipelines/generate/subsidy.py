"""Monthly subsidy ledgers (补贴发放明细): who is paid what, month by month.

Recurring subsidies go to their target group from the month after issue until the month
before cancellation; the one-off kinds follow the district's reported counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.generate.calendar import H1_2022, MONTHS, YEARS, age_at, month_end, month_start, year_end
from pipelines.generate.people import People

LIVING = "困难残疾人生活补贴"
CARE = "重度残疾人护理补贴"
CHILD_REHAB = "残疾儿童康复救助"
RENOVATION = "家庭无障碍改造"
RELIEF = "困难救助"
OTHER = "其他"

CHILD_REHAB_PAID_SHARE = [0.86, 0.90, 0.92, 0.93, 0.95]
CHILD_REHAB_H1_2022 = 90
RENOVATIONS_PER_YEAR = [82, 85, 83, 84, 80]  # 414 by 2025 against a target of 425
RELIEF_PER_HALF = 21
RELIEF_H1_2022_TOTAL = 125_400


def living_eligible(people: People) -> np.ndarray:
    return np.isin(people.hardship, ["低保", "低保边缘"])  # I05


def care_eligible(people: People) -> np.ndarray:  # I06
    return np.isin(people.grade, ["一级", "二级"]) | (
        (people.grade == "三级") & np.isin(people.category, ["智力", "精神"])
    )


def renovation_eligible(people: People) -> np.ndarray:  # I13
    return np.isin(people.hardship, ["低保", "低保边缘", "特困"]) & np.isin(people.grade, ["一级", "二级"])


@dataclass
class Plan:
    """Person-level decisions that hold across months."""

    never_living: np.ndarray
    never_care: np.ndarray
    living_amount: np.ndarray  # 2021 monthly amount
    care_amount: np.ndarray
    child_rehab: dict  # month -> person indexes
    renovation: dict  # month -> person indexes
    relief: dict  # month -> (person indexes, amounts)


def plan(rng: np.random.Generator, people: People, surveys: dict[int, pl.DataFrame], scale: float) -> Plan:
    n = len(people)
    living = np.where(people.hardship == "低保", 580.0, 420.0) * rng.uniform(0.9, 1.1, n)
    care = np.select([people.grade == "一级", people.grade == "二级"], [300.0, 200.0], 150.0)
    care = care * rng.uniform(0.95, 1.05, n)
    return Plan(
        never_living=rng.random(n) < 0.012,
        never_care=rng.random(n) < 0.018,
        living_amount=living,
        care_amount=care,
        child_rehab=plan_child_rehab(rng, people, surveys, scale),
        renovation=plan_renovation(rng, people, scale),
        relief=plan_relief(rng, people, scale),
    )


def _months_of(year: int) -> np.ndarray:
    return MONTHS[(MONTHS >= np.datetime64(f"{year}-01")) & (MONTHS <= np.datetime64(f"{year}-12"))]


def plan_child_rehab(rng, people: People, surveys: dict[int, pl.DataFrame], scale: float) -> dict:
    """Children (0-17 at Dec31) surveyed with a rehabilitation need get aid in 1-4 months
    of the year in which they are on record; exactly 90 (scaled) in H1 2022."""
    by_month: dict = {m: [] for m in MONTHS}
    for y, year in enumerate(YEARS):
        survey = surveys[year]
        need = survey.filter(pl.col("rehab_need") == "有")["pid"].unique().to_numpy()
        kids = need[age_at(people.birth[need], year_end(year)) <= 17]
        kids = kids[people.active_at(year_end(year))[kids]]
        months = _months_of(year)
        if year == 2022:
            early = kids[people.first_issue[kids] < np.datetime64("2022-06-01")]
            h1 = rng.choice(early, min(len(early), int(round(CHILD_REHAB_H1_2022 * scale))), replace=False)
            rest = np.setdiff1d(kids, h1)
            rest = rest[rng.random(len(rest)) < (CHILD_REHAB_PAID_SHARE[y] * len(kids) - len(h1)) / max(len(rest), 1)]
            for kid in h1:
                start = max(people.first_issue[kid].astype("datetime64[M]") + 1, months[0])
                chosen = {start + rng.integers(0, max(1, int(np.datetime64("2022-06") - start) + 1))}
                chosen |= set(months[6:][rng.integers(0, 6, rng.integers(0, 3))])
                for m in chosen:
                    by_month[m].append(kid)
            for kid in rest:
                for m in set(months[6:][rng.integers(0, 6, rng.integers(1, 4))]):
                    by_month[m].append(kid)
            continue
        paid = kids[rng.random(len(kids)) < CHILD_REHAB_PAID_SHARE[y]]
        for kid in paid:
            start = max(people.first_issue[kid].astype("datetime64[M]") + 1, months[0])
            if start > months[-1]:
                start = months[-1]
            span = int(months[-1] - start) + 1
            for m in set(start + rng.integers(0, span, rng.integers(1, 5))):
                by_month[m].append(kid)
    return {m: np.array(sorted(v), dtype=int) for m, v in by_month.items()}


def plan_renovation(rng, people: People, scale: float) -> dict:
    """Distinct eligible households, one payment each, in a month they are on record."""
    by_month: dict = {m: np.array([], dtype=int) for m in MONTHS}
    done = np.zeros(len(people), dtype=bool)
    eligible = renovation_eligible(people) & ~people.quiet
    for y, year in enumerate(YEARS):
        months = _months_of(year)
        target = int(round(RENOVATIONS_PER_YEAR[y] * scale))
        pool = np.flatnonzero(eligible & ~done & people.active_at(year_end(year)) &
                              (people.first_issue < np.datetime64(f"{year}-01-01")))
        chosen = rng.choice(pool, min(target, len(pool)), replace=False)
        done[chosen] = True
        when = months[rng.integers(0, 12, len(chosen))]
        for m in months:
            by_month[m] = np.sort(chosen[when == m])
    return by_month


def plan_relief(rng, people: People, scale: float) -> dict:
    """困难救助: about 21 persons a half-year; H1 2022 exactly 21 totalling 125,400 yuan (scaled)."""
    by_month: dict = {}
    pool = np.flatnonzero(np.isin(people.hardship, ["低保", "低保边缘", "特困"]) & ~people.quiet)
    for half in range(10):
        year, first = 2021 + half // 2, 1 + 6 * (half % 2)
        months = MONTHS[(MONTHS >= np.datetime64(f"{year}-{first:02d}")) &
                        (MONTHS <= np.datetime64(f"{year}-{first + 5:02d}"))]
        k = max(1, int(round(RELIEF_PER_HALF * scale)))
        on_record = pool[people.active_at(month_end(months[-1]))[pool] &
                         (people.first_issue[pool] < month_start(months[0]))]
        persons = rng.choice(on_record, k, replace=False)
        if (year, first) == (2022, 1):
            amounts = amounts_with_total(rng, k, int(round(RELIEF_H1_2022_TOTAL * scale / 100)) * 100)
        else:
            amounts = rng.integers(10, 100, k) * 100.0
        when = months[rng.integers(0, 6, k)]
        for m in months:
            by_month[m] = (persons[when == m], amounts[when == m])
    return by_month


def amounts_with_total(rng, k: int, total: int) -> np.ndarray:
    """k amounts, multiples of 100 between 1,000 and 10,000, summing exactly to total."""
    units = total // 100
    share = rng.dirichlet(np.full(k, 4.0))
    amounts = np.clip(np.floor(share * units), 10, 100).astype(int)
    while amounts.sum() != units:
        i = rng.integers(0, k)
        step = 1 if amounts.sum() < units else -1
        if 10 <= amounts[i] + step <= 100:
            amounts[i] += step
    return amounts * 100.0


def ledger(rng, people: People, p: Plan, month: np.datetime64) -> pl.DataFrame:
    """The logical ledger of one pay month."""
    day_first, day_last = month_start(month), month_end(month)
    year = int(str(month)[:4])
    growth = 1.05 ** (year - 2021)
    on_record = people.active_at(day_last) & (people.first_issue < day_first) & ~people.quiet
    living = np.flatnonzero(on_record & living_eligible(people) & ~p.never_living)
    care = np.flatnonzero(on_record & care_eligible(people) & ~p.never_care)
    kids = p.child_rehab[month]
    renovation = p.renovation[month]
    relief, relief_amount = p.relief.get(month, (np.array([], dtype=int), np.array([])))
    other = np.flatnonzero(on_record)
    other = other[rng.random(len(other)) < 0.0008]
    parts = [
        (living, LIVING, np.round(p.living_amount[living] * growth)),
        (care, CARE, np.round(p.care_amount[care] * growth)),
        (kids, CHILD_REHAB, rng.integers(8, 30, len(kids)) * 100.0),
        (renovation, RENOVATION, rng.integers(30, 150, len(renovation)) * 100.0),
        (relief, RELIEF, relief_amount),
        (other, OTHER, rng.integers(1, 20, len(other)) * 100.0),
    ]
    frame = pl.concat([
        pl.DataFrame({"pid": rows.astype(np.int64), "subsidy_type": np.full(len(rows), kind),
                      "amount": np.asarray(amount, dtype=float)},
                     schema={"pid": pl.Int64, "subsidy_type": pl.String, "amount": pl.Float64})
        for rows, kind, amount in parts
    ])
    return frame.with_columns(
        town=people.text("town", frame["pid"].to_numpy()),
        pay_month=pl.lit(str(month).replace("-", "")),
    )


def h1_2022(month: np.datetime64) -> bool:
    return H1_2022[0].astype("datetime64[M]") <= month <= H1_2022[1].astype("datetime64[M]")
