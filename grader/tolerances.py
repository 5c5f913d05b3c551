"""`grader calibrate --tolerances`: how far the backends' reference outputs drift apart.

A tolerance must admit any correct float32 implementation, on any backend. This
runs each function exercise's reference on every backend over many seeds,
compares the outputs element by element across backends, and reports the
largest absolute and relative differences beside the manifest's tolerance.
"""

from __future__ import annotations

import itertools
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
from rich.console import Console
from rich.table import Table

from . import calibration as calibration_file
from .chapters import Chapter
from .inputs import exercise_seed, generate_inputs
from .notebook import read_code_cells
from .reference import ReferenceWorker
from .spec import ExerciseSpec

# A tolerance should sit well above the drift between backends, or a correct answer may fail.
SAFETY_FACTOR = 10.0


@dataclass(frozen=True)
class Spread:
    """The largest cross-backend differences of one exercise's reference outputs."""

    exercise: ExerciseSpec
    seeds: int
    max_abs: float
    max_rel: float

    @property
    def ok(self) -> bool:
        """Every difference sits well inside the tolerance of every backend."""
        tolerances = [self.exercise.tolerance, *self.exercise.backend_tolerance.values()]
        return all(self.max_abs * SAFETY_FACTOR <= t.atol or self.max_rel * SAFETY_FACTOR <= t.rtol for t in tolerances)


def measure_spreads(
    chapter: Chapter, exercises: list[ExerciseSpec], backends: list[str], seeds: int,
    progress: Callable[..., None] = lambda *_, **__: None,
) -> list[Spread]:
    """Run every function exercise's reference on each backend and compare across backends."""
    cells = read_code_cells(chapter.source)
    functions = [e for e in exercises if e.kind == "function"]
    outputs: dict[str, list[list[dict[str, np.ndarray]]]] = {}
    with tempfile.TemporaryDirectory(prefix="grader-tolerances-") as tmp:
        for backend in backends:
            progress(f"reference outputs on {backend}", advance=True)
            with ReferenceWorker(backend, Path(tmp) / backend, cells, 0) as reference:
                outputs[backend] = [_outputs(reference, exercise, seeds) for exercise in functions]
    return [
        Spread(exercise, seeds, *_largest_differences([outputs[b][i] for b in backends]))
        for i, exercise in enumerate(functions)
    ]


def _outputs(reference: ReferenceWorker, exercise: ExerciseSpec, seeds: int) -> list[dict[str, np.ndarray]]:
    trials = [generate_inputs(exercise, exercise_seed(seed, exercise.id, t)) for seed in range(seeds) for t in range(exercise.trials)]
    expected = reference.outputs(exercise, trials, timeout_s=exercise.timeout_s)
    loaded = []
    for path in expected:
        with np.load(path, allow_pickle=False) as arrays:
            loaded.append({k: arrays[k] for k in arrays.files if arrays[k].dtype.kind in "biufc"})
    return loaded


def _largest_differences(per_backend: list[list[dict[str, np.ndarray]]]) -> tuple[float, float]:
    max_abs = max_rel = 0.0
    for first, second in itertools.combinations(per_backend, 2):
        for a, b in zip(first, second):
            for key in a:
                x, y = a[key].astype(np.float64), b[key].astype(np.float64)
                if x.shape != y.shape or not x.size:
                    continue
                difference = np.abs(x - y)
                max_abs = max(max_abs, float(np.nanmax(difference)))
                max_rel = max(max_rel, float(np.nanmax(difference / np.maximum(np.abs(y), 1e-12))))
    return max_abs, max_rel


def print_spreads(spreads: list[Spread], console: Console) -> bool:
    """A table of measured spreads against tolerances; True when every tolerance has headroom."""
    table = Table(title="Cross-backend spread of the reference", title_justify="left")
    for column in ("Exercise", "Seeds", "Max abs diff", "Max rel diff", "Tolerance (atol, rtol)", "Headroom"):
        table.add_column(column)
    for spread in spreads:
        tolerance = spread.exercise.tolerance
        table.add_row(spread.exercise.id, str(spread.seeds), f"{spread.max_abs:.3g}", f"{spread.max_rel:.3g}",
                      f"{tolerance.atol:g}, {tolerance.rtol:g}",
                      "[green]ok[/]" if spread.ok else f"[red]under {SAFETY_FACTOR:g}x[/]")
    console.print(table)
    return all(spread.ok for spread in spreads)


def save_spreads(chapter: Chapter, spreads: list[Spread]) -> None:
    """Merge the spreads into the chapter's `.calibration.json` under `tolerances`."""
    saved = calibration_file.read(chapter.calibration, chapter.name)
    tolerances = dict(saved.tolerances)
    for spread in spreads:
        command = f"grader calibrate {chapter.name} --tolerances --backend all --seeds {spread.seeds} --write"
        tolerances[spread.exercise.id] = calibration_file.Spread(spread.seeds, spread.max_abs, spread.max_rel, command)
    calibration_file.write(chapter.calibration, replace(saved, tolerances=tolerances))
