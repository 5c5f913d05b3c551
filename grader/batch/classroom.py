"""Grading a class: which units are still to grade, and storing each outcome as it arrives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..chapters import Chapter
from ..results import report_from_dict
from .store import GRADED, GradeStore, Grading
from .submissions import Submission
from .task import Unit


@dataclass(frozen=True)
class ClassPlan:
    """How the whole class is graded: the same exercises, backends and seed for every student."""

    chapter: Chapter
    exercises: tuple[str, ...]
    backends: tuple[str, ...]
    seed: int
    sandboxed: bool = True
    memory_bytes: int | None = None
    timeout_s: float | None = None
    use_cache: bool = True
    regrade: bool = False


def units_to_grade(plan: ClassPlan, submissions: list[Submission], store: GradeStore) -> tuple[list[Unit], int]:
    """The units not yet stored as graded with this notebook, seed and exercises; and how many are."""
    units, current = [], 0
    for submission in submissions:
        digest = submission.digest()
        for backend in plan.backends:
            if not plan.regrade and store.is_current(plan.chapter.name, submission.student, backend, digest,
                                                     plan.seed, plan.exercises):
                current += 1
                continue
            units.append(_unit(plan, submission, backend, digest))
    return units, current


def _unit(plan: ClassPlan, submission: Submission, backend: str, digest: str) -> Unit:
    notebook = submission.path.read_bytes() if submission.path else b""
    return Unit(plan.chapter.name, submission.student, backend, submission.origin, digest, notebook,
                plan.exercises, plan.seed, plan.sandboxed, plan.memory_bytes, plan.timeout_s, plan.use_cache,
                submission.problem)


def stored_grading(plan: ClassPlan, unit: Unit, outcome: dict[str, Any]) -> Grading:
    """The row for `unit`: its report's score, or none (0 of the points it could have had) with the reason."""
    report = report_from_dict(outcome["report"]) if outcome.get("report") else None
    possible = sum(e.points for e in plan.chapter.spec.exercises if e.id in plan.exercises and unit.backend in e.backends)
    return Grading(
        chapter=unit.chapter, student=unit.student, backend=unit.backend, origin=unit.origin,
        notebook_sha256=unit.digest, seed=unit.seed, exercises=unit.exercises,
        outcome=outcome["outcome"] if report is None else GRADED, message=outcome.get("message", ""),
        score=report.score if report else 0.0, max_score=report.max_score if report else float(possible),
        duration_s=float(outcome.get("duration_s", 0.0)), grader_version=outcome.get("grader_version", ""),
        keras_version=outcome.get("keras_version", ""), backend_version=outcome.get("backend_version", ""),
        report=report,
    )


def grade_class(plan: ClassPlan, units: list[Unit], store: GradeStore, run: Callable[..., None],
                on_saved: Callable[[Grading], None] = lambda _: None) -> None:
    """Run `units` with `run(units, on_done)` (the engine) and store each outcome as soon as it comes."""

    def save(unit: Unit, outcome: dict[str, Any]) -> None:
        grading = stored_grading(plan, unit, outcome)
        store.save(grading)
        on_saved(grading)

    run(units, save)
