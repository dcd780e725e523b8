"""Paths and settings, read in one place. Nothing here reads the environment at import
time: call the functions."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
REFERENCE_DIR = DBT_PROJECT_DIR / "seeds"  # the shipped reference tables (dbt seeds)
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"

DISTRICT_NAME = "奉化区"
FIRST_YEAR = 2021

PSEUDONYM_KEY_ENV = "DPF_PSEUDONYM_KEY"
WAREHOUSE_ENV = "DPF_WAREHOUSE"
DEFAULT_WAREHOUSE = PROJECT_ROOT / "warehouse"


def warehouse_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The warehouse folder: the argument, else $DPF_WAREHOUSE, else ./warehouse of the project."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE)


LANDING_ENV = "DPF_LANDING"
DEFAULT_LANDING = PROJECT_ROOT / "landing"


def landing_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The landing folder: the argument, else $DPF_LANDING, else ./landing of the project."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(LANDING_ENV) or DEFAULT_LANDING)


def pseudonym_key_from_env() -> str | None:
    """The pseudonym secret from $DPF_PSEUDONYM_KEY, if set (else the warehouse's key file is used)."""
    return os.environ.get(PSEUDONYM_KEY_ENV) or None
