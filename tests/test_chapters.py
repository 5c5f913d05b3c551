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

from conftest import ALL_BACKENDS, PROJECT_ROOT
from grader.chapters import discover
from helpers import statuses

pytestmark = pytest.mark.slow

CHAPTERS = discover()
# Makes PyTorch's CPU tensors refuse to become NumPy arrays implicitly, as its CUDA tensors do.
GPU_STRICT = {"PYTHONPATH": str(PROJECT_ROOT / "tests" / "gpu_strict")}


@pytest.mark.parametrize("backend", ALL_BACKENDS)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_the_reference_passes_every_exercise(chapter, backend, run_grader):
    finished, report = run_grader("check", chapter.name, "--solutions", "--backend", backend)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    expected = {e.id: "passed" if backend in e.backends else "skipped" for e in chapter.spec.exercises}
    assert statuses(report) == expected
    assert report["score"] == report["max_score"] == sum(e.points for e in chapter.spec.exercises if backend in e.backends)


@pytest.mark.parametrize("backend", ALL_BACKENDS)
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_the_untouched_learner_notebook_scores_zero(chapter, backend, run_grader):
    finished, report = run_grader("check", chapter.name, "--backend", backend)
    assert finished.returncode == 1
    expected = {e.id: "not implemented" if backend in e.backends else "skipped" for e in chapter.spec.exercises}
    assert statuses(report) == expected
    assert report["score"] == 0
    assert "Next: open the notebook" in finished.stdout


def test_the_gpu_emulation_refuses_an_implicit_conversion():
    code = "import numpy as np, torch\ntry:\n    torch.ones(2) + np.ones(2)\nexcept TypeError as e:\n    print(e)"
    env = {**os.environ, **GPU_STRICT, "KERAS_BACKEND": "torch"}
    finished = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert "can't convert cuda:0 device type tensor to numpy" in finished.stdout, finished.stdout + finished.stderr


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.name)
def test_the_reference_never_turns_a_tensor_into_numpy_implicitly(chapter, run_grader):
    # `tensor + array` works on CPU and fails on a CUDA device with PyTorch. On an H200 (2026-11-30),
    # five chapter 3 references failed that way; this emulation on CPU found the same five.
    exercises = [e.id for e in chapter.spec.exercises if e.kind != "training" and "torch" in e.backends]
    selected = [flag for exercise in exercises for flag in ("-e", exercise)]
    finished, report = run_grader("check", chapter.name, "--solutions", "--backend", "torch", *selected, env=GPU_STRICT)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert set(statuses(report).values()) == {"passed"}
