"""`dpf check --landing DIR`: the contract checked without any warehouse."""

import csv

from pipelines.cli import main

REGISTRY_HEADER = ["残疾人证号", "姓名", "身份证号", "性别", "出生日期", "残疾类别", "残疾等级", "所属镇街", "所属村社",
                   "首次发证日期", "有效期至", "证件状态", "注销日期", "注销原因", "困难类型", "审验日期"]
ID = "11010519491231002X"
GOOD_ROW = [ID + "41", "张三", ID, "女", "1949-12-31", "肢体", "一级", "锦屏街道", "江宁社区", "2020-01-05",
            "2030-01-05", "正常", "", "", "无", ""]


def write(landing, source: str, name: str, header: list[str], rows: list[list[str]]):
    folder = landing / source
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / name, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *rows])
    return folder / name


def test_a_good_folder_passes_and_reports_rows_and_quarantine(tmp_path, capsys):
    landing = tmp_path / "landing"
    bad_town = GOOD_ROW[:7] + ["奉化镇"] + GOOD_ROW[8:]
    write(landing, "registry", "registry_202201.csv", REGISTRY_HEADER, [GOOD_ROW, bad_town])
    (landing / "manifest.json").write_text("{}", encoding="utf-8")
    assert main(["check", "--landing", str(landing)]) == 0
    out = capsys.readouterr().out
    assert "registry/registry_202201.csv: 2 rows read; quarantined R06 1" in out
    assert "0 rejected" in out
    assert not list(tmp_path.rglob("*.duckdb")) and not list(tmp_path.rglob("*.key"))


def test_a_bad_file_name_fails_and_is_named(tmp_path, capsys):
    landing = tmp_path / "landing"
    write(landing, "registry", "registry_202201.csv", REGISTRY_HEADER, [GOOD_ROW])
    write(landing, "registry", "registry-2022-02.csv", REGISTRY_HEADER, [GOOD_ROW])
    assert main(["check", "--landing", str(landing)]) != 0
    out = capsys.readouterr().out
    assert "REJECTED [F02]" in out and "registry-2022-02.csv" in out


def test_a_missing_column_fails_and_names_file_and_column(tmp_path, capsys):
    landing = tmp_path / "landing"
    write(landing, "registry", "registry_202201.csv", REGISTRY_HEADER[:-2] + ["审验日期"],
          [GOOD_ROW[:-2] + [""]])  # no 困难类型
    assert main(["check", "--landing", str(landing)]) != 0
    out = capsys.readouterr().out
    assert "REJECTED [F01]" in out and "registry_202201.csv" in out and "困难类型" in out


def test_a_truncated_registry_snapshot_fails(tmp_path, capsys):
    landing = tmp_path / "landing"
    write(landing, "registry", "registry_202201.csv", REGISTRY_HEADER, [GOOD_ROW] * 10)
    write(landing, "registry", "registry_202202.csv", REGISTRY_HEADER, [GOOD_ROW] * 7)
    assert main(["check", "--landing", str(landing)]) != 0
    out = capsys.readouterr().out
    assert "REJECTED [F03]" in out and "registry_202202.csv" in out


def test_the_demo_folder_passes(demo, capsys):
    landing, manifest = demo
    assert main(["check", "--landing", str(landing)]) == 0
    out = capsys.readouterr().out
    for name, entry in manifest["files"].items():
        assert f"{name}: {entry['rows']:,} rows read" in out


def test_two_files_for_one_period_fail_as_a_first_refresh_would(tmp_path, capsys):
    landing = tmp_path / "landing"
    write(landing, "registry", "registry_202201.csv", REGISTRY_HEADER, [GOOD_ROW])
    write(landing, "registry", "registry_202201.xlsx", REGISTRY_HEADER, [GOOD_ROW])
    assert main(["check", "--landing", str(landing)]) != 0
    out = capsys.readouterr().out
    assert "REJECTED [F02]" in out and "same period 202201" in out
