"""Grade a chapter: run the learner's code and the reference, then judge.

For each backend:
1. the learner worker runs every selected exercise on inputs generated here.
   Sandboxed (grader/sandbox.py), it cannot reach the reference's folder or
   process, so the reference worker computes the expected outputs beside it
   (or they come from the on-disk cache, grader/reference_cache.py), and the
   model inspector starts beside it too; unsandboxed, the reference and the
   inspector start only once the learner's worker is dead. A function that
   can only raise NotImplementedError, as an untouched stub does, is not run
   (notebook.raises_at_once): a notebook of stubs starts no process at all;
2. speed trials run in a quiet phase, the learner's and the reference's in turn;
3. a third worker (sandboxed too) loads the learner's saved models and predicts
   on held-out data that the learner's process never saw;
4. this process, which never runs learner code, compares and decides.
"""

from __future__ import annotations

import queue
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import inputs as input_generation
from .backends import installed_versions
from .chapters import Chapter
from . import i18n, verdict
from .i18n import _
from .notebook import Cell, extract, read_code_cells, snippets_to_json, stub_line
from .inspector import ModelInspector
from .reference import Reference, ReferenceFailure, ReferenceWorker
from .reference_cache import CachedReference, ReferenceCache
from .results import BackendReport, ExerciseResult, RunReport
from .protocol import NOT_IMPLEMENTED, call_request
from .runner import Reply, Worker, WorkerError, fastest_reply
from .sandbox import Limits
from .spec import ExerciseSpec

Status = Callable[..., None]  # status(message, advance=False): advance marks one more exercise started
BackendDone = Callable[[BackendReport], None]
# Makes a worker: (backend, its folder, sandboxed, limits). The real one is a Python process per backend
# (grader/runner.py); tests/test_grading.py gives a fake that answers in this process, without Keras.
WorkerFactory = Callable[[str, Path, bool, Limits], Worker]


def real_worker(backend: str, folder: Path, sandboxed: bool, limits: Limits) -> Worker:
    return Worker(backend, folder, sandboxed=sandboxed, limits=limits)


@dataclass(frozen=True)
class Prepared:
    """What is sent (stage 1): the learner's code for one exercise and the inputs of every trial, drawn here."""

    exercise: ExerciseSpec
    source: str = ""
    probe_source: str = ""
    inputs: tuple[dict[str, np.ndarray], ...] = ()
    speed_inputs: dict[str, np.ndarray] = field(default_factory=dict)
    held_out: dict[str, np.ndarray] = field(default_factory=dict)  # a training exercise's test rows, kept here
    random_held_out: dict[str, np.ndarray] = field(default_factory=dict)  # the random-label run's fresh rows
    missing: str = ""
    holds_stub: bool = False  # the learner's code still has the generated stub's line
    unimplemented: bool = False  # the entry can only raise NotImplementedError (notebook.raises_at_once): not run
    left_out: tuple[str, ...] = ()  # top-level statements on the names it uses that the grader did not run

    @property
    def worked_on(self) -> bool:
        """Whether the learner's code exists and no longer holds the stub's line (a guess, for planning only)."""
        return not self.missing and not self.holds_stub

    @property
    def runs(self) -> bool:
        """Whether the learner's worker must run it: what is missing or can only raise needs no process."""
        return not self.missing and not self.unimplemented


@dataclass(frozen=True)
class Attempt:
    """What came back (stage 2): the learner's replies and output files for a prepared exercise. The verdict
    (stage 3) is computed from it, here, by grader/verdict.py."""

    prepared: Prepared
    replies: tuple[Reply, ...] = ()
    outputs: tuple[Path, ...] = ()
    speed_reply: Reply | None = None

    @property
    def exercise(self) -> ExerciseSpec:
        return self.prepared.exercise

    @property
    def inputs(self) -> tuple[dict[str, np.ndarray], ...]:
        return self.prepared.inputs

    @property
    def held_out(self) -> dict[str, np.ndarray]:
        return self.prepared.held_out

    @property
    def random_held_out(self) -> dict[str, np.ndarray]:
        return self.prepared.random_held_out

    @property
    def missing(self) -> str:
        return self.prepared.missing

    @property
    def duration_s(self) -> float:
        """Time spent in the learner's code, measured here, not reported by it."""
        return sum(reply.duration_s for reply in self.replies)

    @property
    def all_replies(self) -> list[Reply]:
        return [*self.replies, *([self.speed_reply] if self.speed_reply else [])]

    @property
    def succeeded(self) -> bool:
        return not self.missing and bool(self.replies) and all(reply.ok for reply in self.all_replies)


@dataclass(frozen=True)
class Plan:
    """What to grade, with what, and how."""

    chapter: Chapter
    exercises: tuple[ExerciseSpec, ...]
    notebook: Path
    seed: int
    timeout_s: float | None = None
    sandboxed: bool = False
    memory_bytes: int | None = None  # --memory: overrides the manifest's and the default limit
    reference_cache: Path | None = None  # where the reference's answers are kept; sandboxed runs only
    full_traceback: bool = False  # --full-traceback: the grader's and Keras's frames too, not only the notebook's
    workers: WorkerFactory = real_worker  # what runs the learner's code, the reference and the inspector

    def timeout_for(self, exercise: ExerciseSpec) -> float:
        return self.timeout_s if self.timeout_s is not None else exercise.timeout_s

    def limits_for(self, exercises: list[ExerciseSpec]) -> Limits:
        """One worker's limits: the most memory any of its exercises asks for, unless overridden."""
        if self.memory_bytes is not None:
            return Limits(memory_bytes=self.memory_bytes)
        asked = [e.memory_bytes for e in exercises if e.memory_bytes]
        return Limits(memory_bytes=max(asked)) if asked else Limits()


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
        prepared = [prepare(plan, exercise, learner_cells, reference_cells) for exercise in runnable]
        limits = plan.limits_for(runnable)
        learner = plan.workers(backend, Path(tmp) / "learner", plan.sandboxed, limits)
        inspector = plan.workers(backend, Path(tmp) / "inspector", plan.sandboxed, limits)
        # The reference is trusted code: never jailed, never limited.
        reference_worker = plan.workers(backend, Path(tmp) / "reference", False, Limits())
        with ReferenceWorker(backend, Path(tmp) / "reference", reference_cells, plan.seed, reference_worker) as worker, \
                ModelInspector(inspector) as models:
            reference = _with_cache(plan, backend, worker)
            helpers = _Helpers(inspector, worker, reference) if plan.sandboxed else None
            if helpers:  # beside the learner's start, which can reach neither (unsandboxed, both wait)
                helpers.launch_for([p for p in prepared if p.worked_on])
            expected = ExpectedOutputs(plan, reference)
            attempts: list[Attempt] = []
            peak_memory: int | None = None
            try:
                # A notebook whose exercises are all still stubs needs no learner process (and its seconds of imports).
                environment = learner.start() if any(p.runs for p in prepared) else installed_versions(backend)
                for exercise_prepared in prepared:
                    running = _("{backend}: running your {exercise} {function}").format(
                        backend=backend, exercise=exercise_prepared.exercise.id, function=exercise_prepared.exercise.entry)
                    status(running, advance=True)
                    attempts.append(run_learner(plan, learner, exercise_prepared, timed=not plan.sandboxed))
                    if helpers and attempts[-1].succeeded:
                        helpers.launch_for([exercise_prepared])  # where the stub's text misled the guess above
                        expected.submit(exercise_prepared)  # beside the learner, which cannot reach the reference's folder or process
                expected.wait()
                if plan.sandboxed:
                    attempts = time_in_turn(plan, learner, reference, attempts, expected)
            except WorkerError as error:
                expected.wait()
                return _setup_failure(plan, backend, str(error))
            finally:
                peak_memory = learner.peak_memory()
                learner.stop()
            judged = judge_attempts(plan, backend, attempts, reference, models, expected, status)
    by_id = {result.id: result for result in judged}
    results = [by_id.get(e.id) or verdict.skipped(e, backend, plan.chapter.name) for e in plan.exercises]
    return BackendReport(
        backend=backend,
        keras_version=str(environment.get("keras_version", "")),
        backend_version=str(environment.get("backend_version", "")),
        devices=tuple(environment.get("devices", ())),
        exercises=tuple(results),
        reference_cached=reference.hits if isinstance(reference, CachedReference) else 0,
        reference_computed=reference.misses if isinstance(reference, CachedReference) else 0,
        peak_memory_bytes=peak_memory,
    )


@dataclass
class _Helpers:
    """The workers that start beside a sandboxed learner's: each only once some attempt will need it.

    Their imports take seconds, so they start early, on a guess: an attempt that still holds
    the stub's line will raise NotImplementedError and need neither. Launched from the
    grading thread (see Worker.launch); launching twice is harmless.
    """

    inspector: Worker
    reference_worker: ReferenceWorker
    reference: Reference

    def launch_for(self, prepared: list[Prepared]) -> None:
        if not self.inspector.running and any(p.exercise.kind in ("model", "training") for p in prepared):
            self.inspector.launch()
        if not self.reference_worker.running and any(
                not _cached(self.reference, p) for p in prepared if p.exercise.kind in ("function", "model")):
            self.reference_worker.launch()  # once running, the cache need not be asked again


def _cached(reference: Reference, prepared: Prepared) -> bool:
    """Whether a correct answer would find the reference's answers in the cache."""
    return isinstance(reference, CachedReference) and reference.has_answers(
        prepared.exercise, list(prepared.inputs), prepared.speed_inputs)


def _with_cache(plan: Plan, backend: str, worker: ReferenceWorker) -> Reference:
    """The reference worker behind the on-disk cache, where the plan has one and learner code is jailed."""
    if plan.reference_cache is None or not plan.sandboxed:
        return worker
    return CachedReference(worker, ReferenceCache(plan.reference_cache, plan.chapter.source, backend, plan.seed))


Expected = Any  # the reference's output files for a function; its model's description for a model; its baseline's file


class ExpectedOutputs:
    """The reference's side of every function and model exercise: computed in a thread, or on demand.

    Sandboxed, each exercise the learner's code ran successfully is submitted at once, and the
    reference computes it while the learner's worker goes on to the next one; an exercise the
    learner did not solve costs the reference nothing. Only the reference worker is used here,
    on inputs written afresh from this process's memory.
    """

    def __init__(self, plan: Plan, reference: Reference) -> None:
        self.plan, self.reference = plan, reference
        self.values: dict[str, Expected | ReferenceFailure] = {}
        self.reference_s: dict[str, float | ReferenceFailure] = {}
        self._queue: queue.Queue[Prepared | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def submit(self, attempt: Prepared) -> None:
        """Compute `attempt`'s reference side in the background (function and model exercises only)."""
        if attempt.exercise.kind not in ("function", "model"):
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._compute_queued, daemon=True)
            self._thread.start()
        self._queue.put(attempt)

    def wait(self) -> None:
        """Until everything submitted is computed."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def get(self, attempt: Prepared) -> Expected:
        """The reference's side for `attempt`, computed now if it was not yet.

        Raises:
            ReferenceFailure: the reference could not compute it.
        """
        if attempt.exercise.id not in self.values:
            self.values[attempt.exercise.id] = self._compute(attempt)
        value = self.values[attempt.exercise.id]
        if isinstance(value, ReferenceFailure):
            raise value
        return value

    def _compute_queued(self) -> None:
        while (attempt := self._queue.get()) is not None:
            self.values[attempt.exercise.id] = self._compute(attempt)

    def _compute(self, attempt: Prepared) -> Expected | ReferenceFailure:
        exercise, timeout = attempt.exercise, self.plan.timeout_for(attempt.exercise)
        try:
            if exercise.kind == "model":
                return self.reference.architecture(exercise, attempt.inputs[0], timeout)
            if exercise.kind == "training":  # a baseline to beat, trained on demand: never beside the learner's timed run
                return self.reference.baseline(exercise, attempt.inputs[0], timeout)
            return self.reference.outputs(exercise, list(attempt.inputs), timeout)
        except ReferenceFailure as failure:
            return failure
        except WorkerError as error:
            return ReferenceFailure(_("the grader's reference worker did not start: {reason}").format(reason=error))


def time_in_turn(
    plan: Plan, learner: Worker, reference: Reference, attempts: list[Attempt], expected: ExpectedOutputs
) -> list[Attempt]:
    """Speed trials in a quiet phase: the learner's, then the reference's, never both at once; the attempts
    with their speed trial's reply."""
    timed = []
    for attempt in attempts:
        exercise = attempt.exercise
        if exercise.speed and attempt.succeeded:
            attempt = replace(attempt, speed_reply=time_learner(plan, learner, attempt.prepared))
            if attempt.speed_reply is not None and attempt.speed_reply.ok:
                try:
                    expected.reference_s[exercise.id] = reference.timing(
                        exercise, attempt.prepared.speed_inputs, plan.timeout_for(exercise))
                except ReferenceFailure as failure:
                    expected.reference_s[exercise.id] = failure
        timed.append(attempt)
    return timed


def prepare(plan: Plan, exercise: ExerciseSpec, cells: list[Cell], reference_cells: list[Cell]) -> Prepared:
    """The learner's code for `exercise` and the inputs of every trial, drawn from the run's seed."""
    extraction = extract(cells, [exercise.entry])
    if extraction.missing:
        return Prepared(exercise, missing=_missing_message(exercise, extraction.skipped_cells))
    code = Prepared(
        exercise,
        source=snippets_to_json(extraction.snippets),
        probe_source=snippets_to_json(extract(reference_cells, [exercise.probe]).snippets) if exercise.probe else "",
        left_out=extraction.left_out,
        holds_stub=any(stub_line(exercise.id) in snippet.code for snippet in extraction.snippets),
        unimplemented=exercise.entry in extraction.unimplemented,
    )
    seed = input_generation.exercise_seed(plan.seed, exercise.id)
    if exercise.kind == "training":
        assert exercise.data is not None
        learner_part, held_out = input_generation.split_dataset(exercise.data, seed)
        if not exercise.random_labels:
            return replace(code, inputs=(learner_part,), held_out=held_out)
        # A second run, on labels with nothing to learn.
        random_part, random_held_out = input_generation.random_label_split(
            learner_part, exercise.random_labels.test_rows, input_generation.exercise_seed(plan.seed, exercise.id, 1))
        return replace(code, inputs=(learner_part, random_part), held_out=held_out, random_held_out=random_held_out)
    trials = tuple(input_generation.generate_inputs(exercise, input_generation.exercise_seed(plan.seed, exercise.id, t))
                   for t in range(exercise.trials))
    speed_inputs = input_generation.generate_inputs(exercise, seed, dims=exercise.speed.dims) if exercise.speed else {}
    return replace(code, inputs=trials, speed_inputs=speed_inputs)


def _missing_message(exercise: ExerciseSpec, skipped: tuple[str, ...]) -> str:
    if not skipped:
        return _("{function} is not defined in your notebook").format(function=exercise.entry)
    message = _("{function} is not defined in your notebook "
                "(Python cannot read these cells, so they were skipped: {cells})")
    return message.format(function=exercise.entry, cells="; ".join(skipped))


def run_learner(plan: Plan, worker: Worker, prepared: Prepared, timed: bool = True) -> Attempt:
    """Run the learner's entry point on each trial's inputs, stopping at the first failure.

    With `timed`, the speed trial runs at once too; otherwise `time_in_turn` runs it later.
    """
    if prepared.missing:
        return Attempt(prepared)
    if prepared.unimplemented:  # what the worker would answer, without a process to start for it
        return Attempt(prepared, (Reply(NOT_IMPLEMENTED),))
    exercise, folder = prepared.exercise, worker.workdir
    source, probe_source = _learner_sources(folder, exercise)
    source.write_text(prepared.source, encoding="utf-8")
    probe_source.write_text(prepared.probe_source or "[]", encoding="utf-8")
    expect = "arrays" if exercise.kind == "function" else "model"
    suffix = ".npz" if expect == "arrays" else ".keras"
    replies: list[Reply] = []
    outputs: list[Path] = []
    for trial, arguments in enumerate(prepared.inputs):
        inputs = _save(folder / f"{exercise.id}-{trial}-inputs.npz", arguments)
        output = folder / f"{exercise.id}-{trial}-output{suffix}"
        request = call_request(
            source=source, entry=exercise.entry, inputs=inputs, output=output, expect=expect,
            seed=input_generation.exercise_seed(plan.seed, exercise.id, trial),
            probe=exercise.probe, probe_source=probe_source, full_traceback=plan.full_traceback,
        )
        reply = worker.request(request, plan.timeout_for(exercise))
        replies.append(reply)
        outputs.append(output)
        if not reply.ok:
            return Attempt(prepared, tuple(replies), tuple(outputs))
    speed_reply = time_learner(plan, worker, prepared) if exercise.speed and timed else None
    return Attempt(prepared, tuple(replies), tuple(outputs), speed_reply)


def time_learner(plan: Plan, worker: Worker, attempt: Prepared) -> Reply:
    """The learner's fastest run on the speed trial's inputs."""
    exercise, folder = attempt.exercise, worker.workdir
    assert exercise.speed is not None
    source, probe_source = _learner_sources(folder, exercise)
    inputs = _save(folder / f"{exercise.id}-speed-inputs.npz", attempt.speed_inputs)
    request = call_request(
        source=source, entry=exercise.entry, inputs=inputs, output=folder / "unused",
        expect="timing", seed=plan.seed, probe=exercise.probe, probe_source=probe_source,
    )
    return fastest_reply(worker, request, exercise.speed.repeats, plan.timeout_for(exercise))


def _learner_sources(folder: Path, exercise: ExerciseSpec) -> tuple[Path, Path]:
    """Where run_learner writes the learner's code for an exercise, and its probe's."""
    return folder / f"{exercise.id}.json", folder / f"{exercise.id}-probe.json"


def _save(path: Path, arrays: dict[str, np.ndarray]) -> Path:
    np.savez(path, **arrays)  # type: ignore[arg-type]  # numpy's stub: any name might be allow_pickle
    return path


def judge_attempts(
    plan: Plan, backend: str, attempts: list[Attempt], reference: Reference, models: ModelInspector,
    expected: ExpectedOutputs, status: Status,
) -> list[ExerciseResult]:
    """Judge each attempt: the unsuccessful at once, the others with the reference's and the inspector's help."""
    results: dict[str, ExerciseResult] = {}
    chapter = plan.chapter
    reported = i18n.reported_translations(chapter.solutions_dir, chapter.stem, chapter.lang)
    for attempt in attempts:
        if not attempt.succeeded:
            results[attempt.exercise.id] = verdict.unsuccessful(attempt.exercise, attempt.missing, attempt.all_replies,
                                                                reported)
        else:
            checking = _("{backend}: checking {exercise} against the reference")
            status(checking.format(backend=backend, exercise=attempt.exercise.id))
            result = judge_attempt(plan, backend, attempt, reference, models, expected)
            results[attempt.exercise.id] = replace(result, duration_s=attempt.duration_s)
    return [_naming_left_out(results[a.exercise.id], a) for a in attempts]


def _naming_left_out(result: ExerciseResult, attempt: Attempt) -> ExerciseResult:
    """A failed exercise names the statements the grader did not run that might have mattered."""
    if result.ok or not attempt.prepared.left_out:
        return result
    left_out = _("The grader takes your definitions, imports and in-place updates ({examples}), not other "
                 "top-level statements; it left out {statements}")
    note = left_out.format(examples="X[k] = v, X.append(v)", statements="; ".join(attempt.prepared.left_out[:3]))
    return replace(result, details=(*result.details, note))


def judge_attempt(
    plan: Plan, backend: str, attempt: Attempt, reference: Reference, models: ModelInspector,
    expected: ExpectedOutputs | None = None,
) -> ExerciseResult:
    """Judge one successful attempt: the reference gives what is expected, the inspector reads the learner's models."""
    exercise = attempt.exercise
    expected = expected or ExpectedOutputs(plan, reference)
    try:
        if exercise.kind == "model":
            return verdict.judge_model(exercise, models.describe(attempt.outputs[0], exercise), expected.get(attempt.prepared))
        if exercise.kind == "training":
            predictions = models.predict(attempt.outputs[0], attempt.held_out, exercise)
            training_predictions = random_predictions = None
            if exercise.threshold and exercise.threshold.reads_training_rows:
                training_predictions = models.predict(attempt.outputs[0], attempt.inputs[0], exercise, "train")
            if exercise.random_labels:
                random_predictions = models.predict(attempt.outputs[1], attempt.random_held_out, exercise)
            baseline_predictions = None
            if exercise.baseline and not isinstance(predictions, str):
                baseline_predictions = models.predict(expected.get(attempt.prepared), attempt.held_out, exercise)
            return verdict.judge_training(exercise, backend, attempt, predictions, training_predictions, random_predictions,
                                          baseline_predictions)
        timeout = plan.timeout_for(exercise)

        def mistakes(trial: int) -> list[Path]:
            return reference.mistakes(exercise, trial, attempt.inputs[trial], timeout)

        result = verdict.judge_function(exercise, backend, list(attempt.outputs), expected.get(attempt.prepared), mistakes,
                                        list(attempt.inputs))
        if exercise.speed and result.passed:
            assert attempt.speed_reply is not None
            reference_s = expected.reference_s.get(exercise.id)
            if reference_s is None:
                reference_s = reference.timing(exercise, attempt.prepared.speed_inputs, plan.timeout_for(exercise))
            if isinstance(reference_s, ReferenceFailure):
                raise reference_s
            result = verdict.judge_speed(exercise, result, attempt.speed_reply.duration_s, reference_s)
        return result
    except ReferenceFailure as failure:
        return verdict.grader_error(exercise, str(failure))


def _setup_failure(plan: Plan, backend: str, message: str) -> BackendReport:
    results = tuple(verdict.grader_error(exercise, message) for exercise in plan.exercises)
    return BackendReport(backend, "", "", (), results, setup_error=message)
