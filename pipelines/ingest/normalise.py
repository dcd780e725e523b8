"""Text rows from read.py -> typed rows, each with its first failing quarantine rule
(R01, R05, R06, R07 in that order) and the warn flags R02, R03, X10 (quality.md).

Vectorised polars only. Names (kind `personal`) and the raw ID stop here: the output
carries `id_normalised`, which the caller hashes and drops.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import polars as pl

from pipelines import identity
from pipelines.contract import (
    CATEGORIES,
    CONTRACT,
    FORMS_NEEDING_EMPLOYER,
    GRADES,
    Column,
)
from pipelines.reference import Reference

SOURCE_ROW = "source_row"
QUARANTINE_RULE = "quarantine_rule"
QUARANTINE_REASON = "quarantine_reason"

# Accepted shapes (ASCII digits; years outside 1900-2099 are typing slips, not dates).
# A cheap regex test guards chrono's lenient parser, which alone would take "2021035".
_YEAR = "(?:19|20)[0-9]{2}"
_DATE_SHAPE = (
    rf"^{_YEAR}(?:-[0-9]{{1,2}}-[0-9]{{1,2}}|/[0-9]{{1,2}}/[0-9]{{1,2}}|\.[0-9]{{1,2}}\.[0-9]{{1,2}}"
    rf"|年[0-9]{{1,2}}月[0-9]{{1,2}}日|[0-9]{{4}})$"
)
_MONTH_SHAPE = rf"^{_YEAR}(?:[0-9]{{2}}|[-/][0-9]{{1,2}}|年[0-9]{{1,2}}月)$"
_AMOUNT_SHAPE = r"^-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?$"
_REASON_VALUE_CHARS = 40

# Warn flags and the rule each one feeds (rule_counts).
FLAG_RULES = {
    "cert_no_matches_id": "R02",
    "gender_matches_id": "R03",
    "birth_date_matches_id": "R03",
    "pay_month_matches_file": "X10",
}


# ---------------------------------------------------------------- value parsers

def trimmed(text: pl.Expr) -> pl.Expr:
    """Surrounding whitespace (full-width too) removed; empty -> null."""
    return text.map_batches(_trimmed_series, return_dtype=pl.String)


def _trimmed_series(texts: pl.Series) -> pl.Series:
    """Only the values that need it are replaced: nearly every value comes as it is.
    Replacing every value of every text column cost a fifth of normalise()'s CPU on
    province files; finding the few by a regular expression cost more than comparing each
    value with strip_chars' result (1.79 against 1.67-1.69 us per row of normalise() on four
    province files; benchmarks/RESULTS.md)."""
    stripped = texts.str.strip_chars()  # Unicode White_Space, full-width space included
    untrimmed = ((stripped != texts) | (texts == "")).fill_null(False)
    if not untrimmed.any():
        return texts
    places = untrimmed.arg_true()
    fixed = stripped.gather(places)
    return texts.clone().scatter(places, fixed.set(fixed == "", None))


def parse_date(text: pl.Expr) -> pl.Expr:
    """YYYY-M-D, YYYY/M/D, YYYY.M.D, YYYY年M月D日, YYYYMMDD -> Date; impossible dates null.

    Expects trimmed text (a column, so the pieces below do not recompute it)."""
    dashed = text.str.replace_many(["年", "月", "/", "."], ["-", "-", "-", "-"]).str.strip_suffix("日")
    return pl.when(text.str.contains(_DATE_SHAPE)).then(
        pl.coalesce(  # %m and %d take one or two digits
            dashed.str.to_date("%Y-%m-%d", strict=False),
            text.str.to_date("%Y%m%d", strict=False),
        )
    )


def parse_month(text: pl.Expr) -> pl.Expr:
    """YYYYMM, YYYY-M(M), YYYY/M(M), YYYY年M月 -> 'YYYYMM'; else null. Expects trimmed text."""
    separated = text.str.slice(4, 1).is_in(["-", "/", "年"])
    month = (
        pl.when(separated)
        .then(text.str.slice(5).str.strip_suffix("月"))
        .otherwise(text.str.slice(4))
        .cast(pl.Int32, strict=False)
    )
    return pl.when(text.str.contains(_MONTH_SHAPE) & month.is_between(1, 12)).then(
        text.str.slice(0, 4) + month.cast(pl.String).str.zfill(2)
    )


def parse_amount(text: pl.Expr) -> pl.Expr:
    """Yuan, up to 2 decimals, optional thousands separators -> Float64; else null."""
    number = text.str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False)
    return pl.when(text.str.contains(_AMOUNT_SHAPE)).then(number)


def parse_year(text: pl.Expr) -> pl.Expr:
    return pl.when(text.str.contains(r"^[0-9]{4}$")).then(text.cast(pl.Int32, strict=False))


def clean_code(text: pl.Expr) -> pl.Expr:
    """Codes (certificate number, USCC): no spaces, half-width, upper case; empty -> null."""
    value = text.map_batches(
        lambda codes: identity.cleaned_where_needed(codes, lambda v: identity.clean_id(v.str.normalize("NFKC"))),
        return_dtype=pl.String,
    )
    return pl.when(value != "").then(value)


def per_distinct(parse: Callable[[pl.Expr], pl.Expr], dtype: pl.DataType) -> Callable[[pl.Expr], pl.Expr]:
    """parse(text) evaluated once per distinct text and mapped back: a column of a million
    rows holds a few thousand dates, a few months and amounts, and the parsers are several
    string passes each."""

    def run(texts: pl.Series) -> pl.Series:
        distinct = texts.drop_nulls().unique()
        if not len(distinct) or 4 * len(distinct) > len(texts):
            return texts.to_frame("text").select(parse(pl.col("text"))).to_series()
        parsed = distinct.to_frame("text").select(parse(pl.col("text"))).to_series()
        return texts.replace_strict(distinct, parsed, default=None, return_dtype=dtype)

    return lambda text: text.map_batches(run, return_dtype=dtype)


# 17 slices and look-ups per code: checked once per distinct code (employers are few).
_uscc_valid = per_distinct(identity.uscc_is_valid, pl.Boolean)

_PARSERS = {
    "date": per_distinct(parse_date, pl.Date),
    "amount": per_distinct(parse_amount, pl.Float64),
    "number": per_distinct(parse_amount, pl.Float64),
    "month": per_distinct(parse_month, pl.String),
    "year": per_distinct(parse_year, pl.Int32),
}


def _typed(column: Column, text: pl.Expr) -> pl.Expr:
    match column.kind:
        case "date" | "amount" | "number" | "month" | "year":
            return _PARSERS[column.kind](text)
        case "cert_no" | "uscc":
            return clean_code(text)
        case _:  # enum, town, village, text: `text` is trimmed already
            return text


# ---------------------------------------------------------------- quarantine checks

@dataclass(frozen=True)
class _Check:
    rule: str
    failed: pl.Expr
    detail: pl.Expr  # the column and offending value, in Chinese


def _shown(text: pl.Expr) -> pl.Expr:
    """A value as it may appear in a reason: verbatim, at most 40 characters."""
    value = text.fill_null("")
    return pl.when(value.str.len_chars() > _REASON_VALUE_CHARS).then(
        value.str.slice(0, _REASON_VALUE_CHARS) + pl.lit("…")
    ).otherwise(value)


def _masked_id(text: pl.Expr) -> pl.Expr:
    """First 3 characters of an ID, the rest as '*': never the whole ID in a reason."""
    value = text.fill_null("")
    stars = (value.str.len_chars().clip(upper_bound=_REASON_VALUE_CHARS) - 3).clip(lower_bound=0)
    return value.str.slice(0, 3) + pl.lit("*" * _REASON_VALUE_CHARS).str.slice(0, stars)


def _detail(*parts: str | pl.Expr) -> pl.Expr:
    return pl.concat_str([pl.lit(p) if isinstance(p, str) else p for p in parts])


def _raw(name: str) -> pl.Expr:
    return pl.col(f"_raw_{name}")


def _checks(source: str, file_period: str, reference: Reference) -> list[_Check]:
    contract = CONTRACT[source]
    columns = {c.name: c for c in contract.columns}
    header = {c.name: c.header for c in contract.columns}
    checks: list[_Check] = []

    # R01
    id_column = next(c for c in contract.columns if c.kind == "id")
    id_text = _raw(id_column.name)
    checks.append(_Check("R01", id_text.is_null(), _detail(id_column.header, "为空")))
    checks.append(
        _Check(
            "R01",
            ~pl.col("id_valid"),
            _detail(id_column.header, "「", _masked_id(id_text), "」无效（长度、校验位、出生日期或科学计数法）"),
        )
    )

    # R05: dates. Required ones must parse; optional ones, if given, must parse too
    # (silently nulling an end date would turn it into "ongoing").
    for c in contract.columns:
        if c.kind != "date":
            continue
        text, value = _raw(c.name), pl.col(c.name)
        if c.value_required:
            checks.append(_Check("R05", text.is_null(), _detail(c.header, "为空")))
        checks.append(
            _Check(
                "R05",
                text.is_not_null() & value.is_null(),
                _detail(c.header, "「", _shown(text), "」不是有效日期"),
            )
        )
    if source == "registry":
        cancelled = pl.col("status") == "注销"
        cancel, issue = pl.col("cancel_date"), pl.col("first_issue_date")
        year, month = int(file_period[:4]), int(file_period[4:])
        snapshot_end = date(year, month, calendar.monthrange(year, month)[1])
        checks += [
            _Check(
                "R05",
                cancelled & cancel.is_null(),
                _detail("证件状态为注销但", header["cancel_date"], "为空"),
            ),
            _Check(
                "R05",
                cancelled & (cancel < issue),
                _detail(
                    header["cancel_date"], "「", _shown(_raw("cancel_date")), "」早于",
                    header["first_issue_date"], "「", _shown(_raw("first_issue_date")), "」",
                ),
            ),
            _Check(
                "R05",
                cancelled & (cancel > snapshot_end),
                _detail(
                    header["cancel_date"], "「", _shown(_raw("cancel_date")),
                    f"」晚于快照月份最后一天 {snapshot_end.isoformat()}",
                ),
            ),
        ]

    # R06: reference tables and enumerations, in column order.
    towns = reference.towns.get_column("town_name").to_list()
    villages = (
        reference.villages.select(pl.concat_str(["town_name", "village_name"], separator="\x1f"))
        .to_series()
        .to_list()
    )
    for c in contract.columns:
        value = pl.col(c.name)
        if c.kind not in ("enum", "town", "village"):
            continue
        if c.value_required:
            checks.append(_Check("R06", value.is_null(), _detail(c.header, "为空")))
        if c.kind == "town":
            allowed = value.is_in(towns)
            problem = "」不在参考表的镇街中"
        elif c.kind == "village":
            key = pl.concat_str([pl.col("town"), value], separator="\x1f")
            allowed = key.is_in(villages)
            problem = _detail("」不是", header["town"], "「", _shown(pl.col("town")), "」的村社")
        else:
            allowed = value.is_in(list(c.values))
            problem = f"」不在规定取值（{'/'.join(c.values)}）中"
        checks.append(
            _Check(
                "R06",
                value.is_not_null() & ~allowed,
                _detail(c.header, "「", _shown(value), problem),
            )
        )
        if source == "employment" and c.name == "form":
            checks.append(
                _Check(
                    "R06",
                    (pl.col("record_type") == "就业") & value.is_null(),
                    _detail(header["record_type"], "为就业但", c.header, "为空"),
                )
            )
        if source == "registry" and c.name == "cancel_reason":
            checks.append(
                _Check(
                    "R06",
                    (pl.col("status") == "注销") & value.is_null(),
                    _detail("证件状态为注销但", c.header, "为空"),
                )
            )
    if "amount" in columns:  # subsidy: a payment is > 0
        text, value = _raw("amount"), pl.col("amount")
        if columns["amount"].value_required:
            checks.append(_Check("R06", text.is_null(), _detail(header["amount"], "为空")))
        checks.append(
            _Check(
                "R06",
                text.is_not_null() & ~(value > 0).fill_null(False),
                _detail(header["amount"], "「", _shown(text), "」不是大于0的金额"),
            )
        )
    if "income" in columns:  # survey: empty allowed, else >= 0
        text, value = _raw("income"), pl.col("income")
        checks.append(
            _Check(
                "R06",
                text.is_not_null() & ~(value >= 0).fill_null(False),
                _detail(header["income"], "「", _shown(text), "」不是不小于0的金额"),
            )
        )

    # R07
    if source == "employment":
        needs_employer = (pl.col("record_type") == "就业") & pl.col("form").is_in(
            list(FORMS_NEEDING_EMPLOYER)
        )
        uscc = pl.col("employer_uscc")
        checks += [
            _Check(
                "R07",
                needs_employer & uscc.is_null(),
                _detail(header["form"], "为", _shown(pl.col("form")), "但", header["employer_uscc"], "为空"),
            ),
            _Check(
                "R07",
                needs_employer & uscc.is_not_null() & ~_uscc_valid(uscc),
                _detail(header["employer_uscc"], "「", _shown(_raw("employer_uscc")), "」校验位错误或格式不符"),
            ),
        ]
    return checks


# ---------------------------------------------------------------- warn flags

def _flags(source: str, file_period: str) -> dict[str, pl.Expr]:
    if source == "registry":
        codes = pl.concat_str(
            [
                pl.col("id_normalised"),
                pl.col("category").replace_strict(CATEGORIES, default=None),
                pl.col("grade").replace_strict(GRADES, default=None),
            ]
        )
        return {
            "cert_no_matches_id": (pl.col("cert_no") == codes).fill_null(False),  # R02
            "gender_matches_id": (pl.col("gender") == pl.col("gender_from_id")).fill_null(False),  # R03
            "birth_date_matches_id": (pl.col("birth_date_stated") == pl.col("birth_date")).fill_null(False),
        }
    if source == "subsidy":
        return {"pay_month_matches_file": (pl.col("pay_month_stated") == file_period).fill_null(False)}  # X10
    if source == "survey":
        return {"year_matches_file": (pl.col("year_stated") == int(file_period)).fill_null(False)}
    return {}


def _first_failing(checks: list[_Check], value: Callable[[_Check], pl.Expr]) -> pl.Expr:
    """value(check) of the first check that fails, in list order; null if none does."""
    chain = pl.when(checks[0].failed.fill_null(False)).then(value(checks[0]))
    for check in checks[1:]:
        chain = chain.when(check.failed.fill_null(False)).then(value(check))
    return chain.otherwise(pl.lit(None, pl.String))


# ---------------------------------------------------------------- the step

def normalise(raw: pl.DataFrame, source: str, file_period: str, reference: Reference) -> pl.DataFrame:
    """One output row per input row, same order: typed fields, ID facts, flags, quarantine."""
    contract = CONTRACT[source]
    expected_length = 4 if contract.period_kind == "year" else 6
    if len(file_period) != expected_length or not file_period.isdigit():
        raise ValueError(f"{source}: file_period {file_period!r} is not {'YYYY' if expected_length == 4 else 'YYYYMM'}")

    kept = [c for c in contract.columns if c.kind not in ("personal", "id")]
    id_column = next(c for c in contract.columns if c.kind == "id")

    # Built in stages: each stage reads materialised columns, so a text is cleaned or
    # parsed once however many checks look at it.
    frame = raw.select(
        pl.col(SOURCE_ROW),
        *(trimmed(pl.col(c.name)).alias(f"_raw_{c.name}") for c in contract.columns if c.kind != "personal"),
    )
    frame = frame.with_columns(
        identity.normalise_id(_raw(id_column.name)).alias("id_normalised"),
        *(_typed(c, _raw(c.name)).alias(c.name) for c in kept),
    )
    frame = frame.with_columns(
        identity.id_is_valid(pl.col("id_normalised")).alias("id_valid"),
        identity.birth_date_from_id(pl.col("id_normalised")).alias("birth_date"),
    )
    frame = frame.with_columns(
        # A right check digit is not enough: digits 7-14 must be a real birth date,
        # not after the file's year.
        (pl.col("id_valid") & pl.col("birth_date").dt.year().is_between(1900, int(file_period[:4])))
        .fill_null(False)
        .alias("id_valid"),
    )
    frame = frame.with_columns(
        pl.when(pl.col("id_valid")).then(pl.col("birth_date")).alias("birth_date"),
        pl.when(pl.col("id_valid")).then(identity.gender_from_id(pl.col("id_normalised"))).alias("gender_from_id"),
    )
    flags = _flags(source, file_period)
    frame = frame.with_columns(**flags)

    checks = _checks(source, file_period, reference)
    frame = frame.with_columns(
        pl.any_horizontal(check.failed.fill_null(False) for check in checks).alias("_quarantined")
    )
    rule = _first_failing(checks, lambda check: pl.lit(check.rule))
    reason = _first_failing(checks, lambda check: check.detail)
    # Reasons are built for the (few) quarantined rows only, and put back in their places.
    quarantined = frame.filter(pl.col("_quarantined")).select(
        rule.alias(QUARANTINE_RULE),
        reason.alias(QUARANTINE_REASON),
    )
    places = frame.get_column("_quarantined").arg_true()
    frame = frame.with_columns(
        pl.repeat(None, frame.height, dtype=pl.String, eager=True).scatter(places, quarantined.get_column(name))
        .alias(name)
        for name in (QUARANTINE_RULE, QUARANTINE_REASON)
    )
    return frame.select(
        SOURCE_ROW,
        "id_normalised",
        "id_valid",
        "birth_date",
        "gender_from_id",
        *(c.name for c in kept),
        *flags,
        QUARANTINE_RULE,
        QUARANTINE_REASON,
    )


def rule_counts(normalised: pl.DataFrame) -> dict[str, int]:
    """Rows per rule: quarantined rows by their rule; among the rest, False warn flags
    (R02, R03 once per row, X10). Zero counts are left out."""
    counts: dict[str, int] = {}
    for rule, n in normalised.get_column(QUARANTINE_RULE).drop_nulls().value_counts().iter_rows():
        counts[rule] = n
    kept = pl.col(QUARANTINE_RULE).is_null()  # counted in place, not in a filtered copy of every column
    by_rule: dict[str, list[str]] = {}
    for flag, rule in FLAG_RULES.items():
        if flag in normalised.columns:
            by_rule.setdefault(rule, []).append(flag)
    for rule, flags in by_rule.items():
        counts[rule] = normalised.select((kept & ~pl.all_horizontal(flags)).sum()).item()
    return {rule: n for rule, n in sorted(counts.items()) if n}
