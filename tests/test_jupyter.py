"""`check()` in a real Jupyter kernel gives the CLI's verdict, inline."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from helpers import solution_cell
from grader.chapters import PROJECT_ROOT, resolve

pytestmark = pytest.mark.slow


def run_in_kernel(*cells: str) -> list[str]:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(PROJECT_ROOT)}}).execute()
    last = notebook.cells[-1]["outputs"]
    return [output.get("data", {}).get("text/html", "") + output.get("text", "") for output in last]


def test_check_grades_the_kernels_latest_definition():
    reference = solution_cell(resolve("chapter4"), "evaluation_report")
    html = run_in_kernel(
        "import os\nos.environ['KERAS_BACKEND'] = 'jax'\nimport numpy as np\nfrom grader import check",
        "def evaluation_report(y_true, y_prob, threshold=0.5):\n    return {}",
        reference,  # redefined later in the session: this one counts
        'check("4.4")',
    )
    assert "passed" in html[0] and "4.4" in html[0]


def test_check_shows_a_failure_with_its_hint():
    html = run_in_kernel(
        "from grader import check",
        "def evaluation_report(y_true, y_prob, threshold=0.5):\n    return {'accuracy': 0.0}",
        'check("4.4", backend="jax")',
    )
    assert "failed" in html[0] and "Hint:" in html[0]
