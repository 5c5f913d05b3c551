"""Load the learner's saved models in a worker of their own.

A `.keras` file written by learner code is learner-influenced input, so it is
loaded (in Keras's safe mode) by a process that runs nothing else: sandboxed when
grading is, and computing nothing that the verdict compares its answers with.
The reference's outputs come from another worker; the metrics are computed by
the grader's own process from the predictions handed back.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from .i18n import _
from .protocol import describe_request, predict_request
from .runner import Worker
from .spec import ExerciseSpec

_LOAD_TIMEOUT_S = 300.0


class ModelInspector:
    """Describe and evaluate saved models, each copied into the inspector's own folder first."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.folder = worker.workdir

    def __enter__(self) -> ModelInspector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.worker.stop()

    def describe(self, model_file: Path, exercise: ExerciseSpec) -> dict[str, Any] | str:
        """The saved model's layers and shapes (or why it cannot be loaded)."""
        model = self._copy_in(model_file, f"{exercise.id}-model.keras")
        if isinstance(model, str):
            return model
        output = self.folder / f"{exercise.id}-yours.json"
        reply = self.worker.request(describe_request(model=model, output=output), _LOAD_TIMEOUT_S)
        if not reply.ok:
            return reply.error
        try:
            description: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
            return description
        except (OSError, ValueError):
            return _("the model's description could not be read back")

    def predict(
        self, model_file: Path, rows: dict[str, np.ndarray], exercise: ExerciseSpec, split: str = "test"
    ) -> np.ndarray | str:
        """The trained model's predictions on `rows[f"x_{split}"]` (or why there are none)."""
        model = self._copy_in(model_file, f"{exercise.id}-model.keras")
        if isinstance(model, str):
            return model
        inputs = self.folder / f"{exercise.id}-{split}.npz"
        np.savez(inputs, **{f"x_{split}": rows[f"x_{split}"]})  # type: ignore[arg-type]  # numpy's stub: any name might be allow_pickle
        output = self.folder / f"{exercise.id}-{split}-predictions.npz"
        # A translator's held-out target is text: it is scored on what it writes, decoded one token at a time.
        decode_length = exercise.data.length if exercise.data and exercise.data.translation else 0
        request = predict_request(model=model, inputs=inputs, input_key=f"x_{split}", output=output,
                                  decode_length=decode_length)
        reply = self.worker.request(request, _LOAD_TIMEOUT_S)
        if not reply.ok:
            return reply.error
        try:
            with np.load(output, allow_pickle=False) as arrays:
                predictions: np.ndarray = arrays["predictions"]
                return predictions
        except (OSError, ValueError, KeyError):
            return _("the model's predictions could not be read back")

    def _copy_in(self, model_file: Path, name: str) -> Path | str:
        """A private copy of the learner's file, refusing links and special files."""
        if model_file.is_symlink() or not model_file.is_file():
            return _("no saved model was found ({file} is missing or not a plain file)").format(file=model_file.name)
        target = self.folder / name
        if target.resolve() != model_file.resolve():
            shutil.copyfile(model_file, target)
        return target
