"""Shared fixtures: the default demo landing folder is generated once per test session."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The default demo (14,608 holders, seed 2022): (landing folder, manifest)."""
    from pipelines.generate.run import generate

    landing = tmp_path_factory.mktemp("demo") / "landing"
    generate(landing)
    return landing, json.loads((landing / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo_refresh_outcome(demo, tmp_path_factory):
    """`refresh` of the default demo into a fresh warehouse (once per session)."""
    from pipelines.refresh import refresh

    landing, _ = demo
    warehouse = tmp_path_factory.mktemp("demo-warehouse")
    outcome = refresh(landing, warehouse, log=lambda _: None)
    outcome.warehouse = warehouse
    return outcome


@pytest.fixture(scope="session")
def demo_warehouse(demo_refresh_outcome):
    assert demo_refresh_outcome.status == 0, demo_refresh_outcome.message
    return demo_refresh_outcome.warehouse


@pytest.fixture()
def dagster_home(tmp_path, monkeypatch):
    """A Dagster instance folder of the test's own, with the project's dagster.yaml."""
    from pipelines.config import PROJECT_ROOT

    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((PROJECT_ROOT / "dagster.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_DISABLE_TELEMETRY", "1")
    return home
