"""Exercise specifications: the typed, versioned manifest of each chapter.

A chapter's manifest (`solutions/chapterN_*.toml`) holds everything about its
exercises that can be data: id, title, points, hints, the inputs to generate,
tolerances, thresholds and time budgets. This module reads it into frozen
dataclasses and rejects what it does not understand, so that a typo in a
manifest fails loudly instead of silently grading with a default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import tomllib

SCHEMA_VERSION = 1
BACKENDS = ("jax", "tensorflow", "torch")
KINDS = ("function", "model", "training")

Kind = Literal["function", "model", "training"]


class SpecError(ValueError):
    """A manifest that does not follow the schema."""


@dataclass(frozen=True)
class Tolerance:
    """How close the learner's arrays must be to the reference's."""

    rtol: float = 1e-5
    atol: float = 1e-6


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer, computed by a reference-only function.

    When the learner's output matches the mistake's output, the grader says
    `message` instead of a bare mismatch.
    """

    function: str
    message: str


@dataclass(frozen=True)
class DataSplit:
    """A real dataset split by the run's seed for a training exercise.

    The learner's function receives the `learner` arrays; the held-out test
    arrays never reach the process that runs learner code.
    """

    dataset: str
    test_fraction: float
    val_fraction: float
    standardize: bool = False
    shuffle: bool = True
    window: int = 0
    vocabulary: int = 0  # texts: encode with this many vocabulary entries (grader/text.py)...
    length: int = 0  # ...into sequences of this length
    pad_test: int = 0  # sequences: this many more padding steps in the held-out split


@dataclass(frozen=True)
class Threshold:
    """The held-out metric a trained model must reach: at least `minimum` or at most `maximum`.

    With `max_gap`, the metric on the held-out rows may also be at most that much worse than on the
    model's own training rows: a bound on overfitting that a lucky test split cannot hide. With
    `training`, the metric on the training rows must reach that value too (in the same direction as
    the held-out bound): a bound on underfitting, which a small held-out split measures too noisily.
    """

    metric: str
    minimum: float | None = None
    maximum: float | None = None
    max_gap: float | None = None
    training: float | None = None

    @property
    def reads_training_rows(self) -> bool:
        """Whether the verdict needs the model's predictions on its own training rows."""
        return self.max_gap is not None or self.training is not None

    def passes(self, value: float) -> bool:
        if self.minimum is not None and not value >= self.minimum:
            return False
        return self.maximum is None or value <= self.maximum

    def gap_within(self, gap: float | None) -> bool:
        """Whether a measured gap is allowed (any, without a bound; a missing one never, with it)."""
        return self.max_gap is None or (gap is not None and gap <= self.max_gap)

    def training_within(self, value: float | None) -> bool:
        """Whether the metric on the training rows is allowed (any, without a bound; a missing one never)."""
        if self.training is None:
            return True
        if value is None:
            return False
        return value >= self.training if self.minimum is not None else value <= self.training

    def worst(self, values) -> float:
        """The value among `values` farthest toward failing: the lowest for a minimum, else the highest."""
        return min(values) if self.minimum is not None else max(values)

    def gap(self, held_out_value: float, training_value: float) -> float:
        """How much worse the held-out metric is than the training one (positive: worse)."""
        if self.minimum is not None:
            return training_value - held_out_value
        return held_out_value - training_value

    def describe(self) -> str:
        """`>= 0.700` or `<= 0.900`."""
        return f">= {self.minimum:.3f}" if self.minimum is not None else f"<= {self.maximum:.3f}"

    def describe_training(self) -> str:
        """The training bound as `>= 0.700` or `<= 0.580`."""
        assert self.training is not None
        return f"{'>=' if self.minimum is not None else '<='} {self.training:.3f}"


@dataclass(frozen=True)
class Speed:
    """A time limit relative to the reference, on inputs sized by `dims`.

    Both sides are timed the same way: one untimed warm-up run, then the fastest of `repeats` runs.
    """

    max_ratio: float
    repeats: int = 3
    dims: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExerciseSpec:
    """One graded exercise."""

    id: str
    title: str
    kind: Kind
    entry: str
    points: int
    hints: tuple[str, ...]
    timeout_s: float = 60.0
    trials: int = 1
    inputs: dict[str, Any] = field(default_factory=dict)
    dims: dict[str, Any] = field(default_factory=dict)
    tolerance: Tolerance = Tolerance()
    backend_tolerance: dict[str, Tolerance] = field(default_factory=dict)
    mistakes: tuple[Mistake, ...] = ()
    data: DataSplit | None = None
    threshold: Threshold | None = None
    budget_s: dict[str, float] = field(default_factory=dict)
    probe: str = ""
    speed: Speed | None = None
    backends: tuple[str, ...] = BACKENDS  # where it can be graded; elsewhere it is skipped
    memory_bytes: int | None = None  # the sandbox's memory limit per worker, when the default will not do

    def tolerance_for(self, backend: str) -> Tolerance:
        """The tolerance on `backend`, falling back to the exercise's default."""
        return self.backend_tolerance.get(backend, self.tolerance)

    @property
    def chapter(self) -> int:
        return int(self.id.split(".")[0])


@dataclass(frozen=True)
class ChapterSpec:
    """A chapter's manifest."""

    number: int
    title: str
    title_zh: str
    exercises: tuple[ExerciseSpec, ...]

    @property
    def max_score(self) -> int:
        return sum(exercise.points for exercise in self.exercises)

    def exercise(self, exercise_id: str) -> ExerciseSpec:
        """The exercise with this id; a SpecError names the known ones."""
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        known = ", ".join(e.id for e in self.exercises)
        raise SpecError(
            f"Chapter {self.number} has no exercise {exercise_id!r}. Known: {known}."
        )


def load_chapter_spec(path: Path) -> ChapterSpec:
    """Read and validate a chapter manifest.

    Args:
        path: the `.toml` manifest.

    Returns:
        The chapter's specification.

    Example:
        >>> spec = load_chapter_spec(Path("solutions/chapter4_worked_example.toml"))
        >>> spec.exercises[0].id
        '4.1'
    """
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"{path}: not valid TOML: {error}") from None
    schema = raw.get("schema")
    if schema != SCHEMA_VERSION:
        raise SpecError(
            f"{path}: expected schema = {SCHEMA_VERSION}. Received: schema={schema!r}."
        )
    chapter = _require(raw, "chapter", path)
    number = int(_require(chapter, "number", path))
    exercises = tuple(
        _parse_exercise(entry, path) for entry in raw.get("exercises", [])
    )
    _check_ids(number, exercises, path)
    return ChapterSpec(
        number=number,
        title=str(_require(chapter, "title", path)),
        title_zh=str(_require(chapter, "title_zh", path)),
        exercises=exercises,
    )


_EXERCISE_KEYS = {
    "id", "title", "kind", "entry", "points", "hints", "timeout_s", "trials",
    "inputs", "dims", "tolerance", "mistakes", "data", "threshold", "budget_s", "probe", "speed", "backends",
    "memory_mb",
}


def _parse_exercise(raw: dict[str, Any], path: Path) -> ExerciseSpec:
    unknown = set(raw) - _EXERCISE_KEYS
    where = f"{path}: exercise {raw.get('id', '?')}"
    if unknown:
        raise SpecError(f"{where}: unknown keys {sorted(unknown)}.")
    kind = _require(raw, "kind", where)
    if kind not in KINDS:
        raise SpecError(f"{where}: kind must be one of {KINDS}. Received: kind={kind!r}.")
    hints = tuple(raw.get("hints", ()))
    if not hints:
        raise SpecError(f"{where}: every exercise needs at least one hint.")
    tolerance, backend_tolerance = _parse_tolerance(raw.get("tolerance", {}), where)
    exercise = ExerciseSpec(
        id=str(_require(raw, "id", where)),
        title=str(_require(raw, "title", where)),
        kind=kind,
        entry=str(_require(raw, "entry", where)),
        points=int(_require(raw, "points", where)),
        hints=hints,
        timeout_s=float(raw.get("timeout_s", 60.0)),
        memory_bytes=int(raw["memory_mb"]) * 1024**2 if "memory_mb" in raw else None,
        trials=int(raw.get("trials", 1)),
        inputs=dict(raw.get("inputs", {})),
        dims=dict(raw.get("dims", {})),
        tolerance=tolerance,
        backend_tolerance=backend_tolerance,
        mistakes=tuple(Mistake(**m) for m in raw.get("mistakes", ())),
        data=DataSplit(**raw["data"]) if "data" in raw else None,
        threshold=_parse_threshold(raw.get("threshold"), where),
        budget_s={k: float(v) for k, v in raw.get("budget_s", {}).items()},
        probe=str(raw.get("probe", "")),
        speed=Speed(**raw["speed"]) if "speed" in raw else None,
        backends=tuple(raw.get("backends", BACKENDS)),
    )
    _check_kind_fields(exercise, where)
    return exercise


def _parse_tolerance(
    raw: dict[str, Any], where: str
) -> tuple[Tolerance, dict[str, Tolerance]]:
    default = Tolerance(**{k: float(v) for k, v in raw.items() if k in ("rtol", "atol")})
    per_backend = {}
    for backend in BACKENDS:
        if backend in raw:
            values = {"rtol": default.rtol, "atol": default.atol, **raw[backend]}
            per_backend[backend] = Tolerance(**{k: float(v) for k, v in values.items()})
    unknown = set(raw) - {"rtol", "atol", *BACKENDS}
    if unknown:
        raise SpecError(f"{where}: unknown tolerance keys {sorted(unknown)}.")
    return default, per_backend


def _parse_threshold(raw: dict[str, Any] | None, where: str) -> Threshold | None:
    if raw is None:
        return None
    if ("min" in raw) == ("max" in raw):
        raise SpecError(f"{where}: a threshold needs exactly one of min or max. Received: {raw!r}")
    direction = "min" if "min" in raw else "max"
    unknown = set(raw) - {"metric", "min", "max", "max_gap", f"{direction}_training"}
    if unknown:
        raise SpecError(f"{where}: unknown threshold keys {sorted(unknown)} (a {direction} threshold takes "
                        f"max_gap and {direction}_training).")
    bound = {"minimum": float(raw["min"])} if direction == "min" else {"maximum": float(raw["max"])}
    max_gap = float(raw["max_gap"]) if "max_gap" in raw else None
    training = float(raw[f"{direction}_training"]) if f"{direction}_training" in raw else None
    return Threshold(metric=str(_require(raw, "metric", where)), max_gap=max_gap, training=training, **bound)


def _check_kind_fields(exercise: ExerciseSpec, where: str) -> None:
    if not set(exercise.backends) <= set(BACKENDS) or not exercise.backends:
        raise SpecError(f"{where}: backends must be some of {BACKENDS}. Received: {list(exercise.backends)}")
    if exercise.kind == "training":
        if exercise.data is None or exercise.threshold is None:
            raise SpecError(f"{where}: a training exercise needs [data] and [threshold].")
        missing = [b for b in exercise.backends if b not in exercise.budget_s]
        if missing:
            raise SpecError(f"{where}: budget_s needs a time budget for {missing}.")


def _check_ids(number: int, exercises: tuple[ExerciseSpec, ...], path: Path) -> None:
    seen: set[str] = set()
    for exercise in exercises:
        if not exercise.id.startswith(f"{number}."):
            raise SpecError(f"{path}: exercise id {exercise.id!r} must start with '{number}.'.")
        if exercise.id in seen:
            raise SpecError(f"{path}: exercise id {exercise.id!r} appears twice.")
        seen.add(exercise.id)


def _require(table: dict[str, Any], key: str, where: object) -> Any:
    if key not in table:
        raise SpecError(f"{where}: missing required key {key!r}.")
    return table[key]
