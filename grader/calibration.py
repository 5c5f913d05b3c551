"""A chapter's measured numbers, `solutions/<stem>.calibration.json`: one typed, versioned reader and writer.

`grader calibrate --write` records the reference's runs behind each training threshold (per backend
and seed: the held-out metric, the training time, and where the threshold reads the training rows, the
gap and the training metric); `grader calibrate --tolerances --write` records the spread of the
reference's outputs across backends behind each tolerance. The writers, the tests
(tests/test_calibration.py) and the docs site (docs/hooks/threshold_pages.py) all go through `read`
and `write`, so a file in another layout is refused in one place, with the command that rewrites it.

Example:
    >>> calibration = read(Path("solutions/chapter4_worked_example.calibration.json"), "chapter4")
    >>> calibration.version, sorted(calibration.exercises["4.3"].backends)
    (1, ['jax', 'tensorflow', 'torch'])
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VERSION = 1


class CalibrationError(ValueError):
    """A calibration file that cannot be read: not JSON, another version, or a field of the wrong kind."""


@dataclass(frozen=True)
class Runs:
    """The reference's runs of one training exercise on one backend, one entry per seed.

    A value or time is None for a seed whose run did not finish.
    """

    seeds: tuple[int, ...]
    values: tuple[float | None, ...]
    times_s: tuple[float | None, ...]
    gaps: tuple[float | None, ...] = ()  # held-out minus training metric, where the threshold reads training rows
    training_values: tuple[float | None, ...] = ()  # the metric on the model's own training rows, likewise
    random_label_losses: tuple[float | None, ...] = ()  # log loss after the run on random labels, where there is one
    baseline_values: tuple[float | None, ...] = ()  # the baseline's held-out metric on the same split, where there is one
    keras_version: str = ""
    backend_version: str = ""


@dataclass(frozen=True)
class ThresholdRuns:
    """What backs one training exercise's threshold: its metric, the command that measured it, the runs."""

    metric: str
    command: str
    backends: dict[str, Runs]


@dataclass(frozen=True)
class Spread:
    """What backs one function exercise's tolerance: the largest differences between backends' outputs."""

    seeds: int
    max_abs_diff: float
    max_rel_diff: float
    command: str


@dataclass(frozen=True)
class Calibration:
    """One chapter's calibration file."""

    chapter: str
    measured_on: dict[str, Any] = field(default_factory=dict)  # machine, cpus, python
    exercises: dict[str, ThresholdRuns] = field(default_factory=dict)
    tolerances: dict[str, Spread] = field(default_factory=dict)
    version: int = VERSION


def read(path: Path, chapter: str) -> Calibration:
    """The calibration in `path`; an empty one for `chapter` when the file does not exist yet."""
    if not path.is_file():
        return Calibration(chapter)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CalibrationError(f"{path}: not readable JSON ({error}).") from None
    if not isinstance(raw, dict):
        raise CalibrationError(f"{path}: expected a JSON object. Received: {type(raw).__name__}.")
    if raw.get("version") != VERSION:
        raise CalibrationError(f"{path}: expected version {VERSION}. Received: version={raw.get('version')!r}. "
                               f"Rewrite it: grader calibrate {chapter} --backend all --write")
    try:
        return Calibration(
            chapter=_kind(raw.get("chapter", chapter), str),
            measured_on=_kind(raw.get("measured_on", {}), dict),
            exercises={_kind(i, str): _threshold_runs(entry) for i, entry in _kind(raw.get("exercises", {}), dict).items()},
            tolerances={_kind(i, str): _spread(entry) for i, entry in _kind(raw.get("tolerances", {}), dict).items()},
        )
    except KeyError as error:
        raise CalibrationError(f"{path}: a required field is missing: {error}.") from None
    except TypeError as error:
        raise CalibrationError(f"{path}: {error}.") from None


def write(path: Path, calibration: Calibration) -> None:
    """Write `calibration` to `path`, keys sorted, one value per line (diffs stay readable)."""
    path.write_text(json.dumps(to_json(calibration), indent=1, sort_keys=True) + "\n", encoding="utf-8")


def to_json(calibration: Calibration) -> dict[str, Any]:
    """The file's JSON object. Empty lists of gaps, training values, random-label losses and baselines are left out."""
    def runs(r: Runs) -> dict[str, Any]:
        entry = {"seeds": list(r.seeds), "values": list(r.values), "times_s": list(r.times_s),
                 "keras_version": r.keras_version, "backend_version": r.backend_version}
        entry.update({key: list(getattr(r, key)) for key in ("gaps", "training_values", "random_label_losses",
                                                             "baseline_values")
                      if getattr(r, key)})
        return entry

    return {
        "version": calibration.version,
        "chapter": calibration.chapter,
        "measured_on": calibration.measured_on,
        "exercises": {i: {"metric": t.metric, "command": t.command,
                          "backends": {b: runs(r) for b, r in t.backends.items()}}
                      for i, t in calibration.exercises.items()},
        **({"tolerances": {i: vars(s) for i, s in calibration.tolerances.items()}} if calibration.tolerances else {}),
    }


def _threshold_runs(raw: Any) -> ThresholdRuns:
    raw = _kind(raw, dict)
    return ThresholdRuns(metric=_kind(raw["metric"], str), command=_kind(raw.get("command", ""), str),
                         backends={_kind(b, str): _runs(r) for b, r in _kind(raw["backends"], dict).items()})


def _runs(raw: Any) -> Runs:
    raw = _kind(raw, dict)
    return Runs(
        seeds=tuple(_kind(s, int) for s in _kind(raw["seeds"], list)),
        values=_numbers(raw["values"], "values"),
        times_s=_numbers(raw.get("times_s", []), "times_s"),
        gaps=_numbers(raw.get("gaps", []), "gaps"),
        training_values=_numbers(raw.get("training_values", []), "training_values"),
        random_label_losses=_numbers(raw.get("random_label_losses", []), "random_label_losses"),
        baseline_values=_numbers(raw.get("baseline_values", []), "baseline_values"),
        keras_version=_kind(raw.get("keras_version", ""), str),
        backend_version=_kind(raw.get("backend_version", ""), str),
    )


def _spread(raw: Any) -> Spread:
    raw = _kind(raw, dict)
    return Spread(seeds=_kind(raw["seeds"], int), max_abs_diff=_number(raw["max_abs_diff"], "max_abs_diff"),
                  max_rel_diff=_number(raw["max_rel_diff"], "max_rel_diff"), command=_kind(raw["command"], str))


def _numbers(raw: Any, name: str) -> tuple[float | None, ...]:
    return tuple(None if v is None else _number(v, name) for v in _kind(raw, list))


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} holds {value!r}, not a number")
    return float(value)


def _kind(value: Any, kind: type) -> Any:
    if isinstance(value, bool) and kind is int or not isinstance(value, kind):
        raise TypeError(f"expected {kind.__name__}, received {value!r}")
    return value
