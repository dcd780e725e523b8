"""Registry snapshots: every certificate issued by the snapshot's month end, with its
status, validity and review as they stood then."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.contract import CATEGORIES, GRADES
from pipelines.generate.calendar import add_years, month_end
from pipelines.generate.people import GRADE_NAMES, People

SNAPSHOT_MONTHS = [np.datetime64(m, "M") for m in
                   ("2021-12", "2022-06", "2022-12", "2023-12", "2024-12", "2025-12")]


def extra_certificates(rng: np.random.Generator, people: People, scale: float) -> dict:
    """Persons with more than one certificate row.

    reissued: an old certificate (milder grade) cancelled (其他) on the day the current one
    was issued — a legitimate second row. duplicate_active: a second 正常 certificate issued
    later with another category of the same eligibility (R04: the later one is used).
    """
    n = len(people)
    idx = np.arange(n)
    issued_late = (people.kind == "initial") & (people.first_issue >= np.datetime64("1998-01-01"))
    reissued = rng.choice(idx[issued_late & (people.birth < people.first_issue - 3 * 365)],
                          max(2, int(round(0.006 * n))), replace=False)
    old_grade = np.array([GRADE_NAMES[min(list(GRADES).index(g) + 1, 3)] if g != "四级" else "三级"
                          for g in people.grade[reissued]])
    old_issue = people.first_issue[reissued] - (365 * (2 + rng.integers(0, 6, len(reissued))))
    old_issue = np.maximum(old_issue, people.birth[reissued] + 365)

    # R04: a later second 正常 certificate; only where the category switch keeps I06 eligibility.
    plain = ~np.isin(people.category, ["智力", "精神"])
    candidates = idx[(people.kind == "initial") & np.isnat(people.cancel) & plain
                     & ~np.isin(idx, reissued) & (people.grade != "三级")]
    duplicate = rng.choice(candidates, max(2, int(round(0.0004 * n))), replace=False)
    switch = {"肢体": "视力", "视力": "肢体", "听力": "言语", "言语": "听力", "多重": "肢体"}
    dup_category = np.array([switch[c] for c in people.category[duplicate]])
    dup_issue = np.maximum(people.first_issue[duplicate] + 400,
                           np.datetime64("2019-01-01") + rng.integers(0, 700, len(duplicate)))
    return {
        "reissued": reissued,
        "reissued_old_grade": old_grade,
        "reissued_old_issue": old_issue,
        "duplicate_active": duplicate,
        "duplicate_category": dup_category,
        "duplicate_issue": dup_issue,
    }


def snapshot(people: People, extras: dict, month: np.datetime64, vanished: np.ndarray) -> pl.DataFrame:
    """The logical registry snapshot at the end of `month` (values typed, not yet formatted).

    `vanished`: persons dropped from this snapshot without a cancellation (X09).
    """
    day = month_end(month)
    rows = np.flatnonzero((people.first_issue <= day) & ~np.isin(np.arange(len(people)), vanished))
    cancelled = people.cancel[rows] <= day
    reviewed = people.review[rows] <= day
    renewal = people.last_renewal[rows]
    review_date = np.where(reviewed, people.review[rows],
                           np.where(renewal != people.first_issue[rows], renewal, np.datetime64("NaT")))
    base = np.where(reviewed, people.review[rows], renewal)
    main = pl.DataFrame({
        "pid": rows,
        "category": people.category[rows],
        "grade": people.grade[rows],
        "first_issue_date": people.first_issue[rows],
        "valid_until": add_years(base, 10),
        "status": np.where(cancelled, "注销", "正常"),
        "cancel_date": np.where(cancelled, people.cancel[rows], np.datetime64("NaT")),
        "cancel_reason": np.where(cancelled, people.cancel_reason[rows], ""),
        "review_date": review_date,
    })

    re = extras["reissued"]
    re_rows = people.first_issue[re] <= day  # the old row shows once the current one exists
    old = pl.DataFrame({
        "pid": re[re_rows],
        "category": people.category[re][re_rows],
        "grade": extras["reissued_old_grade"][re_rows],
        "first_issue_date": extras["reissued_old_issue"][re_rows],
        "valid_until": add_years(extras["reissued_old_issue"][re_rows], 10),
        "status": np.full(re_rows.sum(), "注销"),
        "cancel_date": people.first_issue[re][re_rows],
        "cancel_reason": np.full(re_rows.sum(), "其他"),
        "review_date": np.full(re_rows.sum(), np.datetime64("NaT"), dtype="datetime64[D]"),
    })
    du = extras["duplicate_active"]
    du_rows = (extras["duplicate_issue"] <= day) & ~np.isin(du, vanished)
    dup = pl.DataFrame({
        "pid": du[du_rows],
        "category": extras["duplicate_category"][du_rows],
        "grade": people.grade[du][du_rows],
        "first_issue_date": extras["duplicate_issue"][du_rows],
        "valid_until": add_years(extras["duplicate_issue"][du_rows], 10),
        "status": np.full(du_rows.sum(), "正常"),
        "cancel_date": np.full(du_rows.sum(), np.datetime64("NaT"), dtype="datetime64[D]"),
        "cancel_reason": np.full(du_rows.sum(), ""),
        "review_date": np.full(du_rows.sum(), np.datetime64("NaT"), dtype="datetime64[D]"),
    })
    frame = pl.concat([main, old.cast(main.schema), dup.cast(main.schema)])
    pid = frame["pid"].to_numpy()
    frame = frame.with_columns(
        id18=people.text("id18", pid),
        name=people.text("name", pid),
        gender=people.text("sex", pid),
        birth_date=pl.Series(people.birth[pid]),
        town=people.text("town", pid),
        village=people.text("village", pid),
        hardship=people.text("hardship", pid),
        cancel_reason=pl.col("cancel_reason").replace("", None),
    )
    return frame.with_columns(
        cert_no=pl.col("id18") + pl.col("category").replace_strict(CATEGORIES) + pl.col("grade").replace_strict(GRADES)
    ).sort("pid", "first_issue_date")
