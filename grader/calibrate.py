"""`grader calibrate`: measure the reference over many seeds on each backend.

Each seed trains the reference solution in a fresh worker (as a learner's code
would be run: cold start, same split rule, same time measurement); one
reference worker then evaluates every seed's model on its held-out split. The distribution of the
metric and of the training time, and the pass rate under the manifest's
threshold and budget, are printed; `--write` keeps them in the chapter's
`.calibration.json`, where tests and the docs read them.
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

from rich.console import Console
from rich.table import Table

from . import calibration as calibration_file
from .chapters import Chapter
from .grading import Plan, judge_attempt, prepare, run_learner
from .inspector import ModelInspector
from .metrics import error_reduction
from .reference import ReferenceWorker
from .notebook import Cell, read_code_cells
from .results import Status
from .runner import Worker
from .spec import Baseline, ExerciseSpec, RandomLabels, Threshold
from .verdict import unsuccessful

PASS_RATE_REQUIRED = 0.99
# Twenty seeds show a 1-in-20 tail at best, and tests and learners draw fresh seeds all the time:
# every bound must also sit this many standard deviations of the reference's runs from their mean.
MARGIN_REQUIRED_SDS = 4.0


def margin_sds(values: Sequence[float], limit: float, at_most: bool) -> float:
    """How many standard deviations of `values` their mean stays on the passing side of `limit`."""
    mean, spread = statistics.fmean(values), statistics.stdev(values)
    distance = limit - mean if at_most else mean - limit
    return distance / spread if spread > 0 else (float("inf") if distance >= 0 else float("-inf"))


def margins(threshold: Threshold, values: Sequence[float], gaps: Sequence[float] = (),
            training_values: Sequence[float] = (), random_labels: RandomLabels | None = None,
            random_losses: Sequence[float] = (), baseline: Baseline | None = None,
            baseline_values: Sequence[float] = ()) -> dict[str, float]:
    """The margin of each bound the threshold (and a run on random labels) sets, in standard deviations of the
    measured runs.

    Empty for fewer than two runs, which have no spread to measure it in.
    """
    if len(values) < 2:
        return {}
    at_most = threshold.maximum is not None
    bound = threshold.maximum if at_most else threshold.minimum
    assert bound is not None  # a threshold has a minimum or a maximum (spec.py)
    found = {"held-out": margin_sds(values, bound, at_most)}
    if threshold.max_gap is not None and gaps:
        found["gap"] = margin_sds(gaps, threshold.max_gap, at_most=True)
    if threshold.training is not None and training_values:
        found["training"] = margin_sds(training_values, threshold.training, at_most)
    if random_labels is not None and random_losses:
        found["random labels"] = margin_sds(random_losses, random_labels.max_log_loss, at_most=True)
    if baseline is not None and baseline_values:
        found["error reduction"] = margin_sds(error_reductions(threshold, values, baseline_values), baseline.min_error_reduction, at_most=False)
    return found


def error_reductions(threshold: Threshold, values: Sequence[float], baseline_values: Sequence[float]) -> list[float]:
    """Each run's share of its baseline's error (on the same split) that it removes."""
    return [error_reduction(threshold.metric, value, baseline) for value, baseline in zip(values, baseline_values)]


@dataclass(frozen=True)
class Measurement:
    """One exercise on one backend over many seeds."""

    exercise: ExerciseSpec
    backend: str
    seeds: tuple[int, ...]
    values: tuple[float, ...]
    times_s: tuple[float, ...]
    gaps: tuple[float, ...]  # held-out minus training metric, when the threshold reads training rows; else empty
    training_values: tuple[float, ...]  # the metric on the model's own training rows, likewise
    random_losses: tuple[float, ...]  # the log loss after the run on random labels, where the exercise has one
    baseline_values: tuple[float, ...]  # the baseline's metric on the same split, where the exercise has one
    passed: tuple[bool, ...]
    keras_version: str
    backend_version: str

    @property
    def pass_rate(self) -> float:
        return sum(self.passed) / len(self.passed) if self.passed else 0.0

    @property
    def error_reductions(self) -> list[float]:
        assert self.exercise.threshold is not None
        return error_reductions(self.exercise.threshold, self.values, self.baseline_values)

    @property
    def margins(self) -> dict[str, float]:
        assert self.exercise.threshold is not None
        return margins(self.exercise.threshold, self.values, self.gaps, self.training_values,
                       self.exercise.random_labels, self.random_losses, self.exercise.baseline, self.baseline_values)


def calibrate_chapter(
    chapter: Chapter,
    exercises: list[ExerciseSpec],
    backends: list[str],
    seeds: list[int],
    progress: Callable[..., None] = lambda *_, **__: None,
) -> list[Measurement]:
    """Train and evaluate the reference of each training exercise for every seed and backend."""
    cells = read_code_cells(chapter.source)
    return [
        _measure(chapter, exercise, backend, seeds, cells, progress)
        for exercise in exercises
        for backend in backends
        if backend in exercise.backends
    ]


def _measure(chapter: Chapter, exercise: ExerciseSpec, backend: str, seeds: list[int], cells: list[Cell],
             progress: Callable[..., None]) -> Measurement:
    values, times, gaps, training, random_losses, baselines, passed, environment = [], [], [], [], [], [], [], {}
    with tempfile.TemporaryDirectory(prefix="grader-calibrate-") as tmp:
        attempts = []
        for seed in seeds:
            progress(f"{exercise.id} on {backend}: training with seed {seed}", advance=True)
            plan = Plan(chapter, (exercise,), chapter.source, seed)
            prepared = prepare(plan, exercise, cells, cells)
            with Worker(backend, Path(tmp) / f"learner-{seed}") as learner:  # cold, like a real check
                environment = learner.start()
                attempt = run_learner(plan, learner, prepared)
            attempts.append((plan, attempt))
        progress(f"{exercise.id} on {backend}: evaluating {len(seeds)} models")
        with ReferenceWorker(backend, Path(tmp) / "reference", cells, seeds[0]) as reference:
            models = ModelInspector(reference.worker)  # the reference's own models: trusted
            results = [judge_attempt(plan, backend, attempt, reference, models) if attempt.succeeded
                       else unsuccessful(exercise, attempt.missing, attempt.all_replies) for plan, attempt in attempts]
    for result in results:
        if result.status not in (Status.PASSED, Status.FAILED) or not result.metrics:
            raise RuntimeError(f"the reference of {exercise.id} did not run on {backend}: {result.message}")
        assert exercise.threshold is not None
        values.append(result.metrics[f"test_{exercise.threshold.metric}"])
        times.append(result.metrics["train_time_s"])
        if "gap" in result.metrics:
            gaps.append(result.metrics["gap"])
            training.append(result.metrics[f"train_{exercise.threshold.metric}"])
        if "random_labels_log_loss" in result.metrics:
            random_losses.append(result.metrics["random_labels_log_loss"])
        if f"baseline_{exercise.threshold.metric}" in result.metrics:
            baselines.append(result.metrics[f"baseline_{exercise.threshold.metric}"])
        passed.append(result.passed)
    return Measurement(
        exercise, backend, tuple(seeds), tuple(values), tuple(times), tuple(gaps), tuple(training),
        tuple(random_losses), tuple(baselines), tuple(passed),
        str(environment.get("keras_version", "")), str(environment.get("backend_version", "")),
    )


def print_calibration(measurements: list[Measurement], console: Console) -> bool:
    """A table per exercise; True when every backend reaches the required pass rate and margins."""
    table = Table(title="Calibration of the reference", title_justify="left")
    for column in ("Exercise", "Backend", "Seeds", "Metric min / median / max", "Mean ± std",
                   "Gap to training max", "Training worst", "Random labels max", "Baseline's error removed min / mean",
                   "Time median / max", "Threshold",
                   "Budget", "Pass rate", "Margin (sd)"):
        table.add_column(column)
    ok = True
    for m in measurements:
        assert m.exercise.threshold is not None
        threshold = m.exercise.threshold
        enough = m.pass_rate >= PASS_RATE_REQUIRED
        margin = min(m.margins.values(), default=None)
        wide = margin is None or margin >= MARGIN_REQUIRED_SDS  # one seed: nothing to measure it in
        ok &= enough and wide
        worst_training = threshold.worst(m.training_values) if m.training_values and threshold.training is not None else None
        table.add_row(
            m.exercise.id, m.backend, str(len(m.seeds)),
            f"{min(m.values):.3f} / {statistics.median(m.values):.3f} / {max(m.values):.3f}",
            f"{statistics.fmean(m.values):.3f} ± {statistics.pstdev(m.values):.3f}",
            f"{max(m.gaps):.3f} (<= {threshold.max_gap:.3f})" if m.gaps and threshold.max_gap is not None else "",
            f"{worst_training:.3f} ({threshold.describe_training()})" if worst_training is not None else "",
            f"{max(m.random_losses):.3f} (<= {m.exercise.random_labels.max_log_loss:.3f})"
            if m.random_losses and m.exercise.random_labels else "",
            f"{min(m.error_reductions):.0%} / {statistics.fmean(m.error_reductions):.0%} (>= {m.exercise.baseline.min_error_reduction:.0%})"
            if m.error_reductions and m.exercise.baseline else "",
            f"{statistics.median(m.times_s):.1f} s / {max(m.times_s):.1f} s",
            f"{m.exercise.threshold.metric} {m.exercise.threshold.describe()}",
            f"{m.exercise.budget_s[m.backend]:g} s",
            f"[{'green' if enough else 'red'}]{m.pass_rate:.0%}[/]",
            f"[{'green' if wide else 'red'}]{margin:.1f}[/]" if margin is not None else "—",
        )
    console.print(table)
    verdict = "every backend meets both" if ok else "some backend does not"
    console.print(f"Required: {PASS_RATE_REQUIRED:.0%} of seeds pass, and every bound sits at least "
                  f"{MARGIN_REQUIRED_SDS:g} standard deviations from the runs' mean; {verdict}.")
    return ok


def save_calibration(chapter: Chapter, measurements: list[Measurement]) -> None:
    """Merge the measurements into the chapter's `.calibration.json`."""
    saved = calibration_file.read(chapter.calibration, chapter.name)
    exercises = dict(saved.exercises)
    for m in measurements:
        assert m.exercise.threshold is not None
        previous = exercises.get(m.exercise.id)
        backends = dict(previous.backends) if previous else {}
        backends[m.backend] = calibration_file.Runs(
            seeds=tuple(m.seeds), values=tuple(round(v, 6) for v in m.values),
            times_s=tuple(round(t, 3) for t in m.times_s), gaps=tuple(round(g, 6) for g in m.gaps),
            training_values=tuple(round(v, 6) for v in m.training_values),
            random_label_losses=tuple(round(v, 6) for v in m.random_losses),
            baseline_values=tuple(round(v, 6) for v in m.baseline_values),
            keras_version=m.keras_version, backend_version=m.backend_version,
        )
        command = f"grader calibrate {chapter.name} -e {m.exercise.id} --backend all --seeds {len(m.seeds)} --write"
        exercises[m.exercise.id] = calibration_file.ThresholdRuns(m.exercise.threshold.metric, command, backends)
    machine = {"machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version()}
    calibration_file.write(chapter.calibration, replace(saved, measured_on=machine, exercises=exercises))
