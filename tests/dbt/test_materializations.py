"""The project's lean table and view materializations (dbt_project/macros/materializations.sql),
run by real dbt on a real DuckDB file, in a small project that holds that macro file and
three models: a table `t` (its value a dbt var), a view `v` over it, and a table with a
post-hook, which the lean materializations refuse."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.dbt.mini_project import run_dbt, write_project

MACROS = Path(__file__).resolve().parents[2] / "dbt_project" / "macros" / "materializations.sql"

MODELS = {
    "t.sql": "{{ config(materialized='table') }}\nselect {{ var('n') }} as n\n",
    "v.sql": "{{ config(materialized='view') }}\nselect n * 10 as n10 from {{ ref('t') }}\n",
    "hooked.sql": "{{ config(materialized='table', post_hook='select 1') }}\nselect 1 as one\n",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "models").mkdir()
    (tmp_path / "macros").mkdir()
    shutil.copy(MACROS, tmp_path / "macros" / MACROS.name)
    for name, sql in MODELS.items():
        (tmp_path / "models" / name).write_text(sql)
    write_project(tmp_path, "lean")
    return tmp_path


def build(project: Path, select: str, n: str) -> subprocess.CompletedProcess:
    return run_dbt(project, ["build", "--select", select, "--vars", f"{{n: \"{n}\"}}"])


def relations(project: Path) -> dict[str, tuple[str, list]]:
    """name -> (kind, rows) of every relation in the project's database."""
    con = duckdb.connect(str(project / "work.duckdb"), read_only=True)
    try:
        kinds = con.execute("select table_name, table_type from information_schema.tables").fetchall()
        return {name: (kind, con.execute(f'select * from "{name}"').fetchall()) for name, kind in kinds}
    finally:
        con.close()


def test_a_rebuild_replaces_each_relation_in_place_and_leaves_nothing_beside_it(project):
    # Left by something else under the models' names, each of the other kind.
    con = duckdb.connect(str(project / "work.duckdb"))
    con.execute("create view t as select 0 as n; create table v as select 0 as n10")
    con.close()
    first = build(project, "t v", "1")
    assert first.returncode == 0, first.stdout[-3000:]
    assert relations(project) == {"t": ("BASE TABLE", [(1,)]), "v": ("VIEW", [(10,)])}
    second = build(project, "t v", "2")
    assert second.returncode == 0, second.stdout[-3000:]
    # No __dbt_tmp or __dbt_backup relation: the only two are the models themselves.
    assert relations(project) == {"t": ("BASE TABLE", [(2,)]), "v": ("VIEW", [(20,)])}


def test_a_rebuild_that_fails_keeps_the_previous_table(project):
    assert build(project, "t v", "1").returncode == 0
    failed = build(project, "t", "cast('x' as integer)")
    assert failed.returncode != 0 and "Conversion Error" in failed.stdout
    assert relations(project) == {"t": ("BASE TABLE", [(1,)]), "v": ("VIEW", [(10,)])}


def test_a_model_that_asks_for_a_feature_they_lack_fails_with_a_message(project):
    result = build(project, "hooked", "1")
    assert result.returncode != 0
    assert "model hooked sets 'post_hook'" in result.stdout
    assert "macros/materializations.sql" in result.stdout
    assert "hooked" not in relations(project)
