"""Render the dashboard into <warehouse>/dashboard/, atomically.

Layout in the warehouse folder:

    dashboard -> dashboard-<version>-<nonce>/     a relative symlink, the only name readers use
    dashboard-<version>-<nonce>/                  index.html, indicator-Ixx.html, heatmap.html,
                                                  quality.html, style.css, plotly.min.js (once)

A render builds everything into `dashboard.building-<version>-<nonce>/`, renames it to
`dashboard-<version>-<nonce>/` and then points the `dashboard` link at it by `os.replace`
of a freshly made temporary symlink: a reader opening `dashboard/index.html` gets either
the old complete site or the new complete one. Pages link to each other relatively, so a
browser showing an old page follows links through the symlink into the current version;
older versions are therefore removed right after the swap. A render that fails removes
what it half-built at once; one killed half-way leaves a `dashboard.building-*` folder, a
`.dashboard.link-*` symlink or an unlinked version folder, and the next render removes them
(under a lock, so two renders never race).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import uuid
from pathlib import Path

import plotly.offline

from pipelines.dashboard import pages
from pipelines.dashboard.data import load
from pipelines.dashboard.html import STYLE
from pipelines.publish import DISK_ERRNOS

LINK_NAME = "dashboard"
VERSION_PREFIX = "dashboard-"
BUILDING_PREFIX = "dashboard.building-"
TEMP_LINK_PREFIX = ".dashboard.link-"
LOCK_NAME = ".dashboard.lock"


class DashboardNotWritten(OSError):
    """A full disk or a folder without write permission stopped the render."""


def render_dashboard(warehouse: Path) -> Path:
    """Render the dashboard of the published database; returns <warehouse>/dashboard/index.html."""
    warehouse = Path(warehouse)
    with _lock(warehouse):
        remove_leftovers(warehouse)
        data = load(warehouse)
        name = f"{VERSION_PREFIX}{_safe_name(data.version)}-{uuid.uuid4().hex[:8]}"
        building = warehouse / (BUILDING_PREFIX + name[len(VERSION_PREFIX):])
        try:
            building.mkdir()
            write_site(building, data)
            final = warehouse / name
            os.rename(building, final)
            _fsync(warehouse)
            swap_link(warehouse, name)
        except Exception as error:
            # The previous dashboard stays; the half-built one goes now, not at the next render:
            # on a full disk it only takes the room the operator is about to make.
            with contextlib.suppress(OSError):
                remove_leftovers(warehouse)
            if isinstance(error, OSError) and error.errno in DISK_ERRNOS:
                raise DashboardNotWritten(error.errno, (
                    f"无法写入仪表板（{error.strerror}），仍为上一版本。请检查磁盘空间和仓库目录 {warehouse} 的写权限。"
                    f" Could not write the dashboard into {warehouse} ({error.strerror}); the previous one stays."
                    " Check free disk space and write permission."), error.filename) from error
            raise
        remove_leftovers(warehouse)  # now: every version but the current one
    return warehouse / LINK_NAME / "index.html"


def write_site(folder: Path, data) -> list[Path]:
    site = pages.Site(data)
    files = {
        "plotly.min.js": plotly.offline.get_plotlyjs(),
        "style.css": STYLE,
        "index.html": pages.overview(site),
        "heatmap.html": pages.heatmap_page(site),
        "quality.html": pages.quality_page(site),
    }
    for code in site.codes:
        files[pages.indicator_href(code)] = pages.indicator_page(site, code)
    written = []
    for filename, content in files.items():
        path = folder / filename
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        written.append(path)
    _fsync(folder)
    return written


def current_version(warehouse: Path) -> str | None:
    """The folder name the `dashboard` link points at, or None."""
    link = Path(warehouse) / LINK_NAME
    return os.readlink(link) if link.is_symlink() else None


def swap_link(warehouse: Path, target_name: str) -> None:
    link = warehouse / LINK_NAME
    if link.exists() and not link.is_symlink():
        # A real folder from before this scheme: move it aside once (removed as a leftover).
        os.rename(link, warehouse / f"{BUILDING_PREFIX}legacy-{uuid.uuid4().hex[:8]}")
    temporary = warehouse / f"{TEMP_LINK_PREFIX}{uuid.uuid4().hex[:8]}"
    os.symlink(target_name, temporary, target_is_directory=True)  # relative: the warehouse can move
    os.replace(temporary, link)
    _fsync(warehouse)


def remove_leftovers(warehouse: Path) -> list[str]:
    """Half-built folders, stray temporary links and versions no longer linked."""
    warehouse = Path(warehouse)
    if not warehouse.is_dir():
        return []
    current = current_version(warehouse)
    removed = []
    for entry in warehouse.iterdir():
        name = entry.name
        if name.startswith(TEMP_LINK_PREFIX) and entry.is_symlink():
            entry.unlink()
        elif name.startswith(BUILDING_PREFIX) and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        elif name.startswith(VERSION_PREFIX) and name != current and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            continue
        removed.append(name)
    return removed


def _safe_name(version: str) -> str:
    return "".join(ch for ch in version if ch.isalnum())[:32] or "unversioned"


@contextlib.contextmanager
def _lock(warehouse: Path):
    """One render at a time per warehouse; the kernel drops the lock if the process dies."""
    warehouse.mkdir(parents=True, exist_ok=True)
    with open(warehouse / LOCK_NAME, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
