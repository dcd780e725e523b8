"""The generator writes the contract's files, deterministically, calibrated to the
district's H1 2022 report, with exactly the row defects its manifest declares."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import polars as pl

from pipelines.contract import FILE_NAME, SOURCES, period_of
from pipelines.generate.run import generate
from pipelines.ingest.normalise import normalise, rule_counts
from pipelines.ingest.read import read_extract
from pipelines.reference import load_reference

REPORT_DAY = dt.date(2022, 6, 30)
H1_2022 = (dt.date(2022, 1, 1), REPORT_DAY)


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def load(landing: Path, source: str, name: str) -> pl.DataFrame:
    """A file through the one contract reader, quarantined rows removed."""
    path = landing / source / name
    frame = normalise(read_extract(path, source), source, period_of(source, name), load_reference())
    return frame.filter(pl.col("quarantine_rule").is_null())


def newest(landing: Path, source: str) -> str:
    return sorted(p.name for p in (landing / source).iterdir())[-1]


def test_same_seed_same_bytes_other_seed_other_data(tmp_path):
    generate(tmp_path / "a", holders=600, seed=7)
    generate(tmp_path / "b", holders=600, seed=7)
    generate(tmp_path / "c", holders=600, seed=8)
    a, b, c = digest(tmp_path / "a"), digest(tmp_path / "b"), digest(tmp_path / "c")
    assert a == b
    assert a.keys() & c.keys()
    assert all(a[k] != c[k] for k in a.keys() & c.keys() if not k.endswith(".json")), "a file did not change"


def test_layout_follows_the_contract(demo):
    landing, manifest = demo
    for source in SOURCES:
        names = sorted(p.name for p in (landing / source).iterdir())
        assert names and all(FILE_NAME[source].match(n) for n in names), source
    months = [n[8:14] for n in sorted(p.name for p in (landing / "subsidy").iterdir())]
    assert months[0] == "202101" and months[-1] == "202512" and len(months) == 60
    registry = {n[9:15] for n in (p.name for p in (landing / "registry").iterdir())}
    assert {"202112", "202212", "202312", "202412", "202512"} <= registry
    formats = {(f.split("/")[0], v["format"]) for f, v in manifest["files"].items()}
    assert {(s, "xlsx") for s in SOURCES} <= formats and {(s, "csv") for s in SOURCES} <= formats
    encodings = {v["encoding"] for v in manifest["files"].values()}
    assert {"utf-8", "utf-8-sig", "gb18030"} <= encodings


def test_every_file_reads_back_with_exactly_the_declared_defects(demo):
    landing, manifest = demo
    totals: dict[str, int] = {}
    for name, entry in manifest["files"].items():
        source, file_name = name.split("/")
        raw = read_extract(landing / source / file_name, source)
        assert raw.height == entry["rows"], name
        counts = rule_counts(normalise(raw, source, period_of(source, file_name), load_reference()))
        assert counts == entry["defects"], name
        for rule, n in counts.items():
            totals[rule] = totals.get(rule, 0) + n
    # every row-level rule of quality.md that acts on single rows is hit in the default demo
    assert {"R01", "R02", "R03", "R05", "R06", "R07", "X10"} <= set(totals)


def test_cross_source_defects_are_injected(demo):
    _, manifest = demo
    for rule in ("X01", "X02", "X05", "X06", "X07", "X08", "X09", "R04_registry", "R04_survey", "A01", "A03", "A06"):
        assert manifest["injected"][rule], rule


def within(value: float, target: float, share: float = 0.05) -> bool:
    return abs(value - target) <= share * target


def test_calibrated_to_the_h1_2022_report(demo):
    landing, manifest = demo
    want = manifest["calibration"]
    reg = load(landing, "registry", newest(landing, "registry"))
    active = reg.filter((pl.col("first_issue_date") <= REPORT_DAY)
                        & ~((pl.col("status") == "注销") & (pl.col("cancel_date") <= REPORT_DAY)))
    assert within(active["id_normalised"].n_unique(), want["holders_on_record_2022_06_30"])
    issued = reg.filter(pl.col("first_issue_date").is_between(*H1_2022))["id_normalised"].n_unique()
    cancelled = reg.filter((pl.col("status") == "注销") & pl.col("cancel_date").is_between(*H1_2022)).height
    assert within(issued, want["issued_h1_2022"]) and within(cancelled, want["cancelled_h1_2022"])

    june = load(landing, "registry", "registry_202206." + ("csv" if (landing / "registry/registry_202206.csv").exists() else "xlsx"))
    on = june.filter(pl.col("status") == "正常")
    reviewed = on.filter(pl.col("review_date").is_between(*H1_2022))
    due = on.filter((pl.col("valid_until").dt.year() == 2022)
                    | pl.col("review_date").is_between(*H1_2022))["id_normalised"].n_unique()
    assert within(due, want["due_for_review_2022"])
    assert within(reviewed["id_normalised"].n_unique(), want["reviewed_by_2022_06"])

    jobs = load(landing, "employment", newest(landing, "employment")).filter(
        (pl.col("record_type") == "就业") & (pl.col("start_date") <= REPORT_DAY)
        & (pl.col("end_date").is_null() | (pl.col("end_date") >= REPORT_DAY)))
    quota = jobs.filter(pl.col("form") == "按比例就业")
    shops = jobs.filter(pl.col("form") == "集中就业")
    assert within(quota["id_normalised"].n_unique(), want["quota_persons"])
    assert within(quota["employer_uscc"].n_unique(), want["quota_employers"])
    assert within(shops["id_normalised"].n_unique(), want["workshop_persons"])
    assert shops["employer_uscc"].n_unique() == want["workshops"]

    paid = pl.concat([load(landing, "subsidy", p.name) for p in sorted((landing / "subsidy").iterdir())
                      if p.name[8:12] == "2022"], how="diagonal_relaxed")
    paid_h1 = paid.filter(pl.col("pay_month_stated").is_in([f"2022{m:02d}" for m in range(1, 7)]))
    kids = paid_h1.filter(pl.col("subsidy_type") == "残疾儿童康复救助")["id_normalised"].n_unique()
    assert within(kids, want["child_rehab_paid_h1_2022"])
    renovated = paid.filter(pl.col("subsidy_type") == "家庭无障碍改造")["id_normalised"].n_unique()
    assert within(renovated, want["renovations_paid_2022"])
    relief = paid_h1.filter(pl.col("subsidy_type") == "困难救助")
    assert within(relief["id_normalised"].n_unique(), want["relief_persons_h1_2022"])
    assert within(relief["amount"].sum(), want["relief_total_h1_2022"])

    survey_name = next(p.name for p in (landing / "survey").iterdir() if "2022" in p.name)
    survey = load(landing, "survey", survey_name).unique("id_normalised", keep="first", maintain_order=True)
    signed = 100 * (survey["gp_signed"] == "是").mean()
    assert within(signed, want["gp_signed_2022_percent"])
    adults = survey.filter((pl.col("pension") != "不适用") & (pl.col("school") != "在校"))
    insured = 100 * adults["pension"].is_in(["已参保", "领取待遇"]).mean()
    assert within(insured, want["pension_reported_2022_percent"])
