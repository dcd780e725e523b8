"""Privacy sweep: after a refresh, no ID number, certificate number or name of the landing
files is anywhere a refresh writes or prints (interface.md: analytics.duckdb holds no ID and
no name; persons are keyed by HMAC).

- The default demo (the session's `demo` / `demo_warehouse`): the published and the working
  database (every text column, and the raw bytes of both files), the dashboard, the Data
  Docs, the run logs and dbt's folder.
- The small district (tests/hostile/district.py), refreshed by `dpf refresh` in a subprocess
  with its own DAGSTER_HOME: Dagster's run storage, event and compute logs, the console, and
  everything else the run wrote.
- The pseudonym key: owner-only, and a refresh with another key (or none) stops with status 3
  instead of re-keying, leaving every published file as it was.

The personal values are read from the landing files with the project's one reader; every
ID is sought in every form it takes there (18 and 15 digits, as written and normalised) and
as found inside longer digit runs. Names are Chinese (2-3 characters): a 3-character name
is sought anywhere in Chinese text, a 2-character one as a whole run of Chinese characters
(inside longer text it would match ordinary words).
"""

from __future__ import annotations

import functools
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import plotly.offline
import polars as pl
import pytest

from pipelines import identity
from pipelines.cli import main as dpf
from pipelines.contract import SOURCES
from pipelines.ingest import keys
from pipelines.ingest.read import FileRejected, read_extract
from pipelines.refresh import EXIT_BLOCKED_FILE
from tests.hostile.district import copy_landing, published_state, small_district

# Everything is scanned as UTF-8 bytes, so a database file is read as it lies on disk.
DIGIT_RUN = re.compile(rb"[0-9]{15,}[Xx]?")
CHINESE_RUN = re.compile(rb"(?:[\xe4-\xe9][\x80-\xbf]{2}){2,}")  # U+4000-U+9FFF
# An 18-character ID-like token: not part of a longer run of letters or digits (a 64-hex key),
# nor the decimals of a number (dbt's timings: 0.059369564056396484).
ID_LIKE = re.compile(rb"(?<![0-9A-Za-z.])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
FULL_WIDTH = [(c.encode(), h.encode()) for c, h in zip("０１２３４５６７８９Ｘｘ", "0123456789XX")]


@dataclass
class Personal:
    """What must never leave the landing files: IDs, certificate numbers, names."""

    numbers: dict[int, set[str]] = field(default_factory=dict)  # length -> IDs and certificate numbers
    names: set[str] = field(default_factory=set)

    def add_number(self, value: str) -> None:
        self.numbers.setdefault(len(value), set()).add(value)

    @property
    def ids(self) -> set[str]:
        return self.numbers.get(18, set())

    @property
    def values(self) -> set[str]:
        return self.names.union(*self.numbers.values())

    def leaks(self, data: bytes | str) -> set[str]:
        """The personal values found in a text or in a file's bytes."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        if b"\xef\xbc" in data:  # full-width forms
            for full, half in FULL_WIDTH:
                data = data.replace(full, half)
        found = set()
        for match in DIGIT_RUN.finditer(data):
            run = match.group().decode().upper()
            for length, values in self.numbers.items():
                found |= {run[i:i + length] for i in range(len(run) - length + 1)} & values
        for match in CHINESE_RUN.finditer(data):
            run = match.group().decode("utf-8", errors="replace")
            if len(run) == 2:
                found |= {run} & self.names
            else:
                found |= {run[i:i + 3] for i in range(len(run) - 2)} & self.names
        return found


def personal_values(landing: Path) -> Personal:
    personal = Personal()
    for source in SOURCES:
        for path in sorted((landing / source).iterdir()):
            try:
                frame = read_extract(path, source)
            except FileRejected:
                continue
            ids = frame.select(identity.clean_id(pl.col("id_no")).alias("cleaned"),
                               identity.normalise_id(pl.col("id_no")).alias("normalised"))
            for column in ids.columns:
                for value in ids.get_column(column).drop_nulls().unique():
                    if re.fullmatch(r"[0-9]{15,17}X?|[0-9]{18}", value):
                        personal.add_number(value)
            if source == "registry":
                for value in frame.select(identity.clean_id(pl.col("cert_no"))).to_series().drop_nulls().unique():
                    if re.fullmatch(r"[0-9]{17}[0-9X][0-9]{2}", value):
                        personal.add_number(value)
            if "name" in frame.columns:
                personal.names |= {n for n in frame.get_column("name").drop_nulls().str.strip_chars().unique()
                                   if re.fullmatch(r"[\u4e00-\u9fff]{2,3}", n)}
    return personal


def database_leaks(path: Path, personal: Personal) -> dict[str, set[str]]:
    """Personal values in any text column of any table of a DuckDB file."""
    con = duckdb.connect(str(path), read_only=True)
    every, leaks = personal.values, {}
    try:
        # tables only: a view (the staging models) shows what its tables hold
        columns = con.execute(
            "select c.table_schema, c.table_name, c.column_name from information_schema.columns c "
            "join information_schema.tables t using (table_catalog, table_schema, table_name) "
            "where c.data_type = 'VARCHAR' and t.table_type = 'BASE TABLE' "
            "and c.table_catalog = current_database()").fetchall()
        assert columns
        for schema, table, column in columns:
            # only values that could hold an ID (a run of 15 digits) or a name (Chinese text)
            values = {v for (v,) in con.execute(
                f'select distinct "{column}" from "{schema}"."{table}" '
                f"""where regexp_matches("{column}", '[0-9０-９]{{15}}|[\u4e00-\u9fff]')""").fetchall()}
            found = (values & every) | personal.leaks("\n".join(values))
            if found:
                leaks[f"{schema}.{table}.{column}"] = found
    finally:
        con.close()
    return leaks


@functools.cache
def plotly_bundle() -> bytes:
    return plotly.offline.get_plotlyjs().encode("utf-8")


def file_leaks(folder: Path, personal: Personal, skip: tuple[Path, ...] = ()) -> dict[str, set[str]]:
    """Personal values (and, outside database files, ID-like tokens) in every file under a folder."""
    leaks = {}
    files = [p for p in sorted(folder.rglob("*")) if p.is_file() and not any(p.is_relative_to(s) for s in skip)]
    assert files, folder
    for path in files:
        data = path.read_bytes()
        found = personal.leaks(data)
        # the generic scan reads text outputs; plotly's own bundle (numeric literals) is not one
        if path.suffix not in (".duckdb", ".wal") and data != plotly_bundle():
            found |= {f"ID-like {token.decode()}" for token in ID_LIKE.findall(data)}
        if found:
            leaks[str(path.relative_to(folder))] = found
    return leaks


# ---------------------------------------------------------------- the default demo

@pytest.fixture(scope="module")
def demo_personal(demo) -> Personal:
    landing, manifest = demo
    personal = personal_values(landing)
    assert len(personal.ids) > manifest["holders"] and len(personal.names) > manifest["holders"] // 2
    assert personal.numbers.get(15) and personal.numbers.get(20)  # legacy IDs and certificate numbers
    return personal


def test_the_demo_published_database_holds_no_personal_value(demo_warehouse, demo_personal):
    assert database_leaks(demo_warehouse / "analytics.duckdb", demo_personal) == {}


def test_the_demo_working_database_holds_no_personal_value(demo_warehouse, demo_personal):
    assert database_leaks(demo_warehouse / "work.duckdb", demo_personal) == {}


@pytest.mark.parametrize("name", ["analytics.duckdb", "work.duckdb"])
def test_the_raw_bytes_of_the_demo_databases_hold_no_personal_value(demo_warehouse, demo_personal, name):
    assert demo_personal.leaks((demo_warehouse / name).read_bytes()) == set()


@pytest.mark.parametrize("folder", ["dashboard", "quality", "logs", "dbt"])
def test_the_demo_output_folders_hold_no_personal_value(demo_warehouse, demo_personal, folder):
    assert file_leaks(demo_warehouse / folder, demo_personal) == {}


def test_the_scan_finds_what_it_looks_for(demo_personal, tmp_path):
    """The sweep is only as good as its matching: every form it must catch, it catches."""
    eighteen = min(demo_personal.numbers[18])
    certificate = min(demo_personal.numbers[20])
    three = min(n for n in demo_personal.names if len(n) == 3)
    two = min(n for n in demo_personal.names if len(n) == 2)
    assert demo_personal.leaks(f"x{eighteen}y") == {eighteen}
    assert demo_personal.leaks(eighteen.translate(str.maketrans("0123456789", "０１２３４５６７８９"))) == {eighteen}
    assert certificate in demo_personal.leaks(f"证号{certificate}")
    assert demo_personal.leaks(f"姓名：{three}先生") == {three}
    assert demo_personal.leaks(f"「{two}」") == {two}
    (tmp_path / "a.html").write_text(f"<td>{three}</td><td>11010519491231002X</td>", encoding="utf-8")
    assert file_leaks(tmp_path, demo_personal) == {"a.html": {three, "ID-like 11010519491231002X"}}
    con = duckdb.connect(str(tmp_path / "b.duckdb"))
    con.execute("create schema marts")
    con.execute("create table marts.t as select ? as detail, ? as area_name", [f"证号 {certificate} 有误", two])
    con.close()
    leaks = database_leaks(tmp_path / "b.duckdb", demo_personal)
    assert set(leaks) == {"marts.t.detail", "marts.t.area_name"}
    assert certificate in leaks["marts.t.detail"] and leaks["marts.t.area_name"] == {two}


# ---------------------------------------------------------------- Dagster storage and the console

@pytest.fixture(scope="module")
def district(tmp_path_factory):
    district = small_district(tmp_path_factory)
    assert district.returncode == 0, district.console
    return district


@pytest.fixture(scope="module")
def district_personal(district) -> Personal:
    personal = personal_values(district.landing)
    assert len(personal.ids) > 1500
    return personal


def test_dagster_home_holds_no_personal_value(district, district_personal):
    stored = {p.name for p in district.dagster_home.rglob("*")}
    assert {"runs.db", "history"} <= stored, stored  # the run and its event log were stored here
    assert file_leaks(district.dagster_home, district_personal) == {}


def test_the_console_of_a_refresh_holds_no_personal_value(district, district_personal):
    assert "I05" in district.console
    assert district_personal.leaks(district.console) == set()
    assert ID_LIKE.findall(district.console.encode()) == []


def test_nothing_the_refresh_wrote_holds_a_personal_value(district, district_personal):
    assert file_leaks(district.root, district_personal, skip=(district.landing, district.dagster_home)) == {}
    assert database_leaks(district.warehouse / "analytics.duckdb", district_personal) == {}
    assert database_leaks(district.warehouse / "work.duckdb", district_personal) == {}


# ---------------------------------------------------------------- the pseudonym key

def test_the_key_file_is_owner_only(demo_warehouse, district):
    for warehouse in (demo_warehouse, district.warehouse):
        key = keys.key_file(warehouse)
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert re.fullmatch(r"[0-9a-f]{64}\n", key.read_text(encoding="ascii"))


@pytest.fixture
def before(district):
    return published_state(district.warehouse)


def test_a_refresh_with_another_key_stops_with_status_3_and_changes_nothing(district, before, monkeypatch, capsys):
    monkeypatch.setenv("DPF_PSEUDONYM_KEY", "00" * 32)
    status = dpf(["refresh", "--landing", str(district.landing), "--warehouse", str(district.warehouse)])
    err = capsys.readouterr().err
    assert status == EXIT_BLOCKED_FILE, err
    assert "differs from the one warehouse" in err and "假名密钥与仓库" in err and "DPF_PSEUDONYM_KEY" in err
    assert published_state(district.warehouse) == before


def test_a_refresh_without_the_key_stops_with_status_3_and_makes_no_new_key(district, before, capsys, tmp_path):
    key = keys.key_file(district.warehouse)
    backup = tmp_path / "pseudonym.key"
    os.rename(key, backup)
    try:
        status = dpf(["refresh", "--landing", str(district.landing), "--warehouse", str(district.warehouse)])
        assert not key.exists()  # never a silent new key
    finally:
        os.rename(backup, key)
    err = capsys.readouterr().err
    assert status == EXIT_BLOCKED_FILE, err
    assert "is missing" in err and "Restore the original key" in err
    assert published_state(district.warehouse) == before


def test_a_key_restored_with_loose_permissions_is_made_owner_only(district, before, tmp_path, capsys):
    # cp from a backup gives 0644; the next run (here one stopped by an empty ledger) fixes it
    landing = copy_landing(district.landing, tmp_path / "landing")
    (landing / "subsidy" / "subsidy_202601.csv").write_bytes(b"")
    key = keys.key_file(district.warehouse)
    os.chmod(key, 0o644)
    status = dpf(["refresh", "--landing", str(landing), "--warehouse", str(district.warehouse)])
    assert status == EXIT_BLOCKED_FILE, capsys.readouterr().err
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert published_state(district.warehouse) == before
