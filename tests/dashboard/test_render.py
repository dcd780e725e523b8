"""The rendered dashboard as files: complete, offline, private, escaped, swapped atomically."""

import json
import re
import threading
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.config import REFERENCE_DIR
from pipelines.dashboard import figures
from pipelines.dashboard.html import fmt_value, scrub, suppress
from pipelines.dashboard.render import LINK_NAME, current_version, remove_leftovers, render_dashboard
from pipelines.publish import published_path

CODES = [f"I{n:02d}" for n in range(1, 15)]
PAGES = {"index.html", "heatmap.html", "quality.html", *(f"indicator-{c}.html" for c in CODES)}
ID_RUN = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
HEX64 = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")


def page_texts(index: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in index.parent.iterdir() if p.suffix in (".html", ".css")}


def test_site_is_complete_with_plotly_js_once(rendered):
    folder = rendered.parent
    assert rendered.name == "index.html" and folder.name == LINK_NAME and folder.is_symlink()
    assert {p.name for p in folder.glob("*.html")} == PAGES
    assert [p.name for p in folder.glob("*.js")] == ["plotly.min.js"]
    assert (folder / "plotly.min.js").stat().st_size > 1_000_000
    for name, text in page_texts(rendered).items():
        if name.endswith(".html"):
            assert text.count('<script src="plotly.min.js"') == 1, name
            assert len(text) < 500_000 and "plotly.js v" not in text, f"{name} embeds plotly.js"
            assert text.rstrip().endswith("</html>")


def page_figures(text: str) -> list[dict]:
    """The figures a page draws: the data and layout arguments of each Plotly.newPlot."""
    decoder, figures = json.JSONDecoder(), []
    for call in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', text):
        data, end = decoder.raw_decode(text, call.end())
        layout, _ = decoder.raw_decode(text, re.compile(r"[\s,]*").match(text, end).end())
        figures.append({"data": data, "layout": layout})
    return figures


def test_every_figure_is_valid_for_plotly(rendered, rendered_with_quality):
    """The figures are written as plotly's JSON without validation (figures.py): plotly's
    own schema checks each of them here, property by property."""
    import plotly.graph_objects as go

    checked = 0
    for index in (rendered, rendered_with_quality):
        for name, text in page_texts(index).items():
            for figure in page_figures(text):
                try:
                    go.Figure(figure)
                except ValueError as invalid:
                    pytest.fail(f"{index.parent.name}/{name}: {invalid}")
                checked += 1
    assert checked >= 2 * (14 + 14 * 2 + 5)  # sparklines, trends and town bars, a heat map per year


def test_pages_reference_nothing_outside_the_folder(rendered):
    for name, text in page_texts(rendered).items():
        assert not re.search(r"https?://|//cdn|@import|url\(\s*['\"]?(https?:)?//", text, re.I), name
        for ref in re.findall(r'(?:src|href)="([^"]+)"', text):
            assert "/" not in ref and ":" not in ref and (rendered.parent / ref).exists(), (name, ref)
    assert "mapbox" not in page_texts(rendered)["index.html"].lower()


def test_overview_has_every_indicator_and_the_refresh_time(rendered, demo_warehouse):
    text = page_texts(rendered)["index.html"]
    for code in CODES:
        assert f'data-indicator="{code}"' in text
    con = duckdb.connect(str(published_path(demo_warehouse)), read_only=True)
    try:
        version = con.execute("select max(version) from marts.publish_version").fetchall()[0][0]
    finally:
        con.close()
    assert f"发布版本：{version}" in text and "刷新时间：" in text and "数据期间：2021–" in text
    for label in ("约束性", "预期性", "达标", "目标"):
        assert label in text


def test_no_id_number_person_key_or_village_in_any_page(rendered, rendered_with_quality, dash):
    villages = {line.split(",")[1] for line in (REFERENCE_DIR / "villages.csv").read_text(encoding="utf-8").splitlines()[1:]}
    towns = {line.split(",")[1] for line in (REFERENCE_DIR / "towns.csv").read_text(encoding="utf-8").splitlines()[1:]}
    villages -= towns
    for index in (rendered, rendered_with_quality):
        for name, text in page_texts(index).items():
            assert not ID_RUN.search(text), (name, ID_RUN.search(text).group())
            assert not HEX64.search(text), name
            assert dash.FAKE_KEY not in text
            found = [v for v in villages if v in text]
            assert not found, (name, found[:5])


def test_every_breakdown_is_district_or_town(rendered, demo_warehouse):
    """Nothing below town level is shown, so the under-5 suppression never has to hide a
    cell here; the rule itself is in html.suppress."""
    con = duckdb.connect(str(published_path(demo_warehouse)), read_only=True)
    try:
        areas = dict(con.execute("select area_name, area_level from marts.dim_area").fetchall())
    finally:
        con.close()
    shown = 0
    for name, text in page_texts(rendered).items():
        for area, level in re.findall(r'data-area="([^"]*)" data-level="([^"]*)"', text):
            assert areas.get(area) == level and level in ("district", "town"), (name, area, level)
            shown += 1
    assert shown > 14 * 13


def test_a_rate_below_its_target_never_shows_the_target():
    # 420 of 433 children in school: 96.9977% against 97%, not met; "97.0" or "97.00" beside
    # "not met" would read as a mistake (the demo's I09 in 2025).
    assert fmt_value(420 / 433 * 100, "%", 97.0) == "96.998"
    assert fmt_value(96.96, "%", 97.0) == "96.96"
    assert fmt_value(96.94, "%", 97.0) == "96.9"
    assert fmt_value(97.04, "%", 97.0) == "97.0"  # met: one decimal, rounded as usual
    assert fmt_value(96.99999, "%", 97.0) == "97.0000"  # four decimals at most
    assert fmt_value(96.99, "%", None) == "97.0" and fmt_value(116.0, "人", 120.0) == "116"
    # the figures' labels too: a town's bar, the district line, the yearly trend
    just_below = 420 / 433 * 100
    bars = figures.towns_bar(["西坞街道", "岳林街道"], [just_below, None], [False, None], 97.0, "%", just_below)
    assert bars["data"][0]["text"] == ["96.998", "无数据"]
    assert [a["text"] for a in bars["layout"]["annotations"]] == ["目标 97%", "全区 96.998%"]
    trend = figures.trend({"2024": (97.5, 96.0), "2025": (just_below, 97.0)}, None, "%", None)
    assert trend["data"][-1]["text"] == ["97.5", "96.998"]


def test_suppression_rule(dash):
    assert suppress(3, "village") == "<5" and suppress(0, "village") == "<5" and suppress(5, "village") == "5"
    assert suppress(3, "town") == "3" and suppress(1234, "district") == "1,234" and suppress(None, "town") == "—"
    assert scrub("号 330283199001011234 与 33028319900101123X，键 " + dash.FAKE_KEY) == "号 ［已隐去］ 与 ［已隐去］，键 ［已隐去］"


def test_text_from_the_data_is_escaped(rendered_with_quality, dash):
    texts = page_texts(rendered_with_quality)
    quality, i07 = texts["quality.html"], texts["indicator-I07.html"]
    assert "<script>alert" not in "".join(texts.values())
    assert "<b>松岙镇</b>" not in quality
    assert "=HYPERLINK(&quot;evil.example/x&quot;,&quot;点我&quot;) &lt;script&gt;alert(1)&lt;/script&gt;" in i07
    assert dash.HOSTILE_DETAIL.split(" 身份证")[0] not in i07  # only its escaped form


def test_quality_pages_with_and_without_the_quality_marts(rendered_with_quality, rendered_without_quality):
    missing = page_texts(rendered_without_quality)
    assert "数据质量结果尚未生成" in missing["quality.html"]
    assert "数据质量结果尚未生成" in missing["indicator-I05.html"]
    present = page_texts(rendered_with_quality)
    assert "数据质量结果尚未生成" not in present["quality.html"]
    for label in ("按规则与严重程度的发现数", "资金风险", "X02 注销后仍发放", "匹配且符合条件", "他镇街人员"):
        assert label in present["quality.html"], label


def test_render_swaps_atomically_and_cleans_leftovers(demo_warehouse, tmp_path, dash):
    warehouse = dash.copy_warehouse(demo_warehouse, tmp_path / "wh")
    first = render_dashboard(warehouse)
    old = current_version(warehouse)
    # leftovers of a killed render: a half-built folder, a temporary link, an unlinked version
    (warehouse / "dashboard.building-dead-0001").mkdir()
    (warehouse / "dashboard.building-dead-0001" / "index.html").write_text("<html>half", encoding="utf-8")
    (warehouse / ".dashboard.link-dead").symlink_to(old)
    (warehouse / "dashboard-orphan-0002").mkdir()

    reads, stop = [], threading.Event()

    def reader():
        while not stop.is_set():
            try:
                reads.append(first.read_text(encoding="utf-8"))
            except FileNotFoundError:
                reads.append("")

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        second = render_dashboard(warehouse)
        render_dashboard(warehouse)
    finally:
        stop.set()
        thread.join()
    assert second == first == warehouse / "dashboard" / "index.html"
    assert current_version(warehouse) != old
    assert reads and all(r.rstrip().endswith("</html>") and "data-indicator=\"I14\"" in r for r in reads)
    entries = sorted(p.name for p in warehouse.iterdir() if p.name.startswith(("dashboard", ".dashboard.link")))
    assert entries == ["dashboard", current_version(warehouse)]
    assert remove_leftovers(warehouse) == []


def test_render_replaces_a_plain_dashboard_folder(demo_warehouse, tmp_path, dash):
    warehouse = dash.copy_warehouse(demo_warehouse, tmp_path / "wh")
    (warehouse / "dashboard").mkdir()
    (warehouse / "dashboard" / "index.html").write_text("old", encoding="utf-8")
    index = render_dashboard(warehouse)
    assert (warehouse / "dashboard").is_symlink() and "data-indicator" in index.read_text(encoding="utf-8")
    assert not any(p.name.startswith("dashboard.building") for p in warehouse.iterdir())


def test_render_needs_a_published_database(tmp_path):
    with pytest.raises(FileNotFoundError, match="dpf refresh"):
        render_dashboard(tmp_path)
    assert not (tmp_path / "dashboard").exists()


def test_dashboard_asset_materialises(demo_warehouse, tmp_path, monkeypatch, dash):
    from pipelines.dashboard.assets import dashboard_asset
    from pipelines.resources import WarehouseResource

    monkeypatch.setenv("DAGSTER_DISABLE_TELEMETRY", "1")
    asset = dashboard_asset()
    assert asset.key == dg.AssetKey(["published", "dashboard"])
    assert dg.AssetKey(["published", "analytics"]) in asset.dependency_keys
    warehouse = dash.copy_warehouse(demo_warehouse, tmp_path / "wh")
    with dg.instance_for_test() as instance:
        result = dg.materialize([asset], instance=instance,
                                resources={"warehouse": WarehouseResource(warehouse_dir=str(warehouse))})
    assert result.success
    [event] = result.get_asset_materialization_events()
    assert event.asset_key == dg.AssetKey(["published", "dashboard"])
    metadata = event.materialization.metadata
    assert metadata["pages"].value == len(PAGES)
    assert (warehouse / "dashboard" / "index.html").exists()
