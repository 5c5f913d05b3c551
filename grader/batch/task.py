"""The unit of a class's grading: one submission on one backend, graded wherever the engine runs it.

`grade_unit` runs in an engine worker (a grader process, never learner code): it grades exactly
as `grader check` does, with the learner's code in the sandbox, and sends back plain data. The
notebook travels inside the unit, so a worker on another machine needs the course, not the
instructor's files.
"""

from __future__ import annotations

import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__, reference_cache, sandbox
from ..chapters import resolve
from ..grading import Plan, grade
from ..notebook import NotebookError
from ..results import report_to_dict
from .store import FAULT, GRADED, UNREADABLE


@dataclass(frozen=True)
class Unit:
    """What a worker needs to grade one submission on one backend."""

    chapter: str
    student: str
    backend: str
    origin: str
    digest: str
    notebook: bytes  # empty when `problem` says why it cannot be graded
    exercises: tuple[str, ...]
    seed: int
    sandboxed: bool = True
    memory_bytes: int | None = None
    timeout_s: float | None = None
    use_cache: bool = True
    problem: str = ""


def grade_unit(unit: Unit) -> dict[str, Any]:
    """The outcome of grading `unit`, as the fields of a stored grading (grader/batch/store.py)."""
    started = time.monotonic()
    outcome: dict[str, Any] = {"outcome": GRADED, "message": "", "report": None}
    if unit.problem:
        outcome.update(outcome=UNREADABLE, message=unit.problem)
    else:
        try:
            outcome.update(_graded(unit))
        except NotebookError as error:
            outcome.update(outcome=UNREADABLE, message=f"not a readable notebook: {_without_folder(str(error))}")
        except Exception as error:  # a fault of the grader or the machine, reported as such, never as a zero
            outcome.update(outcome=FAULT, message=f"{type(error).__name__}: {error}",
                           traceback=traceback.format_exc(limit=8))
    outcome.update(duration_s=time.monotonic() - started, grader_version=__version__)
    return outcome


def _graded(unit: Unit) -> dict[str, Any]:
    if unit.sandboxed:
        sandbox.resolve_mode("require")  # on this worker's machine: a fault here, not an unsandboxed run
    chapter = resolve(unit.chapter)
    exercises = tuple(chapter.spec.exercise(i) for i in unit.exercises)
    with tempfile.TemporaryDirectory(prefix="grader-submission-") as folder:
        notebook = Path(folder) / "submission.ipynb"
        notebook.write_bytes(unit.notebook)
        plan = Plan(chapter, exercises, notebook, unit.seed, unit.timeout_s, unit.sandboxed,
                    unit.memory_bytes, _cache_root(unit))
        report = grade(plan, [unit.backend])
    backend = report.backends[0]
    if backend.setup_error:
        return {"outcome": FAULT, "message": f"the {unit.backend} worker could not start: {backend.setup_error}"}
    return {"report": report_to_dict(report), "keras_version": backend.keras_version,
            "backend_version": backend.backend_version}


def _cache_root(unit: Unit) -> Path | None:
    """This machine's reference cache, shared by every unit of the batch (one seed), where the jail cannot read it."""
    if not (unit.use_cache and unit.sandboxed):
        return None
    root = reference_cache.default_root()
    return None if sandbox.visible_inside(root) else root


def _without_folder(message: str) -> str:
    """The notebook's temporary path means nothing to a teacher."""
    return message.split(": ", 1)[-1] if "submission.ipynb" in message else message
