"""Fresh inputs for each run, generated from the run's seed.

Inputs are data in the manifest: a table per argument naming a distribution
and a shape, for example `features = { normal = ["n", 8], loc = [-50, 150] }`.
A shape entry is an integer, a `[low, high]` range drawn once per trial, or a
dimension name from `[dims]` so that several arguments share a size. Training
exercises instead split a real dataset; the held-out part stays with the grader.
"""

from __future__ import annotations

import zlib
from typing import Any, Callable

import numpy as np

from . import data
from .spec import DataSplit, ExerciseSpec

Arrays = dict[str, np.ndarray]

_DATASETS: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
    "pima": data.load_pima,
    "mnist_5k": data.load_mnist_5k,
}


def exercise_seed(run_seed: int, exercise_id: str, trial: int = 0) -> int:
    """A seed for one trial of one exercise, stable for a given run seed."""
    sequence = np.random.SeedSequence([run_seed, zlib.crc32(exercise_id.encode()), trial])
    return int(sequence.generate_state(1)[0] % (2**31 - 1))


def generate_inputs(exercise: ExerciseSpec, seed: int) -> Arrays:
    """One trial's arguments for a function or model exercise.

    Example:
        >>> spec = ExerciseSpec(id="1.1", title="t", kind="function", entry="f",
        ...     points=1, hints=("h",), inputs={"x": {"normal": [3, 2]}})
        >>> generate_inputs(spec, seed=0)["x"].shape
        (3, 2)
    """
    rng = np.random.default_rng(seed)
    dims = {name: _draw_size(size, rng) for name, size in exercise.dims.items()}
    return {name: _generate(name, rule, dims, rng) for name, rule in exercise.inputs.items()}


def _generate(name: str, rule: dict[str, Any], dims: dict[str, int], rng: np.random.Generator) -> np.ndarray:
    if "value" in rule:
        return np.asarray(rule["value"])
    if rule.get("seed"):
        return np.asarray(int(rng.integers(0, 2**31 - 1)))
    if "normal" in rule:
        shape = _shape(rule["normal"], dims, rng)
        loc, scale = _per_column(rule.get("loc", 0.0), shape, rng), _per_column(rule.get("scale", 1.0), shape, rng)
        return (rng.normal(size=shape) * scale + loc).astype(rule.get("dtype", "float32"))
    if "uniform" in rule:
        shape = _shape(rule["uniform"], dims, rng)
        low, high = rule.get("low", 0.0), rule.get("high", 1.0)
        return rng.uniform(low, high, size=shape).astype(rule.get("dtype", "float32"))
    if "integers" in rule:
        shape = _shape(rule["integers"], dims, rng)
        return rng.integers(rule.get("low", 0), rule["high"], size=shape).astype(rule.get("dtype", "int64"))
    raise ValueError(
        f"Input {name!r}: expected one of normal, uniform, integers, value or seed. Received: {rule!r}"
    )


def _draw_size(size: int | list[int], rng: np.random.Generator) -> int:
    if isinstance(size, list):
        low, high = size
        return int(rng.integers(low, high + 1))
    return int(size)


def _shape(entries: list[Any], dims: dict[str, int], rng: np.random.Generator) -> tuple[int, ...]:
    return tuple(dims[e] if isinstance(e, str) else _draw_size(e, rng) for e in entries)


def _per_column(value: float | list[float], shape: tuple[int, ...], rng: np.random.Generator) -> Any:
    """A scalar, or one value per last-axis column drawn from a `[low, high]` range."""
    if isinstance(value, list):
        return rng.uniform(value[0], value[1], size=shape[-1:]).astype("float32")
    return value


def split_dataset(split: DataSplit, seed: int) -> tuple[Arrays, Arrays]:
    """A real dataset shuffled by `seed` into the learner's part and the held-out test part.

    Returns:
        `({x_train, y_train, x_val, y_val}, {x_test, y_test})`. With
        `standardize`, features are scaled with training-split statistics only.
    """
    features, labels = _DATASETS[split.dataset]()
    order = np.random.default_rng(seed).permutation(len(features))
    n_test = round(split.test_fraction * len(features))
    n_val = round(split.val_fraction * len(features))
    parts = {
        "test": order[:n_test],
        "val": order[n_test : n_test + n_val],
        "train": order[n_test + n_val :],
    }
    x = {part: features[rows] for part, rows in parts.items()}
    if split.standardize:
        mean, std = x["train"].mean(axis=0), x["train"].std(axis=0)
        x = {part: ((values - mean) / np.where(std > 0, std, 1.0)).astype("float32") for part, values in x.items()}
    learner = {"x_train": x["train"], "y_train": labels[parts["train"]], "x_val": x["val"], "y_val": labels[parts["val"]]}
    held_out = {"x_test": x["test"], "y_test": labels[parts["test"]]}
    return learner, held_out
