"""Held-out metrics, computed by the grader from predictions."""

from __future__ import annotations

import numpy as np

from grader.metrics import compute_metric, metric_name, roc_auc


def test_roc_auc_counts_ties_half_and_gives_a_constant_one_half():
    assert roc_auc(np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.5, 0.5])) == 0.875
    assert roc_auc(np.array([0, 1, 1]), np.zeros(3)) == 0.5


def test_accuracy_reads_probabilities_and_class_scores():
    held_out = {"y_test": np.array([0, 1, 2])}
    assert compute_metric("accuracy", held_out, np.eye(3)) == 1.0
    assert compute_metric("accuracy", {"y_test": np.array([0, 1])}, np.array([[0.7], [0.2]])) == 0.0


def test_a_forecast_is_compared_with_the_naive_one():
    held_out = {"x_test": np.array([[[1.0]], [[2.0]]]), "y_test": np.array([2.0, 4.0])}
    # naive error: |1-2| and |2-4| = 1.5 on average; a forecast off by 0.75 on average halves it
    assert compute_metric("mae_vs_last_value", held_out, np.array([2.75, 3.25])) == 0.5


def test_a_metric_reads_the_split_it_is_asked_for():
    rows = {"x_train": np.array([[[1.0]], [[2.0]]]), "y_train": np.array([2.0, 4.0]), "y_test": np.array([0.0, 0.0])}
    assert compute_metric("mae_vs_last_value", rows, np.array([2.75, 3.25]), split="train") == 0.5
    assert compute_metric("mae", rows, np.array([1.0, 1.0])) == 1.0


def test_metric_names_read_well():
    assert metric_name("roc_auc") == "ROC AUC" and metric_name("accuracy") == "accuracy"
