"""The project's column_rules test (dbt_project/tests/generic/column_rules.sql), which holds a
model's not_null, unique and accepted_values rules, its grain and its row expressions in one
node: run by real dbt on a real DuckDB file, in a small project that declares the same rules
twice on each model, once with dbt's own per-column tests and the project's
unique_combination_of_columns and expression_is_true, once with column_rules, so the two
can be compared."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.dbt.mini_project import run_dbt, write_project

GENERIC_TESTS = Path(__file__).resolve().parents[2] / "dbt_project" / "tests" / "generic"
COMPARED = ("column_rules.sql", "unique_combination_of_columns.sql", "expression_is_true.sql")
EXPRESSION = "kind <> 'c'"  # a null kind fails it (expression_is_true: not coalesce(expression, false))

# model -> rows (id, kind); rules: id not null and unique, kind one of a, b, c, no two rows
# alike (nulls equal), EXPRESSION on every row
ROWS = {
    "clean": "(1, 'a'), (2, 'b')",
    "null_id": "(null, 'a'), (2, 'b')",
    "repeated_id": "(1, 'a'), (1, 'b'), (1, 'c'), (2, 'a')",
    "unlisted_kind": "(1, 'z'), (2, 'b')",
    "null_kind": "(1, null), (2, 'b')",  # accepted, as by dbt's accepted_values
    "everything_wrong": "(null, 'z'), (2, 'b'), (2, 'y')",
    "repeated_row": "(1, 'a'), (1, 'a'), (2, 'b')",
    "repeated_null_row": "(null, 'b'), (null, 'b')",
}

SCHEMA = "version: 2\nmodels:\n" + "".join(f"""
  - name: {model}
    data_tests:
      - column_rules:
          name: column_rules_{model}
          arguments:
            not_null: [id]
            unique: [id]
            accepted_values: {{kind: ["a", "b", "c"]}}
            unique_together: [id, kind]
            expressions: ["{EXPRESSION}"]
      - unique_combination_of_columns:
          name: own_grain__{model}
          arguments: {{combination_of_columns: [id, kind]}}
      - expression_is_true:
          name: own_expression__{model}
          arguments: {{expression: "{EXPRESSION}"}}
    columns:
      - name: id
        data_tests: [not_null, unique]
      - name: kind
        data_tests:
          - accepted_values:
              arguments: {{values: ["a", "b", "c"]}}
""" for model in ROWS)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """The project built once: its folder and each test's result by test name."""
    project = tmp_path_factory.mktemp("column_rules")
    (project / "models").mkdir()
    (project / "tests" / "generic").mkdir(parents=True)
    for name in COMPARED:
        shutil.copy(GENERIC_TESTS / name, project / "tests" / "generic" / name)
    for model, rows in ROWS.items():
        (project / "models" / f"{model}.sql").write_text(
            f"{{{{ config(materialized='table') }}}}\nselect * from (values {rows}) as t(id, kind)\n")
    (project / "models" / "schema.yml").write_text(SCHEMA)
    write_project(project, "rules")
    done = run_dbt(project, ["build"])
    assert "Got 4 results, configured to fail if != 0" in done.stdout, done.stdout[-3000:]
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    tests = {result["unique_id"].split(".")[2]: result for result in results
             if result["unique_id"].startswith("test.")}
    assert len(tests) == 6 * len(ROWS), sorted(tests)
    return project, tests


@pytest.mark.parametrize("model", ROWS)
def test_column_rules_fails_exactly_where_dbt_s_own_tests_fail(built, model):
    _, tests = built
    own = {name: result["status"] for name, result in tests.items()
           if name.endswith(f"_{model}_id") or name.endswith(f"_{model}_kind__a__b__c")
           or name in (f"own_grain__{model}", f"own_expression__{model}")}
    assert len(own) == 5, own
    assert tests[f"column_rules_{model}"]["status"] == ("fail" if "fail" in own.values() else "pass"), own


def test_its_count_is_the_rows_that_break_a_rule(built):
    _, tests = built
    failures = {model: tests[f"column_rules_{model}"]["failures"] for model in ROWS}
    # repeated_id: two rows beyond the first with the value 1, one kind c; null_kind: the
    # expression is not true of a null; everything_wrong: a null id, a second 2, and z and y
    # unlisted; repeated_row: a second 1 and a second (1, a); repeated_null_row: two null ids
    # and a second (null, b)
    assert failures == {"clean": 0, "null_id": 1, "repeated_id": 3, "unlisted_kind": 1, "null_kind": 1,
                        "everything_wrong": 4, "repeated_row": 2, "repeated_null_row": 3}


def test_a_failure_lists_each_broken_rule_with_its_column(built):
    """The lines the refresh's message adds to dbt's "Got N results" (pipelines/dbt.py,
    broken_column_rules, which runs each failed test's compiled SQL)."""
    from pipelines.dbt import broken_column_rules

    project, _ = built
    failures = [f"Failure in test column_rules_{model} (models/schema.yml)"
                for model in ("everything_wrong", "repeated_id", "repeated_null_row")]
    lines = broken_column_rules(failures, project / "work.duckdb", project / "target")
    assert sorted(lines) == sorted([
        "  column_rules_everything_wrong: id not_null: 1 行 rows",
        "  column_rules_everything_wrong: id unique: 1 行 rows",
        "  column_rules_everything_wrong: kind accepted_values: 2 行 rows",
        "  column_rules_repeated_id: id unique: 2 行 rows",
        f"  column_rules_repeated_id: {EXPRESSION} true: 1 行 rows",
        "  column_rules_repeated_null_row: id not_null: 2 行 rows",
        "  column_rules_repeated_null_row: id, kind unique_together: 1 行 rows",
    ])
