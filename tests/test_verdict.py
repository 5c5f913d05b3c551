"""The verdict on a trained model: training metric, gap to the training rows, held-out metric, time budget."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from grader.chapters import resolve
from grader.grading import Attempt, Prepared
from grader.runner import Reply
from grader.results import Status
from grader.spec import Threshold
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
