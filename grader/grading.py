"""Grade a chapter: run the learner's code, then the reference, then judge.

For each backend, in this order:
1. the learner worker runs every selected exercise on inputs generated here;
2. it is killed, and only then a reference worker starts, in a new folder,
   computing the expected outputs and evaluating the learner's saved models
   on held-out data that the learner's process never saw;
3. this process, which never runs learner code, compares and decides.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from . import inputs as input_generation
from .chapters import Chapter
from .notebook import Cell, read_code_cells, extract, snippets_to_json
from .results import BackendReport, ExerciseResult, RunReport
from .runner import Reply, Worker, WorkerError
from .spec import ExerciseSpec
from . import verdict

Progress = Callable[[str], None]


@dataclass
class Attempt:
    """The learner's side of one exercise on one backend."""

    exercise: ExerciseSpec
    source: str = ""
    inputs: list[dict[str, np.ndarray]] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    held_out: dict[str, np.ndarray] = field(default_factory=dict)
    missing: str = ""

    @property
    def duration_s(self) -> float:
        """Time spent in the learner's code, measured here, not reported by it."""
        return sum(reply.duration_s for reply in self.replies)

    @property
    def succeeded(self) -> bool:
        return not self.missing and bool(self.replies) and all(reply.ok for reply in self.replies)


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


def grade(plan: Plan, backends: list[str], progress: Progress = lambda _: None) -> RunReport:
    """Grade `plan` on each backend in turn, each in fresh processes.

    Raises:
        NotebookError: the learner's notebook cannot be read.
    """
    learner_cells = read_code_cells(plan.notebook)
    reference_cells = read_code_cells(plan.chapter.source)
    reports = tuple(
        grade_backend(plan, backend, learner_cells, reference_cells, progress) for backend in backends
    )
    return RunReport(plan.chapter.name, plan.seed, str(plan.notebook), reports)


def grade_backend(
    plan: Plan, backend: str, learner_cells: list[Cell], reference_cells: list[Cell], progress: Progress
) -> BackendReport:
    """Grade every exercise of `plan` on one backend."""
    with tempfile.TemporaryDirectory(prefix=f"grader-{backend}-") as tmp:
        attempts = [_prepare(plan, exercise, learner_cells) for exercise in plan.exercises]
        learner = Worker(backend, Path(tmp) / "learner")
        try:
            environment = learner.start()
            for attempt in attempts:
                progress(f"{backend}: running your {attempt.exercise.id} {attempt.exercise.entry}")
                _run_learner(plan, learner, attempt)
        except WorkerError as error:
            return _setup_failure(plan, backend, str(error))
        finally:
            learner.stop()
        results = _judge_all(plan, backend, attempts, reference_cells, Path(tmp) / "reference", progress)
    return BackendReport(
        backend=backend,
        keras_version=str(environment.get("keras_version", "")),
        backend_version=str(environment.get("backend_version", "")),
        devices=tuple(environment.get("devices", ())),
        exercises=tuple(results),
    )


def _prepare(plan: Plan, exercise: ExerciseSpec, cells: list[Cell]) -> Attempt:
    attempt = Attempt(exercise)
    extraction = extract(cells, [exercise.entry])
    if extraction.missing:
        attempt.missing = _missing_message(exercise, extraction.skipped_cells)
        return attempt
    attempt.source = snippets_to_json(extraction.snippets)
    seed = input_generation.exercise_seed(plan.seed, exercise.id)
    if exercise.kind == "training":
        assert exercise.data is not None
        learner_part, attempt.held_out = input_generation.split_dataset(exercise.data, seed)
        attempt.inputs = [learner_part]
    else:
        attempt.inputs = [
            input_generation.generate_inputs(exercise, input_generation.exercise_seed(plan.seed, exercise.id, t))
            for t in range(exercise.trials)
        ]
    return attempt


def _missing_message(exercise: ExerciseSpec, skipped: tuple[str, ...]) -> str:
    message = f"{exercise.entry} is not defined in your notebook"
    if skipped:
        message += f" (these cells have syntax errors and were skipped: {', '.join(skipped)})"
    return message


def _run_learner(plan: Plan, worker: Worker, attempt: Attempt) -> None:
    """Run the learner's entry point on each trial's inputs, stopping at the first failure."""
    if attempt.missing:
        return
    folder = worker.workdir
    source = folder / f"{attempt.exercise.id}.json"
    source.write_text(attempt.source, encoding="utf-8")
    expect = "arrays" if attempt.exercise.kind == "function" else "model"
    suffix = ".npz" if expect == "arrays" else ".keras"
    for trial, arguments in enumerate(attempt.inputs):
        inputs_path = folder / f"{attempt.exercise.id}-{trial}-inputs.npz"
        np.savez(inputs_path, **arguments)
        output = folder / f"{attempt.exercise.id}-{trial}-output{suffix}"
        request = {
            "task": "call", "source": str(source), "entry": attempt.exercise.entry,
            "inputs": str(inputs_path), "output": str(output), "expect": expect,
            "seed": input_generation.exercise_seed(plan.seed, attempt.exercise.id, trial),
        }
        reply = worker.request(request, plan.timeout_for(attempt.exercise))
        attempt.replies.append(reply)
        attempt.outputs.append(output)
        if not reply.ok:
            return


def _judge_all(
    plan: Plan, backend: str, attempts: list[Attempt], reference_cells: list[Cell], folder: Path, progress: Progress
) -> list[ExerciseResult]:
    """Judge each attempt; the reference worker starts only if something needs it."""
    results: dict[str, ExerciseResult] = {
        a.exercise.id: verdict.unsuccessful(a.exercise, a.missing, a.replies)
        for a in attempts
        if not a.succeeded
    }
    pending = [a for a in attempts if a.succeeded]
    if pending:
        with Worker(backend, folder) as reference:
            for attempt in pending:
                progress(f"{backend}: checking {attempt.exercise.id} against the reference")
                result = _judge(plan, backend, attempt, reference, reference_cells)
                results[attempt.exercise.id] = replace(result, duration_s=attempt.duration_s)
    return [results[a.exercise.id] for a in attempts]


def _judge(
    plan: Plan, backend: str, attempt: Attempt, reference: Worker, cells: list[Cell]
) -> ExerciseResult:
    exercise = attempt.exercise
    try:
        if exercise.kind == "function":
            expected, mistakes = _reference_outputs(plan, attempt, reference, cells)
            return verdict.judge_function(exercise, backend, attempt.outputs, expected, mistakes, attempt.inputs)
        if exercise.kind == "model":
            yours = _describe(attempt.outputs[0], reference, exercise)
            expected = _reference_architecture(plan, attempt, reference, cells)
            return verdict.judge_model(exercise, yours, expected)
        predictions = _predict(attempt, reference)
        return verdict.judge_training(exercise, backend, attempt, predictions)
    except ReferenceFailure as failure:
        return verdict.grader_error(exercise, str(failure))


class ReferenceFailure(RuntimeError):
    """The reference side could not do its part: a grader fault, never a pass."""


def _reference_request(reference: Worker, request: dict, timeout_s: float) -> Reply:
    reply = reference.request(request, timeout_s)
    if not reply.ok:
        raise ReferenceFailure(f"the grader's reference could not run ({reply.status}: {reply.error})")
    return reply


def _reference_source(attempt: Attempt, cells: list[Cell], folder: Path) -> Path:
    names = [attempt.exercise.entry, *(m.function for m in attempt.exercise.mistakes)]
    extraction = extract(cells, names)
    if extraction.missing:
        raise ReferenceFailure(f"the solutions do not define {', '.join(extraction.missing)}")
    source = folder / f"{attempt.exercise.id}-reference.json"
    source.write_text(snippets_to_json(extraction.snippets), encoding="utf-8")
    return source


def _reference_outputs(
    plan: Plan, attempt: Attempt, reference: Worker, cells: list[Cell]
) -> tuple[list[Path], list[list[Path]]]:
    """The reference's output for each trial, and each known mistake's."""
    folder = reference.workdir
    source = _reference_source(attempt, cells, folder)
    expected, mistakes = [], []
    for trial, arguments in enumerate(attempt.inputs):
        inputs_path = folder / f"{attempt.exercise.id}-{trial}-inputs.npz"
        np.savez(inputs_path, **arguments)  # written afresh: the learner's copy may have been altered
        entries = [attempt.exercise.entry, *(m.function for m in attempt.exercise.mistakes)]
        outputs = []
        for index, entry in enumerate(entries):
            output = folder / f"{attempt.exercise.id}-{trial}-{index}.npz"
            request = {
                "task": "call", "source": str(source), "entry": entry, "inputs": str(inputs_path),
                "output": str(output), "expect": "arrays",
                "seed": input_generation.exercise_seed(plan.seed, attempt.exercise.id, trial),
            }
            _reference_request(reference, request, plan.timeout_for(attempt.exercise))
            outputs.append(output)
        expected.append(outputs[0])
        mistakes.append(outputs[1:])
    return expected, mistakes


def _describe(model_file: Path, reference: Worker, exercise: ExerciseSpec) -> dict | str:
    """The learner's saved model, described by the reference worker (or why it cannot be loaded)."""
    output = reference.workdir / f"{exercise.id}-yours.json"
    reply = reference.request({"task": "describe", "model": str(model_file), "output": str(output)}, 120)
    if not reply.ok:
        return reply.error
    return json.loads(output.read_text())


def _reference_architecture(plan: Plan, attempt: Attempt, reference: Worker, cells: list[Cell]) -> dict:
    folder = reference.workdir
    source = _reference_source(attempt, cells, folder)
    inputs_path = folder / f"{attempt.exercise.id}-inputs.npz"
    np.savez(inputs_path, **attempt.inputs[0])
    output = folder / f"{attempt.exercise.id}-expected.json"
    request = {
        "task": "call", "source": str(source), "entry": attempt.exercise.entry, "inputs": str(inputs_path),
        "output": str(output), "expect": "architecture", "seed": plan.seed,
    }
    _reference_request(reference, request, plan.timeout_for(attempt.exercise))
    return json.loads(output.read_text())


def _predict(attempt: Attempt, reference: Worker) -> np.ndarray | str:
    """The learner's trained model's predictions on the held-out split (or why there are none)."""
    folder = reference.workdir
    held_out = folder / f"{attempt.exercise.id}-held-out.npz"
    np.savez(held_out, **attempt.held_out)
    output = folder / f"{attempt.exercise.id}-predictions.npz"
    request = {"task": "predict", "model": str(attempt.outputs[0]), "inputs": str(held_out),
               "input_key": "x_test", "output": str(output)}
    reply = reference.request(request, 300)
    if not reply.ok:
        return reply.error
    with np.load(output, allow_pickle=False) as arrays:
        return arrays["predictions"]


def _setup_failure(plan: Plan, backend: str, message: str) -> BackendReport:
    results = tuple(verdict.grader_error(exercise, message) for exercise in plan.exercises)
    return BackendReport(backend, "", "", (), results, setup_error=message)
