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
