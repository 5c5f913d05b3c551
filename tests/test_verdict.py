"""The verdict on a trained model: training metric, gap to the training rows, held-out metric, time budget."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from grader.chapters import resolve
from grader.grading import Attempt, Prepared
from grader.runner import Reply
from grader.results import Status
from grader.spec import Baseline, Threshold
from grader.verdict import compare_architectures, judge_training, unsuccessful

# 8.4's kind of threshold, with numbers of this file's own so that recalibrating 8.4 leaves it alone
BOUNDS = Threshold("log_loss", maximum=0.60, max_gap=0.25, training=0.55)
REGULARISE = replace(resolve("chapter8").spec.exercise("8.4"), threshold=BOUNDS)
Y_TRAIN, Y_TEST = np.array([0, 1, 1, 0]), np.array([1, 0, 1, 0])


def attempt(seconds: float = 5.0) -> Attempt:
    rows = {"x_train": np.zeros((4, 8)), "y_train": Y_TRAIN}
    prepared = Prepared(REGULARISE, inputs=(rows,), held_out={"x_test": np.zeros((4, 8)), "y_test": Y_TEST})
    return Attempt(prepared, replies=(Reply("ok", duration_s=seconds),))


def probabilities(labels: np.ndarray, confidence: float) -> np.ndarray:
    """`confidence` on the true class of every row: log loss -log(confidence)."""
    return np.where(labels == 1, confidence, 1 - confidence).reshape(-1, 1)


def test_a_model_that_generalises_passes_and_reports_its_gap():
    result = judge_training(REGULARISE, "jax", attempt(), probabilities(Y_TEST, 0.7), probabilities(Y_TRAIN, 0.75))
    assert result.status is Status.PASSED, result.message
    assert result.metrics["gap"] == pytest.approx(np.log(0.75) - np.log(0.7))
    assert "gap to training" in result.message


def test_a_model_far_better_on_its_training_rows_is_told_it_overfits():
    # held-out log loss 0.51 passes the threshold alone; the training rows are fitted almost perfectly
    result = judge_training(REGULARISE, "jax", attempt(), probabilities(Y_TEST, 0.6), probabilities(Y_TRAIN, 0.99))
    assert result.status is Status.FAILED
    assert result.message.startswith("your model overfits: log loss 0.010 on its training rows but 0.511")


def test_a_model_that_does_not_fit_its_training_rows_is_told_it_underfits():
    result = judge_training(REGULARISE, "jax", attempt(), probabilities(Y_TEST, 0.55), probabilities(Y_TRAIN, 0.55))
    assert result.status is Status.FAILED
    assert result.message == "your model underfits: log loss 0.598 on its own training rows, <= 0.550 required"


def test_the_threshold_and_the_budget_still_hold():
    # training log loss 0.431 and a gap of 0.17 pass; the held-out 0.601 does not
    missed = judge_training(REGULARISE, "jax", attempt(), probabilities(Y_TEST, 0.548), probabilities(Y_TRAIN, 0.65))
    assert missed.status is Status.FAILED and "<= 0.600 required" in missed.message
    slow = judge_training(REGULARISE, "jax", attempt(seconds=1e3), probabilities(Y_TEST, 0.7), probabilities(Y_TRAIN, 0.7))
    assert slow.status is Status.FAILED and "over the" in slow.message


def test_without_bounds_on_the_training_rows_they_are_not_needed():
    unbounded = replace(REGULARISE, threshold=replace(BOUNDS, max_gap=None, training=None))
    result = judge_training(unbounded, "jax", replace(attempt(), prepared=replace(attempt().prepared, exercise=unbounded)), probabilities(Y_TEST, 0.6))
    assert result.status is Status.PASSED and "gap" not in result.metrics


def test_a_model_that_cannot_predict_its_training_rows_fails_with_the_reason():
    result = judge_training(REGULARISE, "jax", attempt(), probabilities(Y_TEST, 0.7), "shape mismatch")
    assert result.status is Status.FAILED and result.message.endswith("training rows: shape mismatch")


def test_a_numpy_array_meeting_a_gpu_tensor_is_explained():
    error = "TypeError: can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor"
    result = unsuccessful(REGULARISE, "", [Reply("error", {"error": error})])
    assert result.status is Status.ERROR
    assert result.message.startswith(error) and "combine them with keras.ops, such as ops.add(z, bias)" in result.message


def _dense(units: int, activation: str, params: int) -> dict:
    return {"type": "Dense", "params": params, "units": units, "activation": activation, "output_shape": [None, units]}


def test_a_model_right_but_for_separate_activation_layers_is_told_so_in_those_words():
    expected = {"inputs": [[None, 8]], "outputs": [[None, 1]], "params": 121,
                "layers": [_dense(12, "relu", 108), _dense(1, "sigmoid", 13)]}
    separate = {**expected, "layers": [_dense(12, "linear", 108), {"type": "Activation", "params": 0, "activation": "relu"},
                                       _dense(1, "sigmoid", 13)]}
    comparison = compare_architectures(separate, expected)
    assert not comparison.ok
    assert comparison.message.startswith("your model applies activations as separate Activation layers")
    assert "Dense(12, activation='relu'), not Dense(12, activation='linear') followed by Activation('relu')" in comparison.message
    wrong_units = {**separate, "layers": [_dense(10, "linear", 90), *separate["layers"][1:]]}
    assert "separate Activation" not in compare_architectures(wrong_units, expected).message
    assert compare_architectures(expected, expected).ok


# 7.7's kind of bound, with numbers of this file's own: cut a reference model's error on the same split
BEAT = Baseline("train_without_augmentation", min_error_reduction=0.30,
                description="the same network trained without your augmentation")
AUGMENTED = replace(resolve("chapter7").spec.exercise("7.7"), threshold=Threshold("accuracy", minimum=0.5), baseline=BEAT)
DIGITS = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])


def guesses(right: int) -> np.ndarray:
    """Scores over 10 classes that name the first `right` digits of DIGITS and miss the others."""
    named = np.where(np.arange(10) < right, DIGITS, (DIGITS + 1) % 10)
    return np.eye(10)[named]


def augmented_attempt() -> Attempt:
    prepared = Prepared(AUGMENTED, inputs=({"x_train": np.zeros((10, 28, 28)), "y_train": DIGITS},),
                        held_out={"x_test": np.zeros((10, 28, 28)), "y_test": DIGITS})
    return Attempt(prepared, replies=(Reply("ok", duration_s=3.0),))


def test_a_model_that_removes_enough_of_the_baselines_error_passes_and_reports_the_share():
    # 2 errors in 10 against the baseline's 4: half of its error removed
    result = judge_training(AUGMENTED, "jax", augmented_attempt(), guesses(8), baseline_predictions=guesses(6))
    assert result.status is Status.PASSED, result.message
    assert result.metrics["baseline_accuracy"] == pytest.approx(0.6) and result.metrics["error_reduction"] == pytest.approx(0.5)
    assert "50% of the error of the same network trained without your augmentation removed (at least 30%)" in result.message


def test_a_model_above_the_threshold_but_not_clear_of_the_baseline_fails_saying_by_how_much():
    # 3 errors against 4: a quarter of the baseline's error removed, under the 30% required
    result = judge_training(AUGMENTED, "jax", augmented_attempt(), guesses(7), baseline_predictions=guesses(6))
    assert result.status is Status.FAILED
    assert result.message == ("test accuracy 0.700 against 0.600 for the same network trained without your augmentation, "
                              "on the same split: 25% of its error removed, at least 30% required")
    worse = judge_training(AUGMENTED, "jax", augmented_attempt(), guesses(6), baseline_predictions=guesses(8))
    assert worse.status is Status.FAILED and "-100% of its error removed" in worse.message


def test_a_baseline_that_could_not_be_evaluated_is_the_graders_fault_never_a_pass():
    result = judge_training(AUGMENTED, "jax", augmented_attempt(), guesses(8), baseline_predictions="no such file")
    assert result.status is Status.ERROR and "baseline could not be evaluated: no such file" in result.message


def test_a_model_built_on_a_class_of_its_own_is_told_that_the_grader_loads_it_without_code():
    reason = "ValueError: Could not locate class 'AddPositions' (the saved model needs code that is not in Keras)"
    result = judge_training(AUGMENTED, "jax", augmented_attempt(), reason)
    assert result.message.startswith("your model uses AddPositions, a class or function of your own")
    lambda_layer = "ValueError: Requested the deserialization of a `Lambda` layer whose `function` is a Python lambda."
    assert "uses a Lambda layer" in judge_training(AUGMENTED, "jax", augmented_attempt(), lambda_layer).message
