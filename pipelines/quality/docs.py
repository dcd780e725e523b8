"""Make GX Data Docs open offline: GX pages load Bootstrap, jQuery, Font Awesome, Vega and
a logo from CDNs. Those tags are removed (the pages are server-rendered HTML and stay
readable: tables and texts; the collapsible sections are simply all open), the remote logo
is replaced by the local copy GX ships in static/, and a small local stylesheet stands in
for Bootstrap. Plain hyperlinks (<a href>) to GX's website are left: they load nothing."""

from __future__ import annotations

import re
from pathlib import Path

_REMOTE = r"""["']https?://[^"']+["']"""
_LINK = re.compile(r"<link\b[^>]*href=" + _REMOTE + r"[^>]*/?>", re.IGNORECASE)
_SCRIPT = re.compile(r"<script\b[^>]*src=" + _REMOTE + r"[^>]*>\s*</script>", re.IGNORECASE)
_IMG_SRC = re.compile(r"""(<img\b[^>]*src=)["']https?://[^"']+["']""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"@import\s+url\(\s*['\"]?https?://[^)]+\)\s*;?", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*['\"]?https?://[^)]*\)", re.IGNORECASE)
FALLBACK_CSS = """
body { font-family: system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; vertical-align: top; }
.text-danger, .fa-times { color: #b00020; } .text-success, .fa-check-circle { color: #137333; }
img { max-height: 48px; }
"""
_REMOTE_URL = re.compile(r"""(?:src|href)=["'](https?://[^"']+)["']|url\(\s*['"]?(https?://[^)'"]+)""", re.IGNORECASE)


def make_offline(site: Path) -> None:
    site = Path(site)
    for page in site.rglob("*.html"):
        depth = len(page.relative_to(site).parts) - 1
        static = "../" * depth + "static"
        text = page.read_text(encoding="utf-8")
        text = _LINK.sub("", text)
        text = _SCRIPT.sub("", text)
        text = _IMG_SRC.sub(lambda m: f'{m.group(1)}"{static}/images/logo-long.png"', text)
        text = _CSS_URL.sub("none", _CSS_IMPORT.sub("", text))
        text = text.replace("</head>", f"<style>{FALLBACK_CSS}</style></head>", 1)
        page.write_text(text, encoding="utf-8")
    for sheet in site.rglob("*.css"):
        text = sheet.read_text(encoding="utf-8")
        sheet.write_text(_CSS_URL.sub("none", _CSS_IMPORT.sub("", text)), encoding="utf-8")


def remote_resources(site: Path) -> list[tuple[Path, str]]:
    """(page, URL) of every remote resource a page would load (src=, <link href>, CSS url());
    plain <a href> links are not resources."""
    found = []
    for path in list(Path(site).rglob("*.html")) + list(Path(site).rglob("*.css")):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<(?:script|link|img|iframe|source)\b[^>]*>", text, re.IGNORECASE):
            found += [(path, m.group(1)) for m in _REMOTE_URL.finditer(tag) if m.group(1)]
        found += [(path, m.group(2)) for m in _REMOTE_URL.finditer(text) if m.group(2)]
    return found
