"""Shared fixtures: notebooks made to order, and the grader run as a learner runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, Iterable

import nbformat
import pytest

from grader.backends import installed_backends
from grader.chapters import PROJECT_ROOT, Chapter, resolve
from helpers import Submission, learner_notebook_with

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
    config.add_cleanup(lambda: shutil.rmtree(os.environ["GRADER_CACHE_DIR"], ignore_errors=True))
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


def run_grader_in(folder: Path, *args: str, timeout: float = 900, env: dict[str, str] | None = None) -> Graded:
    """Run `python -m grader ARGS --json folder/report-N.json` in a subprocess; return the process and the report."""
    report = folder / f"report-{len(list(folder.glob('report-*')))}.json"
    command = [sys.executable, "-m", "grader", *args]
    if args and args[0] == "check":
        command += ["--json", str(report)]
        if "--seed" not in args:
            command += ["--seed", SEED]
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT,
        env={**_clean_env(), "COLUMNS": "200", "GRADER_STATE": str(folder / "state.json"), **(env or {})},
    )
    data = json.loads(report.read_text()) if report.exists() else None
    return finished, data


@pytest.fixture
def run_grader(tmp_path: Path) -> Callable[..., Graded]:
    """Run `python -m grader ARGS --json report.json` in a subprocess; return the process and the report.

    `env` adds to the subprocess's environment (which never carries the caller's KERAS_BACKEND).
    """
    return lambda *args, **options: run_grader_in(tmp_path, *args, **options)


@pytest.fixture
def grade_answers(tmp_path: Path) -> Callable[..., Graded]:
    """Grade the chapter's learner notebook with some exercise cells replaced by the given code.

    `grade_answers(chapter, {entry: code}, "1.3", backend="torch")` grades exercise 1.3 on PyTorch;
    with no exercise ids, the whole chapter. `options` are more `grader check` flags.
    """

    def grade(chapter: Chapter, replacements: dict[str, str], *exercises: str, backend: str = "jax",
              options: tuple[str, ...] = ()) -> Graded:
        return _grade_notebook(tmp_path, chapter, replacements, exercises, backend, options)

    return grade


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both editions of the docs site, built once for test_docs and test_browser (test_docs.build_site)."""
    from test_docs import build_site

    return build_site(tmp_path_factory.mktemp("site"))


@pytest.fixture(scope="session")
def grade_once(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Graded]:
    """`grade_once(key, grade)`: what `grade(folder)` gave the first time `key` was asked for in this session.

    For gradings that several tests read: each test asserts its own part of the one report.
    """
    graded: dict[tuple, Graded] = {}

    def once(key: tuple, grade: Callable[[Path], Graded]) -> Graded:
        if key not in graded:
            graded[key] = grade(tmp_path_factory.mktemp("graded"))
        return graded[key]

    return once


@pytest.fixture(scope="session")
def grade_round(grade_once: Callable[..., Graded]) -> Callable[..., Graded]:
    """Grade a submission together with the rest of its round (tests/helpers.py `in_rounds`), once per session.

    `grade_round(CHAPTER1, ROUNDS, "1.3", "pairwise_distances", code)`: the first test of a round grades
    every submission of it in one notebook; the others read their own exercise from the same report,
    so a chapter's wrong answers cost a grading per round, not one per answer.
    """

    def grade(chapter: Chapter, rounds: dict[Submission, tuple[Submission, ...]], exercise: str, entry: str,
              code: str, backend: str = "jax") -> Graded:
        round_ = rounds[Submission(exercise, entry, code)]
        replacements = {s.entry: s.code for s in round_}
        exercises = [s.exercise for s in round_]
        finished, report = grade_once(
            ("round", chapter.name, round_, backend),
            lambda folder: _grade_notebook(folder, chapter, replacements, exercises, backend, ()),
        )
        assert report is not None, finished.stdout + finished.stderr
        graded_exercises = {e["id"] for e in report["backends"][0]["exercises"]}
        assert graded_exercises == set(exercises), graded_exercises
        return finished, report

    return grade


def _grade_notebook(folder: Path, chapter: Chapter, replacements: dict[str, str], exercises: Iterable[str],
                    backend: str, options: tuple[str, ...]) -> Graded:
    notebook = learner_notebook_with(chapter, replacements, folder / "learner.ipynb")
    selected = [flag for exercise in exercises for flag in ("-e", exercise)]
    return run_grader_in(folder, "check", chapter.name, *selected, "--backend", backend, *options, "--notebook", str(notebook))


def _clean_env() -> dict[str, str]:
    """The caller's environment without its backend, and in English whatever its locale (a test that wants
    Chinese says so)."""
    import os

    return {**{k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}, "GRADER_LANG": "en"}
