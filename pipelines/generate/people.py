"""The synthetic certificate holders of the district and their certificate history.

Calibrated to the district's report for the first half of 2022 (issue 2): the counts
of holders, issues, cancellations, certificates due for review in 2022 and reviews by
June are exact at the default size and scale with --holders. Everything is numpy
arrays of one element per person; nothing loops over persons.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from pipelines.contract import CATEGORIES, GRADES
from pipelines.generate.calendar import (
    CALIBRATION_DAY,
    MONTHS,
    add_years,
    age_at,
    month_end,
    month_start,
    uniform_days,
)
from pipelines.identity import id_check_chars
from pipelines.reference import Reference

DEFAULT_HOLDERS = 14_608  # files on record at 2022-06-30

# Per half-year 2021H1 .. 2025H2 at the default size; index 2 is H1 2022 (185 issued, 247 cancelled).
ISSUES_PER_HALF = np.array([180, 190, 185, 180, 175, 175, 170, 170, 165, 165])
CANCELS_PER_HALF = np.array([245, 250, 247, 250, 255, 250, 255, 260, 255, 260])
DUE_2022 = 8_870  # certificates reaching their 10-year validity in 2022
REVIEWED_H1_2022 = 165

CATEGORY_NAMES = np.array(list(CATEGORIES))  # 视力 听力 言语 肢体 智力 精神 多重
GRADE_NAMES = np.array(list(GRADES))
HARDSHIP_NAMES = np.array(["低保", "低保边缘", "特困", "无"])
CATEGORY_P_CHILD = [0.05, 0.15, 0.10, 0.20, 0.30, 0.05, 0.15]
CATEGORY_P_ADULT = [0.11, 0.13, 0.015, 0.48, 0.08, 0.135, 0.05]
GRADE_P_CHILD = [0.18, 0.32, 0.28, 0.22]
GRADE_P_ADULT = [0.11, 0.24, 0.29, 0.36]
HARDSHIP_P = [0.11, 0.05, 0.025, 0.815]

# (lowest age, highest age, weight)
AGES_ON_RECORD = [(0, 5, 1.0), (6, 15, 2.6), (16, 17, 0.6), (18, 29, 5), (30, 44, 10), (45, 59, 24),
                  (60, 69, 22), (70, 79, 19), (80, 89, 13), (90, 99, 2.8)]
AGES_AT_ISSUE = [(1, 5, 8), (6, 15, 7), (16, 17, 1), (18, 44, 10), (45, 59, 18), (60, 79, 38), (80, 95, 18)]

SURNAMES = list("王陈张李周林吴胡徐朱应毛邬孙蒋俞沈汪竺郑黄杨何董袁金楼娄邵范")
GIVEN = list("国建明华伟芳英秀兰军平海亚丽红波杰静敏强磊洋艳勇娟涛霞峰燕斌萍浩宁康")

OTHER_REGIONS = np.array(["330203", "330205", "330206", "330211", "330212", "330225", "330226", "330281", "330282", "332603"])


@dataclass
class People:
    """One element per person. Dates are datetime64[D]; NaT where absent."""

    kind: np.ndarray  # initial / historic / new / outsider (never issued)
    id18: np.ndarray
    name: np.ndarray
    birth: np.ndarray
    sex: np.ndarray  # 男 / 女
    town: np.ndarray
    village: np.ndarray
    category: np.ndarray
    grade: np.ndarray
    hardship: np.ndarray
    first_issue: np.ndarray
    last_renewal: np.ndarray  # issue or renewal before 2021 (or the issue itself)
    review: np.ndarray  # review during 2021-2025, NaT if none
    cancel: np.ndarray
    cancel_reason: np.ndarray
    quiet: np.ndarray  # kept out of every service source (defect victims that must not cascade)
    extra: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.id18)

    def text(self, attribute: str, pid: np.ndarray) -> pl.Series:
        """A text attribute of the given persons as a polars Series (converted once, then gathered)."""
        cache = self.extra.setdefault("series", {})
        if attribute not in cache:
            cache[attribute] = pl.Series(attribute, getattr(self, attribute).tolist(), dtype=pl.String)
        return cache[attribute].gather(pid)

    def active_at(self, day) -> np.ndarray:
        """extracts.md: first_issue_date <= d and not (注销 and cancel_date <= d)."""
        return (self.first_issue <= day) & ~(self.cancel <= day)


def scaled(counts, scale: float) -> np.ndarray:
    return np.rint(np.asarray(counts) * scale).astype(int)


def sample_ages(rng, bands, size) -> np.ndarray:
    weights = np.array([w for _, _, w in bands], dtype=float)
    band = rng.choice(len(bands), size=size, p=weights / weights.sum())
    low = np.array([b[0] for b in bands])[band]
    high = np.array([b[1] for b in bands])[band]
    return low + (rng.random(size) * (high - low + 1)).astype(int)


def birth_dates(rng, ages: np.ndarray, on_day) -> np.ndarray:
    """A birth date giving exactly `ages` completed years on `on_day`."""
    latest = add_years(np.full(len(ages), on_day, dtype="datetime64[D]"), -ages)
    return latest - (rng.random(len(ages)) * 365).astype(int)


def make_ids(rng, birth: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Unique 18-digit IDs whose region, birth date and sex digit agree with the person."""
    n = len(birth)
    born = birth.astype("datetime64[Y]").astype(int) + 1970
    region = np.where(rng.random(n) < 0.8, "330283", OTHER_REGIONS[rng.integers(0, len(OTHER_REGIONS), n)])
    region = np.where((born >= 2017) & (rng.random(n) < 0.85), "330213", region)
    ymd = np.char.replace(birth.astype(str), "-", "")
    ids = np.empty(n, dtype="<U18")
    todo = np.arange(n)
    while len(todo):
        seq = rng.integers(0, 100, len(todo)) * 10 + rng.integers(0, 5, len(todo)) * 2 + male[todo]
        body = np.char.add(np.char.add(region[todo], ymd[todo]), np.char.zfill(seq.astype(str), 3))
        digits = np.frombuffer(body.astype("S17").tobytes(), dtype=np.uint8).reshape(-1, 17) - 48
        ids[todo] = np.char.add(body, id_check_chars(digits))
        _, first = np.unique(ids, return_index=True)
        duplicate = np.ones(n, dtype=bool)
        duplicate[first] = False
        todo = np.flatnonzero(duplicate)
    return ids


def make_names(rng, n: int) -> np.ndarray:
    surname = np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)]
    first = np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]
    second = np.where(rng.random(n) < 0.7, np.array(GIVEN)[rng.integers(0, len(GIVEN), n)], "")
    return np.char.add(np.char.add(surname, first), second)


def attributes(rng, birth: np.ndarray, reference: Reference) -> dict[str, np.ndarray]:
    n = len(birth)
    child = age_at(birth, np.datetime64("2021-01-01")) < 18
    category = np.where(
        child,
        rng.choice(CATEGORY_NAMES, n, p=CATEGORY_P_CHILD),
        rng.choice(CATEGORY_NAMES, n, p=CATEGORY_P_ADULT),
    )
    grade = np.where(child, rng.choice(GRADE_NAMES, n, p=GRADE_P_CHILD), rng.choice(GRADE_NAMES, n, p=GRADE_P_ADULT))
    villages, towns = reference.villages, reference.towns
    # Streets (街道) are denser than towns (镇): weight villages by their town's type.
    street = villages.join(towns.select("town_name", "town_type"), on="town_name")["town_type"].to_numpy() == "街道"
    village_w = np.where(street, 1.5, 1.0)
    pick = rng.choice(len(villages), n, p=village_w / village_w.sum())
    return {
        "category": category,
        "grade": grade,
        "hardship": rng.choice(HARDSHIP_NAMES, n, p=HARDSHIP_P),
        "town": villages["town_name"].to_numpy()[pick].astype(str),
        "village": villages["village_name"].to_numpy()[pick].astype(str),
        "male": (rng.random(n) < 0.55).astype(int),
    }


def weighted_pick(rng, pool: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    """k elements of pool without replacement, with probability ~ weights."""
    if k <= 0 or len(pool) == 0:
        return pool[:0]
    keys = np.log(rng.random(len(pool))) / weights
    return pool[np.argpartition(-keys, min(k, len(pool)) - 1)[:k]]


def build_people(rng: np.random.Generator, holders: int, reference: Reference) -> People:
    scale = holders / DEFAULT_HOLDERS
    issues = scaled(ISSUES_PER_HALF, scale)
    cancels = scaled(CANCELS_PER_HALF, scale)
    # Cancellations before the report day come from the population on record at 2021-01-01,
    # so that the holders on record at 2022-06-30 are exactly `holders`.
    initial_n = holders - issues[:3].sum() + cancels[:3].sum()
    historic_n = int(round(0.05 * holders))
    new_n = int(issues.sum())
    outsider_n = max(8, int(round(0.001 * holders)))  # IDs never in the registry (X01, X08)

    start = np.datetime64("2021-01-01")
    birth_initial = birth_dates(rng, sample_ages(rng, AGES_ON_RECORD, initial_n), start)
    birth_historic = birth_dates(rng, sample_ages(rng, AGES_ON_RECORD[3:], historic_n), np.datetime64("2012-01-01"))
    half_of_new = np.repeat(np.arange(10), issues)
    half_start = np.array([np.datetime64(f"{2021 + h // 2}-{'01' if h % 2 == 0 else '07'}-01") for h in range(10)])
    issue_new = uniform_days(rng, half_start[half_of_new], half_start[half_of_new] + 180, new_n)
    birth_new = birth_dates(rng, sample_ages(rng, AGES_AT_ISSUE, new_n), issue_new)
    birth_outsider = birth_dates(rng, sample_ages(rng, AGES_ON_RECORD[3:], outsider_n), start)
    birth = np.concatenate([birth_initial, birth_historic, birth_new, birth_outsider])
    kind = np.array(
        ["initial"] * initial_n + ["historic"] * historic_n + ["new"] * new_n + ["outsider"] * outsider_n
    )
    n = len(birth)

    attr = attributes(rng, birth, reference)
    male = attr.pop("male")
    sex = np.where(male == 1, "男", "女")

    first_issue = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    first_issue[kind == "new"] = issue_new
    cancel = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    cancel_reason = np.full(n, "", dtype="<U2")

    # Historic holders: issued 1995-2011, cancelled before 2021.
    hist = np.flatnonzero(kind == "historic")
    earliest = np.maximum(birth[hist] + 365, np.datetime64("1995-01-01"))
    first_issue[hist] = uniform_days(rng, earliest, np.maximum(earliest, np.datetime64("2011-12-31")), len(hist))
    cancel[hist] = uniform_days(rng, np.maximum(first_issue[hist] + 30, np.datetime64("2015-01-01")),
                                np.datetime64("2020-12-31"), len(hist))
    cancel_reason[hist] = rng.choice(["死亡", "迁出", "其他"], len(hist), p=[0.76, 0.19, 0.05])

    # Cancellations month by month: deaths weighted by age, moves uniform.
    per_month = np.concatenate([rng.multinomial(cancels[h], [1 / 6] * 6) for h in range(10)])
    provisional_issue = first_issue.copy()
    provisional_issue[kind == "initial"] = np.datetime64("2020-12-31")
    for m, month in enumerate(MONTHS):
        first_day, last_day = month_start(month), month_end(month)
        eligible = (provisional_issue < first_day) & np.isnat(cancel)
        if month < np.datetime64("2022-07"):
            eligible &= kind == "initial"
        pool = np.flatnonzero(eligible)
        k = per_month[m]
        deaths = int(round(k * 0.76))
        age = age_at(birth[pool], first_day)
        died = weighted_pick(rng, pool, np.exp(0.07 * (np.clip(age, 0, 100) - 60)), deaths)
        rest = np.setdiff1d(pool, died)
        moved = rest[rng.permutation(len(rest))[: k - deaths]]
        cancel[died] = uniform_days(rng, first_day, last_day, len(died))
        cancel_reason[died] = "死亡"
        cancel[moved] = uniform_days(rng, first_day, last_day, len(moved))
        cancel_reason[moved] = np.where(rng.random(len(moved)) < 0.8, "迁出", "其他")

    # Initial holders: the last issue or renewal before 2021 sets the validity. Exactly
    # DUE_2022 of those on record at the report day renewed (or were issued) in 2012.
    init = np.flatnonzero(kind == "initial")
    on_record = init[np.isnat(cancel[init]) | (cancel[init] > CALIBRATION_DAY)]
    adult_enough = on_record[birth[on_record] < np.datetime64("2010-06-01")]
    cohort = rng.choice(adult_enough, int(round(DUE_2022 * scale)), replace=False)
    renewal_year = rng.choice(np.r_[2011, np.arange(2013, 2021)], len(init),
                              p=np.array([10, 8, 8, 9, 10, 10, 10, 11, 12], dtype=float) / 88)
    year = np.zeros(n, dtype=int)
    year[init] = renewal_year
    year[cohort] = 2012
    year_start = (year[init] - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    renewal = uniform_days(rng, year_start, year_start + 364, len(init))
    renewal = np.maximum(renewal, birth[init] + 365)  # children certified from age one
    renewal = np.minimum(renewal, np.datetime64("2020-12-31"))
    last_renewal = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    last_renewal[init] = renewal
    # Some were first issued 10 or 20 years before their last renewal.
    back = rng.choice([0, 10, 20], len(init), p=[0.6, 0.3, 0.1])
    first = add_years(renewal, -back)
    first = np.where(first < np.maximum(birth[init] + 365, np.datetime64("1990-01-01")), renewal, first)
    first_issue[init] = first
    last_renewal[hist] = first_issue[hist]
    last_renewal[kind == "new"] = first_issue[kind == "new"]
    # A cohort member's renewal must fall in 2012 even after the age clamp.
    assert (last_renewal[cohort].astype("datetime64[Y]").astype(int) + 1970 == 2012).all()

    review = schedule_reviews(rng, last_renewal, cancel, cohort, scale)

    return People(
        kind=kind,
        id18=make_ids(rng, birth, male),
        name=make_names(rng, n),
        birth=birth,
        sex=sex,
        town=attr["town"],
        village=attr["village"],
        category=attr["category"],
        grade=attr["grade"],
        hardship=attr["hardship"],
        first_issue=first_issue,
        last_renewal=last_renewal,
        review=review,
        cancel=cancel,
        cancel_reason=cancel_reason,
        quiet=np.zeros(n, dtype=bool),
    )


def schedule_reviews(rng, last_renewal, cancel, cohort, scale) -> np.ndarray:
    """10-year reviews falling due 2021-2025. The 2022 cohort: exactly REVIEWED_H1_2022
    reviewed by June, the rest later or never; other cohorts keep clear of H1 2022 so the
    report's figure can be read off the 2022-06 snapshot."""
    n = len(last_renewal)
    review = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    due = add_years(np.where(np.isnat(last_renewal), np.datetime64("1900-01-01"), last_renewal), 10)
    due_year = due.astype("datetime64[Y]").astype(int) + 1970

    early = rng.choice(cohort, int(round(REVIEWED_H1_2022 * scale)), replace=False)
    review[early] = uniform_days(rng, np.datetime64("2022-01-01"), CALIBRATION_DAY, len(early))
    later = np.setdiff1d(cohort, early)
    when = rng.choice(4, len(later), p=[0.4, 0.3, 0.1, 0.2])
    windows = [("2022-07-01", "2022-12-31"), ("2023-01-01", "2023-12-31"), ("2024-01-01", "2024-12-31")]
    for w, (a, b) in enumerate(windows):
        chosen = later[when == w]
        review[chosen] = uniform_days(rng, np.datetime64(a), np.datetime64(b), len(chosen))

    others = np.flatnonzero((due_year >= 2021) & (due_year <= 2025))
    others = np.setdiff1d(others, cohort)
    others = others[rng.random(len(others)) < 0.75]
    r = due[others] + (rng.random(len(others)) * 240).astype(int) - 60
    in_h1 = (r >= np.datetime64("2022-01-01")) & (r <= CALIBRATION_DAY)
    r[in_h1] = r[in_h1] + 181
    r = np.maximum(r, np.datetime64("2021-01-01"))
    review[others] = np.minimum(r, np.datetime64("2025-12-31"))
    # No review after the certificate was cancelled.
    review[review >= cancel] = np.datetime64("NaT")
    return review
