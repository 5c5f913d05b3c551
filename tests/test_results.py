"""Verdicts: what counts as passing a run, and the skipped status."""

from __future__ import annotations

from grader.results import BackendReport, ExerciseResult, RunReport, Status, report_from_dict, report_to_dict
from grader.spec import ExerciseSpec
from grader.verdict import skipped


def exercise(**overrides) -> ExerciseSpec:
    return ExerciseSpec(**{"id": "7.4", "title": "Data parallel", "kind": "function", "entry": "f",
                           "points": 3, "hints": ("h",), "backends": ("jax",), **overrides})


def test_an_exercise_for_another_backend_is_skipped_not_failed():
    result = skipped(exercise(), "torch", "chapter7")
    assert result.status is Status.SKIPPED and result.max_score == 0
    assert "needs the jax backend, not torch" in result.message
    assert "--backend jax" in result.message
    report = RunReport("chapter7", 1, "n.ipynb", (BackendReport("torch", "3", "2", ("cpu",), (result,)),))
    assert report.passed


def test_reports_survive_the_json_round_trip():
    result = ExerciseResult("4.1", "t", Status.FAILED, 0.0, 2.0, "msg", ("a", "b"), "hint", {"m": 1.0}, 0.5)
    report = RunReport("chapter4", 3, "n.ipynb", (BackendReport("jax", "3.15", "0.10", ("cpu",), (result,)),))
    assert report_from_dict(report_to_dict(report)) == report
    assert not report.passed
