"""The pages: overview, one per indicator, the towns x indicators heat map, data quality.
Each function returns the page's HTML (figures inline, plotly.js shared)."""

from __future__ import annotations

import polars as pl

from pipelines.config import DISTRICT_NAME
from pipelines.dashboard import figures
from pipelines.dashboard.data import (
    INDICATOR_SOURCES, MONEY_RULES, RULE_NAMES, SEVERITY_NAMES, DashboardData, coverage_above_100,
)
from pipelines.dashboard.html import (
    CHINA_TIME, Safe, attribute_badge, esc, fmt_number, fmt_target, fmt_value, is_missing, note, page, scrub,
    section, status_badge, status_of, suppress, table,
)

QUALITY_MISSING = "数据质量结果尚未生成：发布库中还没有 dq_findings / dq_summary / dq_reconciliation。完成数据质量检查的刷新后，这里会显示相应内容。"
SOURCE_NAMES = {"registry": "残疾人证登记", "subsidy": "补贴发放", "employment": "就业与培训", "survey": "年度调查",
                "indicator": "指标"}
KIND_NAMES = {"ratio": "比率", "count": "计数", "growth": "增长率"}
PERIOD_NAMES = {"year": "年度", "month": "月度（年度值取当年最新月份）", "year_cumulative": "年度累计"}
COUNT_UNITS = ("人", "人次", "户")


def indicator_href(code: str) -> str:
    return f"indicator-{code}.html"


class Site:
    """The shared context of every page: the data and the header line."""

    def __init__(self, data: DashboardData):
        self.data = data
        self.info = {row["indicator_code"]: row for row in data.indicators.iter_rows(named=True)}
        self.codes = list(self.info)
        self.links = [(indicator_href(c), f"{c} {self.info[c]['name_zh']}") for c in self.codes]
        years = data.years
        span = f"{years[0]}–{years[-1]} 年" if years else "无"
        refreshed = ("未知" if data.published_at is None
                     else data.published_at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M（北京时间）"))
        self.meta = Safe(f"数据期间：{esc(span)}（最新 {esc(data.latest_year or '无')} 年） · "
                         f"刷新时间：{esc(refreshed)} · 发布版本：{esc(data.version)}")
        self.latest = data.values.filter(pl.col("period") == data.latest_year) if data.latest_year else data.values.clear()

    def render(self, title: str, href: str, body: str) -> str:
        return page(title, href, body, self.meta, self.links)

    def annual(self, code: str, area: str = DISTRICT_NAME) -> pl.DataFrame:
        return self.data.values.filter((pl.col("indicator_code") == code) & (pl.col("area_name") == area)
                                       & (pl.col("period").str.len_chars() == 4)).sort("period")

    def monthly(self, code: str, area: str = DISTRICT_NAME) -> pl.DataFrame:
        return self.data.values.filter((pl.col("indicator_code") == code) & (pl.col("area_name") == area)
                                       & (pl.col("period").str.len_chars() == 7)).sort("period")

    def latest_row(self, code: str, area: str = DISTRICT_NAME) -> dict | None:
        rows = self.latest.filter((pl.col("indicator_code") == code) & (pl.col("area_name") == area))
        return rows.row(0, named=True) if rows.height else None

    def as_of(self, code: str) -> str | None:
        """For a monthly indicator: the month the latest annual value shows."""
        if self.info[code]["period_kind"] != "month" or not self.data.latest_year:
            return None
        months = self.monthly(code).filter(pl.col("period").str.starts_with(self.data.latest_year)
                                           & pl.col("value").is_not_null())
        return months["period"].max() if months.height else None

    def target_text(self, code: str, target) -> str:
        info = self.info[code]
        return fmt_target(target, info["unit"], info["period_kind"] == "year_cumulative")


# --- overview -----------------------------------------------------------------------

def overview(site: Site) -> str:
    data = site.data
    cards, counts = [], {True: 0, False: 0, None: 0}
    for code in site.codes:
        info, row = site.info[code], site.latest_row(code)
        value, target = (row["value"], row["target"]) if row else (None, None)
        status = status_of(value, target)
        counts[status] += 1
        history = site.annual(code)
        spark = figures.sparkline(history["period"].to_list(), history["value"].to_list(),
                                  history["target"].to_list(), figures.STATUS_COLOURS[status])
        as_of = site.as_of(code)
        css = {True: "ok", False: "bad", None: "none"}[status]
        cards.append(
            f'<a class="card {css}" href="{indicator_href(code)}" data-indicator="{esc(code)}">'
            f'<div class="head"><span>{esc(code)}</span>{attribute_badge(info["attribute"])}</div>'
            f'<div class="name">{esc(info["name_zh"])}</div>'
            f'<div class="value">{esc(fmt_value(value, info["unit"], target))}<small>{esc(info["unit"]) if not is_missing(value) else ""}</small> '
            f'{status_badge(status)}</div>'
            f'<div class="target">目标 {esc(site.target_text(code, target))}'
            f'{esc(f" · 取 {as_of} 月值") if as_of else ""}</div>'
            f'{figures.to_div(spark, 70, static=True)}</a>')
    summary = Safe(
        f'<div class="summary"><span>{esc(data.latest_year or "")} 年全区：</span>'
        f'<span>{status_badge(True)} {counts[True]} 项</span><span>{status_badge(False)} {counts[False]} 项</span>'
        f'<span>{status_badge(None)} {counts[None]} 项</span>'
        f'<span class="note">卡片下方为 {esc("–".join(data.years[:1] + data.years[-1:]) if data.years else "")} 年全区走势（虚线为目标）；点击卡片查看指标详情。</span></div>')
    body = summary + Safe(f'<div class="cards">{"".join(cards)}</div>')
    return site.render(f"{data.latest_year or ''} 年 14 项主要指标总览", "index.html", body)


# --- one page per indicator -----------------------------------------------------------

def indicator_page(site: Site, code: str) -> str:
    data, info = site.data, site.info[code]
    unit, kind = info["unit"], info["kind"]
    row = site.latest_row(code)
    value, target = (row["value"], row["target"]) if row else (None, None)
    as_of = site.as_of(code)
    sources = "、".join(SOURCE_NAMES[s] for s in INDICATOR_SOURCES.get(code, ()))
    kpis = Safe(
        '<div class="kpis">'
        f'<div>{esc(data.latest_year or "")} 年全区<b>{esc(fmt_value(value, unit, target))}{esc(unit) if not is_missing(value) else ""}</b></div>'
        f'<div>目标<b>{esc(site.target_text(code, target))}</b></div>'
        f'<div>状态<b>{status_badge(status_of(value, target))}</b></div>'
        f'<div>属性<b>{attribute_badge(info["attribute"])}</b></div></div>')
    about = section(
        "口径说明",
        kpis,
        Safe(f'<div class="definition">{esc(info["definition_zh"])}</div>'),
        note(f"类型：{KIND_NAMES.get(kind, kind)}；单位：{unit}；期间：{PERIOD_NAMES.get(info['period_kind'], info['period_kind'])}"
             f"{'（' + data.latest_year + ' 年取 ' + as_of + '）' if as_of else ''}；数据来源：{sources}。"),
    )

    # Trend: district by year against the yearly targets (monthly line for I04-I06).
    annual = site.annual(code)
    monthly = site.monthly(code)
    trend = figures.trend(
        {r["period"]: (r["value"], r["target"]) for r in annual.iter_rows(named=True)},
        {r["period"]: (r["value"], r["target"]) for r in monthly.iter_rows(named=True)} if monthly.height else None,
        unit,
        {r["period"]: r["reported_value"] for r in annual.iter_rows(named=True)} if info["has_reported_value"] else None,
    )
    trend_part = section("全区走势与年度目标", figures.to_div(trend, 380),
                         note("实线为定义口径年度值（绿点达标、红点未达标），橙色虚线为当年目标"
                              + ("，灰色点线为报表口径值" if info["has_reported_value"] else "")
                              + ("，浅蓝线为各月值" if monthly.height else "") + "。"))

    # Towns compared in the latest year.
    towns = site.latest.filter((pl.col("indicator_code") == code) & (pl.col("area_level") == "town"))
    order = {name: i for i, name in enumerate(data.towns)}
    towns = towns.with_columns(pl.col("area_name").replace_strict(order, default=99).alias("_o")).sort("_o")
    town_target = None if unit in COUNT_UNITS else target
    statuses = [None if town_target is None else status_of(v, t)
                for v, t in zip(towns["value"].to_list(), towns["target"].to_list())]
    bars = figures.towns_bar(towns["area_name"].to_list(), towns["value"].to_list(), statuses, town_target, unit,
                             None if unit in COUNT_UNITS else value)
    towns_note = ("计数指标的目标只设全区，不分解到镇街，故镇街不判定达标。" if unit in COUNT_UNITS
                  else "橙色虚线为目标，蓝色点线为全区值；绿色柱达标，红色柱未达标。比率的纵轴可能不从 0 开始，以便看清镇街间差异。")
    towns_part = section(f"{data.latest_year or ''} 年 12 个镇街对比", figures.to_div(bars, 380), note(towns_note))

    counts_part = section("分子与分母", numerator_tables(site, code))
    reported_part = reported_section(site, code) if info["has_reported_value"] else Safe("")
    quality_part = indicator_quality(site, code)
    body = about + trend_part + towns_part + counts_part + reported_part + quality_part
    return site.render(f"{code} {info['name_zh']}", indicator_href(code), body)


def _measure_names(code: str, kind: str, unit: str) -> tuple[str, str]:
    if kind == "growth":
        return "当年收入合计（元）", "上年收入合计（元）"
    if kind == "count":
        return f"计数（{unit}）", "—"
    return "分子（人）", "分母（人）"


def numerator_tables(site: Site, code: str) -> Safe:
    info = site.info[code]
    unit, kind = info["unit"], info["kind"]
    numerator_name, denominator_name = _measure_names(code, kind, unit)
    headers = ["区域", numerator_name, denominator_name, f"数值（{unit}）", f"报表口径（{unit}）", "目标", "状态"]
    rows, attrs = [], []
    latest = site.latest.filter(pl.col("indicator_code") == code)
    by_area = {r["area_name"]: r for r in latest.iter_rows(named=True)}
    for area in site.data.areas.iter_rows(named=True):
        r = by_area.get(area["area_name"])
        if r is None:
            continue
        level = r["area_level"]
        status = status_of(r["value"], r["target"]) if (level == "district" or unit not in COUNT_UNITS) else None
        digits = 0
        rows.append([r["area_name"], suppress(r["numerator"], level) if kind != "growth" else fmt_number(r["numerator"], digits),
                     "—" if r["denominator"] is None else (suppress(r["denominator"], level) if kind != "growth" else fmt_number(r["denominator"])),
                     fmt_value(r["value"], unit, r["target"]), fmt_value(r["reported_value"], unit) if r["reported_value"] is not None else "—",
                     fmt_target(r["target"], unit) if (level == "district" or unit not in COUNT_UNITS) else "（仅全区）",
                     {True: "达标", False: "未达标", None: "—"}[status]])
        attrs.append({"class": "district" if level == "district" else "town", "data-area": r["area_name"],
                      "data-level": level})
    latest_table = table(headers, rows, row_attrs=attrs, numeric={1, 2, 3, 4})

    history = site.annual(code)
    hist_rows = [[r["period"], fmt_number(r["numerator"]), fmt_number(r["denominator"]),
                  fmt_value(r["value"], unit, r["target"]), fmt_target(r["target"], unit),
                  {True: "达标", False: "未达标", None: "无数据"}[status_of(r["value"], r["target"])]]
                 for r in history.iter_rows(named=True)]
    history_table = table(["年份", numerator_name, denominator_name, f"数值（{unit}）", "目标", "状态"], hist_rows,
                          numeric={1, 2, 3})
    return Safe(f'<div class="two"><div><h3>{esc(site.data.latest_year or "")} 年各区域</h3>{latest_table}</div>'
                f'<div><h3>全区历年</h3>{history_table}</div></div>')


def reported_section(site: Site, code: str) -> Safe:
    """Reported (source-side) vs official where they differ (indicators.md: reported_value)."""
    info = site.info[code]
    unit = info["unit"]
    rows = site.data.values.filter((pl.col("indicator_code") == code) & (pl.col("period").str.len_chars() == 4)
                                   & pl.col("reported_value").is_not_null() & pl.col("value").is_not_null()
                                   & ((pl.col("reported_value") - pl.col("value")).abs() >= 0.05))
    rows = rows.with_columns((pl.col("reported_value") - pl.col("value")).alias("diff")).sort(
        "period", "diff", descending=[True, True])
    parts = [note("报表口径按数据源自身的镇街栏目统计，不核对登记库（是否在册、是否属于目标人群、所属镇街）；"
                  "与定义口径不一致时，说明手工汇总口径存在差错。报表口径超过 100% 的情形见数据质量页。")]
    latest = site.latest.filter((pl.col("indicator_code") == code) & (pl.col("area_level") == "town"))
    if latest.filter(pl.col("reported_value").is_not_null()).height:
        order = {name: i for i, name in enumerate(site.data.towns)}
        latest = latest.with_columns(pl.col("area_name").replace_strict(order, default=99).alias("_o")).sort("_o")
        fig = figures.official_vs_reported(latest["area_name"].to_list(), latest["value"].to_list(),
                                           latest["reported_value"].to_list(), unit)
        parts.append(Safe(f"<h3>{esc(site.data.latest_year or '')} 年各镇街两种口径</h3>") + figures.to_div(fig, 340))
    if rows.height:
        parts.append(table(
            ["年份", "区域", f"定义口径（{unit}）", f"报表口径（{unit}）", "差值", "分母"],
            [[r["period"], r["area_name"], fmt_value(r["value"], unit), fmt_value(r["reported_value"], unit),
              f"{r['diff']:+,.1f}", fmt_number(r["denominator"])] for r in rows.iter_rows(named=True)],
            row_attrs=[{"data-area": r["area_name"], "data-level": r["area_level"]} for r in rows.iter_rows(named=True)],
            numeric={2, 3, 4, 5}))
    else:
        parts.append(note("各年度、各区域的报表口径与定义口径一致（差值小于 0.05）。"))
    return section("报表口径与定义口径", *parts, anchor="reported")


def indicator_quality(site: Site, code: str) -> Safe:
    data = site.data
    if not data.has_quality:
        return section("相关数据质量发现", note(QUALITY_MISSING, "note missing"), anchor="quality")
    parts = []
    own = data.findings_for_indicators.filter(pl.col("indicator_code") == code)
    if own.height:
        shown = own.head(200)
        parts.append(Safe("<h3>本指标的异常（按区域与期间）</h3>"))
        parts.append(table(["规则", "严重程度", "区域", "期间", "说明"],
                           [[f"{r['rule_id']} {RULE_NAMES.get(r['rule_id'], '')}", SEVERITY_NAMES.get(r["severity"], r["severity"]),
                             r["area_name"] or "—", r["period"] or "—", scrub(r["detail"])]
                            for r in shown.iter_rows(named=True)]))
        if own.height > shown.height:
            parts.append(note(f"另有 {own.height - shown.height} 条未列出。"))
    else:
        parts.append(note("没有直接针对本指标的异常发现（A01、A02、A05 等）。"))
    sources = INDICATOR_SOURCES.get(code, ())
    rows = data.findings_by_rule.filter(pl.col("source").is_in(list(sources)))
    if rows.height:
        pivot = rows.group_by("rule_id", "severity", "source", "year").agg(pl.col("findings").sum())
        years = sorted(pivot["year"].unique().to_list())
        table_rows = []
        for (rule, severity, source), group in sorted(pivot.group_by("rule_id", "severity", "source"),
                                                      key=lambda g: g[0]):
            per_year = dict(zip(group["year"].to_list(), group["findings"].to_list()))
            table_rows.append([f"{rule} {RULE_NAMES.get(rule, '')}", SEVERITY_NAMES.get(severity, severity),
                               SOURCE_NAMES.get(source, source)] + [fmt_number(per_year.get(y)) for y in years]
                              + [fmt_number(sum(per_year.values()))])
        parts.append(Safe(f"<h3>数据来源（{esc('、'.join(SOURCE_NAMES[s] for s in sources))}）的行级发现数</h3>"))
        parts.append(table(["规则", "严重程度", "来源"] + years + ["合计"], table_rows,
                           numeric=set(range(3, 4 + len(years)))))
        parts.append(note("隔离的行不计入任何指标；警告的行照常计入，但可能使指标偏高或偏低。明细请在发布库中按规则查询。"))
    return section("相关数据质量发现", *parts, anchor="quality")


# --- heat map -------------------------------------------------------------------------

def heatmap_page(site: Site) -> str:
    data = site.data
    areas = data.areas["area_name"].to_list()
    parts = [note("颜色为目标达成度（数值 ÷ 目标）：绿色达标（≥100%），橙色至红色未达标（80% 及以下最深），灰色为无数据或不判定。"
                  "计数指标（I02、I03、I13）的目标只设全区，镇街格只显示数值。格内数字为指标值。")]
    for year in sorted(data.years, reverse=True):
        values = data.values.filter(pl.col("period") == year)
        cell = {(r["area_name"], r["indicator_code"]): r for r in values.iter_rows(named=True)}
        z, labels, hover = [], [], []
        met = {code: 0 for code in site.codes}
        for area in areas:
            z_row, l_row, h_row = [], [], []
            for code in site.codes:
                info, r = site.info[code], cell.get((area, code))
                unit = info["unit"]
                value, target = (r["value"], r["target"]) if r else (None, None)
                applicable = area == DISTRICT_NAME or unit not in COUNT_UNITS
                if applicable and not is_missing(value) and not is_missing(target) and target:
                    low, high = figures.ATTAINMENT_RANGE
                    attainment = max(low, min(high, 100 * value / target))
                    z_row.append(round(attainment, 1))
                else:
                    z_row.append(None)
                status = status_of(value, target) if applicable else None
                if status and area != DISTRICT_NAME:
                    met[code] += 1
                l_row.append("—" if is_missing(value) else fmt_value(value, unit, target))
                h_row.append(f"{code} {figures.text(info['name_zh'])}<br>数值 {fmt_value(value, unit, target)}"
                             f"{'' if is_missing(value) else unit} · 目标 "
                             f"{fmt_target(target, unit) if applicable else '仅全区'} · "
                             f"{ {True: '达标', False: '未达标', None: '不判定' if not applicable else '无数据'}[status] }")
            z.append(z_row)
            labels.append(l_row)
            hover.append(h_row)
        fig = figures.attainment_heatmap(areas, site.codes, [c for c in site.codes], z, labels, hover)
        met_table = table(["指标"] + site.codes, [["达标镇街数"] + [
            str(met[c]) if site.info[c]["unit"] not in COUNT_UNITS else "—" for c in site.codes]])
        parts.append(section(f"{year} 年", figures.to_div(fig, 560), met_table, anchor=f"y{year}"))
    legend = table(["编号", "指标", "属性"], [[c, site.info[c]["name_zh"], site.info[c]["attribute"]] for c in site.codes])
    parts.append(section("指标编号对照", legend))
    return site.render("镇街 × 指标 目标达成热力图", "heatmap.html", "".join(parts))


# --- data quality ---------------------------------------------------------------------

def quality_page(site: Site) -> str:
    data = site.data
    parts = []
    if not data.has_quality:
        parts.append(note(QUALITY_MISSING, "note missing"))
    else:
        parts.append(findings_section(data))
    parts.append(coverage_section(site))
    if data.has_quality:
        parts.append(money_section(data))
    else:
        parts.append(section("资金风险（X02-X04）", note(QUALITY_MISSING, "note missing"), anchor="money"))
    return site.render("数据质量", "quality.html", "".join(parts))


def findings_section(data: DashboardData) -> Safe:
    rows = data.findings_by_rule
    if rows.height == 0:
        return section("按规则与严重程度的发现数", note("本次刷新没有数据质量发现。"), anchor="findings")
    totals = rows.group_by("rule_id", "severity").agg(pl.col("findings").sum()).sort("rule_id", "severity")
    years = sorted(rows["year"].unique().to_list())
    series = {}
    for r in totals.iter_rows(named=True):
        name = f"{r['rule_id']} {RULE_NAMES.get(r['rule_id'], '')}（{SEVERITY_NAMES.get(r['severity'], r['severity'])}）"
        per = rows.filter((pl.col("rule_id") == r["rule_id"]) & (pl.col("severity") == r["severity"]))
        series[name] = dict(zip(per["year"].to_list(), per["findings"].to_list()))
    fig = figures.findings_over_time(series, years)
    table_rows = []
    for (rule, severity), group in sorted(rows.group_by("rule_id", "severity"), key=lambda g: g[0]):
        per_year = group.group_by("year").agg(pl.col("findings").sum())
        per_year = dict(zip(per_year["year"].to_list(), per_year["findings"].to_list()))
        sources = "、".join(sorted({SOURCE_NAMES.get(s, s) for s in group["source"].to_list()}))
        table_rows.append([rule, RULE_NAMES.get(rule, ""), SEVERITY_NAMES.get(severity, severity), sources]
                          + [fmt_number(per_year.get(y)) for y in years] + [fmt_number(sum(per_year.values()))])
    by_severity = rows.group_by("severity").agg(pl.col("findings").sum())
    headline = "；".join(f"{SEVERITY_NAMES.get(s, s)} {n:,} 条" for s, n in
                        sorted(zip(by_severity["severity"].to_list(), by_severity["findings"].to_list())))
    return section("按规则与严重程度的发现数", note(f"合计：{headline}。阻断：停止发布；隔离：该行不计入任何指标；警告：照常计入。"),
                   figures.to_div(fig, 420),
                   table(["规则", "说明", "严重程度", "来源"] + years + ["合计"], table_rows,
                         numeric=set(range(4, 5 + len(years)))), anchor="findings")


def coverage_section(site: Site) -> Safe:
    data = site.data
    cases = coverage_above_100(data)
    intro = ("报表口径覆盖率超过 100%（规则 A01）说明手工汇总把不属于分母人群的人计入了分子。下表逐一列出每个情形，"
             "并按核对结果拆分报表口径分子：与登记库匹配且符合条件的、属于其他镇街的、不在登记库的、期前已注销的、"
             "领取了补贴但不符合条件的。")
    parts = [note(intro)]
    if data.reconciliation is None:
        parts.append(note("核对明细（dq_reconciliation）尚未生成：下表仅列出发布库 indicator_values 中报表口径超过 100% 的行。",
                          "note missing"))
    if cases.height == 0:
        parts.append(note("没有报表口径超过 100% 的情形。"))
        return section("报表口径覆盖率超过 100% 的情形及核对", *parts, anchor="coverage")
    columns = [("indicator_code", "指标", None), ("period", "期间", None), ("area_name", "区域", None),
               ("value", "定义口径 %", 1), ("reported_value", "报表口径 %", 1), ("denominator", "分母", 0),
               ("numerator", "定义口径分子", 0), ("reported_numerator", "报表口径分子", 0),
               ("matched_eligible", "匹配且符合条件", 0), ("counted_by_other_town", "他镇街人员", 0),
               ("not_in_registry", "不在登记库", 0), ("cancelled_before_period", "期前已注销", 0),
               ("paid_not_eligible", "领取但不符合条件", 0)]
    columns = [c for c in columns if c[0] in cases.columns]
    rows, attrs = [], []
    for r in cases.iter_rows(named=True):
        cells = []
        for name, _, digits in columns:
            if digits is None:
                cells.append(r[name])
            elif digits == 0:
                cells.append(suppress(r[name], r["area_level"]) if not is_missing(r[name]) else "—")
            else:
                cells.append(fmt_number(r[name], digits))
        rows.append(cells)
        attrs.append({"data-case": f"{r['indicator_code']}|{r['period']}|{r['area_name']}",
                      "data-area": r["area_name"], "data-level": r["area_level"]})
    annual = cases.filter(pl.col("period").str.len_chars() == 4).height
    parts.append(note(f"共 {cases.height} 个情形（年度 {annual} 个，月度 {cases.height - annual} 个）。"))
    parts.append(table([c[1] for c in columns], rows, row_attrs=attrs, css="coverage",
                       numeric=set(range(3, len(columns)))))
    return section("报表口径覆盖率超过 100% 的情形及核对", *parts, anchor="coverage")


def money_section(data: DashboardData) -> Safe:
    money = data.money_at_risk
    title = "资金风险（X02 注销后发放、X03 同月重复发放、X04 金额超标）"
    if money is None or money.height == 0:
        return section(title, note("没有涉及资金的发现。"), anchor="money")
    towns = [t for t in data.areas["area_name"].to_list() if t in set(money["area_name"].to_list())]
    towns += sorted(set(money["area_name"].to_list()) - set(towns))
    months = sorted(money["period"].unique().to_list())
    by_month = money.group_by("area_name", "period").agg(pl.col("amount").sum())
    lookup = {(r["area_name"], r["period"]): r["amount"] for r in by_month.iter_rows(named=True)}
    fig = figures.money_by_month(months, {t: [lookup.get((t, m)) for m in months] for t in towns})
    by_town = money.group_by("area_name", "rule_id").agg(pl.col("amount").sum(), pl.col("findings").sum())
    cell = {(r["area_name"], r["rule_id"]): r for r in by_town.iter_rows(named=True)}
    rows = []
    for town in towns:
        amounts = [cell.get((town, rule), {}).get("amount") for rule in MONEY_RULES]
        findings = [cell.get((town, rule), {}).get("findings") for rule in MONEY_RULES]
        rows.append([town] + [f"{fmt_number(a, 2)}（{fmt_number(n)} 笔）" if a is not None else "—"
                              for a, n in zip(amounts, findings)]
                    + [fmt_number(sum(a or 0 for a in amounts), 2)])
    total = money["amount"].sum()
    return section(title, note(f"合计涉及金额 {fmt_number(total, 2)} 元，{fmt_number(money['findings'].sum())} 笔。"),
                   figures.to_div(fig, 420),
                   table(["镇街"] + [f"{r} {RULE_NAMES[r]}（元）" for r in MONEY_RULES] + ["合计（元）"], rows,
                         numeric={1, 2, 3, 4}), anchor="money")
