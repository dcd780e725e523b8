"""`dpf generate`: a synthetic Fenghua district in the extract contract's format, with a
manifest (JSON) of everything injected, for tests.

Landing layout: <out>/{registry,subsidy,employment,survey}/<source>_<period>.{csv,xlsx}
and <out>/manifest.json. Same seed, byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl

from pipelines.generate import employment, registry, subsidy, survey
from pipelines.generate.calendar import MONTHS, YEARS, age_at, year_end, yyyymm
from pipelines.contract import CONTRACT
from pipelines.generate.files import XLSX_CELL_BUDGET, Rendered, Style, inject_registry, inject_rows, render, write
from pipelines.generate.people import DEFAULT_HOLDERS, People, build_people
from pipelines.reference import load_reference

XLSX_SHARE = {"registry": 0.0, "subsidy": 0.05, "employment": 0.3, "survey": 0.0}
A01_TOWN, A01_FROM, A01_YEAR = "松岙镇", "莼湖镇", 2023  # hand tally counts another town's persons
A03_TOWN, A03_MONTH = "大堰镇", np.datetime64("2024-03")  # a missing ledger part
A06_TOWN, A06_YEAR = "裘村镇", 2024  # survey coverage under 95%


def generate(out: Path, holders: int = DEFAULT_HOLDERS, seed: int = 2022, defect_rate: float = 0.01,
             progress: Callable[[str], None] = lambda _: None) -> dict:
    out = Path(out)
    rng = np.random.default_rng(seed)
    reference = load_reference()
    scale = holders / DEFAULT_HOLDERS
    few = max(2, int(round(0.0004 * holders)))  # size of each structural injection

    progress("人员与证件 people and certificates")
    people = build_people(rng, holders, reference)
    vanished = choose_vanished(rng, people, few)
    people.quiet[vanished] = True
    extras = registry.extra_certificates(rng, people, scale)
    people.quiet[extras["duplicate_active"]] = False  # R04 persons stay in services

    manifest: dict = {"seed": seed, "holders": holders, "defect_rate": defect_rate, "files": {}, "injected": {}}
    inj = manifest["injected"]
    inj["X09"] = [{"id": people.id18[p]} for p in vanished]
    inj["R04_registry"] = [{"id": people.id18[p]} for p in extras["duplicate_active"]]

    xlsx_cells = [0]

    def emit(source: str, period: str, frame: pl.DataFrame, inject) -> None:
        cells = frame.height * len(CONTRACT[source].columns)
        first = not any(name.startswith(source) for name in manifest["files"])
        style = Style.draw(rng, xlsx_cells[0] + cells <= XLSX_CELL_BUDGET, XLSX_SHARE[source], first)
        xlsx_cells[0] += cells if style.fmt == "xlsx" else 0
        rendered = render(source, frame, people, rng, style)
        inject(rendered, style)
        path = out / source / f"{source}_{period}.{style.fmt}"
        write(path, rendered, style, rng)
        manifest["files"][f"{source}/{path.name}"] = {
            "rows": frame.height, "format": style.fmt,
            "encoding": style.encoding if style.fmt == "csv" else None,
            "date_format": "excel" if style.excel_dates else style.date_format,
            "defects": dict(sorted(rendered.defects.items())),
        }

    # Registry
    progress("登记快照 registry snapshots")
    for i, month in enumerate(registry.SNAPSHOT_MONTHS):
        newest = i == len(registry.SNAPSHOT_MONTHS) - 1
        frame = registry.snapshot(people, extras, month, vanished if newest else np.array([], dtype=int))
        pid = frame["pid"].to_numpy()
        historic = (people.kind[pid] == "historic")

        def inject(r: Rendered, style: Style, frame=frame, pid=pid, historic=historic, newest=newest, month=month):
            inject_registry(rng, r, frame, style, defect_rate, newest, historic, people.id18[pid], month)

        emit("registry", yyyymm(month), frame, inject)

    # Survey (before the ledgers: child rehabilitation aid follows the surveyed need)
    progress("年度调查 survey")
    lat = survey.latent(rng, len(people))
    surveys: dict[int, pl.DataFrame] = {}
    inj["R04_survey"], inj["X08"] = [], []
    for year in YEARS:
        frame = survey.survey_year(rng, people, lat, year, A06_TOWN if year == A06_YEAR else None)
        surveys[year] = frame
        frame = frame.with_columns(tag=pl.lit(None, pl.String))
        # R04: a second row for the same person later in the file (the first row wins).
        twice = rng.choice(frame["pid"].to_numpy(), few, replace=False)
        second = survey.survey_rows(rng, people, survey.latent(rng, len(people)), year, twice)
        # X08: surveyed but not on record at Dec31 (cancelled during the year, or never certified).
        gone = np.flatnonzero((people.cancel > np.datetime64(f"{year}-01-31")) & (people.cancel <= year_end(year))
                              & ~people.quiet)
        gone = rng.choice(gone, min(len(gone), few), replace=False)
        strangers = rng.choice(np.flatnonzero(people.kind == "outsider"), 2, replace=False)
        ghosts = survey.survey_rows(rng, people, lat, year, np.concatenate([gone, strangers]))
        frame = pl.concat([frame, second.with_columns(tag=pl.lit("R04")), ghosts.with_columns(tag=pl.lit("X08"))])
        inj["R04_survey"] += [{"id": people.id18[p], "year": year} for p in twice]
        inj["X08"] += [{"id": people.id18[p], "year": year} for p in np.concatenate([gone, strangers])]
        frame = frame.sort(pl.col("tag").is_not_null(), maintain_order=True)  # injected rows after originals
        eligible = frame["tag"].is_null().to_numpy()
        pid = frame["pid"].to_numpy()

        def inject(r, style, frame=frame, eligible=eligible, pid=pid, year=year):
            inject_rows(rng, r, frame, "survey", style, defect_rate, people.id18[pid], eligible, str(year))

        emit("survey", str(year), frame.drop("tag"), inject)
    inj["A06"] = [{"town": A06_TOWN, "year": A06_YEAR}]

    # Subsidy ledgers
    progress("补贴发放 subsidy ledgers")
    plan = subsidy.plan(rng, people, surveys, scale)
    structural = subsidy_injections(rng, people, plan, few)
    inj.update(structural["manifest"])
    for month in MONTHS:
        frame = subsidy.ledger(rng, people, plan, month).with_columns(tag=pl.lit(None, pl.String))
        frame = apply_subsidy_injections(rng, people, frame, month, structural)
        pid = frame["pid"].to_numpy()
        # Row defects only on recurring kinds: one-off aid is what the report counts.
        eligible = (frame["tag"].is_null() & frame["subsidy_type"].is_in([subsidy.LIVING, subsidy.CARE])).to_numpy()

        def inject(r, style, frame=frame, eligible=eligible, pid=pid, month=month):
            inject_rows(rng, r, frame, "subsidy", style, defect_rate, people.id18[pid], eligible, yyyymm(month))

        emit("subsidy", yyyymm(month), frame.drop("tag"), inject)

    # Employment
    progress("就业与培训 employment and training")
    firms = employment.employers(rng, scale)
    spells = employment.spells(rng, people, firms, scale)
    spells, emp_manifest = employment_injections(rng, people, spells, firms, few)
    inj.update(emp_manifest)
    inj["identical_employment_rows"] = {}
    for month in employment.SNAPSHOT_MONTHS:
        frame = employment.snapshot(spells, month)
        # Exports repeat some rows verbatim; the contract counts identical rows once.
        repeated = np.sort(rng.choice(frame.height, max(1, frame.height // 500), replace=False))
        frame = pl.concat([frame, frame[repeated.tolist()].with_columns(tag=pl.lit("identical"))])
        inj["identical_employment_rows"][yyyymm(month)] = len(repeated)
        report_day = dt.date(2022, 6, 30)
        covers_report = frame.select(
            (pl.col("start_date") <= report_day) & (pl.col("end_date").is_null() | (pl.col("end_date") >= report_day))
            & (pl.col("record_type") == "就业")
        ).to_series().to_numpy()
        eligible = frame["tag"].is_null().to_numpy() & ~covers_report
        pid = frame["pid"].to_numpy()

        def inject(r, style, frame=frame, eligible=eligible, pid=pid, month=month):
            inject_rows(rng, r, frame, "employment", style, defect_rate, people.id18[pid], eligible, yyyymm(month))

        emit("employment", yyyymm(month), frame.drop("tag"), inject)

    manifest["calibration"] = calibration_targets(holders)
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=False) + "\n",
                                       encoding="utf-8")
    return manifest


def choose_vanished(rng, people: People, k: int) -> np.ndarray:
    """X09: on record in the 2024-12 snapshot, gone from the newest without a cancellation."""
    pool = np.flatnonzero((people.kind == "initial") & np.isnat(people.cancel))
    return np.sort(rng.choice(pool, k, replace=False))


def subsidy_injections(rng, people: People, plan: subsidy.Plan, few: int) -> dict:
    """Decide the cross-source subsidy defects once; applied month by month."""
    living_paid = subsidy.living_eligible(people) & ~plan.never_living & ~people.quiet
    died = np.flatnonzero(living_paid & (people.cancel_reason == "死亡")
                          & (people.cancel >= np.datetime64("2021-02-01")) & (people.cancel <= np.datetime64("2025-09-30")))
    after_death = rng.choice(died, min(few, len(died)), replace=False)
    extra_months = {p: [people.cancel[p].astype("datetime64[M]") + 1 + i for i in range(rng.integers(1, 4))]
                    for p in after_death}
    outsiders = rng.choice(np.flatnonzero(people.kind == "outsider"), 3, replace=False)
    outsider_months = {p: list(MONTHS[np.sort(rng.choice(len(MONTHS), 2, replace=False))]) for p in outsiders}
    not_target = np.flatnonzero((people.hardship == "无") & people.active_at(np.datetime64("2025-12-31"))
                                & (people.first_issue < np.datetime64("2021-01-01")) & ~people.quiet)
    not_target = rng.choice(not_target, few, replace=False)
    not_target_months = {p: [MONTHS[rng.integers(0, len(MONTHS))]] for p in not_target}
    duplicate_months = MONTHS[rng.integers(0, len(MONTHS), few)]
    odd_amount_months = MONTHS[rng.integers(0, len(MONTHS), few)]
    # A01: part of the neighbouring town's recipients paid through this town's ledger for a year.
    neighbours = np.flatnonzero(living_paid & (people.town == A01_FROM) & people.active_at(year_end(A01_YEAR))
                                & (people.first_issue < np.datetime64(f"{A01_YEAR}-01-01")))
    home = (living_paid & (people.town == A01_TOWN) & people.active_at(year_end(A01_YEAR))).sum()
    moved = rng.choice(neighbours, min(len(neighbours), max(3, int(np.ceil(0.25 * home)) + 2)), replace=False)
    return {
        "after_death": extra_months, "outsiders": outsider_months, "not_target": not_target_months,
        "duplicate_months": duplicate_months, "odd_amount_months": odd_amount_months, "moved": set(moved.tolist()),
        "manifest": {
            "X02": [{"id": people.id18[p], "cancel_date": str(people.cancel[p]),
                     "pay_months": [yyyymm(m) for m in ms if m <= MONTHS[-1]]} for p, ms in extra_months.items()],
            "X01": [{"id": people.id18[p], "pay_months": [yyyymm(m) for m in ms]} for p, ms in outsider_months.items()],
            "X05": [{"id": people.id18[p], "type": subsidy.LIVING, "pay_months": [yyyymm(m) for m in ms]}
                    for p, ms in not_target_months.items()],
            "A01": [{"indicator": "I05", "town": A01_TOWN, "year": A01_YEAR, "paid_for": A01_FROM,
                     "ids": [people.id18[p] for p in moved]}],
            "A03": [{"town": A03_TOWN, "type": subsidy.LIVING, "month": yyyymm(A03_MONTH)}],
            "X03": [],  # filled month by month: one entry per extra row
            "X04": [],
        },
    }


def apply_subsidy_injections(rng, people: People, frame: pl.DataFrame, month, s: dict) -> pl.DataFrame:
    def rows(persons, kind, amount, tag, town=None):
        persons = np.asarray(persons, dtype=np.int64)
        return pl.DataFrame({
            "pid": persons, "subsidy_type": [kind] * len(persons), "amount": [float(amount)] * len(persons),
            "town": people.town[persons].tolist() if town is None else [town] * len(persons),
            "pay_month": [yyyymm(month)] * len(persons), "tag": [tag] * len(persons),
        }, schema=frame.schema)

    added = [rows([p for p, ms in s["after_death"].items() if month in ms], subsidy.LIVING, 600, "X02"),
             rows([p for p, ms in s["outsiders"].items() if month in ms], subsidy.LIVING, 600, "X01"),
             rows([p for p, ms in s["not_target"].items() if month in ms], subsidy.LIVING, 600, "X05")]
    frame = pl.concat([frame] + added)
    year = int(str(month)[:4])
    if year == A01_YEAR:
        moved = frame["pid"].is_in(list(s["moved"])) & (frame["subsidy_type"] == subsidy.LIVING)
        frame = frame.with_columns(
            town=pl.when(moved).then(pl.lit(A01_TOWN)).otherwise(pl.col("town")),
            tag=pl.when(moved).then(pl.lit("A01")).otherwise(pl.col("tag")),
        )
    if month == A03_MONTH:
        frame = frame.filter(~((pl.col("town") == A03_TOWN) & (pl.col("subsidy_type") == subsidy.LIVING)))
    recurring = (frame["subsidy_type"].is_in([subsidy.LIVING, subsidy.CARE]) & frame["tag"].is_null()).to_numpy()
    tag = frame["tag"].to_numpy().astype(object)
    amount = frame["amount"].to_numpy().copy()
    pid = frame["pid"].to_numpy()
    kind = frame["subsidy_type"].to_numpy()
    extra = []
    for _ in range(int((s["duplicate_months"] == month).sum())):  # X03: paid twice in the month
        i = rng.choice(np.flatnonzero(recurring & (tag == None)))  # noqa: E711
        tag[i] = "X03-original"
        extra.append(i)
        s["manifest"]["X03"].append({"id": people.id18[pid[i]], "type": kind[i], "pay_month": yyyymm(month),
                                     "amount": float(amount[i])})
    for _ in range(int((s["odd_amount_months"] == month).sum())):  # X04: outside the standard
        i = rng.choice(np.flatnonzero(recurring & (tag == None)))  # noqa: E711
        tag[i] = "X04"
        amount[i] = amount[i] * 12 if rng.random() < 0.5 else 20.0
        s["manifest"]["X04"].append({"id": people.id18[pid[i]], "type": kind[i], "pay_month": yyyymm(month),
                                     "amount": float(amount[i])})
    frame = frame.with_columns(tag=pl.Series(tag.tolist(), dtype=pl.String), amount=pl.Series(amount))
    if extra:
        frame = pl.concat([frame, frame[extra].with_columns(tag=pl.lit("X03"))])
    return frame


def employment_injections(rng, people: People, spells: pl.DataFrame, firms: pl.DataFrame, few: int):
    spells = spells.with_columns(tag=pl.lit(None, pl.String))
    t0 = np.datetime64("2022-06-30")
    quota = spells.filter((pl.col("form") == "按比例就业") & (pl.col("start_date") <= t0) & pl.col("end_date").is_null())
    pick = np.sort(rng.choice(quota.height, few, replace=False))
    doubled = quota[pick.tolist()]
    quota_firms = firms.filter(pl.col("kind") == "按比例就业")
    other_firm = [(quota_firms["employer_uscc"].to_list().index(u) + 1) % quota_firms.height
                  for u in doubled["employer_uscc"].to_list()]
    second = doubled.with_columns(
        employer_name=pl.Series(quota_firms["employer_name"].to_numpy()[other_firm]),
        employer_uscc=pl.Series(quota_firms["employer_uscc"].to_numpy()[other_firm]),
        start_date=pl.lit(np.datetime64("2023-03-01")).cast(pl.Date),
        tag=pl.lit("X06"),
    )
    # X07: a child under 16 at the start, and jobs starting after the certificate was cancelled.
    dec = np.datetime64("2023-12-31")
    kids = np.flatnonzero(people.active_at(dec) & (age_at(people.birth, dec) >= 14) & (age_at(people.birth, dec) <= 15)
                          & ~people.quiet)
    kids = rng.choice(kids, min(2, len(kids)), replace=False)
    cancelled = np.flatnonzero((people.cancel >= np.datetime64("2021-03-01")) & (people.cancel <= np.datetime64("2024-12-31"))
                               & ~people.quiet & (people.kind != "historic"))
    cancelled = rng.choice(cancelled, min(few, len(cancelled)), replace=False)
    starts = np.concatenate([np.full(len(kids), np.datetime64("2023-09-01")),
                             people.cancel[cancelled] + rng.integers(30, 200, len(cancelled))])
    late = pl.DataFrame({
        "pid": np.concatenate([kids, cancelled]).astype(np.int64), "record_type": "就业",
        "form": ["辅助性就业"] * len(kids) + ["灵活就业"] * len(cancelled),
        "employer_name": None, "employer_uscc": None, "course": None,
        "start_date": starts.astype("datetime64[D]"), "end_date": None, "tag": "X07",
    }, schema=spells.schema)
    spells = pl.concat([spells, second, late])
    return spells, {
        "X06": [{"id": people.id18[p]} for p in doubled["pid"].to_list()],
        "X07": [{"id": people.id18[p], "start_date": str(s.astype("datetime64[D]")),
                 "why": "under 16" if i < len(kids) else "after cancellation"}
                for i, (p, s) in enumerate(zip(late["pid"].to_list(), starts))],
    }


def calibration_targets(holders: int) -> dict:
    """What the district reported for H1 2022, scaled to the size generated."""
    s = holders / DEFAULT_HOLDERS
    return {k: round(v * s) for k, v in {
        "holders_on_record_2022_06_30": 14_608, "due_for_review_2022": 8_870, "reviewed_by_2022_06": 165,
        "issued_h1_2022": 185, "cancelled_h1_2022": 247, "quota_employers": 282, "quota_persons": 1_137,
        "workshops": 11, "workshop_persons": 420, "child_rehab_paid_h1_2022": 90,
        "renovations_paid_2022": 85, "relief_persons_h1_2022": 21, "relief_total_h1_2022": 125_400,
    }.items()} | {"gp_signed_2022_percent": 83.0, "pension_reported_2022_percent": 100.0}
