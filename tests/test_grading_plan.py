"""Which helper workers a sandboxed grading starts, and when: no Keras process is started here.

The reference worker and the model inspector each take seconds to import Keras. They start
beside the learner's worker only for exercises the learner has worked on (the stub's line is
gone) and whose reference answers are not cached; an exercise that surprises the guess starts
them when its attempt succeeds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.chapters import resolve
from grader.grading import Plan, _Helpers, grade_backend, prepare
from grader.notebook import read_code_cells, stub_line
from grader.reference_cache import CachedReference, ReferenceCache, _write_files
from helpers import learner_notebook_with, solution_cell

CHAPTER4 = resolve("chapter4")


class Launches:
    """Stands in for a worker: counts `launch()` calls; once launched, it is running."""

    def __init__(self) -> None:
        self.count = 0

    @property
    def running(self) -> bool:
        return self.count > 0

    def launch(self) -> None:
        self.count += 1


def attempts_for(notebook: Path, seed: int = 3):
    plan = Plan(CHAPTER4, CHAPTER4.spec.exercises, notebook, seed, sandboxed=True)
    learner, reference = read_code_cells(notebook), read_code_cells(CHAPTER4.source)
    return {e.id: prepare(plan, e, learner, reference) for e in CHAPTER4.spec.exercises}


def helpers(reference=None) -> tuple[_Helpers, Launches, Launches]:
    inspector, worker = Launches(), Launches()
    return _Helpers(inspector, worker, reference or worker), inspector, worker


def test_the_untouched_notebook_starts_neither_helper():
    attempts = attempts_for(CHAPTER4.notebook)
    assert all(a.holds_stub and not a.worked_on for a in attempts.values())
    plan, inspector, worker = helpers()
    plan.launch_for([a for a in attempts.values() if a.worked_on])
    assert (inspector.count, worker.count) == (0, 0)


def test_a_solved_function_starts_the_reference_only(tmp_path):
    notebook = learner_notebook_with(CHAPTER4, {"prepare_data": solution_cell(CHAPTER4, "prepare_data")},
                                     tmp_path / "learner.ipynb")
    attempts = attempts_for(notebook)
    worked_on = [a for a in attempts.values() if a.worked_on]
    assert [a.exercise.id for a in worked_on] == ["4.1"]
    plan, inspector, worker = helpers()
    plan.launch_for(worked_on)
    assert (inspector.count, worker.count) == (0, 1)


def test_a_training_exercise_starts_the_inspector(tmp_path):
    training = next(e for e in CHAPTER4.spec.exercises if e.kind == "training")
    notebook = learner_notebook_with(CHAPTER4, {training.entry: solution_cell(CHAPTER4, training.entry)},
                                     tmp_path / "learner.ipynb")
    plan, inspector, worker = helpers()
    plan.launch_for([attempts_for(notebook)[training.id]])
    assert (inspector.count, worker.count) == (1, 0)  # a training exercise needs no reference answer


def test_cached_answers_start_no_reference(tmp_path):
    notebook = learner_notebook_with(CHAPTER4, {"prepare_data": solution_cell(CHAPTER4, "prepare_data")},
                                     tmp_path / "learner.ipynb")
    attempt = attempts_for(notebook)["4.1"]
    worker = Launches()
    cache = ReferenceCache(tmp_path / "cache", CHAPTER4.source, "jax", 3)
    cached = CachedReference(worker, cache)
    plan = _Helpers(Launches(), worker, cached)
    plan.launch_for([attempt])
    assert worker.count == 1
    answers = tmp_path / "answers.npz"
    answers.write_bytes(b"")
    cache.store(cache.key("outputs", attempt.exercise, attempt.inputs), lambda staging: _write_files(staging, [answers]))
    plan.launch_for([attempt])
    assert worker.count == 1


@pytest.mark.parametrize("left", ["as a comment", "in a branch"])
def test_a_stub_line_left_in_the_function_counts_as_not_worked_on(tmp_path, left):
    stub = stub_line("4.1")
    kept = f"    # {stub}\n" if left == "as a comment" else f"    if seed < 0:\n        {stub}\n"
    code = solution_cell(CHAPTER4, "prepare_data").replace("):\n", "):\n" + kept, 1)
    notebook = learner_notebook_with(CHAPTER4, {"prepare_data": code}, tmp_path / "learner.ipynb")
    assert not attempts_for(notebook)["4.1"].worked_on


class NeverStarted:
    """Stands in for a worker that must not be needed: starting it or sending it a request fails the test."""

    running = False
    workdir = Path("/nonexistent")

    def launch(self) -> None:
        raise AssertionError("a worker was launched")

    start = request = launch

    def peak_memory(self) -> None:
        return None

    def stop(self) -> None:
        pass


def test_an_untouched_notebook_is_graded_without_starting_a_process():
    plan = Plan(CHAPTER4, CHAPTER4.spec.exercises, CHAPTER4.notebook, 3, sandboxed=True,
                workers=lambda *arguments: NeverStarted())
    report = grade_backend(plan, "jax", read_code_cells(CHAPTER4.notebook), read_code_cells(CHAPTER4.source),
                           lambda *arguments, **options: None)
    assert {r.id: r.status.value for r in report.exercises} == dict.fromkeys(
        [e.id for e in CHAPTER4.spec.exercises], "not implemented")
    assert report.keras_version and report.backend_version  # from the installed packages, as a worker reports them


def test_code_before_the_stubs_line_is_run_not_judged_unread(tmp_path):
    code = solution_cell(CHAPTER4, "prepare_data").replace("):\n", f"):\n    print('started')\n    {stub_line('4.1')}\n", 1)
    notebook = learner_notebook_with(CHAPTER4, {"prepare_data": code}, tmp_path / "learner.ipynb")
    attempts = attempts_for(notebook)
    assert attempts["4.1"].runs and not attempts["4.2"].runs
