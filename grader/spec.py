"""Exercise specifications: the typed, versioned manifest of each chapter.

A chapter's manifest (`solutions/chapterN_*.toml`) holds everything about its
exercises that can be data: id, title, points, hints, the inputs to generate,
tolerances, thresholds and time budgets. This module reads it into frozen
dataclasses and rejects what it does not understand, so that a typo in a
manifest fails loudly instead of silently grading with a default.
"""

from __future__ import annotations

import difflib
import typing
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Literal, Mapping, TypeVar

import numpy as np
import tomllib

from course_data import CORPORA, TRAINING_SETS
from .metrics import METRICS

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

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
    vocabulary: int = 0  # texts: encode with this many vocabulary entries (course_data/text.py)...
    length: int = 0  # ...into sequences of this length
    pad_test: int = 0  # sequences: this many more padding steps in the held-out split
    translation: bool = False  # (source, target) text pairs: both encoded, the held-out targets kept as text


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

    def worst(self, values: Iterable[float]) -> float:
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
class RandomLabels:
    """A second training run, on inputs shaped like the real split but with labels drawn at random.

    There is nothing to learn, so a model that stops where its validation loss stops improving predicts
    about the base rate, while one trained on regardless memorises its training rows and is confidently
    wrong on new ones: its log loss on `test_rows` fresh rows must be at most `max_log_loss`. A held-out
    split of a few hundred real rows cannot tell the two apart; this can.
    """

    max_log_loss: float
    test_rows: int = 4000


@dataclass(frozen=True)
class Baseline:
    """A model the reference trains on the same split, never with learner code, for the learner's to beat.

    The learner's model must remove at least `min_error_reduction` of the baseline's held-out error (its
    distance from the metric's best value; grader/metrics.error_reduction). Paired on the same split, the
    comparison is far less noisy than either metric: it measures what the learner's part adds, such as
    an augmentation (exercise 7.7).
    """

    function: str
    min_error_reduction: float
    description: str  # what the baseline is, for the learner: "the same network without your augmentation"


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
    random_labels: RandomLabels | None = None  # training exercises: a run on random labels must not memorise them
    baseline: Baseline | None = None  # training exercises: a reference model on the same split to beat
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

    def translated(self, texts: Mapping[str, str]) -> ChapterSpec:
        """The same manifest with its learner-facing texts (titles, hints, known-mistake messages, baselines) looked up in
        `texts`, English -> translation; a text without one stays English."""
        if not texts:
            return self

        def look_up(text: str) -> str:
            return texts.get(text, text)

        exercises = tuple(
            replace(e, title=look_up(e.title), hints=tuple(map(look_up, e.hints)),
                    mistakes=tuple(replace(m, message=look_up(m.message)) for m in e.mistakes),
                    baseline=replace(e.baseline, description=look_up(e.baseline.description)) if e.baseline else None)
            for e in self.exercises
        )
        return replace(self, exercises=exercises)

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

    Every table is checked here, at load: an unknown key, a value of the wrong type, a dataset,
    metric, corpus or dimension that does not exist raise a one-line SpecError naming the file,
    the exercise, the key and the fix, before anything is graded.

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
    _refuse_unknown(raw, ("schema", "chapter", "exercises"), f"{path}", "the manifest")
    chapter = _table(_require(raw, "chapter", path), f"{path}", "[chapter]")
    _refuse_unknown(chapter, ("number", "title", "title_zh"), f"{path}", "[chapter]")
    number = _typed(_require(chapter, "number", path), int, f"{path}: [chapter] number")
    exercises = tuple(
        _parse_exercise(_table(entry, f"{path}", "[[exercises]]"), path) for entry in raw.get("exercises", [])
    )
    _check_ids(number, exercises, path)
    return ChapterSpec(
        number=number,
        title=_typed(_require(chapter, "title", path), str, f"{path}: [chapter] title"),
        title_zh=_typed(_require(chapter, "title_zh", path), str, f"{path}: [chapter] title_zh"),
        exercises=exercises,
    )


_EXERCISE_KEYS = (
    "id", "title", "kind", "entry", "points", "hints", "timeout_s", "trials",
    "inputs", "dims", "tolerance", "mistakes", "data", "threshold", "random_labels", "baseline", "budget_s", "probe", "speed",
    "backends", "memory_mb",
)


def _parse_exercise(raw: dict[str, Any], path: Path) -> ExerciseSpec:
    where = f"{path}: exercise {raw.get('id', '?')}"
    _refuse_unknown(raw, _EXERCISE_KEYS, where, "the exercise")
    kind = _require(raw, "kind", where)
    if kind not in KINDS:
        raise SpecError(f"{where}: kind {kind!r} is not a kind of exercise. {_suggest(kind, KINDS)}")
    hints = tuple(_typed(h, str, f"{where}: a hint") for h in _typed(raw.get("hints", []), list, f"{where}: hints"))
    if not hints:
        raise SpecError(f"{where}: every exercise needs at least one hint.")
    tolerance, backend_tolerance = _parse_tolerance(_table(raw.get("tolerance", {}), where, "tolerance"), where)
    dims = _parse_dims(_table(raw.get("dims", {}), where, "dims"), where, "dims")
    inputs = _table(raw.get("inputs", {}), where, "inputs")
    _check_inputs(inputs, dims, where)
    exercise = ExerciseSpec(
        id=_typed(_require(raw, "id", where), str, f"{where}: id"),
        title=_typed(_require(raw, "title", where), str, f"{where}: title"),
        kind=kind,
        entry=_typed(_require(raw, "entry", where), str, f"{where}: entry"),
        points=_typed(_require(raw, "points", where), int, f"{where}: points"),
        hints=hints,
        timeout_s=_typed(raw.get("timeout_s", 60.0), float, f"{where}: timeout_s"),
        memory_bytes=_typed(raw["memory_mb"], int, f"{where}: memory_mb") * 1024**2 if "memory_mb" in raw else None,
        trials=_typed(raw.get("trials", 1), int, f"{where}: trials"),
        inputs=inputs,
        dims=dims,
        tolerance=tolerance,
        backend_tolerance=backend_tolerance,
        mistakes=tuple(_record(Mistake, m, where, "a mistake") for m in _typed(raw.get("mistakes", []), list,
                                                                                 f"{where}: mistakes")),
        data=_parse_data(raw["data"], where) if "data" in raw else None,
        threshold=_parse_threshold(raw.get("threshold"), where),
        random_labels=_record(RandomLabels, raw["random_labels"], where, "random_labels") if "random_labels" in raw else None,
        baseline=_record(Baseline, raw["baseline"], where, "baseline") if "baseline" in raw else None,
        budget_s=_parse_budget(_table(raw.get("budget_s", {}), where, "budget_s"), where),
        probe=_typed(raw.get("probe", ""), str, f"{where}: probe"),
        speed=_parse_speed(raw["speed"], dims, where) if "speed" in raw else None,
        backends=_parse_backends(raw.get("backends", list(BACKENDS)), where),
    )
    _check_kind_fields(exercise, where)
    return exercise


def _parse_tolerance(
    raw: dict[str, Any], where: str
) -> tuple[Tolerance, dict[str, Tolerance]]:
    _refuse_unknown(raw, ("rtol", "atol", *BACKENDS), where, "tolerance")
    default = _record(Tolerance, {k: v for k, v in raw.items() if k not in BACKENDS}, where, "tolerance")
    per_backend = {}
    for backend in BACKENDS:
        if backend in raw:
            values = {"rtol": default.rtol, "atol": default.atol, **_table(raw[backend], where, f"tolerance.{backend}")}
            per_backend[backend] = _record(Tolerance, values, where, f"tolerance.{backend}")
    return default, per_backend


def _parse_data(raw: Any, where: str) -> DataSplit:
    split = _record(DataSplit, raw, where, "data")
    if split.dataset not in TRAINING_SETS:
        raise SpecError(f"{where}: data: there is no dataset {split.dataset!r}. {_suggest(split.dataset, TRAINING_SETS)}")
    if not (0 < split.test_fraction < 1 and 0 <= split.val_fraction < 1 and split.test_fraction + split.val_fraction < 1):
        raise SpecError(f"{where}: data: test_fraction and val_fraction must be fractions that leave training rows. "
                        f"Received: {split.test_fraction} and {split.val_fraction}.")
    return split


def _parse_threshold(raw: Any, where: str) -> Threshold | None:
    if raw is None:
        return None
    raw = _table(raw, where, "threshold")
    if ("min" in raw) == ("max" in raw):
        raise SpecError(f"{where}: a threshold needs exactly one of min or max. Received: {raw!r}")
    direction = "min" if "min" in raw else "max"
    _refuse_unknown(raw, ("metric", direction, "max_gap", f"{direction}_training"), where, f"a {direction} threshold")
    metric = _typed(_require(raw, "metric", where), str, f"{where}: threshold metric")
    if metric not in METRICS:
        raise SpecError(f"{where}: threshold: there is no metric {metric!r}. {_suggest(metric, METRICS)}")
    number = {key: _typed(raw[key], float, f"{where}: threshold {key}")
              for key in (direction, "max_gap", f"{direction}_training") if key in raw}
    bound = {"minimum": number["min"]} if direction == "min" else {"maximum": number["max"]}
    return Threshold(metric=metric, max_gap=number.get("max_gap"), training=number.get(f"{direction}_training"),
                     **bound)


def _parse_speed(raw: Any, dims: dict[str, Any], where: str) -> Speed:
    speed = _record(Speed, raw, where, "speed")
    _refuse_unknown(speed.dims, dims, where, "speed.dims")
    return Speed(speed.max_ratio, speed.repeats, _parse_dims(speed.dims, where, "speed.dims"))


def _parse_budget(raw: dict[str, Any], where: str) -> dict[str, float]:
    _refuse_unknown(raw, BACKENDS, where, "budget_s")
    return {backend: _typed(seconds, float, f"{where}: budget_s {backend}") for backend, seconds in raw.items()}


def _parse_backends(raw: Any, where: str) -> tuple[str, ...]:
    backends = tuple(_typed(b, str, f"{where}: a backend") for b in _typed(raw, list, f"{where}: backends"))
    for backend in backends:
        if backend not in BACKENDS:
            raise SpecError(f"{where}: backends: there is no backend {backend!r}. {_suggest(backend, BACKENDS)}")
    return backends


def _parse_dims(raw: dict[str, Any], where: str, table: str) -> dict[str, Any]:
    for name, size in raw.items():
        _check_size(size, f"{where}: {table} {name}")
    return dict(raw)


# The rules an input may follow (the key that names the rule) and the options each one takes.
INPUT_RULES: dict[str, tuple[str, ...]] = {
    "normal": ("loc", "scale", "dtype"),
    "uniform": ("low", "high", "dtype"),
    "integers": ("low", "high", "dtype"),
    "choice": (),
    "value": (),
    "seed": (),
    "mask": ("p", "dtype"),
    "sentences": ("rows",),
    "perturb": ("drop",),
}
_REQUIRED_OPTIONS = {"integers": ("high",), "sentences": ("rows",)}
_SHAPED_RULES = ("normal", "uniform", "integers", "mask")


def _check_inputs(inputs: dict[str, Any], dims: dict[str, Any], where: str) -> None:
    """Every input names one known rule, with known options, known dimensions and known corpora."""
    for position, (name, rule) in enumerate(inputs.items()):
        what = f"{where}: input {name!r}"
        rule = _table(rule, where, f"input {name!r}")
        named = [key for key in rule if key in INPUT_RULES]
        if len(named) != 1:
            unknown = [key for key in rule if key not in INPUT_RULES]
            guess = _suggest(unknown[0], INPUT_RULES) if unknown and not named else ""
            raise SpecError(f"{what} must name exactly one rule of {', '.join(INPUT_RULES)}. "
                            f"Received: {', '.join(rule) or 'none'}. {guess}".rstrip())
        kind = named[0]
        _refuse_unknown({k: v for k, v in rule.items() if k != kind}, INPUT_RULES[kind], what, f"a {kind} rule")
        for option in _REQUIRED_OPTIONS.get(kind, ()):
            if option not in rule:
                raise SpecError(f"{what}: a {kind} rule needs {option!r}.")
        if kind in _SHAPED_RULES:
            _check_shape(rule[kind], dims, what)
        if kind == "sentences":
            if rule["sentences"] not in CORPORA:
                raise SpecError(f"{what}: there is no corpus {rule['sentences']!r}. {_suggest(rule['sentences'], CORPORA)}")
            _check_shape([rule["rows"]], dims, what)
        if kind == "perturb" and rule["perturb"] not in list(inputs)[:position]:
            raise SpecError(f"{what}: perturb must name an input listed before it. Received: {rule['perturb']!r}. "
                            f"{_suggest(rule['perturb'], list(inputs)[:position])}")
        if kind == "choice" and not (isinstance(rule["choice"], list) and rule["choice"]):
            raise SpecError(f"{what}: choice needs a non-empty list. Received: {rule['choice']!r}.")
        if "dtype" in rule:
            try:
                np.dtype(rule["dtype"])
            except TypeError:
                raise SpecError(f"{what}: dtype {rule['dtype']!r} is not a NumPy dtype.") from None


def _check_shape(entries: Any, dims: dict[str, Any], what: str) -> None:
    """A shape: a list of sizes, each a size or the name of a dimension in `dims`."""
    for entry in _typed(entries, list, f"{what}: the shape"):
        if isinstance(entry, str):
            if entry not in dims:
                raise SpecError(f"{what}: the shape names {entry!r}, which is not in dims. {_suggest(entry, dims)}")
        else:
            _check_size(entry, f"{what}: the shape")


def _check_size(size: Any, what: str) -> None:
    """A size: a non-negative integer, or a `[low, high]` range drawn once per trial."""
    is_int = isinstance(size, int) and not isinstance(size, bool)
    is_range = (isinstance(size, list) and len(size) == 2 and all(isinstance(s, int) and not isinstance(s, bool)
                                                                  for s in size) and 0 <= size[0] <= size[1])
    if not ((is_int and size >= 0) or is_range):
        raise SpecError(f"{what} must be a size (an integer) or a [low, high] range. Received: {size!r}.")


def _check_kind_fields(exercise: ExerciseSpec, where: str) -> None:
    if not exercise.backends:
        raise SpecError(f"{where}: backends must name at least one of {BACKENDS}.")
    if exercise.kind == "training":
        if exercise.data is None or exercise.threshold is None:
            raise SpecError(f"{where}: a training exercise needs [data] and [threshold].")
        missing = [b for b in exercise.backends if b not in exercise.budget_s]
        if missing:
            raise SpecError(f"{where}: budget_s needs a time budget for {missing}.")
    elif exercise.random_labels is not None:
        raise SpecError(f"{where}: random_labels is a second training run: only a training exercise has one.")
    elif exercise.baseline is not None:
        raise SpecError(f"{where}: baseline is a reference model to beat: only a training exercise has one.")


def _check_ids(number: int, exercises: tuple[ExerciseSpec, ...], path: Path) -> None:
    seen: set[str] = set()
    for exercise in exercises:
        if not exercise.id.startswith(f"{number}."):
            raise SpecError(f"{path}: exercise id {exercise.id!r} must start with '{number}.'.")
        if exercise.id in seen:
            raise SpecError(f"{path}: exercise id {exercise.id!r} appears twice.")
        seen.add(exercise.id)


_Record = TypeVar("_Record", bound="DataclassInstance")


def _record(cls: type[_Record], raw: Any, where: str, table: str) -> _Record:
    """A frozen record of `cls` from a manifest table: unknown keys, missing keys and wrong types refused."""
    raw = _table(raw, where, table)
    known = fields(cls)
    _refuse_unknown(raw, [f.name for f in known], where, table)
    for f in known:
        if f.name not in raw and f.default is MISSING and f.default_factory is MISSING:
            raise SpecError(f"{where}: {table} needs {f.name!r}.")
    types = typing.get_type_hints(cls)
    return cls(**{key: _typed(value, types[key], f"{where}: {table} {key}") for key, value in raw.items()})


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list",
               dict: "a table"}


def _typed(value: Any, expected: Any, what: str) -> Any:
    """`value` as the type a field declares (an integer is a number too), or a SpecError saying what was expected."""
    kind = typing.get_origin(expected) or expected
    is_bool = isinstance(value, bool)
    if kind is float and isinstance(value, (int, float)) and not is_bool:
        return float(value)
    if kind in (int, str, list, dict) and isinstance(value, kind) and not (kind is int and is_bool):
        return value
    if kind is bool and is_bool:
        return value
    if kind not in _TYPE_NAMES:
        return value
    raise SpecError(f"{what} must be {_TYPE_NAMES[kind]}. Received: {value!r}.")


def _table(value: Any, where: str, table: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SpecError(f"{where}: {table} must be a table ({{ key = value, ... }}). Received: {value!r}.")
    return value


def _refuse_unknown(raw: Iterable[str], known: Iterable[str], where: str, table: str) -> None:
    known = list(known)
    for key in raw:
        if key not in known:
            raise SpecError(f"{where}: {table} has no key {key!r}. {_suggest(key, known)}")


def _suggest(name: Any, known: Iterable[str]) -> str:
    """'Did you mean ...?' with the closest known name, else the list of known names."""
    known = sorted(known)
    close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
    if close:
        return f"Did you mean {close[0]!r}?"
    return f"Expected one of: {', '.join(known)}." if known else "There are none."


def _require(table: dict[str, Any], key: str, where: object) -> Any:
    if key not in table:
        raise SpecError(f"{where}: missing required key {key!r}.")
    return table[key]
