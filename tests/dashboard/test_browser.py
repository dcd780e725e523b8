"""The dashboard in a real browser: the system Chromium (scripts/install-browser.sh), driven
headless by Playwright. Every page loads from disk with no console error and no request
leaving file://; the overview shows all 14 indicators (screenshot kept in
test-artifacts/overview.png); the DQ page lists every coverage-above-100% case."""

import os
from pathlib import Path

import pytest

from pipelines.config import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CODES = [f"I{n:02d}" for n in range(1, 15)]
PAGES = ["index.html", "heatmap.html", "quality.html", *(f"indicator-{c}.html" for c in CODES)]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: run scripts/install-browser.sh (Debian chromium and fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


class Tab:
    """One browser tab; each visit records its console errors, uncaught errors and requests.
    One tab for many pages: a fresh context per page would parse plotly.js anew each time."""

    def __init__(self, browser):
        self.errors, self.requests = [], []
        self.context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url}"))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def visit(self, path: Path) -> "Tab":
        self.errors.clear()
        self.requests.clear()
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_function("() => !document.querySelector('.plotly-graph-div') || "
                                    "document.querySelectorAll('.plotly-graph-div .main-svg').length > 0")
        return self

    def close(self):
        self.context.close()


@pytest.fixture
def tab(browser):
    opened = Tab(browser)
    yield opened
    opened.close()


def check_pages(tab: Tab, index: Path) -> None:
    for name in PAGES:
        tab.visit(index.parent / name)
        assert tab.errors == [], (name, tab.errors)
        outside = [u for u in tab.requests if not u.startswith("file://")]
        assert outside == [], (name, outside)
        assert any(u.endswith("/plotly.min.js") for u in tab.requests), name
        plots = tab.page.locator(".plotly-graph-div").count()
        drawn = tab.page.locator(".plotly-graph-div .main-svg").count()
        # plotly.js loaded and drew every figure (a DQ page without quality marts may have none)
        assert drawn >= plots and (plots > 0 or name == "quality.html"), (name, plots, drawn)
        assert tab.page.locator("h1").inner_text().strip()


def test_every_page_renders_offline_without_errors(tab, rendered):
    check_pages(tab, rendered)


def test_every_page_renders_with_quality_marts(tab, rendered_with_quality):
    check_pages(tab, rendered_with_quality)


def test_overview_shows_the_14_indicators(tab, rendered):
    visit = tab.visit(rendered)
    cards = visit.page.locator("a.card[data-indicator]")
    assert sorted(cards.evaluate_all("els => els.map(e => e.dataset.indicator)")) == CODES
    for i in range(cards.count()):
        card = cards.nth(i)
        assert card.locator(".value").inner_text().strip()
        assert card.locator(".status").inner_text() in ("达标", "未达标", "无数据")
        assert card.locator(".attr").inner_text() in ("约束性", "预期性")
        assert card.locator(".plotly-graph-div .main-svg").count() >= 1  # the sparkline
    assert "刷新时间" in visit.page.locator("header .meta").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    visit.page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)
    assert (ARTIFACTS / "overview.png").stat().st_size > 50_000


@pytest.mark.parametrize("which", ["rendered", "rendered_with_quality"])
def test_quality_page_lists_every_coverage_case(tab, which, request, dash):
    index = request.getfixturevalue(which)
    warehouse = Path(os.path.realpath(index.parent)).parent
    expected = dash.coverage_cases(warehouse)
    assert expected, "the default demo injects A01 cases"
    visit = tab.visit(index.parent / "quality.html")
    rows = visit.page.locator("table.coverage tbody tr[data-case]")
    listed = set(rows.evaluate_all("els => els.map(e => e.dataset.case)"))
    assert listed == expected
    headers = visit.page.locator("table.coverage thead th").all_inner_texts()
    assert "报表口径分子" in headers
    if which == "rendered_with_quality":
        assert "他镇街人员" in headers and "匹配且符合条件" in headers


def test_indicator_page_sections(tab, rendered):
    visit = tab.visit(rendered.parent / "indicator-I05.html")
    titles = visit.page.locator("section h2").all_inner_texts()
    for title in ("口径说明", "全区走势与年度目标", "12 个镇街对比", "分子与分母", "报表口径与定义口径", "相关数据质量发现"):
        assert any(title in t for t in titles), (title, titles)
    assert visit.page.locator("tr[data-level=town]").count() >= 12
