"""The landing folder: which files there are, their period and content hash.

Only files directly in <landing>/<source>/ count; manifest.json, other folders, sub-folders
and hidden files (".", "~$" lock files of office programs) are ignored. A file that leads
outside the landing folder (itself a symlink, or inside a symlinked source folder), a broken or
looping link, anything but a regular file, and a name with "..", are refused as a whole file
(F01 / F02): an extract must be delivered into the folder, not pointed at.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from pipelines.contract import CONTRACT, SOURCES, period_of
from pipelines.ingest.read import FileRejected


@dataclass(frozen=True)
class LandingFile:
    source: str
    path: Path  # as found under the landing folder
    relative: str  # "<source>/<name>", the source_file column
    period: str  # YYYYMM or YYYY


def discover(landing: Path, sources: tuple[str, ...] = SOURCES) -> tuple[list[LandingFile], list[FileRejected]]:
    """Landing files of the sources, sorted by source and period, and the files refused
    by name (F02) or place (F01: symlink outside the folder, not a regular file)."""
    landing = Path(landing)
    root = landing.resolve()
    files: list[LandingFile] = []
    rejected: list[FileRejected] = []
    for source in sources:
        folder = landing / source
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.name.startswith((".", "~$")):
                continue
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):  # a broken link, or a link loop (RuntimeError in 3.11)
                rejected.append(_not_regular(path))
                continue
            # The file itself, or its source folder, may be a link: what counts is where it leads.
            if not target.is_relative_to(root):
                rejected.append(
                    FileRejected(
                        "F01",
                        path,
                        f"文件 {path} 经由链接指向落地目录之外，不予读取。请把文件本身放入落地目录。"
                        f" File {path} is (or lies in) a link to outside the landing folder and is not read; "
                        f"put the file itself into the landing folder.",
                    )
                )
                continue
            if target.is_dir():
                continue  # sub-folders are not part of the contract
            if not target.is_file():  # a FIFO, a socket, a device: reading it could hang
                rejected.append(_not_regular(path))
                continue
            period = None if ".." in path.name else period_of(source, path.name)
            if period is None:
                kind = "YYYY" if CONTRACT[source].period_kind == "year" else "YYYYMM"
                rejected.append(
                    FileRejected(
                        "F02",
                        path,
                        f"文件 {path} 的文件名不符合约定，无法确定所属期间：应为 {source}_{kind}.csv 或 .xlsx"
                        f"（月份 01-12）。请按约定重命名后重新放入。 File {path}: the name does not give a period;"
                        f" expected {source}_{kind}.csv or .xlsx (month 01-12). Rename it and deliver it again.",
                    )
                )
                continue
            files.append(LandingFile(source, path, f"{source}/{path.name}", period))
    files.sort(key=lambda f: (SOURCES.index(f.source), f.period, f.relative))
    return files, rejected


def _not_regular(path: Path) -> FileRejected:
    return FileRejected(
        "F01", path,
        f"文件 {path} 不是普通文件（或链接失效、链接循环）。请放入文件本身。"
        f" File {path} is not a regular file (or a broken or looping link); deliver the file itself.",
    )


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# File times come from a coarse clock (a few milliseconds): a file written again within the
# tick in which it was hashed could keep its times. So a stat is remembered only for a file
# last changed at least this long before its hash was taken.
STAT_SETTLED_SECONDS = 2.0


@dataclass(frozen=True)
class FileStat:
    """What the file system says of a file without reading it. Its change time (ctime) is
    set by the kernel on every write, truncation, chmod or new link, and no program can set
    it back (`touch -d` sets the modification time and, with it, the change time to now);
    a file replaced by another (renamed into place, copied anew) has another inode."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> FileStat:
        found = os.stat(path)
        return cls(found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino)


def hash_unless_known(path: Path, remembered: tuple[str, FileStat] | None) -> tuple[str, FileStat | None]:
    """(content hash, stat to remember with it, or None). A file whose stat equals the
    remembered one is not read: the remembered hash is its hash. Else the file is hashed, and
    its stat is returned to be remembered if it did not change while it was read and had
    settled (STAT_SETTLED_SECONDS) before. Touching a file has it hashed again."""
    before = FileStat.of(path)
    if remembered is not None and remembered[1] == before:
        return remembered[0], before
    digest = content_hash(path)
    after = FileStat.of(path)
    settled = after == before and time.time_ns() - after.ctime_ns >= STAT_SETTLED_SECONDS * 1e9
    return digest, after if settled else None


def snapshot_drops(row_counts: dict[str, int], periods: set[str] | None = None,
                   threshold: float = 0.8) -> list[tuple[str, str, int, int]]:
    """F03: (period, previous period, rows, previous rows) for each registry snapshot with
    fewer than `threshold` of the previous snapshot's rows. Only periods in `periods` are
    judged (all if None)."""
    ordered = sorted(row_counts)
    drops = []
    for previous, current in zip(ordered, ordered[1:]):
        if periods is not None and current not in periods:
            continue
        if row_counts[current] < threshold * row_counts[previous]:
            drops.append((current, previous, row_counts[current], row_counts[previous]))
    return drops
