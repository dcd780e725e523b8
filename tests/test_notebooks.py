"""The notebooks run top to bottom against the demo warehouse (DPF_WAREHOUSE for the
kernel), and are committed with their outputs cleared."""

import nbformat
import pytest
from nbclient import NotebookClient

from pipelines.config import PROJECT_ROOT

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))


def test_the_two_notebooks_are_there_with_outputs_cleared():
    assert [p.name for p in NOTEBOOKS] == ["01_tour_of_the_marts.ipynb", "02_coverage_reconciliation.ipynb"]
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), f"{path.name}: clear the outputs"
        assert any(c.cell_type == "markdown" and "只读" in c.source for c in notebook.cells)
        sources = "\n".join(c.source for c in code)
        assert "warehouse_dir()" in sources and sources.count("duckdb.connect(") == 1
        assert "read_only=True" in sources


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, demo_warehouse, monkeypatch, tmp_path):
    monkeypatch.setenv("DPF_WAREHOUSE", str(demo_warehouse))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, kernel_name="python3", timeout=300,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert str(demo_warehouse) in text  # the kernel read DPF_WAREHOUSE
    if path.stem.startswith("02"):
        assert "报表口径分子" in text
