"""The authors' check, for every chapter on every backend (rustlings' `dev check`).

The reference solutions pass every exercise, and the generated learner
notebook, untouched, scores zero with every exercise `not implemented`.
"""

from __future__ import annotations

import pytest

from conftest import ALL_BACKENDS
from grader.chapters import discover
from helpers import statuses

pytestmark = pytest.mark.slow

CHAPTERS = discover()


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
