"""Chapter 3: the references equal Keras, and wrong answers the manifest cannot name fail clearly.

Run as a script with KERAS_BACKEND set, this file compares every hand-written reference of
chapter 3 with its Keras counterpart (layer, loss or optimizer) on the grader's own random
inputs, and prints the largest differences as JSON: the measurements behind the tolerances in
`solutions/chapter3a_losses_and_optimisers.toml` and `chapter3b_convolution_and_recurrence.toml`.
An optional `first:stop` takes only those trials (the test runs two halves side by side).

    KERAS_BACKEND=torch python tests/test_chapter3.py
    KERAS_BACKEND=jax python tests/test_chapter3.py 0:5
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.chapters import resolve  # noqa: E402
from grader.inputs import exercise_seed, generate_inputs  # noqa: E402
from grader.notebook import extract, read_code_cells  # noqa: E402
from helpers import in_rounds, messages, solution_with, statuses, wrong_answer_test  # noqa: E402

# Chapter 3 comes in two parts, one notebook each: part a (3.1 to 3.7) and part b (3.8 to 3.13).
PARTS = (resolve("chapter3a"), resolve("chapter3b"))
CHAPTER3B = PARTS[1]
# Fewer on JAX: it compiles each operation for each new input shape when run eagerly, so the
# hand-written convolution's loop of ops takes about 2 s per call there (0.1 s elsewhere).
SEEDS_PER_EXERCISE = {"jax": 10, "tensorflow": 25, "torch": 25}
ALL_BACKENDS = ("jax", "tensorflow", "torch")


# --- The references against Keras, one backend per process --------------------------------------


def _reference_namespace(names: list[str]) -> dict[str, Any]:
    """The chapter's reference code for `names`, executed as the grader's worker executes it."""
    namespace: dict[str, Any] = {"__name__": "__chapter3__"}
    for part in PARTS:
        defined = {e.entry for e in part.spec.exercises} | {e.probe for e in part.spec.exercises if e.probe}
        extraction = extract(read_code_cells(part.source), [name for name in names if name in defined])
        assert not extraction.missing, extraction.missing
        for snippet in extraction.snippets:
            exec(compile("\n" * (snippet.line - 1) + snippet.code, snippet.label, "exec"), namespace)
    return namespace


def _keras_counterparts() -> dict[str, Callable[..., Any]]:
    """For each exercise, Keras's own computation of what the learner writes by hand."""
    import keras

    def dense(x, kernel, bias, activation="linear"):
        layer = keras.layers.Dense(kernel.shape[1], activation=activation)
        layer.build(x.shape)
        layer.set_weights([kernel, bias])
        return layer(x)

    def crossentropy(loss_class):
        return lambda y_true, y_pred, from_logits=False: loss_class(from_logits=from_logits)(y_true, y_pred)

    def exact_gradient(f, x, epsilon=1e-4):
        # The probe's f is sum(tanh(x @ w)) + sum(x**3) / 3; its w is read back from the closure.
        w = f.__closure__[0].cell_contents
        return (1 - np.tanh(x @ w) ** 2) @ w.T + x**2

    def sgd(param, grad, velocity, learning_rate, momentum):
        variable = keras.Variable(param)
        optimizer = keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum)
        optimizer.build([variable])
        slot = _slot(optimizer, "momentum")
        slot.assign(velocity)
        optimizer.apply([keras.ops.convert_to_tensor(grad)], [variable])
        return variable, slot

    def adam(param, grad, m, v, step, learning_rate, beta_1, beta_2, epsilon):
        variable = keras.Variable(param)
        optimizer = keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
        optimizer.build([variable])
        optimizer.iterations.assign(step - 1)
        _slot(optimizer, "momentum").assign(m)
        _slot(optimizer, "velocity").assign(v)
        optimizer.apply([keras.ops.convert_to_tensor(grad)], [variable])
        return variable, _slot(optimizer, "momentum"), _slot(optimizer, "velocity")

    def conv(x, kernel, bias, strides=1, padding="valid"):
        layer = keras.layers.Conv2D(kernel.shape[-1], kernel.shape[:2], strides=strides, padding=padding)
        layer.build(x.shape)
        layer.set_weights([kernel, bias])
        return layer(x)

    def pool(x, pool_size=2, strides=None):
        return keras.layers.MaxPooling2D(pool_size, strides)(x)

    def rnn(x, kernel, recurrent_kernel, bias):
        layer = keras.layers.SimpleRNN(kernel.shape[1], return_sequences=True)
        layer.build(x.shape)
        layer.set_weights([kernel, recurrent_kernel, bias])
        return layer(x)

    return {
        "dense_forward": dense,
        "mean_squared_error": lambda y_true, y_pred: keras.losses.MeanSquaredError()(y_true, y_pred),
        "binary_crossentropy": crossentropy(keras.losses.BinaryCrossentropy),
        "categorical_crossentropy": crossentropy(keras.losses.CategoricalCrossentropy),
        "numerical_gradient": exact_gradient,
        "sgd_momentum_step": sgd,
        "adam_step": adam,
        "conv2d": conv,
        "max_pool2d": pool,
        "simple_rnn": rnn,
    }


def _slot(optimizer: Any, name: str) -> Any:
    return next(variable for variable in optimizer.variables if variable.path.endswith("_" + name))


def _as_arrays(value: Any) -> list[np.ndarray]:
    import keras

    if isinstance(value, (list, tuple)):
        return [array for item in value for array in _as_arrays(item)]
    return [np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float64)]


def measure_against_keras(trials: range | None = None) -> dict[str, dict[str, float]]:
    """Per exercise: the largest absolute and relative differences, and the rtol needed with the manifest's atol."""
    counterparts = _keras_counterparts()
    exercises = [e for part in PARTS for e in part.spec.exercises if e.entry in counterparts]
    namespace = _reference_namespace([e.entry for e in exercises] + [e.probe for e in exercises if e.probe])
    backend = os.environ["KERAS_BACKEND"]
    trials = trials or range(SEEDS_PER_EXERCISE[backend])
    results = {}
    for exercise in exercises:
        worst_abs = worst_rel = needed_rtol = 0.0
        tolerance = exercise.tolerance_for(backend)
        for trial in trials:
            inputs = generate_inputs(exercise, exercise_seed(trial, exercise.id))
            inputs = {name: value.item() if value.ndim == 0 else value for name, value in inputs.items()}
            run = (lambda f: namespace[exercise.probe](f, **inputs)) if exercise.probe else (lambda f: f(**inputs))
            for ours, theirs in zip(_as_arrays(run(namespace[exercise.entry])), _as_arrays(run(counterparts[exercise.entry]))):
                error = np.abs(ours - theirs)
                worst_abs = max(worst_abs, float(error.max(initial=0.0)))
                relative = error / np.maximum(np.abs(theirs), np.finfo(np.float32).tiny)
                worst_rel = max(worst_rel, float(relative.max(initial=0.0)))
                excess = (error - tolerance.atol) / np.maximum(np.abs(theirs), 1e-30)
                needed_rtol = max(needed_rtol, float(excess.max(initial=0.0)))
        results[exercise.id] = {"max_abs": worst_abs, "max_rel": worst_rel, "rtol_needed": needed_rtol,
                                "atol": tolerance.atol, "rtol": tolerance.rtol}
    return results


@pytest.mark.slow
@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_the_reference_equals_keras(backend):
    """Each hand-written reference equals Keras's layer, loss or optimizer within the manifest's tolerance."""
    measured = _worst_of([json.loads(line) for line in _measure_in_halves(backend)])
    too_far = {exercise: m for exercise, m in measured.items() if m["rtol_needed"] > m["rtol"]}
    assert not too_far, too_far


def _measure_in_halves(backend: str) -> list[str]:
    """This file run as a script on each half of the backend's trials, side by side (a measurement of numbers,
    not of time: JAX compiles every operation for every new shape, about 50 s of one core for all ten trials)."""
    seeds = SEEDS_PER_EXERCISE[backend]
    halves = [f"0:{seeds // 2}", f"{seeds // 2}:{seeds}"]
    environment = {**os.environ, "KERAS_BACKEND": backend}
    runs = [subprocess.Popen([sys.executable, __file__, half], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, cwd=ROOT, env=environment) for half in halves]
    finished = [run.communicate(timeout=900) for run in runs]  # both waited for before either is judged
    for run, (_, stderr) in zip(runs, finished):
        assert run.returncode == 0, stderr[-3000:]
    return [stdout.strip().splitlines()[-1] for stdout, _ in finished]


def _worst_of(halves: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Per exercise, the largest of each measured difference over the halves (the tolerances are the same)."""
    return {exercise: {key: max(half[exercise][key] for half in halves) for key in halves[0][exercise]}
            for exercise in halves[0]}


# --- Wrong answers that a manifest mistake cannot describe ---------------------------------------

PIXEL_LOOP_CONV2D = """
def conv2d(x, kernel, bias, strides=1, padding="valid"):
    x = ops.convert_to_tensor(x)
    k_h, k_w = kernel.shape[0], kernel.shape[1]
    if padding == "same":
        pads = []
        for size, k in ((x.shape[1], k_h), (x.shape[2], k_w)):
            total = max((-(-size // strides) - 1) * strides + k - size, 0)
            pads.append((total // 2, total - total // 2))
        x = ops.pad(x, [(0, 0), pads[0], pads[1], (0, 0)])
    rows = []
    for i in range(0, x.shape[1] - k_h + 1, strides):
        row = []
        for j in range(0, x.shape[2] - k_w + 1, strides):
            patch = x[:, i:i + k_h, j:j + k_w, :]
            row.append(ops.einsum("nhwc,hwcd->nd", patch, kernel) + bias)
        rows.append(ops.stack(row, axis=1))
    return ops.stack(rows, axis=1)
"""

PIXEL_LOOP_MAX_POOL = """
def max_pool2d(x, pool_size=2, strides=None):
    x = ops.convert_to_tensor(x)
    strides = strides or pool_size
    rows = []
    for i in range(0, x.shape[1] - pool_size + 1, strides):
        row = [ops.max(x[:, i:i + pool_size, j:j + pool_size, :], axis=(1, 2))
               for j in range(0, x.shape[2] - pool_size + 1, strides)]
        rows.append(ops.stack(row, axis=1))
    return ops.stack(rows, axis=1)
"""

LOG_OF_SIGMOID = """
def binary_crossentropy(y_true, y_pred, from_logits=False):
    y_true = ops.convert_to_tensor(y_true, "float32")
    p = ops.convert_to_tensor(y_pred, "float32")
    if from_logits:
        p = ops.sigmoid(p)
    else:
        p = ops.clip(p, keras.config.epsilon(), 1.0 - keras.config.epsilon())
    return -ops.mean(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))
"""

LAST_STATE_ONLY = solution_with(CHAPTER3B, "simple_rnn", ("return ops.stack(states, axis=1)", "return h"))

CNN_WITHOUT_SOFTMAX = solution_with(CHAPTER3B, "build_digit_cnn", ('keras.layers.Dense(10, activation="softmax")', "keras.layers.Dense(10)"))

UNDERTRAINED_FORECASTER = """
def train_sunspot_forecaster(x_train, y_train, x_val, y_val):
    model = keras.Sequential([keras.Input(shape=x_train.shape[1:]), keras.layers.GRU(4), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-4), loss="mse")
    model.fit(x_train, y_train, epochs=1, batch_size=256, verbose=0)
    return model
"""


WRONG_ANSWERS_PART_A = [
    ("3.3", "binary_crossentropy", LOG_OF_SIGMOID, "values where the expected one is finite (numerical overflow?)"),
]
WRONG_ANSWERS_PART_B = [
    ("3.8", "conv2d", PIXEL_LOOP_CONV2D, "replace Python loops with vectorised keras.ops"),
    ("3.9", "max_pool2d", PIXEL_LOOP_MAX_POOL, "replace Python loops with vectorised keras.ops"),
    ("3.12", "simple_rnn", LAST_STATE_ONLY, "expected shape"),
    ("3.10", "build_digit_cnn", CNN_WITHOUT_SOFTMAX,
     "layer 7: expected Dense(10, activation='softmax'), got Dense(10, activation='linear')"),
    ("3.13", "train_sunspot_forecaster", UNDERTRAINED_FORECASTER, "relative to the naive forecast"),
]
# One grading per round, not per answer: a round holds at most one of each exercise.
test_wrong_answers_of_part_a_point_at_the_mistake = pytest.mark.slow(wrong_answer_test(
    PARTS[0], WRONG_ANSWERS_PART_A, in_rounds(WRONG_ANSWERS_PART_A), ids=["log of a saturated sigmoid"],
))
test_wrong_answers_of_part_b_point_at_the_mistake = pytest.mark.slow(wrong_answer_test(
    PARTS[1], WRONG_ANSWERS_PART_B, in_rounds(WRONG_ANSWERS_PART_B),
    ids=["conv2d looping over pixels", "max_pool2d looping over pixels", "only the last RNN state",
         "CNN without softmax", "undertrained forecaster"],
))


if __name__ == "__main__":
    first, _, stop = (sys.argv[1] if len(sys.argv) > 1 else ":").partition(":")
    print(json.dumps(measure_against_keras(range(int(first), int(stop)) if stop else None)))


# Correct answers written differently from the reference: NumPy in float64 instead of keras.ops, the
# textbook's other forms of the same maths, im2col and window views instead of loops over offsets.
OTHER_CORRECT_ANSWERS = {
    "dense_forward": """
def dense_forward(x, kernel, bias, activation="linear"):
    z = np.asarray(x, np.float64) @ np.asarray(kernel, np.float64) + np.asarray(bias, np.float64)
    if activation == "relu":
        z = np.maximum(z, 0.0)
    elif activation == "sigmoid":
        z = 1.0 / (1.0 + np.exp(-z))
    elif activation == "tanh":
        z = np.tanh(z)
    return z.astype("float32")
""",
    "mean_squared_error": """
def mean_squared_error(y_true, y_pred):
    error = np.asarray(y_pred, np.float64) - np.asarray(y_true, np.float64)
    return np.float32(np.dot(error.ravel(), error.ravel()) / error.size)
""",
    "binary_crossentropy": """
def binary_crossentropy(y_true, y_pred, from_logits=False):
    y_true = ops.convert_to_tensor(y_true, "float32")
    y_pred = ops.convert_to_tensor(y_pred, "float32")
    if from_logits:  # log(1 + e^z) - y z, with softplus doing the stable part
        return ops.mean(ops.softplus(y_pred) - y_true * y_pred)
    p = ops.clip(y_pred, keras.config.epsilon(), 1.0 - keras.config.epsilon())
    return ops.mean(-y_true * ops.log(p) - (1.0 - y_true) * ops.log1p(-p))
""",
    "categorical_crossentropy": """
def categorical_crossentropy(y_true, y_pred, from_logits=False):
    y_true = ops.convert_to_tensor(y_true, "float32")
    y_pred = ops.convert_to_tensor(y_pred, "float32")
    if from_logits:
        log_p = ops.log_softmax(y_pred, axis=-1)
    else:
        p = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
        log_p = ops.log(ops.clip(p, keras.config.epsilon(), 1.0 - keras.config.epsilon()))
    return -ops.mean(ops.sum(y_true * log_p, axis=-1))
""",
    "sgd_momentum_step": """
def sgd_momentum_step(param, grad, velocity, learning_rate, momentum):
    velocity = momentum * np.asarray(velocity, np.float64) - learning_rate * np.asarray(grad, np.float64)
    return (np.asarray(param, np.float64) + velocity).astype("float32"), velocity.astype("float32")
""",
    "adam_step": """
def adam_step(param, grad, m, v, step, learning_rate, beta_1, beta_2, epsilon):
    grad = np.asarray(grad, np.float64)
    m = beta_1 * np.asarray(m, np.float64) + (1 - beta_1) * grad
    v = beta_2 * np.asarray(v, np.float64) + (1 - beta_2) * grad**2
    step_size = learning_rate * (1 - beta_2**step) ** 0.5 / (1 - beta_1**step)  # Keras's placement of epsilon
    param = np.asarray(param, np.float64) - step_size * m / (np.sqrt(v) + epsilon)
    return param.astype("float32"), m.astype("float32"), v.astype("float32")
""",
    "conv2d": """
def conv2d(x, kernel, bias, strides=1, padding="valid"):
    x, kernel = np.asarray(x, np.float64), np.asarray(kernel, np.float64)
    k_h, k_w = kernel.shape[:2]
    if padding == "same":
        pads = []
        for size, k in ((x.shape[1], k_h), (x.shape[2], k_w)):
            total = max((-(-size // strides) - 1) * strides + k - size, 0)
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, [(0, 0), *pads, (0, 0)])
    # im2col: every window as a row (n, out_h, out_w, c, k_h, k_w), then one matrix product
    windows = np.lib.stride_tricks.sliding_window_view(x, (k_h, k_w), axis=(1, 2))[:, ::strides, ::strides]
    return (np.tensordot(windows, kernel, axes=([3, 4, 5], [2, 0, 1])) + bias).astype("float32")
""",
    "max_pool2d": """
def max_pool2d(x, pool_size=2, strides=None):
    windows = np.lib.stride_tricks.sliding_window_view(np.asarray(x), (pool_size, pool_size), axis=(1, 2))
    step = strides or pool_size
    return windows[:, ::step, ::step].max(axis=(-2, -1))
""",
    "simple_rnn": """
def simple_rnn(x, kernel, recurrent_kernel, bias):
    x = np.asarray(x, np.float64)
    state = np.zeros((x.shape[0], np.shape(kernel)[1]))
    states = []
    for step in np.moveaxis(x, 1, 0):
        state = np.tanh(step @ kernel + state @ recurrent_kernel + bias)
        states.append(state)
    return np.stack(states, axis=1).astype("float32")
""",
}


@pytest.mark.slow
@pytest.mark.parametrize("part", PARTS, ids=lambda part: part.name)
def test_other_correct_answers_pass(grade_answers, part):
    exercises = [e.id for e in part.spec.exercises if e.entry in OTHER_CORRECT_ANSWERS]
    answers = {e.entry: OTHER_CORRECT_ANSWERS[e.entry] for e in part.spec.exercises if e.entry in OTHER_CORRECT_ANSWERS}
    finished, report = grade_answers(part, answers, *exercises)
    assert statuses(report) == dict.fromkeys(exercises, "passed"), messages(report)
    assert finished.returncode == 0
