"""What a grading run produces: small frozen records, rendered elsewhere."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class Status(str, Enum):
    """The verdict on one exercise on one backend."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory limit"
    NOT_IMPLEMENTED = "not implemented"
    MISSING = "missing"
    SKIPPED = "skipped"  # needs another backend: neither passed nor failed

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class ExerciseResult:
    """One exercise on one backend.

    `message` is the one line the learner reads first; `details` hold the
    lines that show where the values differ; `hint` is the next thing to try.
    """

    id: str
    title: str
    status: Status
    score: float
    max_score: float
    message: str = ""
    details: tuple[str, ...] = ()
    hint: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    duration_s: float = 0.0
    history: dict[str, list[float]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @property
    def ok(self) -> bool:
        """Nothing for the learner to fix here."""
        return self.status in (Status.PASSED, Status.SKIPPED)


@dataclass(frozen=True)
class BackendReport:
    """Every selected exercise on one backend, with what ran it."""

    backend: str
    keras_version: str
    backend_version: str
    devices: tuple[str, ...]
    exercises: tuple[ExerciseResult, ...]
    setup_error: str = ""
    reference_cached: int = 0  # answers the reference cache gave (grader/reference_cache.py)
    reference_computed: int = 0  # answers the reference worker computed
    peak_memory_bytes: int | None = None  # the learner's sandboxed worker at its most, where a cgroup measures it

    @property
    def score(self) -> float:
        return sum(result.score for result in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(result.max_score for result in self.exercises)


@dataclass(frozen=True)
class RunReport:
    """A whole `grader check`: one chapter, one seed, one or more backends."""

    chapter: str
    seed: int
    notebook: str
    backends: tuple[BackendReport, ...]

    @property
    def score(self) -> float:
        return sum(report.score for report in self.backends)

    @property
    def max_score(self) -> float:
        return sum(report.max_score for report in self.backends)

    @property
    def passed(self) -> bool:
        return all(
            not report.setup_error and all(result.ok for result in report.exercises)
            for report in self.backends
        )


def report_to_dict(report: RunReport) -> dict[str, Any]:
    """The JSON form written by `grader check --json`."""
    return {
        "chapter": report.chapter,
        "seed": report.seed,
        "notebook": report.notebook,
        "score": report.score,
        "max_score": report.max_score,
        "backends": [
            {
                "backend": backend.backend,
                "keras_version": backend.keras_version,
                "backend_version": backend.backend_version,
                "devices": list(backend.devices),
                "setup_error": backend.setup_error,
                "reference_cached": backend.reference_cached,
                "reference_computed": backend.reference_computed,
                "peak_memory_bytes": backend.peak_memory_bytes,
                "score": backend.score,
                "max_score": backend.max_score,
                "exercises": [_exercise_to_dict(result) for result in backend.exercises],
            }
            for backend in report.backends
        ],
    }


def _exercise_to_dict(result: ExerciseResult) -> dict[str, Any]:
    data = asdict(result)
    data["status"] = result.status.value
    data["details"] = list(result.details)
    return data


def report_from_dict(data: dict[str, Any]) -> RunReport:
    """The inverse of `report_to_dict`, for the notebook's `check()`."""
    backends = []
    for backend in data["backends"]:
        exercises = tuple(
            ExerciseResult(
                **{
                    **exercise,
                    "status": Status(exercise["status"]),
                    "details": tuple(exercise["details"]),
                }
            )
            for exercise in backend["exercises"]
        )
        backends.append(
            BackendReport(
                backend=backend["backend"],
                keras_version=backend["keras_version"],
                backend_version=backend["backend_version"],
                devices=tuple(backend["devices"]),
                exercises=exercises,
                setup_error=backend.get("setup_error", ""),
                reference_cached=backend.get("reference_cached", 0),
                reference_computed=backend.get("reference_computed", 0),
                peak_memory_bytes=backend.get("peak_memory_bytes"),
            )
        )
    return RunReport(data["chapter"], data["seed"], data.get("notebook", ""), tuple(backends))
