"""The reference side of grading: a worker that never runs learner code.

It computes the reference's outputs on the same inputs (and, once an answer
differs, those of the known mistakes) and times the reference. It works in a folder of its own that a
sandboxed learner cannot see (unsandboxed, it starts only once the learner's
worker is dead), and writes every input it reads afresh from the grader's memory.
The learner's saved models are loaded elsewhere (grader/inspector.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .i18n import _
from .inputs import exercise_seed
from .notebook import Cell, extract, snippets_to_json
from .protocol import call_request
from .runner import Reply, Worker, fastest_reply
from .spec import ExerciseSpec


class ReferenceFailure(RuntimeError):
    """The reference side could not do its part: a grader fault, never a pass."""


class Reference(Protocol):
    """The reference's answers: a ReferenceWorker, or the cache in front of one."""

    def outputs(self, exercise: ExerciseSpec, trials: list[dict[str, np.ndarray]], timeout_s: float) -> list[Path]: ...

    def mistakes(self, exercise: ExerciseSpec, trial: int, arguments: dict[str, np.ndarray], timeout_s: float) -> list[Path]: ...

    def architecture(self, exercise: ExerciseSpec, arguments: dict[str, np.ndarray], timeout_s: float) -> dict[str, Any]: ...

    def timing(self, exercise: ExerciseSpec, arguments: dict[str, np.ndarray], timeout_s: float) -> float: ...

    def baseline(self, exercise: ExerciseSpec, arguments: dict[str, np.ndarray], timeout_s: float) -> Path: ...


class ReferenceWorker:
    """A worker running the chapter's reference code for one backend and one run seed."""

    def __init__(self, backend: str, folder: Path, cells: list[Cell], seed: int, worker: Worker | None = None) -> None:
        self.worker = worker if worker is not None else Worker(backend, folder)
        self.folder = folder
        self.cells = cells
        self.seed = seed

    def __enter__(self) -> ReferenceWorker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.worker.stop()

    def launch(self) -> None:
        """Start the worker now, without waiting: its imports then overlap other work."""
        self.worker.launch()

    @property
    def running(self) -> bool:
        return self.worker.running

    def outputs(self, exercise: ExerciseSpec, trials: list[dict[str, np.ndarray]], timeout_s: float) -> list[Path]:
        """Per trial, the reference's output file."""
        return [self._run(exercise, exercise.entry, trial, arguments, "answer", timeout_s)
                for trial, arguments in enumerate(trials)]

    def mistakes(self, exercise: ExerciseSpec, trial: int, arguments: dict[str, np.ndarray], timeout_s: float) -> list[Path]:
        """One trial's output of each known mistake: asked for only once an answer differs from the reference's."""
        return [self._run(exercise, mistake.function, trial, arguments, f"mistake{index}", timeout_s)
                for index, mistake in enumerate(exercise.mistakes)]

    def _run(self, exercise: ExerciseSpec, entry: str, trial: int, arguments: dict[str, np.ndarray], role: str,
             timeout_s: float) -> Path:
        inputs = self._save(f"{exercise.id}-{trial}-inputs.npz", arguments)
        output = self.folder / f"{exercise.id}-{trial}-{role}.npz"
        self._call(exercise, entry, inputs, output, "arrays", exercise_seed(self.seed, exercise.id, trial), timeout_s)
        return output

    def timing(self, exercise: ExerciseSpec, arguments: dict[str, np.ndarray], timeout_s: float) -> float:
        """Seconds of the reference's fastest run on the speed trial, timed as the learner's is."""
        assert exercise.speed is not None
        inputs = self._save(f"{exercise.id}-speed-inputs.npz", arguments)
        request = self._request(exercise, exercise.entry, inputs, self.folder / "unused", "timing", self.seed)
        reply = fastest_reply(self.worker, request, exercise.speed.repeats, timeout_s)
        if not reply.ok:
            not_timed = _("the grader's reference could not be timed ({status}: {reason})")
            raise ReferenceFailure(not_timed.format(status=reply.status, reason=reply.error))
        return reply.duration_s

    def baseline(self, exercise: ExerciseSpec, arguments: dict[str, np.ndarray], timeout_s: float) -> Path:
        """The saved model of the exercise's baseline, trained by the reference on the learner's split."""
        assert exercise.baseline is not None
        inputs = self._save(f"{exercise.id}-baseline-inputs.npz", arguments)
        output = self.folder / f"{exercise.id}-baseline.keras"
        request = call_request(source=self._source(exercise), entry=exercise.baseline.function, inputs=inputs,
                               output=output, expect="model", seed=exercise_seed(self.seed, exercise.id))
        reply = self.worker.request(request, timeout_s)
        if not reply.ok:
            did_not_run = _("the grader's reference could not run {function} ({status}: {reason})")
            raise ReferenceFailure(did_not_run.format(function=exercise.baseline.function, status=reply.status,
                                                      reason=reply.error))
        return output

    def architecture(self, exercise: ExerciseSpec, arguments: dict[str, np.ndarray], timeout_s: float) -> dict[str, Any]:
        """The reference model's description for the same arguments."""
        inputs = self._save(f"{exercise.id}-inputs.npz", arguments)
        output = self.folder / f"{exercise.id}-expected.json"
        self._call(exercise, exercise.entry, inputs, output, "architecture", self.seed, timeout_s)
        description: dict[str, Any] = json.loads(output.read_text())
        return description

    def _call(
        self, exercise: ExerciseSpec, entry: str, inputs: Path, output: Path, expect: str, seed: int,
        timeout_s: float,
    ) -> Reply:
        reply = self.worker.request(self._request(exercise, entry, inputs, output, expect, seed), timeout_s)
        if not reply.ok:
            did_not_run = _("the grader's reference could not run {function} ({status}: {reason})")
            raise ReferenceFailure(did_not_run.format(function=entry, status=reply.status, reason=reply.error))
        return reply

    def _request(self, exercise: ExerciseSpec, entry: str, inputs: Path, output: Path, expect: str, seed: int) -> dict[str, Any]:
        source = self._source(exercise)
        return call_request(
            source=source, entry=entry, inputs=inputs, output=output, expect=expect, seed=seed,
            probe=exercise.probe, probe_source=source,
        )

    def _source(self, exercise: ExerciseSpec) -> Path:
        """The reference code for an exercise: entry point, known mistakes and probe."""
        path = self.folder / f"{exercise.id}-reference.json"
        if not path.exists():
            names = [exercise.entry, *(m.function for m in exercise.mistakes), *([exercise.probe] if exercise.probe else []),
                     *([exercise.baseline.function] if exercise.baseline else [])]
            extraction = extract(self.cells, names)
            if extraction.missing:
                raise ReferenceFailure(f"the solutions do not define {', '.join(extraction.missing)}")
            path.write_text(snippets_to_json(extraction.snippets), encoding="utf-8")
        return path

    def _save(self, name: str, arrays: dict[str, np.ndarray]) -> Path:
        """Inputs written afresh: the learner's copies may have been altered."""
        path = self.folder / name
        np.savez(path, **arrays)  # type: ignore[arg-type]  # numpy's stub: any name might be allow_pickle
        return path
