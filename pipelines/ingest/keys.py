"""The pseudonym secret: person_key = HMAC-SHA256(secret, normalised ID).

The secret comes from $DPF_PSEUDONYM_KEY (hex or any text) or from <warehouse>/pseudonym.key,
created on first use (32 random bytes as hex, mode 0600, written atomically; a key file
restored with looser permissions is made 0600 again when it is read). Losing it
would silently re-key every person, so a warehouse that already holds data and has no key
is an error, never a fresh key; the work database stores a fingerprint of the key and a
run with another key is refused (check_fingerprint).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

KEY_FILE_NAME = "pseudonym.key"
_FINGERPRINT_TEXT = b"dpf-indicators pseudonym key fingerprint v1"


class PseudonymKeyError(Exception):
    """The pseudonym key is missing for a warehouse with data, or differs from the one used before."""


def key_file(warehouse: Path) -> Path:
    return Path(warehouse) / KEY_FILE_NAME


def _decode(text: str) -> bytes:
    text = text.strip()
    if not text:
        raise PseudonymKeyError("假名密钥为空。 The pseudonym key is empty.")
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode("utf-8")


def resolve_secret(warehouse: Path, env_value: str | None, has_data: bool) -> bytes:
    """The secret for this warehouse: env value, else the key file, else (only for a
    warehouse without data) a new key file."""
    if env_value:
        return _decode(env_value)
    path = key_file(warehouse)
    if path.exists():
        _owner_only(path)
        return _decode(path.read_text(encoding="ascii"))
    if has_data:
        raise PseudonymKeyError(
            f"仓库 {warehouse} 已有数据，但假名密钥文件 {path} 不存在且未设置 DPF_PSEUDONYM_KEY。"
            f"请恢复原密钥文件（或设置环境变量）；生成新密钥会使所有人员键失效。"
            f" Warehouse {warehouse} holds data but the pseudonym key file {path} is missing and "
            f"DPF_PSEUDONYM_KEY is not set. Restore the original key; a new key would re-key every person."
        )
    return _create_key_file(path)


def _owner_only(path: Path) -> None:
    """A key restored from a backup (cp, an archive) often comes back readable by others:
    make it owner-only again. Not our file to change (another owner): leave it."""
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        with contextlib.suppress(PermissionError):
            os.chmod(path, 0o600)


def _create_key_file(path: Path) -> bytes:
    """32 random bytes as hex, mode 0600 from the start, renamed into place (atomic)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = secrets.token_hex(32)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)  # fails if another process created the key meanwhile
    except FileExistsError:
        return _decode(path.read_text(encoding="ascii"))
    finally:
        temporary.unlink(missing_ok=True)
    return bytes.fromhex(text)


def fingerprint(secret: bytes) -> str:
    """A value that identifies the key without revealing it: HMAC of a fixed text."""
    return hmac.digest(secret, _FINGERPRINT_TEXT, hashlib.sha256).hex()


def check_fingerprint(stored: str | None, secret: bytes, warehouse: Path) -> None:
    if stored is not None and not hmac.compare_digest(stored, fingerprint(secret)):
        raise PseudonymKeyError(
            f"假名密钥与仓库 {warehouse} 之前使用的密钥不同，拒绝运行（否则同一人会得到不同的键）。"
            f"请使用原密钥（{key_file(warehouse)} 或 DPF_PSEUDONYM_KEY）。"
            f" The pseudonym key differs from the one warehouse {warehouse} was built with; refusing to run "
            f"(the same person would get another key). Use the original key."
        )
