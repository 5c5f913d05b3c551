"""The authors' check, for every chapter on every backend (rustlings' `dev check`).

The reference solutions pass every exercise, and the generated learner
notebook, untouched, scores zero with every exercise `not implemented`. And the references run
where a tensor cannot become a NumPy array implicitly, as on a GPU with PyTorch.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ALL_BACKENDS, PROJECT_ROOT, run_grader_in
from grader.chapters import discover
from helpers import statuses

pytestmark = pytest.mark.slow

CHAPTERS = discover()
# Makes PyTorch's CPU tensors refuse to become NumPy arrays implicitly, as its CUDA tensors do.
GPU_STRICT = {"PYTHONPATH": str(PROJECT_ROOT / "tests" / "gpu_strict")}


@pytest.fixture
def graded_reference(grade_once):
    """`graded_reference(chapter, backend)`: the chapter's reference solutions, graded once per session.

    On PyTorch they run where a tensor cannot become a NumPy array implicitly (GPU_STRICT), so the one
    grading proves both that they pass and that they would pass on a GPU.
    """

    def grade(chapter, backend):
        env = GPU_STRICT if backend == "torch" else None
        return grade_once(("reference", chapter.name, backend), lambda folder: run_grader_in(
            folder, "check", chapter.name, "--solutions", "--backend", backend, env=env))

    return grade


@pytest.mark.parametrize("backend", ALL_BACKENDS)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_the_reference_passes_every_exercise(chapter, backend, graded_reference):
    finished, report = graded_reference(chapter, backend)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    expected = {e.id: "passed" if backend in e.backends else "skipped" for e in chapter.spec.exercises}
    assert statuses(report) == expected
    assert report["score"] == report["max_score"] == sum(e.points for e in chapter.spec.exercises if backend in e.backends)


@pytest.mark.parametrize("backend", ALL_BACKENDS)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_the_untouched_learner_notebook_scores_zero(chapter, backend, grade_once):
    # One `--backend all` grading per chapter, each backend's part asserted in its own test.
    finished, report = grade_once(("untouched", chapter.name), lambda folder: run_grader_in(
        folder, "check", chapter.name, "--backend", "all"))
    assert finished.returncode == 1
    expected = {e.id: "not implemented" if backend in e.backends else "skipped" for e in chapter.spec.exercises}
    assert statuses(report, backend) == expected
    assert report["score"] == 0
    assert "Next: open the notebook" in finished.stdout


def test_the_gpu_emulation_refuses_an_implicit_conversion():
    code = "import numpy as np, torch\ntry:\n    torch.ones(2) + np.ones(2)\nexcept TypeError as e:\n    print(e)"
    env = {**os.environ, **GPU_STRICT, "KERAS_BACKEND": "torch"}
    finished = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert "can't convert cuda:0 device type tensor to numpy" in finished.stdout, finished.stdout + finished.stderr


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_the_reference_never_turns_a_tensor_into_numpy_implicitly(chapter, graded_reference):
    # `tensor + array` works on CPU and fails on a CUDA device with PyTorch. On an H200 (2026-11-30),
    # five chapter 3 references failed that way; this emulation on CPU found the same five.
    finished, report = graded_reference(chapter, "torch")  # graded under GPU_STRICT, training included
    assert finished.returncode == 0, finished.stdout + finished.stderr
    torch_exercises = {e.id for e in chapter.spec.exercises if "torch" in e.backends}
    assert {id_ for id_, status in statuses(report).items() if status == "passed"} == torch_exercises
