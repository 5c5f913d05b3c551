"""Shared fixtures: notebooks made to order, and the grader run as a learner runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Callable

import nbformat
import pytest

from grader.backends import installed_backends
from grader.chapters import PROJECT_ROOT, Chapter, resolve

ALL_BACKENDS = ("jax", "tensorflow", "torch")


def pytest_configure(config: pytest.Config) -> None:
    missing = [b for b in ALL_BACKENDS if b not in installed_backends()]
    if missing:
        # The suite promises every backend; an install without one must fail loudly, not skip.
        raise pytest.UsageError(
            f"backends not installed: {missing}. Install with: pip install -e '.[all,dev]' -c constraints/cpu.txt"
        )


@pytest.fixture
def chapter4() -> Chapter:
    return resolve("chapter4")


@pytest.fixture
def make_notebook(tmp_path: Path) -> Callable[..., Path]:
    """A notebook of the given code cells (a string per cell)."""

    def make(*cells: str, name: str = "learner.ipynb") -> Path:
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        path = tmp_path / name
        nbformat.write(notebook, path)
        return path

    return make


@pytest.fixture
def run_grader(tmp_path: Path) -> Callable[..., tuple[subprocess.CompletedProcess[str], dict | None]]:
    """Run `python -m grader ARGS --json report.json` in a subprocess; return the process and the report."""

    def run(*args: str, timeout: float = 900) -> tuple[subprocess.CompletedProcess[str], dict | None]:
        report = tmp_path / f"report-{len(list(tmp_path.glob('report-*')))}.json"
        command = [sys.executable, "-m", "grader", *args]
        if args and args[0] == "check":
            command += ["--json", str(report)]
        finished = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT,
            env={**_clean_env(), "COLUMNS": "200", "GRADER_STATE": str(tmp_path / "state.json")},
        )
        data = json.loads(report.read_text()) if report.exists() else None
        return finished, data

    return run


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
