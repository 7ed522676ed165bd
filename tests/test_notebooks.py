"""The notebooks run top to bottom on a small generated company; any failing cell fails the test."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from health.cli import main

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def with_parameters(notebook: nbformat.NotebookNode, **values) -> nbformat.NotebookNode:
    """Papermill's convention: a cell right after the one tagged ``parameters`` overrides it."""
    index = next(
        i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", [])
    )
    source = "\n".join(f"{name} = {value!r}" for name, value in values.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    notebook.cells.insert(index + 1, cell)
    return notebook


def execute(name: str, cwd: Path, **values) -> nbformat.NotebookNode:
    """Run a notebook in the current interpreter's kernel; a cell error raises."""
    notebook = with_parameters(nbformat.read(NOTEBOOKS / name, as_version=4), **values)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return notebook


def images(notebook: nbformat.NotebookNode) -> int:
    return sum(
        "image/png" in o.get("data", {}) for c in notebook.cells for o in c.get("outputs", [])
    )


def texts(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(
        o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
        for c in notebook.cells
        for o in c.get("outputs", [])
    )


def warnings_printed(notebook: nbformat.NotebookNode) -> list[str]:
    """What the cells wrote to stderr (warnings land there), after each cell's first line."""
    return [
        c.source.splitlines()[0] + " -> " + o.get("text", "")
        for c in notebook.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stderr"
    ]


def test_notebooks_are_committed_without_outputs():
    for path in NOTEBOOKS.glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path.name


def test_both_notebooks_run_on_a_scored_demo(tmp_path, tracking, demo_tables_dir, monkeypatch):
    data = str(demo_tables_dir)
    # Two trainings give the champion a version to be compared with; two scorings a move to show.
    # A coarse as-of grid keeps the trainings quick.
    assert main(["train", data, "--every-days", "45"]) == 0
    assert main(["train", data, "--every-days", "60"]) == 0
    assert main(["score", data, "--as-of", "2025-09-01", "--out", str(tmp_path / "before")]) == 0
    assert main(["score", data, "--out", str(tmp_path / "now")]) == 0
    monkeypatch.delenv("MLFLOW_TRACKING_URI")  # the notebooks must find the store themselves

    review = execute(
        "review_explanations.ipynb",
        tmp_path,
        scores_dir=str(tmp_path / "now"),
        previous_scores_dir=str(tmp_path / "before"),
    )
    # bands, beeswarm, families, waterfall, side by side, movers
    assert images(review) >= 6
    assert "changed band" in texts(review)
    # the account's reasons with their references, the profile figure beside the families
    assert "accounts like it that stayed" in texts(review) and "profile" in texts(review)
    printed = warnings_printed(review)
    assert printed == [], "\n".join(printed)

    model = execute("model_report.ipynb", tmp_path, tracking_uri=tracking)
    # curves, realised per band, champion against the other version
    assert images(model) >= 3
    assert "single registered version" not in texts(model)


def test_portfolio_notebook_runs_on_demo_metrics(tmp_path, tracking, demo_tables_dir):
    data = str(demo_tables_dir)
    out = tmp_path / "portfolio"
    assert main(["metrics", data, "--out", str(out), "--by", "plan"]) == 0
    notebook = execute("portfolio_health.ipynb", tmp_path, metrics_dir=str(out), segment="growth")
    # waterfall, retention, voice, engagement, cohorts
    assert images(notebook) >= 5
    assert "start_mrr" in texts(notebook) and "growth" in texts(notebook)
