"""Grade a chapter: run the learner's code, then the reference, then judge.

For each backend, in this order:
1. the learner worker runs every selected exercise on inputs generated here;
2. it is killed, and only then a reference worker starts, in a new folder,
   computing the expected outputs and evaluating the learner's saved models
   on held-out data that the learner's process never saw;
3. this process, which never runs learner code, compares and decides.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from . import inputs as input_generation
from .chapters import Chapter
from . import verdict
from .notebook import Cell, extract, read_code_cells, snippets_to_json
from .reference import ReferenceFailure, ReferenceWorker
from .results import BackendReport, ExerciseResult, RunReport
from .runner import Reply, Worker, WorkerError, call_request, fastest_reply
from .spec import ExerciseSpec

Status = Callable[..., None]  # status(message, advance=False): advance marks one more exercise started
BackendDone = Callable[[BackendReport], None]


@dataclass
class Attempt:
    """The learner's side of one exercise on one backend."""

    exercise: ExerciseSpec
    source: str = ""
    probe_source: str = ""
    inputs: list[dict[str, np.ndarray]] = field(default_factory=list)
    speed_inputs: dict[str, np.ndarray] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    speed_reply: Reply | None = None
    held_out: dict[str, np.ndarray] = field(default_factory=dict)
    missing: str = ""

    @property
    def duration_s(self) -> float:
        """Time spent in the learner's code, measured here, not reported by it."""
        return sum(reply.duration_s for reply in self.replies)

    @property
    def succeeded(self) -> bool:
        replies = self.replies + ([self.speed_reply] if self.speed_reply else [])
        return not self.missing and bool(self.replies) and all(reply.ok for reply in replies)

    @property
    def all_replies(self) -> list[Reply]:
        return self.replies + ([self.speed_reply] if self.speed_reply else [])


@dataclass(frozen=True)
class Plan:
    """What to grade, with what, and how."""

    chapter: Chapter
    exercises: tuple[ExerciseSpec, ...]
    notebook: Path
    seed: int
    timeout_s: float | None = None

    def timeout_for(self, exercise: ExerciseSpec) -> float:
        return self.timeout_s if self.timeout_s is not None else exercise.timeout_s


def grade(
    plan: Plan,
    backends: list[str],
    status: Status = lambda *_, **__: None,
    on_backend_done: BackendDone = lambda _: None,
) -> RunReport:
    """Grade `plan` on each backend in turn, each in fresh processes.

    Args:
        plan: what to grade.
        backends: where, in order.
        status: told what is happening now, for a progress display.
        on_backend_done: given each backend's report as soon as it is complete.

    Raises:
        NotebookError: the learner's notebook cannot be read.
    """
    learner_cells = read_code_cells(plan.notebook)
    reference_cells = read_code_cells(plan.chapter.source)
    reports = []
    for backend in backends:
        reports.append(grade_backend(plan, backend, learner_cells, reference_cells, status))
        on_backend_done(reports[-1])
    return RunReport(plan.chapter.name, plan.seed, str(plan.notebook), tuple(reports))


def grade_backend(
    plan: Plan, backend: str, learner_cells: list[Cell], reference_cells: list[Cell], status: Status
) -> BackendReport:
    """Grade every exercise of `plan` on one backend."""
    runnable = [exercise for exercise in plan.exercises if backend in exercise.backends]
    with tempfile.TemporaryDirectory(prefix=f"grader-{backend}-") as tmp:
        attempts = [prepare_attempt(plan, exercise, learner_cells, reference_cells) for exercise in runnable]
        learner = Worker(backend, Path(tmp) / "learner")
        try:
            environment = learner.start()
            for attempt in attempts:
                status(f"{backend}: running your {attempt.exercise.id} {attempt.exercise.entry}", advance=True)
                run_learner(plan, learner, attempt)
        except WorkerError as error:
            return _setup_failure(plan, backend, str(error))
        finally:
            learner.stop()
        judged = judge_attempts(plan, backend, attempts, reference_cells, Path(tmp) / "reference", status)
    by_id = {result.id: result for result in judged}
    results = [by_id.get(e.id) or verdict.skipped(e, backend, plan.chapter.name) for e in plan.exercises]
    return BackendReport(
        backend=backend,
        keras_version=str(environment.get("keras_version", "")),
        backend_version=str(environment.get("backend_version", "")),
        devices=tuple(environment.get("devices", ())),
        exercises=tuple(results),
    )


def prepare_attempt(plan: Plan, exercise: ExerciseSpec, cells: list[Cell], reference_cells: list[Cell]) -> Attempt:
    """The learner's code for `exercise` and the inputs of every trial, drawn from the run's seed."""
    attempt = Attempt(exercise)
    extraction = extract(cells, [exercise.entry])
    if extraction.missing:
        attempt.missing = _missing_message(exercise, extraction.skipped_cells)
        return attempt
    attempt.source = snippets_to_json(extraction.snippets)
    if exercise.probe:
        attempt.probe_source = snippets_to_json(extract(reference_cells, [exercise.probe]).snippets)
    seed = input_generation.exercise_seed(plan.seed, exercise.id)
    if exercise.kind == "training":
        assert exercise.data is not None
        learner_part, attempt.held_out = input_generation.split_dataset(exercise.data, seed)
        attempt.inputs = [learner_part]
        return attempt
    attempt.inputs = [
        input_generation.generate_inputs(exercise, input_generation.exercise_seed(plan.seed, exercise.id, t))
        for t in range(exercise.trials)
    ]
    if exercise.speed:
        attempt.speed_inputs = input_generation.generate_inputs(exercise, seed, dims=exercise.speed.dims)
    return attempt


def _missing_message(exercise: ExerciseSpec, skipped: tuple[str, ...]) -> str:
    message = f"{exercise.entry} is not defined in your notebook"
    if skipped:
        message += f" (these cells have syntax errors and were skipped: {', '.join(skipped)})"
    return message


def run_learner(plan: Plan, worker: Worker, attempt: Attempt) -> None:
    """Run the learner's entry point on each trial's inputs, stopping at the first failure."""
    if attempt.missing:
        return
    exercise, folder = attempt.exercise, worker.workdir
    source = folder / f"{exercise.id}.json"
    source.write_text(attempt.source, encoding="utf-8")
    probe_source = folder / f"{exercise.id}-probe.json"
    probe_source.write_text(attempt.probe_source or "[]", encoding="utf-8")
    expect = "arrays" if exercise.kind == "function" else "model"
    suffix = ".npz" if expect == "arrays" else ".keras"
    for trial, arguments in enumerate(attempt.inputs):
        inputs = _save(folder / f"{exercise.id}-{trial}-inputs.npz", arguments)
        output = folder / f"{exercise.id}-{trial}-output{suffix}"
        request = call_request(
            source=source, entry=exercise.entry, inputs=inputs, output=output, expect=expect,
            seed=input_generation.exercise_seed(plan.seed, exercise.id, trial),
            probe=exercise.probe, probe_source=probe_source,
        )
        reply = worker.request(request, plan.timeout_for(exercise))
        attempt.replies.append(reply)
        attempt.outputs.append(output)
        if not reply.ok:
            return
    if exercise.speed:
        inputs = _save(folder / f"{exercise.id}-speed-inputs.npz", attempt.speed_inputs)
        request = call_request(
            source=source, entry=exercise.entry, inputs=inputs, output=folder / "unused", expect="timing",
            seed=plan.seed, probe=exercise.probe, probe_source=probe_source,
        )
        attempt.speed_reply = fastest_reply(worker, request, exercise.speed.repeats, plan.timeout_for(exercise))


def _save(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    np.savez(path, **arrays)
    return path


def judge_attempts(
    plan: Plan, backend: str, attempts: list[Attempt], reference_cells: list[Cell], folder: Path, status: Status
) -> list[ExerciseResult]:
    """Judge each attempt; the reference worker starts only if something needs it."""
    results: dict[str, ExerciseResult] = {
        a.exercise.id: verdict.unsuccessful(a.exercise, a.missing, a.all_replies)
        for a in attempts
        if not a.succeeded
    }
    pending = [a for a in attempts if a.succeeded]
    if pending:
        with ReferenceWorker(backend, folder, reference_cells, plan.seed) as reference:
            for attempt in pending:
                status(f"{backend}: checking {attempt.exercise.id} against the reference")
                result = judge_attempt(plan, backend, attempt, reference)
                results[attempt.exercise.id] = replace(result, duration_s=attempt.duration_s)
    return [results[a.exercise.id] for a in attempts]


def judge_attempt(plan: Plan, backend: str, attempt: Attempt, reference: ReferenceWorker) -> ExerciseResult:
    """Judge one successful attempt with the reference worker's help."""
    exercise = attempt.exercise
    timeout = plan.timeout_for(exercise)
    try:
        if exercise.kind == "model":
            yours = reference.describe(attempt.outputs[0], exercise)
            return verdict.judge_model(exercise, yours, reference.architecture(exercise, attempt.inputs[0], timeout))
        if exercise.kind == "training":
            predictions = reference.predict(attempt.outputs[0], attempt.held_out, exercise)
            training_predictions = None
            if exercise.threshold and exercise.threshold.reads_training_rows:
                training_predictions = reference.predict(attempt.outputs[0], attempt.inputs[0], exercise, "train")
            return verdict.judge_training(exercise, backend, attempt, predictions, training_predictions)
        expected, mistakes = reference.outputs(exercise, attempt.inputs, timeout)
        result = verdict.judge_function(exercise, backend, attempt.outputs, expected, mistakes, attempt.inputs)
        if exercise.speed and result.passed:
            assert attempt.speed_reply is not None
            reference_s = reference.timing(exercise, attempt.speed_inputs, timeout)
            result = verdict.judge_speed(exercise, result, attempt.speed_reply.duration_s, reference_s)
        return result
    except ReferenceFailure as failure:
        return verdict.grader_error(exercise, str(failure))


def _setup_failure(plan: Plan, backend: str, message: str) -> BackendReport:
    results = tuple(verdict.grader_error(exercise, message) for exercise in plan.exercises)
    return BackendReport(backend, "", "", (), results, setup_error=message)
