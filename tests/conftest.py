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
from helpers import learner_notebook_with

ALL_BACKENDS = ("jax", "tensorflow", "torch")
# What a grader run gives back: the finished process and the parsed JSON report (None when none was written).
Graded = tuple[subprocess.CompletedProcess[str], dict | None]
# One seed for every grading that names none: the suite is deterministic, and the gradings of a chapter
# on a backend share the reference's answers through the session's cache instead of each computing them.
# Fresh seeds per run are the product's default; tests/test_inputs.py holds that they differ.
SEED = "20261202"


def pytest_configure(config: pytest.Config) -> None:
    import os
    import tempfile

    # One reference cache per test session: shared by its gradings, never the user's own.
    os.environ["GRADER_CACHE_DIR"] = tempfile.mkdtemp(prefix="grader-reference-cache-")
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
def run_grader(tmp_path: Path) -> Callable[..., Graded]:
    """Run `python -m grader ARGS --json report.json` in a subprocess; return the process and the report.

    `env` adds to the subprocess's environment (which never carries the caller's KERAS_BACKEND).
    """

    def run(*args: str, timeout: float = 900, env: dict[str, str] | None = None) -> Graded:
        report = tmp_path / f"report-{len(list(tmp_path.glob('report-*')))}.json"
        command = [sys.executable, "-m", "grader", *args]
        if args and args[0] == "check":
            command += ["--json", str(report)]
            if "--seed" not in args:
                command += ["--seed", SEED]
        finished = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT,
            env={**_clean_env(), "COLUMNS": "200", "GRADER_STATE": str(tmp_path / "state.json"), **(env or {})},
        )
        data = json.loads(report.read_text()) if report.exists() else None
        return finished, data

    return run


@pytest.fixture
def grade_answers(tmp_path: Path, run_grader: Callable[..., Graded]) -> Callable[..., Graded]:
    """Grade the chapter's learner notebook with some exercise cells replaced by the given code.

    `grade_answers(chapter, {entry: code}, "1.3", backend="torch")` grades exercise 1.3 on PyTorch;
    with no exercise ids, the whole chapter. `options` are more `grader check` flags.
    """

    def grade(chapter: Chapter, replacements: dict[str, str], *exercises: str, backend: str = "jax",
              options: tuple[str, ...] = ()) -> Graded:
        notebook = learner_notebook_with(chapter, replacements, tmp_path / "learner.ipynb")
        selected = [flag for exercise in exercises for flag in ("-e", exercise)]
        return run_grader("check", chapter.name, *selected, "--backend", backend, *options, "--notebook", str(notebook))

    return grade


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
