"""Fresh inputs for each run, generated from the run's seed.

Inputs are data in the manifest: a table per argument naming a distribution
and a shape, for example `features = { normal = ["n", 8], loc = [-50, 150] }`.
A shape entry is an integer, a `[low, high]` range drawn once per trial, or a
dimension name from `[dims]` so that several arguments share a size. Other
rules: `integers`, `uniform`, `choice = ["valid", "same"]` (one per trial),
`value = ...` (a constant), `seed = true` (a fresh integer), `mask = [...]`
(0/1 with at least one 1 along the last axis), `sentences = "rotten_tomatoes"`
with `rows` (real texts drawn from a shipped corpus) and `perturb = "other_input"`
with `drop` (those texts with words dropped and neighbours swapped, a stand-in for
an imperfect translation). Training exercises instead split a real dataset; the
held-out part stays with the grader.
"""

from __future__ import annotations

import zlib
from dataclasses import fields
from typing import Any

import numpy as np

import course_data
from course_data import CORPORA

from .spec import DataSplit, ExerciseSpec

Arrays = dict[str, np.ndarray]

def exercise_seed(run_seed: int, exercise_id: str, trial: int = 0) -> int:
    """A seed for one trial of one exercise, stable for a given run seed."""
    sequence = np.random.SeedSequence([run_seed, zlib.crc32(exercise_id.encode()), trial])
    return int(sequence.generate_state(1)[0] % (2**31 - 1))


def generate_inputs(exercise: ExerciseSpec, seed: int, dims: dict[str, Any] | None = None) -> Arrays:
    """One trial's arguments for a function or model exercise.

    `dims` overrides the manifest's dimension sizes (a speed trial's larger inputs).

    Example:
        >>> spec = ExerciseSpec(id="1.1", title="t", kind="function", entry="f",
        ...     points=1, hints=("h",), inputs={"x": {"normal": [3, 2]}})
        >>> generate_inputs(spec, seed=0)["x"].shape
        (3, 2)
    """
    rng = np.random.default_rng(seed)
    sizes = {name: _draw_size(size, rng) for name, size in {**exercise.dims, **(dims or {})}.items()}
    generated: Arrays = {}
    for name, rule in exercise.inputs.items():
        generated[name] = _generate(name, rule, sizes, rng, generated)
    return generated


def _generate(name: str, rule: dict[str, Any], dims: dict[str, int], rng: np.random.Generator,
              earlier: Arrays) -> np.ndarray:
    if "sentences" in rule:
        corpus = CORPORA[rule["sentences"]]()
        rows = rng.choice(len(corpus), size=_shape([rule["rows"]], dims, rng)[0], replace=False)
        return corpus[np.sort(rows)]
    if "perturb" in rule:
        return np.array([_perturbed(str(t), rule.get("drop", 0.2), rng) for t in earlier[rule["perturb"]]])
    if "mask" in rule:
        shape = _shape(rule["mask"], dims, rng)
        mask: np.ndarray = rng.random(shape) < rule.get("p", 0.7)
        mask[..., 0] |= ~mask.any(axis=-1)  # every row keeps at least one position
        return mask.astype(rule.get("dtype", "int32"))
    if "value" in rule:
        return np.asarray(rule["value"])
    if rule.get("seed"):
        return np.asarray(int(rng.integers(0, 2**31 - 1)))
    if "choice" in rule:
        return np.asarray(rule["choice"][int(rng.integers(len(rule["choice"])))])
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
        f"Input {name!r}: expected one of normal, uniform, integers, choice, value, seed, mask, sentences "
        f"or perturb. Received: {rule!r}"
    )


def _perturbed(sentence: str, drop: float, rng: np.random.Generator) -> str:
    """The sentence with each word dropped with probability `drop`, and one pair of neighbours swapped."""
    words = [word for word in sentence.split() if rng.random() >= drop]
    if len(words) > 2:
        i = int(rng.integers(len(words) - 1))
        words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def _draw_size(size: int | list[int], rng: np.random.Generator) -> int:
    if isinstance(size, list):
        low, high = size
        return int(rng.integers(low, high + 1))
    return int(size)


def _shape(entries: list[Any], dims: dict[str, int], rng: np.random.Generator) -> tuple[int, ...]:
    return tuple(dims[e] if isinstance(e, str) else _draw_size(e, rng) for e in entries)


def _per_column(value: float | list[float], shape: tuple[int, ...], rng: np.random.Generator) -> float | np.ndarray:
    """A scalar, or one value per last-axis column drawn from a `[low, high]` range."""
    if isinstance(value, list):
        return rng.uniform(value[0], value[1], size=shape[-1:]).astype("float32")
    return value


def split_dataset(split: DataSplit, seed: int) -> tuple[Arrays, Arrays]:
    """A manifest's `data` split of a real dataset: the learner's part and the held-out test part.

    The rule is the course's own (course_data.split), which chapter 8 shows learners.
    """
    options = {f.name: getattr(split, f.name) for f in fields(split) if f.name != "dataset"}
    return course_data.split(split.dataset, seed, **options)


def random_label_split(learner: Arrays, test_rows: int, seed: int) -> tuple[Arrays, Arrays]:
    """Inputs shaped like a real split's, standard normal, with 0/1 labels drawn independently of them.

    The labels keep the training rows' rate of positives, so the best a model can do on new rows is to
    predict that rate: its log loss, the entropy of the rate, is what a model that learnt nothing scores.

    Returns:
        `({x_train, y_train, x_val, y_val}, {x_test, y_test})`, the test part `test_rows` long.
    """
    rng = np.random.default_rng(seed)
    rate = float(np.mean(learner["y_train"]))
    sizes = {"train": len(learner["x_train"]), "val": len(learner["x_val"]), "test": test_rows}
    features = learner["x_train"].shape[1:]
    x = {part: rng.normal(size=(n, *features)).astype("float32") for part, n in sizes.items()}
    y = {part: (rng.random(n) < rate).astype(learner["y_train"].dtype) for part, n in sizes.items()}
    arrays = {f"{kind}_{part}": (x if kind == "x" else y)[part] for part in sizes for kind in "xy"}
    return ({k: v for k, v in arrays.items() if not k.endswith("_test")},
            {k: v for k, v in arrays.items() if k.endswith("_test")})
