"""Held-out metrics, computed by the grader from a model's predictions."""

from __future__ import annotations

import numpy as np


def compute_metric(name: str, held_out: dict[str, np.ndarray], predictions: np.ndarray) -> float:
    """The metric `name` of `predictions` on the held-out split (`x_test`, `y_test`).

    Binary models output one probability per row (`> 0.5` means class 1);
    multi-class models output one score per class (the largest wins).
    `mae_vs_last_value` is a forecaster's mean absolute error divided by that of
    the naive forecast "the next value equals the last one": below 1 beats it.

    Example:
        >>> compute_metric("accuracy", {"y_test": np.array([0, 1])}, np.array([[0.2], [0.9]]))
        1.0
    """
    y_true = held_out["y_test"]
    if name == "mae_vs_last_value":
        naive = np.asarray(held_out["x_test"])[:, -1].reshape(-1)
        return compute_metric("mae", held_out, predictions) / compute_metric("mae", held_out, naive)
    if name == "accuracy":
        return float(np.mean(predicted_classes(predictions) == np.asarray(y_true).reshape(-1)))
    if name in ("mae", "rmse"):
        error = np.asarray(predictions, np.float64).reshape(-1) - np.asarray(y_true, np.float64).reshape(-1)
        return float(np.mean(np.abs(error)) if name == "mae" else np.sqrt(np.mean(error**2)))
    raise ValueError(f"Unknown metric {name!r}: expected accuracy, mae, rmse or mae_vs_last_value.")


def predicted_classes(predictions: np.ndarray) -> np.ndarray:
    """Class labels from probabilities (one column) or per-class scores."""
    predictions = np.asarray(predictions)
    if predictions.ndim == 1 or predictions.shape[-1] == 1:
        return (predictions.reshape(-1) > 0.5).astype(np.int64)
    return np.argmax(predictions, axis=-1)
