"""What the dashboard shows, read from the published database through one read-only
connection. Only aggregates leave the database: no query here selects person_key, so no
pseudonymous key (let alone an ID) can reach a page. Breakdowns stop at town level.

The data-quality marts (dq_findings, dq_summary, dq_reconciliation) are optional: a
warehouse published before the quality suites existed has none, and the dashboard then
says so instead of failing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.config import DISTRICT_NAME
from pipelines.publish import PUBLISHED_SCHEMA, published_path

# Money at risk (quality.md): payments after cancellation, duplicates, out-of-standard amounts.
MONEY_RULES = ("X02", "X03", "X04")

# Which extract feeds each indicator (indicators.md): a row-level finding "touches" an
# indicator when its source feeds it. The registry feeds every indicator.
INDICATOR_SOURCES: dict[str, tuple[str, ...]] = {
    "I01": ("registry", "survey"),
    "I02": ("registry", "employment"),
    "I03": ("registry", "employment"),
    "I04": ("registry", "employment"),
    "I05": ("registry", "subsidy"),
    "I06": ("registry", "subsidy"),
    "I07": ("registry", "survey"),
    "I08": ("registry", "survey"),
    "I09": ("registry", "survey"),
    "I10": ("registry", "survey"),
    "I11": ("registry", "survey"),
    "I12": ("registry", "subsidy", "survey"),
    "I13": ("registry", "subsidy"),
    "I14": ("registry", "survey"),
}

# Short Chinese names of the rules (quality.md), for legends and tables.
RULE_NAMES: dict[str, str] = {
    "F01": "文件无法读取或缺列", "F02": "文件名无期间", "F03": "登记快照行数骤降",
    "R01": "身份证号无效", "R02": "证号与身份证号不符", "R03": "性别/出生日期与身份证号不符",
    "R04": "重复证件或重复调查", "R05": "日期无法解析或矛盾", "R06": "镇街/村社区不在参照表",
    "R07": "用人单位信用代码无效", "X01": "补贴发给非登记人员", "X02": "注销后仍发放",
    "X03": "同月重复发放", "X04": "金额超出标准", "X05": "补贴发给非目标人群",
    "X06": "同日两个按比例就业单位", "X07": "就业记录年龄或日期异常", "X08": "调查对象年末不在册",
    "X09": "证件无注销而消失", "X10": "发放年月与文件月份不符", "A01": "报表口径覆盖率超过100%",
    "A02": "报表口径高于定义口径5个百分点以上", "A03": "镇街当月缺发放数据", "A04": "月度领取人数异常波动",
    "A05": "年度值变动超过15个百分点", "A06": "调查覆盖率低于95%",
}
SEVERITY_NAMES = {"block": "阻断", "quarantine": "隔离", "warn": "警告"}

RECONCILIATION_COLUMNS = (
    "indicator_code", "period", "area_name", "value", "reported_value", "denominator", "numerator",
    "reported_numerator", "matched_eligible", "counted_by_other_town", "not_in_registry",
    "cancelled_before_period", "paid_not_eligible",
)


@dataclass
class DashboardData:
    version: str
    published_at: dt.datetime | None
    indicators: pl.DataFrame  # dim_indicator, by code
    areas: pl.DataFrame  # dim_area: district first, then towns in display order
    values: pl.DataFrame  # indicator_values (district and towns only)
    latest_year: str | None
    # Data-quality marts; None when the published database has none yet.
    findings_by_rule: pl.DataFrame | None  # rule_id, severity, source, year, findings
    findings_for_indicators: pl.DataFrame | None  # indicator-level findings (no person): rule, area, period, detail
    money_at_risk: pl.DataFrame | None  # rule_id, area_name, period (YYYY-MM), findings, amount
    summary: pl.DataFrame | None  # dq_summary as published
    reconciliation: pl.DataFrame | None  # dq_reconciliation

    @property
    def has_quality(self) -> bool:
        return self.findings_by_rule is not None

    @property
    def towns(self) -> list[str]:
        return self.areas.filter(pl.col("area_level") == "town")["area_name"].to_list()

    @property
    def years(self) -> list[str]:
        return sorted(p for p in self.values["period"].unique().to_list() if len(p) == 4)


def load(warehouse: Path) -> DashboardData:
    path = published_path(warehouse)
    if not path.exists():
        raise FileNotFoundError(f"发布库不存在：{path}。请先运行 dpf refresh。"
                                f" The published database {path} does not exist; run dpf refresh first.")
    con = duckdb.connect(str(path), read_only=True)
    try:
        return _load(con)
    finally:
        con.close()


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute(
        "select table_name from information_schema.tables where table_schema = ?", [PUBLISHED_SCHEMA]).fetchall()}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {row[0] for row in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [PUBLISHED_SCHEMA, table]).fetchall()}


def _load(con: duckdb.DuckDBPyConnection) -> DashboardData:
    tables = _tables(con)
    version, published_at = "unversioned", None
    if "publish_version" in tables:
        rows = con.sql(f"select version, max(published_at) from {PUBLISHED_SCHEMA}.publish_version "
                       "group by version order by 2 desc limit 1").fetchall()
        if rows:
            version, published_at = rows[0]
    indicators = con.sql(f"select * from {PUBLISHED_SCHEMA}.dim_indicator order by indicator_code").pl()
    areas = con.sql(f"select area_level, area_name, sort_order from {PUBLISHED_SCHEMA}.dim_area "
                        "where area_level in ('district', 'town') order by sort_order, area_name").pl()
    values = con.sql(
        "select indicator_code, period, area_level, area_name, numerator, denominator, value, reported_value,"
        f" target, meets_target from {PUBLISHED_SCHEMA}.indicator_values"
        " where area_level in ('district', 'town') order by indicator_code, period, area_level, area_name").pl()
    years = sorted(p for p in values["period"].unique().to_list() if len(p) == 4)

    findings_by_rule = findings_for_indicators = money = summary = reconciliation = None
    if "dq_findings" in tables:
        columns = _columns(con, "dq_findings")
        findings_by_rule = con.sql(
            "select rule_id, severity, coalesce(source, '') as source,"
            " coalesce(left(period, 4), '未知') as year, count(*) as findings"
            f" from {PUBLISHED_SCHEMA}.dq_findings group by all order by year, rule_id, severity").pl()
        code = "indicator_code" if "indicator_code" in columns else \
            "regexp_extract(coalesce(detail, ''), '(I(0[1-9]|1[0-4]))', 1)"
        # Area-level findings only (no person): the indicator anomalies A01, A02, A05, A06 and the like.
        findings_for_indicators = con.sql(
            f"select rule_id, severity, source, {code} as indicator_code, area_name, period, detail"
            f" from {PUBLISHED_SCHEMA}.dq_findings where person_key is null"
            " order by rule_id, period, area_name").pl()
        money = con.sql(
            "select rule_id, coalesce(area_name, '未知') as area_name, coalesce(left(period, 7), '未知') as period,"
            " count(*) as findings, sum(amount) as amount"
            f" from {PUBLISHED_SCHEMA}.dq_findings where rule_id in {MONEY_RULES}"
            " group by all order by period, area_name, rule_id").pl()
    if "dq_summary" in tables:
        summary = con.sql(f"select * from {PUBLISHED_SCHEMA}.dq_summary").pl()
        summary = summary.drop([c for c in summary.columns if c == "person_key"])
    if "dq_reconciliation" in tables:
        present = _columns(con, "dq_reconciliation")
        wanted = [c for c in RECONCILIATION_COLUMNS if c in present]
        reconciliation = con.sql(
            f"select {', '.join(wanted)} from {PUBLISHED_SCHEMA}.dq_reconciliation"
            " order by indicator_code, period, area_name").pl()

    return DashboardData(
        version=str(version), published_at=published_at, indicators=indicators, areas=areas, values=values,
        latest_year=years[-1] if years else None, findings_by_rule=findings_by_rule,
        findings_for_indicators=findings_for_indicators, money_at_risk=money, summary=summary,
        reconciliation=reconciliation,
    )


def coverage_above_100(data: DashboardData) -> pl.DataFrame:
    """Every ratio-indicator row whose reported coverage exceeds 100% (rule A01), with its
    reconciliation where dq_reconciliation has one."""
    ratio_codes = data.indicators.filter(pl.col("kind") == "ratio")["indicator_code"].to_list()
    cases = data.values.filter(pl.col("indicator_code").is_in(ratio_codes) & (pl.col("reported_value") > 100))
    cases = cases.select("indicator_code", "period", "area_level", "area_name", "numerator", "denominator",
                         "value", "reported_value")
    if data.reconciliation is None:
        # Without the reconciliation mart, the source-side numerator follows from its definition
        # (indicators.md: reported_value = 100 * reported numerator / official denominator).
        cases = cases.with_columns((pl.col("reported_value") * pl.col("denominator") / 100).round(0)
                                   .alias("reported_numerator"))
    else:
        extra = [c for c in data.reconciliation.columns
                 if c not in ("value", "reported_value", "denominator", "numerator")]
        cases = cases.join(data.reconciliation.select(extra), on=["indicator_code", "period", "area_name"],
                           how="left")
    area_order = {name: i for i, name in enumerate(data.areas["area_name"].to_list())}
    return cases.with_columns(pl.col("area_name").replace_strict(area_order, default=99).alias("_order")) \
        .sort("indicator_code", "period", "_order").drop("_order")


def district(values: pl.DataFrame) -> pl.DataFrame:
    return values.filter(pl.col("area_name") == DISTRICT_NAME)
