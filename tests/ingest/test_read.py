"""read_extract: encodings, XLSX cells, headers, and every whole-file rejection (F01, F02).
Each test writes a real file in tmp_path."""

import csv
import datetime as dt
import io
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from pipelines import identity
from pipelines.contract import CONTRACT
from pipelines.ingest import read
from pipelines.ingest.read import FileRejected, read_extract

SUBSIDY = CONTRACT["subsidy"]
H = {c.name: c.header for c in SUBSIDY.columns}  # field -> Chinese header
ID = "11010519491231002X"
ID_2 = "330283199001011238"


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    """Standard CSV (fields quoted where needed), one newline after every row."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


def write_csv(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(folder: Path, name: str, rows: list[list]) -> Path:
    """Cells by Python type: str -> text cell, int/float -> number, date -> date cell."""
    path = folder / name
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif isinstance(value, (dt.date, dt.datetime)):
                sheet.write_datetime(r, c, value, date_format)
            else:
                sheet.write_number(r, c, value)
    workbook.close()
    return path


SUBSIDY_HEADER = list(SUBSIDY.headers)  # 身份证号,姓名,补贴类型,发放年月,金额,发放镇街
ROWS = [
    [ID, "张三", "困难残疾人生活补贴", "202201", "1,500.00", "锦屏街道"],
    [ID_2, "李四", "重度残疾人护理补贴", "202201", "320", "溪口镇"],
]
FIELDS = ["source_row", *(c.name for c in SUBSIDY.columns)]


def rejected(path: Path, source: str = "subsidy") -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        read_extract(path, source)
    error = caught.value
    assert path.name in error.message and error.path == path
    return error


# ---------------------------------------------------------------- CSV encodings

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_encodings(tmp_path, encoding):
    path = write_csv(tmp_path, "subsidy_202201.csv", csv_text(SUBSIDY_HEADER, ROWS), encoding)
    frame = read_extract(path, "subsidy")
    assert frame.columns == FIELDS
    assert frame.schema["source_row"] == pl.Int64
    assert all(frame.schema[f] == pl.String for f in FIELDS[1:])
    assert frame.rows() == [(2, *ROWS[0]), (3, *ROWS[1])]


def test_csv_values_stay_text(tmp_path):
    rows = [["012345678901234567", "", "其他", "202201", "0012", "锦屏街道"]]
    frame = read_extract(write_csv(tmp_path, "subsidy_202201.csv", csv_text(SUBSIDY_HEADER, rows)), "subsidy")
    row = frame.row(0, named=True)
    assert row["id_no"] == "012345678901234567" and row["amount"] == "0012"
    assert row["name"] is None  # empty -> null


def test_quoted_fields_and_crlf(tmp_path):
    text = (",".join(SUBSIDY_HEADER) + "\r\n"
            f'{ID},"王,五","其他",202201,"1,200",锦屏街道\r\n'
            f'{ID_2},"赵""六""\n二",其他,202201,5,锦屏街道\r\n')
    frame = read_extract(write_csv(tmp_path, "subsidy_202201.csv", text), "subsidy")
    assert frame.get_column("name").to_list() == ["王,五", '赵"六"\n二']
    assert frame.get_column("amount").to_list() == ["1,200", "5"]
    assert frame.get_column("town").to_list() == ["锦屏街道", "锦屏街道"]  # no stray \r


def test_reordered_extra_and_absent_optional_columns(tmp_path):
    header = ["备注", H["town"], H["amount"], H["pay_month_stated"], H["subsidy_type"], H["id_no"], "联系电话"]
    rows = [["x", "溪口镇", "320", "202201", "其他", ID, "13800000000"]]
    frame = read_extract(write_csv(tmp_path, "subsidy_202201.csv", csv_text(header, rows)), "subsidy")
    assert frame.columns == FIELDS  # contract order; 备注 and 联系电话 never come back
    assert frame.row(0, named=True) == {
        "source_row": 2, "id_no": ID, "name": None, "subsidy_type": "其他",
        "pay_month_stated": "202201", "amount": "320", "town": "溪口镇",
    }


def test_headers_are_trimmed(tmp_path):
    header = [f" {SUBSIDY_HEADER[0]}\u3000", *(f"\t{h} " for h in SUBSIDY_HEADER[1:])]
    frame = read_extract(write_csv(tmp_path, "subsidy_202201.csv", csv_text(header, ROWS)), "subsidy")
    assert frame.get_column("id_no").to_list() == [ID, ID_2]


def test_bom_inside_header_text_is_ignored(tmp_path):
    header = ["\ufeff" + SUBSIDY_HEADER[0], *SUBSIDY_HEADER[1:]]  # BOM written twice by a tool
    frame = read_extract(write_csv(tmp_path, "subsidy_202201.csv", csv_text(header, ROWS), "utf-8-sig"), "subsidy")
    assert frame.get_column("id_no").to_list() == [ID, ID_2]


def test_blank_lines_are_skipped_but_rows_keep_their_numbers(tmp_path):
    text = csv_text(SUBSIDY_HEADER, [ROWS[0], [""] * 6, ROWS[1]]) + "\n\n"
    frame = read_extract(write_csv(tmp_path, "subsidy_202201.csv", text), "subsidy")
    assert frame.get_column("source_row").to_list() == [2, 4]


def test_last_line_without_newline_is_fine_when_complete(tmp_path):
    text = csv_text(SUBSIDY_HEADER, ROWS).rstrip("\n")
    frame = read_extract(write_csv(tmp_path, "subsidy_202201.csv", text), "subsidy")
    assert frame.height == 2 and frame.get_column("town").to_list()[-1] == "溪口镇"


def test_large_csv_keeps_every_row_and_its_number(tmp_path):
    # speed is measured in benchmarks/, not asserted here
    n = 600_000
    ids = pl.int_range(0, n, eager=True).cast(pl.String).str.zfill(18)
    pl.DataFrame(
        {h: ids if h == H["id_no"] else pl.Series([f"v{h}"] * n) for h in SUBSIDY_HEADER}
    ).write_csv(tmp_path / "subsidy_202201.csv")
    frame = read_extract(tmp_path / "subsidy_202201.csv", "subsidy")
    assert frame.height == n and frame.get_column("id_no")[0] == "0" * 18
    assert frame.get_column("source_row")[-1] == n + 1


# ---------------------------------------------------------------- XLSX

def test_xlsx_text_cells(tmp_path):
    path = write_xlsx(tmp_path, "subsidy_202201.xlsx", [SUBSIDY_HEADER, *ROWS])
    frame = read_extract(path, "subsidy")
    assert frame.columns == FIELDS
    assert frame.rows() == [(2, *ROWS[0]), (3, *ROWS[1])]


def test_xlsx_number_cells(tmp_path):
    rows = [
        [ID, "张三", "其他", 202201, 1500, "锦屏街道"],
        [ID_2, None, "其他", 202201, 1500.5, "锦屏街道"],
    ]
    frame = read_extract(write_xlsx(tmp_path, "subsidy_202201.xlsx", [SUBSIDY_HEADER, *rows]), "subsidy")
    assert frame.get_column("pay_month_stated").to_list() == ["202201", "202201"]
    assert frame.get_column("amount").to_list() == ["1500", "1500.5"]
    assert frame.get_column("name").to_list() == ["张三", None]


def test_xlsx_numeric_id_cells_can_never_validate(tmp_path):
    # 330283199001010200 is a valid ID that survives a float exactly (15 significant
    # digits); 110105491231002 is a legacy 15-digit one. As number cells, neither may pass.
    passes_as_text = "330283199001010200"
    assert pl.select(identity.id_is_valid(pl.lit(passes_as_text))).item()
    rows = [
        [int(passes_as_text), "甲", "其他", "202201", "1", "锦屏街道"],
        [110105491231002, "乙", "其他", "202201", "1", "锦屏街道"],
        ["110105491231002", "丙", "其他", "202201", "1", "锦屏街道"],
    ]
    frame = read_extract(write_xlsx(tmp_path, "subsidy_202201.xlsx", [SUBSIDY_HEADER, *rows]), "subsidy")
    ids = frame.get_column("id_no").to_list()
    assert ids[:2] == ["3.302831990010102e+17", "110105491231002.0"]  # float form
    assert ids[2] == "110105491231002"  # a text cell is text
    valid = frame.select(identity.id_is_valid(identity.normalise_id(pl.col("id_no")))).to_series()
    assert valid.to_list() == [False, False, True]


def test_xlsx_date_cells_become_iso_dates(tmp_path):
    header = list(CONTRACT["employment"].headers)
    base = {h: None for h in header}
    emp = {c.name: c.header for c in CONTRACT["employment"].columns}
    first = {**base, emp["id_no"]: ID, emp["record_type"]: "培训", emp["course"]: "电商",
             emp["start_date"]: dt.datetime(2021, 3, 5), emp["end_date"]: dt.datetime(2021, 12, 31, 17, 30)}
    second = {**base, emp["id_no"]: ID_2, emp["record_type"]: "培训", emp["course"]: "电商",
              emp["start_date"]: "2021/3/5", emp["end_date"]: 20211231}
    rows = [header, [first[h] for h in header], [second[h] for h in header]]
    frame = read_extract(write_xlsx(tmp_path, "employment_202201.xlsx", rows), "employment")
    assert frame.get_column("start_date").to_list() == ["2021-03-05", "2021/3/5"]
    assert frame.get_column("end_date").to_list() == ["2021-12-31", "20211231"]


def test_xlsx_month_date_cell_becomes_year_month(tmp_path):
    rows = [SUBSIDY_HEADER, [ID, None, "其他", dt.datetime(2022, 1, 1), 100, "锦屏街道"]]
    frame = read_extract(write_xlsx(tmp_path, "subsidy_202201.xlsx", rows), "subsidy")
    assert frame.get_column("pay_month_stated").to_list() == ["2022-01"]


def test_xlsx_headers_trimmed_and_extra_columns_dropped(tmp_path):
    header = ["序号", *(f" {h}\u3000" for h in SUBSIDY_HEADER)]
    rows = [header, [1, *ROWS[0]], [None] * 7, [3, *ROWS[1]]]
    frame = read_extract(write_xlsx(tmp_path, "subsidy_202201.xlsx", rows), "subsidy")
    assert frame.columns == FIELDS
    assert frame.get_column("source_row").to_list() == [2, 4]


# ---------------------------------------------------------------- F01

def test_empty_files(tmp_path):
    for name, text in [("subsidy_202201.csv", ""), ("subsidy_202202.csv", csv_text(SUBSIDY_HEADER, [])),
                       ("subsidy_202203.csv", csv_text(SUBSIDY_HEADER, []) + "\n,,,,,\n \n")]:
        error = rejected(write_csv(tmp_path, name, text))
        assert error.rule == "F01" and "为空" in error.message
    assert rejected(write_xlsx(tmp_path, "subsidy_202204.xlsx", [])).rule == "F01"
    assert rejected(write_xlsx(tmp_path, "subsidy_202205.xlsx", [SUBSIDY_HEADER])).rule == "F01"


@pytest.mark.parametrize(
    ("encoding", "piece"),
    [*(("gb18030", piece) for piece in (1, 2, 3, 5, 7)), ("utf-8", 1), ("utf-8-sig", 1)],
)
def test_decoding_in_pieces_splits_no_character(tmp_path, monkeypatch, encoding, piece):
    """GB18030 files are decoded in pieces (the GIL is released between them): a character
    whose bytes fall in two pieces (2-byte and 4-byte GB18030) reads whole. UTF-8 files,
    which the CSV parser checks itself (no pieces), read the same characters."""
    monkeypatch.setattr(read, "_DECODE_PIECE", piece)
    rows = [[ID, "𠀀€测", "其他", "202201", "1,500", "锦屏街道"], [ID_2, "李四", "其他", "202201", "5", "溪口镇"]]
    path = write_csv(tmp_path, "subsidy_202201.csv", csv_text(SUBSIDY_HEADER, rows), encoding)
    assert read_extract(path, "subsidy").rows() == [(2, *rows[0]), (3, *rows[1])]
    # A character cut off at the very end (the last piece) is still undecodable.
    cut = tmp_path / "subsidy_202202.csv"
    cut.write_bytes(path.read_bytes() + "𠀀".encode("gb18030" if encoding == "gb18030" else "utf-8")[:-1])
    error = rejected(cut)
    assert error.rule == "F01" and "无法解码" in error.message


def test_undecodable_csv(tmp_path):
    path = tmp_path / "subsidy_202201.csv"
    path.write_bytes(csv_text(SUBSIDY_HEADER, ROWS).encode("utf-8") + b"\xff\xfe\xfa\n")
    error = rejected(path)
    assert error.rule == "F01" and "无法解码" in error.message


# A byte neither UTF-8 nor GB18030 has; a UTF-8 character cut short.
@pytest.mark.parametrize("bad", [b"\xff", b"\xe6\xb5"])
def test_a_bad_byte_far_into_a_utf8_file_is_found(tmp_path, bad):
    """The first 64 KB decide whether a file is parsed as UTF-8 at once; the CSV parser's
    own check must still find a bad byte after them, in the middle of a row."""
    rows = [[ID, "张三", "困难残疾人生活补贴", "202201", str(i), "锦屏街道"] for i in range(5000)]
    text = csv_text(SUBSIDY_HEADER, rows).encode("utf-8")
    assert len(text) > 2 * read.MAX_HEADER_BYTES
    path = tmp_path / "subsidy_202201.csv"
    path.write_bytes(text + ID.encode() + b",\xe5\xbc\xa0" + bad + b",x,202201,5,x\n")
    error = rejected(path)
    assert error.rule == "F01" and "无法解码" in error.message
    path.write_bytes(text)
    assert read_extract(path, "subsidy").height == 5000


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("subsidy_202201.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        ("subsidy_202201.csv", "身份证号\n1\n".encode("utf-16")),
        ("subsidy_202201.xlsx", b"\x00\x01\x02binary"),
        ("subsidy_202201.xlsx", csv_text(SUBSIDY_HEADER, ROWS).encode()),  # text named .xlsx
        ("subsidy_202201.xlsx", b"PK\x03\x04 not really a zip"),
    ],
)
def test_binary_or_foreign_files(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    assert rejected(path).rule == "F01"


def test_csv_named_xlsx_is_rejected_not_crashed(tmp_path):
    path = write_xlsx(tmp_path, "subsidy_202201.xlsx", [SUBSIDY_HEADER, *ROWS])
    csv_path = tmp_path / "subsidy_202202.csv"
    csv_path.write_bytes(path.read_bytes())  # a workbook named .csv
    assert rejected(csv_path).rule == "F01"


def test_duplicate_headers(tmp_path):
    header = [*SUBSIDY_HEADER, H["amount"]]
    rows = [[*ROWS[0], "1"]]
    error = rejected(write_csv(tmp_path, "subsidy_202201.csv", csv_text(header, rows)))
    assert error.rule == "F01" and H["amount"] in error.message


def test_duplicate_extra_columns_are_harmless(tmp_path):
    header = [*SUBSIDY_HEADER, "备注", "备注"]
    frame = read_extract(write_csv(tmp_path, "subsidy_202201.csv", csv_text(header, [[*ROWS[0], "", ""]])), "subsidy")
    assert frame.height == 1


def test_missing_required_columns_are_all_named(tmp_path):
    header = [h for h in SUBSIDY_HEADER if h not in (H["amount"], H["town"])]
    rows = [[v for h, v in zip(SUBSIDY_HEADER, ROWS[0]) if h in header]]
    for path in (
        write_csv(tmp_path, "subsidy_202201.csv", csv_text(header, rows)),
        write_xlsx(tmp_path, "subsidy_202202.xlsx", [header, *rows]),
    ):
        error = rejected(path)
        assert error.rule == "F01"
        assert H["amount"] in error.message and H["town"] in error.message
        assert H["id_no"] not in error.message.split("缺少必需列")[1].split("。")[0]


def test_truncated_last_row(tmp_path):
    text = csv_text(SUBSIDY_HEADER, ROWS) + f"{ID},王五,其他,2022"
    error = rejected(write_csv(tmp_path, "subsidy_202201.csv", text))
    assert error.rule == "F01" and "截断" in error.message


def test_trailing_whitespace_after_the_last_newline_is_not_truncation(tmp_path):
    text = csv_text(SUBSIDY_HEADER, ROWS) + "  "
    assert read_extract(write_csv(tmp_path, "subsidy_202201.csv", text), "subsidy").height == 2


def test_truncated_inside_quotes(tmp_path):
    text = csv_text(SUBSIDY_HEADER, ROWS) + f'{ID},"王五,其他'
    assert rejected(write_csv(tmp_path, "subsidy_202201.csv", text)).rule == "F01"


def test_row_with_more_fields_than_header(tmp_path):
    text = csv_text(SUBSIDY_HEADER, [ROWS[0], [*ROWS[1], "多余"]])
    error = rejected(write_csv(tmp_path, "subsidy_202201.csv", text))
    assert error.rule == "F01" and "字段数多于表头" in error.message


def test_parser_errors_are_wrapped(tmp_path):
    text = csv_text(SUBSIDY_HEADER, [ROWS[0]]) + f'{ID},王"五,其他,202201,5,锦屏街道\n'
    error = rejected(write_csv(tmp_path, "subsidy_202201.csv", text))
    assert error.rule == "F01" and ID not in error.message


def test_missing_file_is_f01(tmp_path):
    assert rejected(tmp_path / "subsidy_202201.csv").rule == "F01"


# ---------------------------------------------------------------- F02

@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("subsidy", "subsidy_2022.csv"),
        ("subsidy", "subsidy_202213.csv"),
        ("subsidy", "subsidy_202200.csv"),
        ("subsidy", "subsidy_202201.txt"),
        ("subsidy", "registry_202201.csv"),  # another source's name
        ("subsidy", "subsidy_202201 (1).csv"),
        ("subsidy", "subsidy_202201..csv"),
        ("survey", "survey_202201.csv"),
    ],
)
def test_file_names_without_a_period(tmp_path, source, name):
    path = write_csv(tmp_path, name, csv_text(SUBSIDY_HEADER, ROWS))
    error = rejected(path, source)
    assert error.rule == "F02" and "文件名" in error.message


def test_file_name_check_comes_before_reading(tmp_path):
    assert rejected(tmp_path / "subsidy_2022..xlsx").rule == "F02"  # need not even exist
