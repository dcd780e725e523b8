"""The plotly figures of the dashboard, and their HTML fragments.

A figure is plotly's own JSON form, a dict of `data` (traces) and `layout`, written by
`plotly.io.to_html` without validation: building them as `plotly.graph_objects` validated
every property on every assignment and took 0.9 s of the dashboard's 1.0-1.1 s per render,
at every scale (benchmarks/RESULTS.md). tests/dashboard/test_render.py validates every
figure of a rendered dashboard against plotly's schema instead.

Every figure is written with include_plotlyjs=False: the pages share one plotly.min.js
written beside them. A small template of our own replaces plotly's default (which would
add kilobytes of colour scales to every figure); numbers are rounded before they go into a
figure so the pages carry no long digit runs. Text from the data is HTML-escaped before it
reaches plotly, whose labels understand a few tags (<a href>, <b>).
"""

from __future__ import annotations

import html
import math

import plotly.io as pio

from pipelines.dashboard.html import fmt_value

FONT_FAMILY = ('"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
               '"WenQuanYi Micro Hei", sans-serif')
BLUE, RED, GREEN, GREY, ORANGE = "#2b6cb0", "#c53030", "#2f855a", "#a0aec0", "#dd6b20"
STATUS_COLOURS = {True: GREEN, False: RED, None: GREY}
ATTAINMENT_RANGE = (80, 110)  # heat-map colour range of value / target, %
PALETTE = ["#2b6cb0", "#dd6b20", "#2f855a", "#c53030", "#6b46c1", "#b7791f", "#319795", "#d53f8c",
           "#4a5568", "#718096", "#38a169", "#e53e3e", "#805ad5", "#3182ce", "#975a16"]

TEMPLATE = {"layout": {
    "font": {"family": FONT_FAMILY, "size": 13, "color": "#1a202c"},
    "paper_bgcolor": "white", "plot_bgcolor": "white", "colorway": PALETTE,
    "xaxis": {"showgrid": False, "linecolor": "#cbd5e0", "ticks": "outside", "tickcolor": "#cbd5e0", "automargin": True},
    "yaxis": {"showgrid": True, "gridcolor": "#edf2f7", "zeroline": False, "automargin": True},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
    "hoverlabel": {"font": {"family": FONT_FAMILY}},
    "margin": {"l": 50, "r": 20, "t": 40, "b": 40},
}}

CONFIG = {"displaylogo": False, "responsive": True, "showSendToCloud": False,
          "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"]}

Figure = dict  # {"data": [trace, ...], "layout": {...}}: plotly's JSON form of a figure


def text(value) -> str:
    """Data text for a plotly label: escaped, so it is shown, never interpreted."""
    return html.escape("" if value is None else str(value), quote=True)


def num(value, digits: int = 2):
    """A number for a figure: rounded (short JSON, no long digit runs), None for null/NaN."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def with_template(fig: Figure, height: int) -> Figure:
    """The figure as written: our template and the height of its box."""
    return {"data": fig["data"], "layout": {**fig["layout"], "template": TEMPLATE, "height": height}}


def to_div(fig: Figure, height: int, static: bool = False) -> str:
    config = dict(CONFIG, staticPlot=True, displayModeBar=False) if static else CONFIG
    return pio.to_html(with_template(fig, height), full_html=False, include_plotlyjs=False, config=config,
                       default_width="100%", default_height=f"{height}px", validate=False)


def _hline(y, line: dict) -> dict:
    """A horizontal line across the plot at y (plotly's add_hline)."""
    return {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": y, "y1": y, "line": line}


def sparkline(years: list[str], values: list, targets: list, status_colour: str) -> Figure:
    return {
        "data": [
            {"type": "scatter", "x": years, "y": [num(t) for t in targets], "mode": "lines", "name": "目标",
             "line": {"color": GREY, "dash": "dot", "width": 1}, "hoverinfo": "skip"},
            {"type": "scatter", "x": years, "y": [num(v) for v in values], "mode": "lines+markers", "name": "数值",
             "line": {"color": status_colour, "width": 2}, "marker": {"size": 4}, "connectgaps": False},
        ],
        "layout": {"showlegend": False, "margin": {"l": 2, "r": 2, "t": 4, "b": 18},
                   "xaxis": {"showgrid": False, "ticks": "", "tickfont": {"size": 9}, "type": "category",
                             "linecolor": "#e2e8f0"},
                   "yaxis": {"visible": False}},
    }


def trend(annual: dict, monthly: dict | None, unit: str, reported: dict | None) -> Figure:
    """District values by year against the yearly targets; monthly values and the
    source-side (reported) figures when the indicator has them. Dicts: x -> (value, target)."""
    data = []
    if monthly:
        data.append({"type": "scatter", "x": [f"{m}-15" for m in monthly], "y": [num(v) for v, _ in monthly.values()],
                     "mode": "lines", "name": "月度值", "line": {"color": "#90cdf4", "width": 1.5},
                     "hovertemplate": "%{x|%Y-%m}：%{y}" + unit + "<extra>月度值</extra>"})
    x_years = [f"{y}-12-31" if monthly else y for y in annual]
    data.append({"type": "scatter", "x": x_years, "y": [num(t) for _, t in annual.values()], "mode": "lines+markers",
                 "name": "年度目标", "line": {"color": ORANGE, "dash": "dash", "shape": "hv" if monthly else "linear"},
                 "marker": {"symbol": "line-ew-open", "size": 14},
                 "hovertemplate": "%{y}" + unit + "<extra>目标</extra>"})
    if reported:
        data.append({"type": "scatter", "x": x_years, "y": [num(v) for v in reported.values()], "mode": "lines+markers",
                     "name": "报表口径", "line": {"color": GREY, "dash": "dot"},
                     "hovertemplate": "%{y}" + unit + "<extra>报表口径</extra>"})
    colours = [STATUS_COLOURS[(None if v is None or t is None else v >= t)] for v, t in annual.values()]
    data.append({"type": "scatter", "x": x_years, "y": [num(v) for v, _ in annual.values()],
                 "mode": "lines+markers+text", "name": "年度值（定义口径）", "line": {"color": BLUE, "width": 3},
                 "marker": {"size": 10, "color": colours, "line": {"color": "white", "width": 1}},
                 "text": [("" if v is None else fmt_value(v, unit, t)) for v, t in annual.values()],
                 "textposition": "top center", "hovertemplate": "%{y}" + unit + "<extra>年度值</extra>"})
    xaxis = ({"type": "date", "tickformat": "%Y", "dtick": "M12", "ticklabelmode": "period"} if monthly
             else {"type": "category"})
    return {"data": data, "layout": {
        "xaxis": xaxis,
        "yaxis": {"title": {"text": text(unit)}, "rangemode": "tozero" if unit != "%" else "normal"},
    }}


def towns_bar(towns: list[str], values: list, statuses: list, target, unit: str, district_value) -> Figure:
    bars = {"type": "bar", "x": [text(t) for t in towns], "y": [num(v) for v in values],
            "marker": {"color": [STATUS_COLOURS[s] for s in statuses]}, "name": "镇街",
            "text": [fmt_value(v, unit, target) for v in values], "textposition": "outside",
            "hovertemplate": "%{x}：%{y}" + unit + "<extra></extra>", "cliponaxis": False}
    shapes, labels = [], []
    if target is not None:
        shapes.append(_hline(num(target), {"color": ORANGE, "dash": "dash", "width": 2}))
        labels.append((target, f"目标 {target:g}{unit}", ORANGE))
    if district_value is not None:
        shapes.append(_hline(num(district_value), {"color": BLUE, "dash": "dot", "width": 1.5}))
        labels.append((district_value, f"全区 {fmt_value(district_value, unit, target)}{unit}", BLUE))
    annotations = [  # beside the plot, not over the bars
        {"x": 1.0, "xref": "paper", "xanchor": "left", "y": num(y), "yref": "y", "text": label, "showarrow": False,
         "font": {"color": colour, "size": 12}, "yshift": 8 if i == 0 else -8}
        for i, (y, label, colour) in enumerate(labels)
    ]
    yaxis = {"title": {"text": text(unit)}}
    present = [v for v in values if v is not None]
    if unit == "%" and present:
        # Rates near their target differ by a few points: start the axis below the lowest
        # bar (stated in the page) so the differences between towns can be seen.
        low = min(present + ([target] if target is not None else []))
        high = max(present + ([target] if target is not None else []))
        if low > 20 and high - low < 40:
            yaxis["range"] = [max(0, math.floor(low - (high - low) * 0.5 - 3)), high + (high - low) * 0.15 + 2]
    layout = {"showlegend": False, "bargap": 0.35, "margin": {"r": 110}, "yaxis": yaxis}
    if shapes:
        layout |= {"shapes": shapes, "annotations": annotations}
    return {"data": [bars], "layout": layout}


def official_vs_reported(towns: list[str], official: list, reported: list, unit: str) -> Figure:
    x = [text(t) for t in towns]
    layout = {"barmode": "group", "yaxis": {"title": {"text": text(unit)}}}
    if unit == "%":
        layout["shapes"] = [_hline(100, {"color": RED, "dash": "dot", "width": 1})]
        layout["annotations"] = [{"text": "100%", "showarrow": False, "xref": "x domain", "x": 0, "xanchor": "left",
                                  "yref": "y", "y": 100, "yanchor": "bottom"}]
    return {"data": [
        {"type": "bar", "x": x, "y": [num(v) for v in official], "name": "定义口径", "marker": {"color": BLUE}},
        {"type": "bar", "x": x, "y": [num(v) for v in reported], "name": "报表口径", "marker": {"color": GREY}},
    ], "layout": layout}


def attainment_heatmap(rows: list[str], columns: list[str], column_names: list[str], z: list[list],
                       labels: list[list[str]], hover: list[list[str]]) -> Figure:
    """Target attainment (value / target, %), shown from 80 to 110: orange to red below
    100 (not met), green at or above it. Cells without a judgement stay grey."""
    low, high = ATTAINMENT_RANGE
    step = (100 - low) / (high - low)
    colourscale = [[0.0, "#9b2c2c"], [step * 0.5, "#f56565"], [step - 0.0001, "#fbd38d"], [step, "#c6f6d5"],
                   [1.0, "#276749"]]
    return {"data": [{
        "type": "heatmap", "z": z, "x": columns, "y": [text(r) for r in rows], "zmin": low, "zmax": high,
        "colorscale": colourscale, "xgap": 2, "ygap": 2, "text": labels, "texttemplate": "%{text}",
        "textfont": {"size": 12}, "customdata": hover, "hoverongaps": False,
        "hovertemplate": "%{y} · %{customdata}<extra></extra>",
        "colorbar": {"title": {"text": "达成度"}, "tickvals": [low, 90, 100, high],
                     "ticktext": [f"≤{low}%", "90%", "100%", f"≥{high}%"]},
    }], "layout": {
        "xaxis": {"side": "top", "tickvals": columns, "ticktext": [text(n) for n in column_names], "tickangle": 0,
                  "showgrid": False},
        "yaxis": {"autorange": "reversed", "showgrid": False},
        "margin": {"l": 90, "r": 20, "t": 50, "b": 10}, "plot_bgcolor": "#e2e8f0",
    }}


def findings_over_time(series: dict[str, dict[str, int]], years: list[str]) -> Figure:
    """Stacked bars: findings per year, one trace per rule (name carries the severity)."""
    return {"data": [
        {"type": "bar", "x": years, "y": [counts.get(y, 0) for y in years], "name": text(name),
         "marker": {"color": PALETTE[i % len(PALETTE)]},
         "hovertemplate": "%{x}：%{y:,} 条<extra>" + text(name) + "</extra>"}
        for i, (name, counts) in enumerate(series.items())
    ], "layout": {
        "barmode": "stack", "legend": {"orientation": "v", "y": 1, "x": 1.02, "yanchor": "top"}, "margin": {"r": 220},
        "xaxis": {"type": "category", "title": {"text": "年份"}}, "yaxis": {"title": {"text": "发现数（条）"}},
    }}


def money_by_month(months: list[str], by_town: dict[str, list]) -> Figure:
    return {"data": [
        {"type": "bar", "x": months, "y": [num(a) for a in amounts], "name": text(town),
         "marker": {"color": PALETTE[i % len(PALETTE)]},
         "hovertemplate": "%{x}：%{y:,.2f} 元<extra>" + text(town) + "</extra>"}
        for i, (town, amounts) in enumerate(by_town.items())
    ], "layout": {
        "barmode": "stack", "legend": {"orientation": "v", "y": 1, "x": 1.02, "yanchor": "top"}, "margin": {"r": 140},
        "xaxis": {"type": "category", "title": {"text": "发放月份"}, "tickangle": -45},
        "yaxis": {"title": {"text": "涉及金额（元）"}, "tickformat": ","},
    }}
