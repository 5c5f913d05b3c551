"""Decide each exercise's status, score and message from plain data.

Everything here runs in the grader's own process, on arrays and JSON read
from files: it never imports Keras and never runs learner code.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol

import numpy as np

from .compare import Comparison, compare_outputs
from .i18n import N_, _, reworded
from .metrics import compute_metric, error_reduction, metric_name
from .protocol import Reply
from .results import ExerciseResult, Status
from .spec import ExerciseSpec


class Attempt(Protocol):
    """What the verdict reads of a training run (grader.grading.Attempt is one): the worker's replies, the
    inputs sent, and the rows kept back in this process."""

    @property
    def replies(self) -> tuple[Reply, ...]: ...
    @property
    def inputs(self) -> tuple[dict[str, np.ndarray], ...]: ...
    @property
    def held_out(self) -> dict[str, np.ndarray]: ...
    @property
    def random_held_out(self) -> dict[str, np.ndarray]: ...

_REPLY_STATUS = {
    "not implemented": Status.NOT_IMPLEMENTED,
    "timeout": Status.TIMEOUT,
    "memory limit": Status.MEMORY_LIMIT,
    "crashed": Status.ERROR,
    "error": Status.ERROR,
}


def _result(
    exercise: ExerciseSpec, status: Status, message: str, hint: str | None = None, **extra: Any
) -> ExerciseResult:
    """A result; a failure carries the exercise's first hint unless a better one is given."""
    passed = status is Status.PASSED
    if hint is None:
        hint = "" if passed or status is Status.NOT_IMPLEMENTED else exercise.hints[0]
    return ExerciseResult(
        id=exercise.id,
        title=exercise.title,
        status=status,
        score=float(exercise.points) if passed else 0.0,
        max_score=float(exercise.points),
        message=message,
        hint=hint,
        **extra,
    )


# PyTorch's words when a GPU tensor meets a NumPy array in `+`, `-`, `*` (or np.* is given a tensor).
_IMPLICIT_DEVICE_COPY = "device type tensor to numpy"
_DEVICE_COPY_ADVICE = N_(
    "{error} (a NumPy array met a GPU tensor: combine them with keras.ops, such as ops.add(z, bias), "
    "or convert the array first with ops.convert_to_tensor)"
)


def unsuccessful(exercise: ExerciseSpec, missing: str, replies: list[Reply],
                 reported: Mapping[str, str] | None = None) -> ExerciseResult:
    """The result when the learner's code is missing, unfinished or did not return.

    `reported` words a worker's or a probe's English error in the learner's language (i18n.reworded).
    """
    if missing:
        return _result(exercise, Status.MISSING, missing)
    reply = replies[-1]
    status = _REPLY_STATUS.get(reply.status, Status.ERROR)
    if status is Status.NOT_IMPLEMENTED:
        stub = _("{function} still raises NotImplementedError: replace the stub with your code")
        message = stub.format(function=exercise.entry)
    elif status is Status.TIMEOUT:
        too_slow = _("{function} did not finish: {reason} (infinite loop, or far too slow?)")
        message = too_slow.format(function=exercise.entry, reason=reply.error)
    else:
        message = reworded(reply.error, reported or {}) if reply.error else _("{function} failed").format(function=exercise.entry)
    if _IMPLICIT_DEVICE_COPY in message:
        message = _(_DEVICE_COPY_ADVICE).format(error=message)
    details = tuple(reply.data.get("traceback", "").splitlines())
    return _result(exercise, status, message, details=details, duration_s=sum(r.duration_s for r in replies))


def skipped(exercise: ExerciseSpec, backend: str, chapter: str) -> ExerciseResult:
    """An exercise that needs another backend: said plainly, and not counted."""
    command = f"grader check {chapter} -e {exercise.id} --backend {exercise.backends[0]}"
    message = _("needs the {backends} backend, not {backend}: {command}").format(
        backends=_alternatives(exercise.backends), backend=backend, command=command)
    return replace(_result(exercise, Status.SKIPPED, message, hint=""), score=0.0, max_score=0.0)


def _alternatives(names: tuple[str, ...]) -> str:
    """`jax or torch`: the names, any one of which will do."""
    joined = names[0]
    for name in names[1:]:
        joined = _("{alternatives} or {alternative}").format(alternatives=joined, alternative=name)
    return joined


def grader_error(exercise: ExerciseSpec, message: str) -> ExerciseResult:
    """The grader itself could not judge: an error, never a pass."""
    return _result(exercise, Status.ERROR, message)


def judge_function(
    exercise: ExerciseSpec,
    backend: str,
    yours: list[Path],
    expected: list[Path],
    mistakes: Callable[[int], list[Path]],
    inputs: list[dict[str, np.ndarray]],
) -> ExerciseResult:
    """Pass when every trial's output matches the reference within the backend's tolerance.

    `mistakes(trial)` gives that trial's outputs of the known mistakes; it is asked only when
    the trial's output differs from the reference's, so a correct answer costs none of them.
    """
    tolerance = exercise.tolerance_for(backend)
    for trial, (your_file, expected_file) in enumerate(zip(yours, expected)):
        your_output, expected_output = _load_learner_output(your_file), _load(expected_file)
        if your_output is None:
            unreadable = _("the result of {function} could not be read back").format(function=exercise.entry)
            return _result(exercise, Status.ERROR, unreadable)
        comparison = compare_outputs(your_output, expected_output, tolerance)
        if comparison.ok:
            continue
        mistake = _named_mistake(exercise, your_output, mistakes(trial), backend) if exercise.mistakes else ""
        message = mistake or comparison.message
        if exercise.trials > 1:
            in_trial = _("trial {trial} of {trials}: {message}")
            message = in_trial.format(trial=trial + 1, trials=exercise.trials, message=message)
        details = (*comparison.details, _("inputs: {inputs}").format(inputs=describe_inputs(inputs[trial])))
        if message != comparison.message and comparison.message not in message:
            details = (comparison.message, *details)
        # A named mistake says what to do; the generic first hint would only distract.
        return _result(exercise, Status.FAILED, message, hint="" if mistake else None, details=details)
    return _result(exercise, Status.PASSED, _("matches the reference"))


def _named_mistake(
    exercise: ExerciseSpec, your_output: dict[str, np.ndarray], mistake_files: list[Path], backend: str
) -> str:
    """The message of the first known mistake the learner's output matches, if any."""
    tolerance = exercise.tolerance_for(backend)
    for mistake, path in zip(exercise.mistakes, mistake_files):
        if compare_outputs(your_output, _load(path), tolerance).ok:
            return mistake.message
    return ""


def _load_learner_output(path: Path) -> dict[str, np.ndarray] | None:
    """The learner's arrays, or None when the file is missing, a link, or not plain arrays."""
    if path.is_symlink() or not path.is_file():
        return None  # a link to /dev/zero or to the solutions must not be read here
    try:
        return _load(path)
    except (OSError, ValueError, zipfile.BadZipFile):
        return None


def _load(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as arrays:
        return {name: arrays[name] for name in arrays.files}


def describe_inputs(arguments: dict[str, np.ndarray]) -> str:
    """`features float32 (137, 8), seed=42`: what the function was called with."""
    parts = []
    for name, value in arguments.items():
        value = np.asarray(value)
        parts.append(f"{name}={value.item()!r}" if value.ndim == 0 else f"{name} {value.dtype} {value.shape}")
    return ", ".join(parts)


def judge_model(exercise: ExerciseSpec, yours: dict[str, Any] | str, expected: dict[str, Any]) -> ExerciseResult:
    """Pass when the architecture matches: layers, settings, shapes, parameter count."""
    if isinstance(yours, str):
        unreadable = _needs_your_code(yours) or _("your model could not be read back: {reason}").format(reason=yours)
        return _result(exercise, Status.FAILED, unreadable)
    comparison = compare_architectures(yours, expected)
    if comparison.ok:
        matches = _("architecture matches ({count} parameters)").format(count=expected["params"])
        return _result(exercise, Status.PASSED, matches)
    return _result(exercise, Status.FAILED, comparison.message, details=comparison.details)


def compare_architectures(yours: dict[str, Any], expected: dict[str, Any]) -> Comparison:
    """The first difference between two model descriptions, in the order a learner builds."""
    if yours["inputs"] != expected["inputs"]:
        message = _("expected input shape {expected}, got {got}")
        return Comparison(False, message.format(expected=_shapes(expected["inputs"]), got=_shapes(yours["inputs"])))
    your_layers, expected_layers = yours["layers"], expected["layers"]
    listing = (_("expected layers: {layers}").format(layers=", ".join(map(layer_summary, expected_layers))),
               _("your layers:     {layers}").format(layers=", ".join(map(layer_summary, your_layers))))
    separate = _separate_activation(your_layers, expected_layers)
    if separate:
        return Comparison(False, separate, listing)
    if len(your_layers) != len(expected_layers):
        message = _("expected {expected} layers after the input, got {got}")
        return Comparison(False, message.format(expected=len(expected_layers), got=len(your_layers)), listing)
    for position, (mine, theirs) in enumerate(zip(your_layers, expected_layers), start=1):
        keys = [k for k in theirs if k not in ("params", "output_shape")]
        if any(mine.get(k) != theirs[k] for k in keys):
            message = _("layer {position}: expected {expected}, got {got}").format(
                position=position, expected=layer_summary(theirs), got=layer_summary(mine))
            return Comparison(False, message, listing)
    if yours["outputs"] != expected["outputs"]:
        message = _("expected output shape {expected}, got {got}")
        return Comparison(False, message.format(expected=_shapes(expected["outputs"]), got=_shapes(yours["outputs"])))
    if yours["params"] != expected["params"]:
        message = _("expected {expected} parameters, got {got}")
        return Comparison(False, message.format(expected=expected["params"], got=yours["params"]), listing)
    return Comparison(True)


def _same_layers(yours: list[dict[str, Any]], expected: list[dict[str, Any]]) -> bool:
    return len(yours) == len(expected) and all(
        mine.get(k) == theirs[k] for mine, theirs in zip(yours, expected) for k in theirs
        if k not in ("params", "output_shape"))


def _separate_activation(yours: list[dict[str, Any]], expected: list[dict[str, Any]]) -> str:
    """What to say when the model is right but for activations written as their own `Activation` layers."""
    folded: list[dict[str, Any]] = []
    example = None
    for layer in yours:
        if layer["type"] == "Activation" and folded and folded[-1].get("activation") == "linear":
            example = example or (folded[-1], layer)
            folded[-1] = {**folded[-1], "activation": layer["activation"]}
        else:
            folded.append(layer)
    if example is None or not _same_layers(folded, expected):
        return ""
    plain, activation = example
    inside = layer_summary({**plain, "activation": activation["activation"]})
    message = _("your model applies activations as separate Activation layers; this exercise asks for each inside "
                "its layer: {inside}, not {separate} followed by {activation}")
    separate = layer_summary(plain)
    return message.format(inside=inside, separate=separate, activation=f"Activation({activation['activation']!r})")


def layer_summary(layer: dict[str, Any]) -> str:
    """`Dense(10, activation='relu')`."""
    settings = [repr(layer[k]) if k in ("units", "filters") else f"{k}={layer[k]!r}" for k in layer
                if k not in ("type", "params", "output_shape")]
    return f"{layer['type']}({', '.join(settings)})"


def _shapes(shapes: list[list[int | None]]) -> str:
    return ", ".join(str(tuple(shape)) for shape in shapes)


def judge_training(
    exercise: ExerciseSpec, backend: str, attempt: Attempt, predictions: np.ndarray | str,
    training_predictions: np.ndarray | str | None = None, random_predictions: np.ndarray | str | None = None,
    baseline_predictions: np.ndarray | str | None = None,
) -> ExerciseResult:
    """Pass when the held-out metric reaches the threshold within the backend's time budget.

    With a `max_gap` or a `training` bound, `training_predictions` (on the learner's own training rows)
    must also be given; with `random_labels`, `random_predictions` (the second run's model on its fresh
    rows); with a `baseline`, `baseline_predictions` (the reference's baseline on the same held-out rows),
    whose error the learner's model must cut by `min_error_reduction`. Underfitting and overfitting are
    named first: they are the diagnosis, where a missed held-out threshold alone would not say why.
    """
    assert exercise.threshold is not None
    reply = attempt.replies[0]
    history = reply.data.get("history", {})
    extra = {"duration_s": reply.duration_s, "history": history}
    if isinstance(predictions, str):
        unloadable = _needs_your_code(predictions)
        if unloadable:
            return _result(exercise, Status.FAILED, unloadable, **extra)
        shape = tuple(np.shape(attempt.held_out["x_test"]))
        message = _("your trained model could not be evaluated on the held-out inputs, of shape {shape}: {reason}")
        return _result(exercise, Status.FAILED, message.format(shape=shape, reason=predictions), **extra)
    if isinstance(training_predictions, str):
        message = _("your trained model could not be evaluated on its own training rows: {reason}")
        return _result(exercise, Status.FAILED, message.format(reason=training_predictions), **extra)
    threshold = exercise.threshold
    name = metric_name(threshold.metric)
    value = compute_metric(threshold.metric, attempt.held_out, predictions)
    budget = exercise.budget_s[backend]
    bound = threshold.minimum if threshold.minimum is not None else threshold.maximum
    assert bound is not None  # a threshold has a minimum or a maximum (spec.py)
    metrics = {f"test_{threshold.metric}": value, f"required_{threshold.metric}": bound, "train_time_s": reply.duration_s}
    if threshold.reads_training_rows:
        assert training_predictions is not None
        training_value = compute_metric(threshold.metric, attempt.inputs[0], training_predictions, "train")
        gap = threshold.gap(value, training_value)
        metrics.update({f"train_{threshold.metric}": training_value, "gap": gap})
        if not threshold.training_within(training_value):
            underfits = _("your model underfits: {metric} {value:.3f} on its own training rows, {bound} required")
            message = underfits.format(metric=name, value=training_value, bound=threshold.describe_training())
            return _result(exercise, Status.FAILED, message, metrics=metrics, **extra)
        if not threshold.gap_within(gap):
            overfits = _("your model overfits: {metric} {training:.3f} on its training rows but {test:.3f} on "
                         "held-out rows, a gap of {gap:.3f} (at most {max_gap:.3f} allowed)")
            message = overfits.format(metric=name, training=training_value, test=value, gap=gap,
                                      max_gap=threshold.max_gap)
            return _result(exercise, Status.FAILED, message, metrics=metrics, **extra)
    memorised = _memorised(exercise, attempt, random_predictions, metrics)
    if memorised:
        return _result(exercise, Status.FAILED, memorised, metrics=metrics, **extra)
    if exercise.baseline:
        if baseline_predictions is None or isinstance(baseline_predictions, str):
            return grader_error(exercise, _("the grader's baseline could not be evaluated: {reason}").format(
                reason=baseline_predictions or _("no model")))
        short_of_baseline = _short_of_baseline(exercise, attempt, value, baseline_predictions, metrics)
        if short_of_baseline:
            return _result(exercise, Status.FAILED, short_of_baseline, metrics=metrics, **extra)
    if not threshold.passes(value):
        missed = _("test {metric} {value:.3f}, {bound} required")
        message = missed.format(metric=name, value=value, bound=threshold.describe())
        return _result(exercise, Status.FAILED, message, metrics=metrics, **extra)
    if reply.duration_s > budget:
        too_slow = _("training took {duration:.1f} s, over the {budget:g} s budget on {backend}")
        message = too_slow.format(duration=reply.duration_s, budget=budget, backend=backend)
        return _result(exercise, Status.FAILED, message, metrics=metrics, **extra)
    if exercise.baseline:
        message = _("test {metric} {value:.3f} ({bound}), {gain:.0%} of the error of {description} removed (at "
                    "least {required:.0%}), trained in {duration:.1f} s (budget {budget:g} s)")
    elif threshold.max_gap is None:
        message = _("test {metric} {value:.3f} ({bound}), trained in {duration:.1f} s (budget {budget:g} s)")
    else:
        message = _("test {metric} {value:.3f} ({bound}), gap to training {gap:.3f} (<= {max_gap:.3f}), "
                    "trained in {duration:.1f} s (budget {budget:g} s)")
    message = message.format(metric=name, value=value, bound=threshold.describe(), gap=metrics.get("gap"),
                             max_gap=threshold.max_gap, duration=reply.duration_s, budget=budget,
                             gain=metrics.get("error_reduction"), description=exercise.baseline.description if exercise.baseline else "",
                             required=exercise.baseline.min_error_reduction if exercise.baseline else 0.0)
    return _result(exercise, Status.PASSED, message, metrics=metrics, **extra)


def _needs_your_code(reason: str) -> str:
    """Why a saved model cannot be loaded without the learner's code, in the learner's words, or ""."""
    custom = re.search(r"Could not locate (?:class|function) '([^']+)'", reason)
    if custom:
        message = _("your model uses {name}, a class or function of your own, which the grader cannot load: it "
                    "loads your saved model in Keras's safe mode, without your code. Build the model from "
                    "Keras's own layers and keras.ops")
        return message.format(name=custom.group(1))
    if "`Lambda` layer" in reason:
        return _("your model uses a Lambda layer, which the grader cannot load: it loads your saved model in "
                 "Keras's safe mode, without your code. Write the computation with Keras's own layers, or "
                 "with keras.ops on the model's tensors")
    return ""


def _short_of_baseline(exercise: ExerciseSpec, attempt: Attempt, value: float, predictions: np.ndarray,
                       metrics: dict[str, float]) -> str:
    """Why the model does not remove enough of the baseline's error (its metric and the reduction join `metrics`), or ""."""
    assert exercise.baseline is not None and exercise.threshold is not None
    metric = exercise.threshold.metric
    baseline = compute_metric(metric, attempt.held_out, predictions)
    gain = error_reduction(metric, value, baseline)
    metrics.update({f"baseline_{metric}": baseline, "error_reduction": gain})
    if gain >= exercise.baseline.min_error_reduction:
        return ""
    message = _("test {metric} {value:.3f} against {baseline:.3f} for {description}, on the same split: {gain:.0%} "
                "of its error removed, at least {required:.0%} required")
    return message.format(metric=metric_name(metric), value=value, baseline=baseline, gain=gain,
                          description=exercise.baseline.description, required=exercise.baseline.min_error_reduction)


def _memorised(exercise: ExerciseSpec, attempt: Attempt, predictions: np.ndarray | str | None,
               metrics: dict[str, float]) -> str:
    """Why the run on random labels fails (its log loss joins `metrics`), or "" when it passes or there is none."""
    if exercise.random_labels is None:
        return ""
    if predictions is None or isinstance(predictions, str):
        message = _("your trained model could not be evaluated after the second run, on random labels: {reason}")
        return message.format(reason=predictions or _("no model"))
    loss = compute_metric("log_loss", attempt.random_held_out, predictions)
    metrics["random_labels_log_loss"] = loss
    if loss <= exercise.random_labels.max_log_loss:
        return ""
    message = _("trained a second time on random labels, where there is nothing to learn, your model's log loss on "
                "new rows is {loss:.3f} (at most {bound:.3f} allowed): it memorised its training rows. Let the "
                "validation loss decide when training stops, and keep the best epoch's weights")
    return message.format(loss=loss, bound=exercise.random_labels.max_log_loss)


def judge_speed(exercise: ExerciseSpec, result: ExerciseResult, yours_s: float, reference_s: float) -> ExerciseResult:
    """Fail a correct answer that is more than `max_ratio` times slower than the reference."""
    assert exercise.speed is not None
    ratio = yours_s / max(reference_s, 1e-9)
    metrics = {**result.metrics, "time_s": yours_s, "reference_time_s": reference_s, "time_ratio": ratio}
    if ratio <= exercise.speed.max_ratio:
        message = _("{message}, {ratio:.1f}x the reference's time").format(message=result.message, ratio=ratio)
        return replace(result, metrics=metrics, message=message)
    too_slow = _("correct, but {ratio:.0f}x slower than the reference ({yours:.3f} s against {reference:.3f} s; "
                 "the limit is {limit:g}x): replace Python loops with vectorised keras.ops")
    message = too_slow.format(ratio=ratio, yours=yours_s, reference=reference_s, limit=exercise.speed.max_ratio)
    return replace(_result(exercise, Status.FAILED, message), metrics=metrics)


