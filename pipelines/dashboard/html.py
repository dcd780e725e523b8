"""HTML building blocks: escaping, number formats, tables, the page frame.

Every text that comes from the data goes through `esc` (html.escape): a town name, a
finding's detail or a formula-like text such as `=HYPERLINK(` is shown as text, never
interpreted. `Safe` marks the few fragments this package builds itself.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re

SITE_TITLE = "奉化区残联“十四五”规划指标看板"
CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "北京时间")

# Defence in depth for free text from the data (finding details): an 15/18-digit run
# (an ID number) or a 64-hex run (a person key) is blanked before it reaches a page.
_ID_RUN = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_KEY_RUN = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32,}(?![0-9A-Fa-f])")

SMALL_COUNT = 5  # interface.md: breakdowns below town level suppress any count under 5
PUBLISHED_LEVELS = ("district", "town")


class Safe(str):
    """A fragment of HTML built here (not from the data): inserted as is."""


def esc(value) -> Safe:
    if isinstance(value, Safe):
        return value
    return Safe(html.escape("" if value is None else str(value), quote=True))


def scrub(value) -> str:
    """Free text from the data without anything that looks like an ID or a person key."""
    text = "" if value is None else str(value)
    return _KEY_RUN.sub("［已隐去］", _ID_RUN.sub("［已隐去］", text))


def suppress(count, area_level: str) -> str:
    """A count for display: below town level (village, community) a count under 5 is shown
    as "<5" (interface.md). The dashboard itself only shows district and town rows."""
    if count is None:
        return "—"
    if area_level not in PUBLISHED_LEVELS and count < SMALL_COUNT:
        return "<5"
    return f"{count:,.0f}"


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_value(value, unit: str, target=None) -> str:
    """Value with its unit: counts whole, rates one decimal, more (up to four) when fewer
    would show the target while the value is below it: 96.9977 against 97 is 96.998, not
    97.0 beside "not met"."""
    if is_missing(value):
        return "无数据"
    if unit in ("人", "人次", "户"):
        return f"{value:,.0f}"
    digits = 1
    while not is_missing(target) and value < target and round(value, digits) >= target and digits < 4:
        digits += 1
    return f"{value:,.{digits}f}"


def fmt_number(value, digits: int = 0) -> str:
    if is_missing(value):
        return "—"
    return f"{value:,.{digits}f}"


def fmt_target(target, unit: str, cumulative: bool = False) -> str:
    if is_missing(target):
        return "无目标"
    shown = f"{target:,.0f}" if unit in ("人", "人次", "户") else f"{target:g}"
    comparator = "" if unit == "%" and target == 100 else "≥ "
    return f"{comparator}{shown}{unit}" + ("（累计）" if cumulative else "")


def status_of(value, target) -> bool | None:
    if is_missing(value) or is_missing(target):
        return None
    return value >= target


def status_badge(status: bool | None) -> Safe:
    label, css = {True: ("达标", "ok"), False: ("未达标", "bad"), None: ("无数据", "none")}[status]
    return Safe(f'<span class="status {css}">{label}</span>')


def attribute_badge(attribute: str) -> Safe:
    css = "binding" if attribute == "约束性" else "indicative"
    return Safe(f'<span class="attr {css}">{esc(attribute)}</span>')


def table(headers: list[str], rows: list[list], css: str = "", row_attrs: list[dict] | None = None,
          numeric: set[int] | None = None) -> Safe:
    numeric = numeric or set()
    head = "".join(f"<th{' class=num' if i in numeric else ''}>{esc(h)}</th>" for i, h in enumerate(headers))
    body = []
    for r, row in enumerate(rows):
        attrs = "".join(f' {esc(k)}="{esc(v)}"' for k, v in (row_attrs[r] if row_attrs else {}).items())
        cells = "".join(f"<td{' class=num' if i in numeric else ''}>{esc(cell)}</td>" for i, cell in enumerate(row))
        body.append(f"<tr{attrs}>{cells}</tr>")
    return Safe(f'<div class="table-wrap"><table class="{esc(css)}"><thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(body)}</tbody></table></div>')


def note(text: str, css: str = "note") -> Safe:
    return Safe(f'<p class="{esc(css)}">{esc(text)}</p>')


def section(title: str, *parts: str, anchor: str = "") -> Safe:
    ident = f' id="{esc(anchor)}"' if anchor else ""
    return Safe(f'<section{ident}><h2>{esc(title)}</h2>{"".join(parts)}</section>')


PRIVACY_NOTE = ("隐私与小数抑制：本看板只展示全区和镇街两级的汇总数，不显示镇街以下（村、社区）的任何分组；"
                "按规定，镇街以下分组中小于5的计数一律隐去。页面不含身份证号、姓名或人员假名键。"
                "需要核查具体人员时，请在只读发布库中按规则编号查询（见 notebooks/）。")


def page(title: str, active: str, body: str, meta: str, indicator_links: list[tuple[str, str]]) -> str:
    nav_items = [("index.html", "总览"), ("heatmap.html", "镇街达标热力图"), ("quality.html", "数据质量")]
    nav = "".join(f'<a href="{href}"{" class=active" if href == active else ""}>{esc(label)}</a>'
                  for href, label in nav_items)
    indicator_nav = "".join(
        f'<a href="{esc(href)}" title="{esc(name)}"{" class=active" if href == active else ""}>{esc(code)}</a>'
        for href, code, name in ((h, label.split(" ", 1)[0], label) for h, label in indicator_links))
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src file: 'unsafe-inline' 'unsafe-eval' data: blob:; connect-src 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<title>{esc(title)} · {esc(SITE_TITLE)}</title>
<link rel="stylesheet" href="style.css">
<script src="plotly.min.js" charset="utf-8"></script>
</head>
<body>
<header>
  <div class="brand"><a href="index.html">{esc(SITE_TITLE)}</a></div>
  <nav class="main">{nav}</nav>
  <nav class="indicators"><span>指标：</span>{indicator_nav}</nav>
  <div class="meta">{meta}</div>
</header>
<main>
<h1>{esc(title)}</h1>
{body}
</main>
<footer><p>{esc(PRIVACY_NOTE)}</p></footer>
</body>
</html>
"""


STYLE = """
:root { --blue:#2b6cb0; --green:#2f855a; --red:#c53030; --grey:#718096; --line:#e2e8f0; --bg:#f7fafc; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:#1a202c; font-size:15px; line-height:1.55;
  font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif; }
header { background:#1a365d; color:#fff; padding:10px 24px; }
header a { color:#fff; text-decoration:none; }
.brand { font-size:19px; font-weight:700; }
nav { display:flex; flex-wrap:wrap; gap:4px 14px; margin-top:6px; }
nav.main a { padding:2px 10px; border-radius:4px; background:rgba(255,255,255,.08); }
nav a.active { background:#fff; color:#1a365d; }
nav.indicators { font-size:13px; gap:2px 8px; }
nav.indicators a { padding:0 6px; border-radius:3px; }
.meta { font-size:13px; color:#cbd5e0; margin-top:6px; }
main { max-width:1320px; margin:0 auto; padding:8px 24px 24px; }
h1 { font-size:22px; margin:14px 0 8px; }
h2 { font-size:18px; margin:0 0 10px; border-left:4px solid var(--blue); padding-left:8px; }
section { background:#fff; border:1px solid var(--line); border-radius:6px; padding:14px 16px; margin:14px 0; }
.cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(290px, 1fr)); gap:12px; }
.card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:10px 12px 4px; color:inherit;
  text-decoration:none; display:block; border-top:4px solid var(--grey); }
.card.ok { border-top-color:var(--green); } .card.bad { border-top-color:var(--red); }
.card:hover { box-shadow:0 2px 8px rgba(0,0,0,.12); }
.card .head { display:flex; justify-content:space-between; align-items:center; gap:6px; font-size:13px; color:var(--grey); }
.card .name { font-weight:600; font-size:14px; min-height:2.6em; margin:2px 0; }
.card .value { font-size:26px; font-weight:700; }
.card .value small { font-size:14px; font-weight:400; color:var(--grey); margin-left:2px; }
.card .target { font-size:13px; color:#4a5568; }
.status, .attr { display:inline-block; font-size:12px; padding:0 7px; border-radius:10px; white-space:nowrap; }
.status.ok { background:#c6f6d5; color:#22543d; } .status.bad { background:#fed7d7; color:#822727; }
.status.none { background:#edf2f7; color:#4a5568; }
.attr.binding { background:#feebc8; color:#7b341e; } .attr.indicative { background:#e2e8f0; color:#2d3748; }
.summary { display:flex; flex-wrap:wrap; gap:18px; margin:6px 0 12px; font-size:14px; }
.kpis { display:flex; flex-wrap:wrap; gap:28px; margin:6px 0 10px; }
.kpis div b { display:block; font-size:22px; }
.definition { background:var(--bg); border-left:3px solid var(--grey); padding:8px 12px; margin:8px 0; }
.table-wrap { overflow-x:auto; }
table { border-collapse:collapse; width:100%; font-size:13px; margin:6px 0; }
th, td { border-bottom:1px solid var(--line); padding:4px 8px; text-align:left; white-space:nowrap; }
th { background:var(--bg); font-weight:600; position:sticky; top:0; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
tr.district td { font-weight:600; background:#f0f5fb; }
.note { color:#4a5568; font-size:13px; }
.note.missing { background:#fffaf0; border:1px solid #fbd38d; padding:8px 12px; border-radius:4px; color:#744210; }
.two { display:grid; grid-template-columns:1fr 1fr; gap:14px; }
@media (max-width: 1000px) { .two { grid-template-columns:1fr; } }
footer { max-width:1320px; margin:0 auto; padding:6px 24px 24px; font-size:12px; color:var(--grey); }
"""
