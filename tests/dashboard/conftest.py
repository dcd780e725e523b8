"""Dashboards rendered once per session from the shared demo warehouse (tests/conftest.py):
as published, with the data-quality marts removed, and with hostile data-quality rows
(formula-like text, markup, an ID number in free text) added."""

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.publish import published_path

DQ_TABLES = ("dq_findings", "dq_summary", "dq_reconciliation")
HOSTILE_DETAIL = '=HYPERLINK("evil.example/x","点我") <script>alert(1)</script> 身份证 330283199001011234 I07'
FAKE_KEY = "ab" * 32  # a 64-hex person key


def copy_warehouse(demo_warehouse: Path, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(published_path(demo_warehouse), published_path(target))
    return target


def tables(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
    finally:
        con.close()


def add_quality_rows(path: Path) -> None:
    """dq_* rows in the contract's shape (quality.md): the real marts are kept when the
    warehouse has them, else made here from the A01 cases of indicator_values."""
    con = duckdb.connect(str(path))
    try:
        present = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
        if "dq_findings" not in present:
            con.execute("""
                create table marts.dq_findings (rule_id varchar, severity varchar, source varchar,
                    person_key varchar, area_name varchar, period varchar, detail varchar, amount double)""")
            con.execute("""
                insert into marts.dq_findings
                select 'A01', 'warn', 'indicator', null, v.area_name, v.period,
                       v.indicator_code || ' ' || v.period || ' ' || v.area_name || ' 报表口径覆盖率 '
                       || round(v.reported_value, 1) || '%', null
                from marts.indicator_values v join marts.dim_indicator d using (indicator_code)
                where d.kind = 'ratio' and v.reported_value > 100""")
            con.execute("""
                insert into marts.dq_findings
                select rule, 'warn', 'subsidy', sha256(rule || town || month || i::varchar), town, month,
                       '注销后仍发放', 100.0 * (1 + i % 7)
                from (values ('X02'), ('X03'), ('X04')) r(rule),
                     (values ('锦屏街道'), ('松岙镇'), ('溪口镇')) t(town),
                     (values ('2023-03'), ('2024-11'), ('2025-06')) m(month),
                     range(3) s(i)""")
            con.execute("""
                insert into marts.dq_findings
                select 'R01', 'quarantine', 'registry', null, '岳林街道', '2024', '身份证号无效', null
                from range(12)""")
        if "dq_summary" not in present:
            con.execute("""create table marts.dq_summary as
                select rule_id, severity, source, period, count(*) as findings from marts.dq_findings group by all""")
        if "dq_reconciliation" not in present:
            con.execute("""
                create table marts.dq_reconciliation as
                select v.indicator_code, v.period, v.area_name, v.value, v.reported_value, v.denominator,
                       v.numerator, round(v.reported_value * v.denominator / 100) as reported_numerator,
                       v.numerator as matched_eligible,
                       round(v.reported_value * v.denominator / 100) - v.numerator as counted_by_other_town,
                       0 as not_in_registry, 0 as cancelled_before_period, 0 as paid_not_eligible
                from marts.indicator_values v join marts.dim_indicator d using (indicator_code)
                where d.kind = 'ratio' and v.reported_value > 100""")
        # Hostile text in an area-level finding, and a person-level finding with a key.
        con.execute("""insert into marts.dq_findings by name
            select 'A05' as rule_id, 'warn' as severity, 'indicator' as source, null as person_key,
                   '锦屏街道' as area_name, '2024' as period, ? as detail""", [HOSTILE_DETAIL])
        con.execute("""insert into marts.dq_findings by name
            select 'X02' as rule_id, 'warn' as severity, 'subsidy' as source, ? as person_key,
                   '<b>松岙镇</b>' as area_name, '2025-07' as period, ? as detail, 600.0 as amount""",
                    [FAKE_KEY, HOSTILE_DETAIL])
        con.execute("checkpoint")
    finally:
        con.close()


@pytest.fixture(scope="session")
def rendered(demo_warehouse):
    """The demo's own dashboard (as `dpf refresh` leaves it): <warehouse>/dashboard/index.html."""
    from pipelines.dashboard.render import render_dashboard

    return render_dashboard(demo_warehouse)


@pytest.fixture(scope="session")
def rendered_with_quality(demo_warehouse, tmp_path_factory):
    from pipelines.dashboard.render import render_dashboard

    warehouse = copy_warehouse(demo_warehouse, tmp_path_factory.mktemp("dash-quality"))
    add_quality_rows(published_path(warehouse))
    return render_dashboard(warehouse)


@pytest.fixture(scope="session")
def rendered_without_quality(demo_warehouse, tmp_path_factory):
    from pipelines.dashboard.render import render_dashboard

    warehouse = copy_warehouse(demo_warehouse, tmp_path_factory.mktemp("dash-no-quality"))
    con = duckdb.connect(str(published_path(warehouse)))
    try:
        for name in DQ_TABLES:
            con.execute(f"drop table if exists marts.{name}")
        con.execute("checkpoint")
    finally:
        con.close()
    return render_dashboard(warehouse)


def coverage_cases(warehouse: Path) -> set[str]:
    """The coverage-above-100% cases the DQ page must list (rule A01): every ratio row of
    indicator_values with reported_value above 100 (the page adds dq_reconciliation's
    breakdown to each when that mart exists)."""
    path = published_path(warehouse)
    con = duckdb.connect(str(path), read_only=True)
    try:
        rows = con.execute("""
            select v.indicator_code, v.period, v.area_name
            from marts.indicator_values v join marts.dim_indicator d using (indicator_code)
            where d.kind = 'ratio' and v.reported_value > 100""").fetchall()
    finally:
        con.close()
    return {"|".join(r) for r in rows}


@pytest.fixture(scope="session")
def dash():
    """The helpers and constants above, for the test modules (importlib mode: no package imports)."""
    import types

    return types.SimpleNamespace(copy_warehouse=copy_warehouse, coverage_cases=coverage_cases,
                                 FAKE_KEY=FAKE_KEY, HOSTILE_DETAIL=HOSTILE_DETAIL)
