"""Render logical frames as extract files the way the district's systems export them:
Chinese headers, IDs typed by hand (lower-case x, full-width digits, stray spaces,
15-digit legacy numbers), every date format of the contract, CSV in three encodings or
XLSX with date cells — plus row defects injected at a known count per file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter

from pipelines.contract import CONTRACT, GRADES
from pipelines.generate.calendar import month_end

DATE_FORMATS = ["%Y-%m-%d", "%Y/%-m/%-d", "%Y%m%d", "%Y年%-m月%-d日", "%Y.%-m.%-d"]
XLSX_CELL_BUDGET = 560_000  # XLSX is slow to write: a demo-sized sprinkling, CSV for the rest


@dataclass
class Style:
    fmt: str  # csv | xlsx
    encoding: str  # utf-8 | utf-8-sig | gb18030 (csv)
    date_format: str
    excel_dates: bool
    thousands: bool
    header_spaces: bool
    shuffle_columns: bool
    extra_columns: bool

    @classmethod
    def draw(cls, rng: np.random.Generator, xlsx_allowed: bool, xlsx_share: float, first: bool) -> "Style":
        """A file's look; the first file of each source is XLSX whenever the budget allows,
        so every demo has an XLSX of every kind."""
        wants = first or rng.random() < xlsx_share
        fmt = "xlsx" if wants and xlsx_allowed else "csv"
        return cls(
            fmt=fmt,
            encoding=str(rng.choice(["utf-8", "utf-8-sig", "gb18030"], p=[0.5, 0.25, 0.25])),
            date_format=str(rng.choice(DATE_FORMATS)),
            excel_dates=fmt == "xlsx" and rng.random() < 0.7,
            thousands=bool(rng.random() < 0.4),
            header_spaces=bool(rng.random() < 0.2),
            shuffle_columns=bool(rng.random() < 0.3),
            extra_columns=bool(rng.random() < 0.2),
        )


@dataclass
class Rendered:
    """All-text cells by contract header, plus what the XLSX writer must type."""

    text: pl.DataFrame
    date_headers: list[str]
    numeric_id_rows: np.ndarray = field(default_factory=lambda: np.array([], dtype=int))
    defects: dict[str, int] = field(default_factory=dict)


# ------------------------------------------------------------------ values as typed by hand

def id_text(rng: np.random.Generator, ids: pl.Series, birth: np.ndarray) -> pl.Series:
    """IDs as clerks type them; every variant normalises back to the same 18 digits."""
    u = pl.Series(rng.random(len(ids)))
    born_1900s = pl.Series((birth >= np.datetime64("1900-01-01")) & (birth <= np.datetime64("1999-12-31")))
    frame = pl.DataFrame({"id": ids, "u": u, "old": born_1900s})
    id_, u_ = pl.col("id"), pl.col("u")
    legacy = pl.col("old") & (u_ < 0.004)
    return frame.select(
        pl.when(legacy).then(id_.str.slice(0, 6) + id_.str.slice(8, 9))
        .when(id_.str.ends_with("X") & (u_ > 0.7)).then(id_.str.slice(0, 17) + pl.lit("x"))
        .when(u_.is_between(0.004, 0.006, closed="left")).then(id_.str.replace_many(list("0123456789X"), list("０１２３４５６７８９Ｘ")))
        .when(u_.is_between(0.006, 0.011, closed="left"))
        .then(pl.concat_str([pl.lit(" "), id_.str.slice(0, 6), pl.lit(" "), id_.str.slice(6), pl.lit(" ")]))
        .otherwise(id_)
        .alias("id")
    )["id"]


def date_text(rng: np.random.Generator, dates: pl.Series, style: Style) -> pl.Series:
    """Dates in the file's format, 2% of rows in another of the contract's formats."""
    other = rng.integers(0, len(DATE_FORMATS), len(dates))
    odd = rng.random(len(dates)) < 0.02
    main = dates.dt.strftime(style.date_format)
    if style.excel_dates:
        main = dates.dt.strftime("%Y-%m-%d")  # becomes a date cell
    frame = pl.DataFrame({"d": dates, "main": main, "other": other, "odd": odd})
    expr = pl.col("main")
    for i, f in enumerate(DATE_FORMATS):
        expr = pl.when(pl.col("odd") & (pl.col("other") == i)).then(pl.col("d").dt.strftime(f)).otherwise(expr)
    return frame.select(expr.alias("x"))["x"]


def amount_text(amounts: pl.Series, style: Style) -> pl.Series:
    """Yuan with two decimals, '.00' dropped, thousands separated in some files."""
    cents = (amounts * 100).round(0).cast(pl.Int64)
    frame = pl.DataFrame({"c": cents})
    text = frame.select(
        pl.concat_str([(pl.col("c") // 100).cast(pl.String), pl.lit("."),
                       (pl.col("c") % 100).cast(pl.String).str.zfill(2)]).alias("x")
    )["x"]
    if style.thousands:
        text = text.str.replace(r"^(\d+)(\d{3})\.", "${1},${2}.")
    return text.str.replace(r"\.00$", "")


# ------------------------------------------------------------------ rendering per source

def render(source: str, frame: pl.DataFrame, people, rng: np.random.Generator, style: Style) -> Rendered:
    """Turn a logical frame (typed values, `pid` per row) into text cells with headers."""
    pid = frame["pid"].to_numpy()
    ids = id_text(rng, people.text("id18", pid), people.birth[pid])
    cols: dict[str, pl.Series] = {}
    dates: list[str] = []

    def put_date(header: str, values: pl.Series) -> None:
        cols[header] = date_text(rng, values, style)
        dates.append(header)

    if source == "registry":
        cols["残疾人证号"] = frame["cert_no"]
        cols["姓名"] = frame["name"]
        cols["身份证号"] = ids
        cols["性别"] = frame["gender"]
        put_date("出生日期", frame["birth_date"])
        cols["残疾类别"] = frame["category"]
        cols["残疾等级"] = frame["grade"]
        cols["所属镇街"] = frame["town"]
        cols["所属村社"] = frame["village"]
        put_date("首次发证日期", frame["first_issue_date"])
        put_date("有效期至", frame["valid_until"])
        cols["证件状态"] = frame["status"]
        put_date("注销日期", frame["cancel_date"])
        cols["注销原因"] = frame["cancel_reason"]
        cols["困难类型"] = frame["hardship"]
        put_date("审验日期", frame["review_date"])
    elif source == "subsidy":
        cols["身份证号"] = ids
        cols["姓名"] = people.text("name", pid)
        cols["补贴类型"] = frame["subsidy_type"]
        cols["发放年月"] = frame["pay_month"]
        cols["金额"] = amount_text(frame["amount"], style)
        cols["发放镇街"] = frame["town"]
    elif source == "employment":
        cols["身份证号"] = ids
        cols["记录类型"] = frame["record_type"]
        cols["就业形式"] = frame["form"]
        cols["单位名称"] = frame["employer_name"]
        cols["统一社会信用代码"] = frame["employer_uscc"]
        cols["培训项目"] = frame["course"]
        put_date("开始日期", frame["start_date"])
        put_date("结束日期", frame["end_date"])
    else:
        cols["身份证号"] = ids
        cols["调查年度"] = frame["year"].cast(pl.String)
        cols["所属镇街"] = frame["town"]
        for name, header in [("school", "在学状态"), ("pension", "养老保险"), ("medical", "医疗保险"),
                             ("rehab_need", "康复需求"), ("rehab_served", "康复服务"), ("at_need", "辅具需求"),
                             ("at_fitted", "辅具适配"), ("gp_signed", "家庭医生签约")]:
            cols[header] = frame[name]
        cols["家庭人均可支配收入"] = amount_text(frame["income"], style)
    assert list(cols) == [c.header for c in CONTRACT[source].columns], source
    text = pl.DataFrame({h: s.cast(pl.String).alias(h) for h, s in cols.items()})
    return Rendered(text=text, date_headers=dates if style.excel_dates else [])


# ------------------------------------------------------------------ row defects

def pick_rows(rng, candidates: np.ndarray, taken: np.ndarray, k: int) -> np.ndarray:
    free = candidates[~taken[candidates]]
    chosen = np.sort(rng.choice(free, min(k, len(free)), replace=False)) if len(free) else free
    taken[chosen] = True
    return chosen


def corrupt_ids(rng, r: Rendered, rows: np.ndarray, style: Style, ids18: np.ndarray) -> None:
    """R01: a wrong check character, a dropped digit, or scientific notation."""
    if not len(rows):
        return
    how = rng.integers(0, 3, len(rows))
    values = {}
    for row, h in zip(rows, how):
        good = ids18[row]
        if h == 0:
            wrong = "10X98765432".replace(good[17], "")
            values[row] = good[:17] + wrong[rng.integers(0, 10)]
        elif h == 1:
            values[row] = good[:17]
        elif style.fmt == "xlsx":
            r.numeric_id_rows = np.append(r.numeric_id_rows, row)
            values[row] = good[:17] + "0"  # written as a number cell; precision is lost anyway
        else:
            values[row] = f"{int(good[:17]) / 1e16:.5f}E+17"
    set_cells(r, "身份证号", np.array(list(values)), list(values.values()))
    r.defects["R01"] = r.defects.get("R01", 0) + len(rows)


def set_cells(r: Rendered, header: str, rows: np.ndarray, values) -> None:
    if len(rows):
        column = r.text[header].scatter(rows, pl.Series(list(values), dtype=pl.String))
        r.text = r.text.with_columns(column.alias(header))


def count(r: Rendered, rule: str, rows: np.ndarray) -> None:
    if len(rows):
        r.defects[rule] = r.defects.get(rule, 0) + len(rows)


def inject_registry(rng, r: Rendered, frame: pl.DataFrame, style: Style, rate: float, newest: bool,
                    historic: np.ndarray, ids18: np.ndarray, snapshot_month: np.datetime64) -> None:
    n = frame.height
    taken = np.zeros(n, dtype=bool)
    k = max(1, int(round(rate * n / 5)))
    all_rows = np.arange(n)
    # In the newest snapshot, quarantine only long-cancelled certificates: a current
    # holder quarantined there would cascade into every cross-source rule.
    q_rows = np.flatnonzero(historic) if newest else all_rows
    corrupt_ids(rng, r, pick_rows(rng, q_rows, taken, k), style, ids18)
    bad_date = pick_rows(rng, q_rows, taken, k)
    status = frame["status"].to_numpy()
    cancelled = bad_date[status[bad_date] == "注销"]
    plain = bad_date[status[bad_date] != "注销"]
    set_cells(r, "首次发证日期", plain, rng.choice(["2012-13-45", "不详", "2010/02/30"], len(plain)).tolist())
    issue = frame["first_issue_date"].to_numpy()
    before = cancelled[: len(cancelled) // 2]
    after = cancelled[len(cancelled) // 2:]
    set_cells(r, "注销日期", before, [str(d) for d in issue[before] - 100])
    set_cells(r, "注销日期", after, [str(month_end(snapshot_month) + 20)] * len(after))
    count(r, "R05", bad_date)
    unknown = pick_rows(rng, q_rows, taken, k)
    half = len(unknown) // 2
    set_cells(r, "所属镇街", unknown[:half], ["奉化镇"] * half)
    set_cells(r, "所属村社", unknown[half:], ["幸福村"] * (len(unknown) - half))
    count(r, "R06", unknown)
    # Warn-level: the row stays in.
    wrong_cert = pick_rows(rng, all_rows, taken, k)
    cert = r.text["残疾人证号"].to_numpy()[wrong_cert]
    codes = list(GRADES.values())
    set_cells(r, "残疾人证号", wrong_cert,
              [c[:19] + codes[(codes.index(c[19]) + 1) % 4] for c in cert])
    count(r, "R02", wrong_cert)
    wrong_person = pick_rows(rng, all_rows, taken, k)
    gender = r.text["性别"].to_numpy()[wrong_person]
    flip = rng.random(len(wrong_person)) < 0.5
    set_cells(r, "性别", wrong_person[flip], ["女" if g == "男" else "男" for g in gender[flip]])
    births = frame["birth_date"].to_numpy()[wrong_person[~flip]]
    set_cells(r, "出生日期", wrong_person[~flip], [str(d + 1) for d in births])
    count(r, "R03", wrong_person)


def inject_rows(rng, r: Rendered, frame: pl.DataFrame, source: str, style: Style, rate: float,
                ids18: np.ndarray, eligible: np.ndarray, file_period: str) -> None:
    """Row defects in subsidy, employment and survey files, only on `eligible` rows
    (untagged rows whose loss cannot move a calibrated figure)."""
    n = frame.height
    taken = ~eligible.copy()
    candidates = np.arange(n)
    k = max(1, int(round(rate * n / 3)))
    corrupt_ids(rng, r, pick_rows(rng, candidates, taken, k), style, ids18)
    if source == "subsidy":
        month = np.datetime64(f"{file_period[:4]}-{file_period[4:]}", "M")
        wrong = pick_rows(rng, candidates, taken, k)
        set_cells(r, "发放年月", wrong, [str(month - 1).replace("-", "")] * len(wrong))
        count(r, "X10", wrong)
    elif source == "employment":
        bad = pick_rows(rng, candidates, taken, k)
        set_cells(r, "开始日期", bad, rng.choice(["2019-00-10", "待定", "2018.2.30"], len(bad)).tolist())
        count(r, "R05", bad)
        needs = np.flatnonzero(np.isin(frame["form"].to_numpy(), ["按比例就业", "集中就业"]))
        bad = pick_rows(rng, needs, taken, k)
        uscc = r.text["统一社会信用代码"].to_numpy()[bad]
        blank = rng.random(len(bad)) < 0.5
        set_cells(r, "统一社会信用代码", bad,
                  [None if b else u[:17] + ("0" if u[17] != "0" else "1") for u, b in zip(uscc, blank)])
        count(r, "R07", bad)


# ------------------------------------------------------------------ writing

def write(path: Path, r: Rendered, style: Style, rng: np.random.Generator) -> None:
    text = r.text
    if style.extra_columns:
        text = text.with_columns(
            pl.Series("联系电话", [f"1390000{i % 10000:04d}" for i in range(text.height)]),
            pl.lit("").alias("备注"),
        )
    order = list(text.columns)
    if style.shuffle_columns:
        order = [order[i] for i in rng.permutation(len(order))]
    text = text.select(order)
    headers = [f" {h} " if style.header_spaces and i % 3 == 0 else h for i, h in enumerate(order)]
    path.parent.mkdir(parents=True, exist_ok=True)
    if style.fmt == "csv":
        data = text.rename(dict(zip(order, headers))).write_csv().encode("utf-8")
        if style.encoding == "utf-8-sig":
            data = b"\xef\xbb\xbf" + data
        elif style.encoding == "gb18030":
            data = data.decode("utf-8").encode("gb18030")
        path.write_bytes(data)
        return
    write_xlsx(path, text, headers, r)


def write_xlsx(path: Path, text: pl.DataFrame, headers: list[str], r: Rendered) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    workbook.set_properties({"created": dt.datetime(2026, 1, 1)})  # byte-identical output per seed
    date_cell = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet = workbook.add_worksheet("Sheet1")
    sheet.write_row(0, 0, headers)
    numeric_ids = set(r.numeric_id_rows.tolist())
    kinds = []
    for name in text.columns:
        kinds.append("date" if name in r.date_headers else "id" if name == "身份证号" else "text")
    for i, row in enumerate(text.iter_rows()):
        for j, value in enumerate(row):
            if value is None or value == "":
                continue
            kind = kinds[j]
            if kind == "date" and len(value) == 10 and value[4] == "-" and value[:4].isdigit():
                try:
                    sheet.write_datetime(i + 1, j, dt.datetime.strptime(value, "%Y-%m-%d"), date_cell)
                    continue
                except ValueError:
                    pass
            if kind == "id" and i in numeric_ids:
                sheet.write_number(i + 1, j, float(value))
                continue
            sheet.write_string(i + 1, j, value)
    workbook.close()
