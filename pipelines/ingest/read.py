"""The one reader of landing files (extracts.md): file name -> period, CSV encodings,
XLSX cells, Chinese headers -> contract field names. Every value comes back as text;
typing and row rules are normalise.py's job. Whole-file problems raise FileRejected
(F01 / F02) naming the file; nothing else escapes.
"""

from __future__ import annotations

import codecs
import io
import re
from pathlib import Path

import fastexcel
import polars as pl

from pipelines.contract import CONTRACT, Source, period_of

SOURCE_ROW = "source_row"

# How far back we look for the start of a quoted multi-line last record (truncation check).
_MAX_LINES_BACK = 200
# A contract header is a few hundred bytes. A first line longer than this is a file without
# (working) line breaks, and parsing it would make a column of every comma in it: a 100 MB
# single line would take tens of GB of memory. It is refused before it is parsed.
MAX_HEADER_BYTES = 64 * 1024


class FileRejected(Exception):
    """A whole file refused: rule F01 (unreadable, empty, missing column) or F02 (name)."""

    def __init__(self, rule: str, path: Path, message: str):
        super().__init__(message)
        self.rule = rule
        self.path = Path(path)
        self.message = message


def read_extract(path: Path, source: str) -> pl.DataFrame:
    """Every contract column of one landing file as text, named by field, plus source_row.

    source_row is the row a person sees in the file (header = 1, first data row = 2).
    Absent optional columns come back null; extra columns are dropped; rows that are
    entirely blank are skipped (their numbers are not reused).
    """
    path = Path(path)
    contract = CONTRACT[source]
    _check_file_name(path, source)
    try:
        if path.suffix == ".xlsx":
            header, body = _read_xlsx(path, contract)
        else:
            header, body = _read_csv(path)
        return _to_contract(path, contract, header, body)
    except FileRejected:
        raise
    except Exception as error:  # any parser/IO failure becomes F01, with the file named
        raise _rejected_f01(
            path,
            f"无法读取（{_describe(error)}）",
            f"cannot be read ({_describe(error)})",
            "请确认文件完整、格式为 CSV 或 XLSX 后重新导出。",
            "check the file is complete and is CSV or XLSX, then export it again.",
        ) from None


# ---------------------------------------------------------------- file name (F02)

def _check_file_name(path: Path, source: str) -> None:
    if ".." in path.name or period_of(source, path.name) is None:
        example = f"{source}_{'YYYY' if CONTRACT[source].period_kind == 'year' else 'YYYYMM'}.csv"
        raise FileRejected(
            "F02",
            path,
            f"文件 {path} 的文件名不符合约定，无法确定所属期间：应为 {example} 或 .xlsx"
            f"（月份 01-12）。请按约定重命名后重新放入。"
            f" File {path}: the name does not give a period; expected {example} or .xlsx"
            f" (month 01-12). Rename it and deliver it again.",
        )


# ---------------------------------------------------------------- CSV

def _read_csv(path: Path) -> tuple[list[str], pl.DataFrame]:
    with open(path, "rb") as handle:
        head = handle.read(MAX_HEADER_BYTES + 1)
    if b"\x00" in head:
        raise _undecodable(path, binary=True)
    if b"\n" not in head and head.strip():
        if b"\r" in head:
            raise _cr_line_breaks(path)
        if len(head) > MAX_HEADER_BYTES:
            raise _no_line_break(path)
    data = path.read_bytes()
    if not data or data.isspace():
        raise _empty(path)
    if b"\x00" in data:  # text in UTF-8 or GB18030 has no NUL: binary, or UTF-16
        raise _undecodable(path, binary=True)
    # A GB18030 file shows itself in its header, which is Chinese: such a file is converted
    # before it is parsed, not parsed in vain first.
    frame = _parsed(path, data) if _starts_as_utf8(head) else None
    utf8 = data
    if frame is None:
        utf8 = _gb18030(path, data)
        frame = _parsed(path, utf8)
    last_line = utf8[utf8.rfind(b"\n") + 1:]
    if last_line.strip() and _last_record_width(utf8) < frame.width:
        raise _rejected_f01(
            path,
            "最后一行不完整（无换行且字段数少于表头），疑似导出被截断",
            "ends mid-row (no final newline and fewer fields than the header): truncated",
            "请重新完整导出。",
            "export it again in full.",
        )
    header = [value or "" for value in frame.row(0)]
    return header, frame.slice(1)


def _starts_as_utf8(head: bytes) -> bool:
    """The first bytes of a file are UTF-8 (the last character may be cut off)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        return False
    return True


def _parsed(path: Path, data: bytes) -> pl.DataFrame | None:
    """Every row of a UTF-8 CSV (a BOM is skipped) as text columns; None if it is not UTF-8.

    polars checks that every field is UTF-8 (SIMD), so a UTF-8 file is not decoded in
    Python first: that check cost two thirds of the parse (0.2 us per province ledger row)."""
    try:
        return pl.read_csv(
            io.BytesIO(data),
            has_header=False,  # the header is row 1 of the data: we match it ourselves
            infer_schema=False,  # every value text: IDs never become numbers
            empty_string_is_null=False,
            separator=",",
            quote_char='"',
        )
    except pl.exceptions.ComputeError as error:
        if "invalid utf-8" in str(error):
            return None
        if "more fields" in str(error):
            raise _rejected_f01(
                path,
                "有数据行的字段数多于表头",
                "has rows with more fields than the header",
                "请检查未加引号的逗号或多余的分隔符。",
                "look for unquoted commas or stray separators.",
            ) from None
        raise


def _gb18030(path: Path, data: bytes) -> bytes:
    """`data`, which is not UTF-8, from GB18030 to UTF-8; anything else is F01. A file with a
    UTF-8 BOM is UTF-8 or nothing."""
    if data.startswith(codecs.BOM_UTF8):
        raise _undecodable(path)
    try:
        return _gb18030_to_utf8(data)
    except UnicodeDecodeError:
        raise _undecodable(path) from None


# Decoding holds the GIL for the whole call: a province ledger in GB18030 (44 MB) took
# 0.4 s, during which the other worker thread and the writer could not run Python. In
# pieces of 1 MB, the other threads get their turns between pieces.
_DECODE_PIECE = 1 << 20


def _gb18030_to_utf8(data: bytes) -> bytes:
    """Decoded piece by piece (a character may span two pieces); raises UnicodeDecodeError
    for bytes that are not GB18030, a cut-off last character included."""
    decoder = codecs.getincrementaldecoder("gb18030")()
    view = memoryview(data)
    pieces = [decoder.decode(view[start:start + _DECODE_PIECE]).encode("utf-8")
              for start in range(0, len(data), _DECODE_PIECE)]
    pieces.append(decoder.decode(b"", final=True).encode("utf-8"))
    return b"".join(pieces)


def _last_record_width(utf8: bytes) -> int:
    """Fields in the last record of text that does not end with a newline."""
    start = len(utf8)
    for _ in range(_MAX_LINES_BACK):
        start = utf8.rfind(b"\n", 0, start)
        block = utf8[start + 1:]
        if block.count(b'"') % 2 == 0 or start < 0:
            break
    # Commas outside quoted fields, counted on bytes: no field-size limit (csv's is 128 KB),
    # so a huge unfinished last field still reads as a truncated row.
    unquoted = re.sub(rb'"[^"]*"', b"", block)
    return unquoted.split(b"\n", 1)[0].count(b",") + 1


# ---------------------------------------------------------------- XLSX

def _read_xlsx(path: Path, contract: Source) -> tuple[list[str], pl.DataFrame]:
    data = path.read_bytes()
    if not data:
        raise _empty(path)
    if not data.startswith(b"PK"):
        raise _undecodable(path, binary=True)
    reader = fastexcel.read_excel(data)
    # calamine formats every cell as text: integer-valued numbers without ".0",
    # date cells as "YYYY-MM-DD HH:MM:SS", numbers as up to 15 significant digits.
    sheet = reader.load_sheet(0, header_row=None, dtypes="string").to_polars()
    if sheet.height == 0:
        raise _empty(path)
    header = [value or "" for value in sheet.row(0)]
    body = sheet.slice(1)

    # A second look at the cells whose type matters, loaded as other dtypes:
    # 'boolean' is non-null only for number (and boolean) cells, never for text cells;
    # 'duration' is non-null only for date cells.
    positions = {_clean_header(h): i for i, h in enumerate(header)}
    kinds = {c.header: c.kind for c in contract.columns}
    probes: dict[int, str] = {}
    for name, i in positions.items():
        if kinds.get(name) == "id":
            probes[i] = "boolean"
        elif kinds.get(name) in ("date", "month"):
            probes[i] = "duration"
    if not probes:
        return header, body
    typed = reader.load_sheet(
        0, header_row=None, use_columns=sorted(probes), dtypes=probes
    ).to_polars().slice(1)
    fixes = []
    for i, dtype in probes.items():
        column = sheet.columns[i]
        text = pl.col(column)
        probe = typed.get_column(column)
        if dtype == "boolean":
            # An ID typed as a number has lost digits past the 15th: keep it in float
            # form ("1.1010519491231e17") so it can never pass as a valid ID (R01).
            as_float = text.cast(pl.Float64, strict=False).cast(pl.String)
            fixes.append(pl.when(probe.is_not_null()).then(pl.coalesce(as_float, text)).otherwise(text))
        else:
            is_month = kinds[_clean_header(header[i])] == "month"
            iso = text.str.slice(0, 7 if is_month else 10)  # YYYY-MM or YYYY-MM-DD
            fixes.append(pl.when(probe.is_not_null()).then(iso).otherwise(text))
    return header, body.with_columns(fix.alias(sheet.columns[i]) for fix, i in zip(fixes, probes))


# ---------------------------------------------------------------- headers -> contract

def _clean_header(value: str) -> str:
    return value.replace("\ufeff", "").strip()  # str.strip() includes U+3000


def _to_contract(path: Path, contract: Source, header: list[str], body: pl.DataFrame) -> pl.DataFrame:
    body = body.with_row_index(SOURCE_ROW, offset=2).with_columns(pl.col(SOURCE_ROW).cast(pl.Int64))
    file_columns = [c for c in body.columns if c != SOURCE_ROW]
    # A blank row is blank in its first column: only those few rows are checked in full.
    first = pl.col(file_columns[0])
    candidates = body.filter(first.is_null() | first.str.contains(r"^\s*$"))
    blank = candidates.filter(
        pl.all_horizontal(pl.col(c).str.strip_chars().fill_null("") == "" for c in file_columns)
    ).get_column(SOURCE_ROW)
    if len(blank):
        body = body.filter(~pl.col(SOURCE_ROW).is_in(blank.implode()))
    if body.height == 0:
        raise _empty(path)

    names = [_clean_header(h) for h in header]
    wanted = set(contract.headers)
    duplicates = sorted({n for n in names if n in wanted and names.count(n) > 1})
    if duplicates:
        listed = "、".join(duplicates)
        raise _rejected_f01(
            path,
            f"表头重复：{listed}",
            f"has duplicate header(s): {listed}",
            "请删除重复列，只保留一列。",
            "keep one column of each.",
        )
    missing = [h for h in contract.required_headers if h not in names]
    if missing:
        listed = "、".join(missing)
        raise _rejected_f01(
            path,
            f"缺少必需列：{listed}",
            f"lacks required column(s): {listed}",
            "请按数据约定补齐这些列后重新导出。",
            "add them as the data contract requires and export again.",
        )

    def column(c) -> pl.Expr:
        if c.header not in names:
            return pl.lit(None, dtype=pl.String).alias(c.name)
        text = pl.col(file_columns[names.index(c.header)]).cast(pl.String)
        return pl.when(text != "").then(text).alias(c.name)

    return body.select(pl.col(SOURCE_ROW), *(column(c) for c in contract.columns))


# ---------------------------------------------------------------- messages

def _rejected_f01(path: Path, problem_zh: str, problem_en: str, todo_zh: str, todo_en: str) -> FileRejected:
    return FileRejected(
        "F01", path, f"文件 {path} {problem_zh}。{todo_zh} File {path} {problem_en}; {todo_en}"
    )


def _empty(path: Path) -> FileRejected:
    return _rejected_f01(
        path,
        "为空（没有表头以外的数据行）",
        "is empty (no data rows after the header)",
        "请确认导出是否成功后重新导出。",
        "check the export succeeded and export again.",
    )


def _cr_line_breaks(path: Path) -> FileRejected:
    return _rejected_f01(
        path,
        "只用回车符（CR）换行（旧版 Mac 格式），无法分行",
        "ends its lines with a carriage return (CR) only (old Mac format), so it cannot be split into rows",
        "请另存为 CSV（换行符为 LF 或 CRLF）后重新导出。",
        "save it as CSV with LF or CRLF line breaks and export it again.",
    )


def _no_line_break(path: Path) -> FileRejected:
    kb = MAX_HEADER_BYTES // 1024
    return _rejected_f01(
        path,
        f"前 {kb} KB 内没有换行符：表头应是单独的第一行，疑似整个文件只有一行或换行符已损坏",
        f"has no line break in its first {kb} KB: the header must be a line of its own; the file is"
        " a single line or its line breaks are damaged",
        "请重新导出为逗号分隔、每行一条记录的 CSV。",
        "export it again as comma-separated CSV with one record per line.",
    )


def _undecodable(path: Path, binary: bool = False) -> FileRejected:
    if binary:
        return _rejected_f01(
            path,
            "不是可读取的文本表格或 Excel 工作簿（疑似二进制或其他格式）",
            "is not a readable CSV text or Excel workbook (binary or another format)",
            "请导出为 UTF-8 或 GBK 编码的 CSV，或 .xlsx。",
            "export it as CSV in UTF-8 or GBK, or as .xlsx.",
        )
    return _rejected_f01(
        path,
        "无法解码（既不是 UTF-8 也不是 GB18030/GBK）",
        "cannot be decoded (neither UTF-8 nor GB18030/GBK)",
        "请导出为 UTF-8 或 GBK 编码的 CSV。",
        "export it as CSV in UTF-8 or GBK.",
    )


# Parser messages quote the offending field (polars between backticks): that may be a name
# or an ID, and the message goes to the console, the run log and Dagster's event log.
_QUOTED = re.compile(r"`[^`]*(`|$)")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")


def _describe(error: Exception) -> str:
    """The error's first line, short, without quoted data: quoted fields, Chinese text (names)
    and long digit runs (IDs) are masked."""
    first = (str(error).strip().splitlines() or [""])[0][:200]
    masked = _CJK.sub("…", re.sub(r"\d{6,}", "…", _QUOTED.sub("`…`", first)))
    return f"{type(error).__name__}: {masked}"
