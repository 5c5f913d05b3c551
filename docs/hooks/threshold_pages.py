"""The thresholds page: each training exercise's threshold and budget beside its calibration.

The threshold and the time budgets come from the chapter's manifest; the measurements from
`solutions/<stem>.calibration.json`, written by `grader calibrate ... --write` and read with
`grader.calibration.read`: a missing file, exercise or backend reads as "not calibrated yet", and a
file that cannot be read is named on the page, with the reason, instead of stopping the build.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any, Mapping

from grader import calibration as calibration_file
from grader.chapters import Chapter
from grader.spec import BACKENDS, ExerciseSpec, Threshold

NOT_CALIBRATED = "not calibrated yet"


@dataclass(frozen=True)
class Bounds(Threshold):
    """The manifest's threshold (grader.spec.Threshold decides what passes), as this page writes it."""

    def __str__(self) -> str:
        parts = [f"≥ {self.minimum:g}" if self.minimum is not None else "", f"≤ {self.maximum:g}" if self.maximum is not None else ""]
        gap = f", gap to training ≤ {self.max_gap:g}" if self.max_gap is not None else ""
        sign = "≥" if self.minimum is not None else "≤"
        training = f", on training rows {sign} {self.training:g}" if self.training is not None else ""
        return f"{self.metric} {' and '.join(p for p in parts if p)}{gap}{training}"


@dataclass(frozen=True)
class Measured:
    """One backend's calibration runs: a value, a time, maybe a gap and a training value per seed (None where missing)."""

    values: tuple[float | None, ...]
    times_s: tuple[float | None, ...]
    gaps: tuple[float | None, ...] = ()
    training_values: tuple[float | None, ...] = ()
    keras_version: str = ""
    backend_version: str = ""

    def pass_rate(self, bounds: Bounds, budget_s: float | None) -> float:
        """Share of seeds whose value meets the threshold within the time budget."""
        padding = (None,) * len(self.values)
        passed = [
            value is not None and bounds.passes(value) and bounds.gap_within(gap) and bounds.training_within(trained)
            and (budget_s is None or (time is not None and time <= budget_s))
            for value, time, gap, trained in zip(self.values, self.times_s + padding, self.gaps + padding,
                                                 self.training_values + padding)
        ]
        return sum(passed) / len(passed) if passed else 0.0


def bounds_of(exercise: ExerciseSpec) -> Bounds | None:
    """The manifest's threshold, as this page writes it."""
    threshold = exercise.threshold
    if threshold is None:
        return None
    return Bounds(threshold.metric, threshold.minimum, threshold.maximum, threshold.max_gap, threshold.training)


def read_calibration(chapter: Chapter) -> tuple[dict[str, calibration_file.ThresholdRuns], str]:
    """The calibration's exercises, and a note on the file (where it was measured, or why it is unusable)."""
    name = f"`{chapter.calibration.name}`"
    if not chapter.calibration.is_file():
        return {}, f"{name} does not exist yet."
    try:
        calibration = calibration_file.read(chapter.calibration, chapter.name)
    except calibration_file.CalibrationError as error:
        return {}, f"{name} could not be read ({error})."
    if calibration.measured_on:
        described = ", ".join(f"{key} {value}" for key, value in calibration.measured_on.items())
        return calibration.exercises, f"Measured on: {described} ({name})."
    return calibration.exercises, f"From {name}."


def measured_of(runs: calibration_file.Runs | None) -> Measured | None:
    """One backend's entry of the calibration, or None if it has no measurements."""
    if runs is None:
        return None
    def finite(numbers: tuple[float | None, ...]) -> tuple[float | None, ...]:
        return tuple(_number(n) for n in numbers)

    return Measured(values=finite(runs.values), times_s=finite(runs.times_s), gaps=finite(runs.gaps),
                    training_values=finite(runs.training_values), keras_version=runs.keras_version,
                    backend_version=runs.backend_version)


def thresholds_page(chapters: list[Chapter], pages: Mapping[str, str]) -> str:
    """The whole page: one section per chapter, one table per thresholded exercise.

    Args:
        chapters: every chapter, published or not.
        pages: chapter name to its docs page, for the published ones.
    """
    lines = [
        "# Thresholds and calibration",
        "",
        "<!-- Generated at build time by docs/hooks/generate.py from solutions/*.toml and "
        "solutions/*.calibration.json: edit those, not this page. -->",
        "",
        "A training exercise passes when the learner's model reaches the threshold on a held-out test split "
        "*and* training finishes within the backend's time budget. Both come from the chapter's manifest; "
        "the measurements below come from training the reference solution over many seeds with "
        "`grader calibrate chapterN --backend all --seeds 20 --write`. The pass rate is the share of those "
        "seeds that met the threshold within the budget,",
        "",
        r"$$\text{pass rate} = \frac{\#\{\text{seeds } s : m_s \ge \text{min} \text{ and } t_s \le \text{budget}\}}"
        r"{\#\text{seeds}},$$",
        "",
        r"with $m_s$ the held-out metric and $t_s$ the training time of seed $s$ ($\le \text{max}$ for a metric "
        "that must stay low). Where the threshold also bounds the *gap to training* (the held-out metric minus "
        "the same metric on the model's own training rows), or the metric on the training rows itself, a seed "
        "passes only if those are within their bounds too. A threshold that the reference does not pass (nearly) "
        f"always is too strict for learners{_required_rate()}; and since learners and CI draw fresh seeds all the "
        "time, each bound must also sit several standard deviations of the reference's runs from their mean "
        f"(a tail that twenty seeds cannot show){_required_margin()}.",
    ]
    sections = [_chapter_section(chapter, pages.get(chapter.name)) for chapter in chapters]
    sections = [section for section in sections if section]
    lines += [line for section in sections for line in section] or ["", "No exercise has a threshold yet."]
    return "\n".join(lines) + "\n"


def _chapter_section(chapter: Chapter, page: str | None) -> list[str]:
    exercises = [e for e in chapter.spec.exercises if e.threshold is not None or e.kind == "training"]
    if not exercises:
        return []
    title = f"[{chapter.spec.title}](../{page})" if page else chapter.spec.title
    calibration, note = read_calibration(chapter)
    lines = ["", f"## Chapter {chapter.number} — {title}", ""]
    lines += [f"*{note}*", ""]
    for exercise in exercises:
        lines += _exercise_section(chapter, exercise, calibration.get(exercise.id))
    return lines


def _exercise_section(chapter: Chapter, exercise: ExerciseSpec, calibrated: calibration_file.ThresholdRuns | None) -> list[str]:
    bounds = bounds_of(exercise)
    budgets = ", ".join(f"{backend} {seconds:g} s" for backend, seconds in exercise.budget_s.items())
    lines = [
        f"### {exercise.id} {exercise.title}",
        "",
        f"Threshold: **{bounds or 'none'}** on held-out data. Time budget: {budgets or 'none'}.",
        "",
    ]
    backends = calibrated.backends if calibrated else {}
    if not backends:
        command = f"grader calibrate {chapter.name} -e {exercise.id} --backend all --seeds 20 --write"
        return lines + [f"Not calibrated yet. Run `{command}`.", ""]
    metric = bounds.metric if bounds else "metric"
    gap = " Gap to training: max |" if bounds and bounds.max_gap is not None else ""
    training = " On training rows: worst |" if bounds and bounds.training is not None else ""
    lines += [
        f"| Backend | Seeds | {metric}: min / median / max |{gap}{training} Pass rate | Time: median / max | Budget "
        "| Measured with |",
        "|---|---|---|---|---|---|---|" + ("---|" if gap else "") + ("---|" if training else ""),
    ]
    for backend in [*BACKENDS, *sorted(set(backends) - set(BACKENDS))]:
        lines.append(_backend_row(backend, measured_of(backends.get(backend)), bounds, exercise.budget_s.get(backend)))
    return lines + [""] + _random_labels_note(exercise, backends)


def _random_labels_note(exercise: ExerciseSpec, backends: Mapping[str, calibration_file.Runs]) -> list[str]:
    """The second run's bound, on random labels, beside the reference's highest log loss there per backend."""
    if exercise.random_labels is None:
        return []
    worst = [f"{backend} {max(v for v in runs.random_label_losses if v is not None):.3f}"
             for backend, runs in backends.items() if any(v is not None for v in runs.random_label_losses)]
    measured = f" The reference's highest over the seeds above: {', '.join(worst)}." if worst else ""
    return [f"A second run on random labels (nothing to learn) must end with a log loss of at most "
            f"**{exercise.random_labels.max_log_loss:g}** on {exercise.random_labels.test_rows:,} fresh rows.{measured}", ""]


def _backend_row(backend: str, measured: Measured | None, bounds: Bounds | None, budget_s: float | None) -> str:
    budget = f"{budget_s:g} s" if budget_s is not None else "none"
    bounds_gap = bounds is not None and bounds.max_gap is not None
    bounds_training = bounds is not None and bounds.training is not None
    if measured is None or not measured.values:
        extra = (" |" if bounds_gap else "") + (" |" if bounds_training else "")
        return f"| {backend} | 0 | {NOT_CALIBRATED} | |{extra} | {budget} | |"
    values = [v for v in measured.values if v is not None]
    times = [t for t in measured.times_s if t is not None]
    spread = " / ".join(f"{x:.3f}" for x in _min_median_max(values)) or "no run finished"
    rate = measured.pass_rate(bounds, budget_s) if bounds else None
    passed = f"{rate:.0%} ({round(rate * len(measured.values))}/{len(measured.values)})" if rate is not None else ""
    timing = " / ".join(f"{t:.1f} s" for t in _min_median_max(times)[1:])
    versions = f"Keras {measured.keras_version}, {backend} {measured.backend_version}" if measured.keras_version else ""
    gaps = [g for g in measured.gaps if g is not None]
    gap = f" {max(gaps):.3f} |" if gaps else (" — |" if bounds_gap else "")
    trained = [v for v in measured.training_values if v is not None]
    training = f" {bounds.worst(trained):.3f} |" if trained and bounds_training else (" — |" if bounds_training else "")
    return f"| {backend} | {len(measured.values)} | {spread} |{gap}{training} {passed} | {timing} | {budget} | {versions} |"


def _required_rate() -> str:
    """The pass rate `grader calibrate` asks for, if the grader says so."""
    try:
        from grader.calibrate import PASS_RATE_REQUIRED
    except ImportError:
        return ""
    return f" (`grader calibrate` requires {PASS_RATE_REQUIRED:.0%})"


def _required_margin() -> str:
    """The margin `grader calibrate` asks for, if the grader says so."""
    try:
        from grader.calibrate import MARGIN_REQUIRED_SDS
    except ImportError:
        return ""
    return f" (`grader calibrate` requires {MARGIN_REQUIRED_SDS:g})"


def _min_median_max(numbers: list[float]) -> tuple[float, ...]:
    return (min(numbers), statistics.median(numbers), max(numbers)) if numbers else ()


def _number(value: Any) -> float | None:
    """A finite float, or None for anything else (a failed run, a missing value)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)
