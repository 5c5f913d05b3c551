"""Held-out metrics, computed by the grader from a model's predictions."""

from __future__ import annotations

from collections import Counter

import numpy as np

from .i18n import N_, _

# The metrics a manifest's `threshold = { metric = ... }` may name.
METRICS = ("accuracy", "roc_auc", "log_loss", "mae", "rmse", "mae_vs_last_value", "chrf")


def compute_metric(name: str, rows: dict[str, np.ndarray], predictions: np.ndarray, split: str = "test") -> float:
    """The metric `name` of `predictions` on the rows `x_<split>`, `y_<split>` (the held-out split by default).

    Binary models output one probability per row (`> 0.5` means class 1);
    multi-class models output one score per class (the largest wins).
    `mae_vs_last_value` is a forecaster's mean absolute error divided by that of
    the naive forecast "the next value equals the last one": below 1 beats it.
    `log_loss` is the held-out cross-entropy of predicted probabilities (binary
    for one column, categorical against integer labels otherwise): lower is better.
    `chrf` scores a translator's written tokens (`predictions`, ids read with
    `rows["target_vocabulary"]`) against the reference texts `y_<split>`.

    Example:
        >>> compute_metric("accuracy", {"y_test": np.array([0, 1])}, np.array([[0.2], [0.9]]))
        1.0
    """
    y_true = rows[f"y_{split}"]
    if name == "mae_vs_last_value":
        naive = np.asarray(rows[f"x_{split}"])[:, -1].reshape(-1)
        return compute_metric("mae", rows, predictions, split) / compute_metric("mae", rows, naive, split)
    if name == "chrf":
        vocabulary = rows["target_vocabulary"]
        return chrf([" ".join(vocabulary[i] for i in ids if i > 3) for ids in np.asarray(predictions)], list(y_true))
    if name == "accuracy":
        return float(np.mean(predicted_classes(predictions) == np.asarray(y_true).reshape(-1)))
    if name == "roc_auc":
        return roc_auc(np.asarray(y_true).reshape(-1), np.asarray(predictions, np.float64).reshape(-1))
    if name == "log_loss":
        return log_loss(y_true, predictions)
    if name in ("mae", "rmse"):
        error = np.asarray(predictions, np.float64).reshape(-1) - np.asarray(y_true, np.float64).reshape(-1)
        return float(np.mean(np.abs(error)) if name == "mae" else np.sqrt(np.mean(error**2)))
    raise ValueError(f"Unknown metric {name!r}: expected one of {', '.join(METRICS)}.")


# The best value of each metric: a model's error is its distance from it.
BEST = {"accuracy": 1.0, "roc_auc": 1.0, "chrf": 100.0, "log_loss": 0.0, "mae": 0.0, "rmse": 0.0, "mae_vs_last_value": 0.0}


def error_reduction(name: str, value: float, baseline: float) -> float:
    """The share of the baseline's error (its distance from the metric's best value) that `value` removes.

    1 is a perfect model, 0 the baseline's error, negative a model worse than the baseline. Unlike a
    difference of metrics, it does not grow when a baseline run happens to be poor: 7.7's gains in
    accuracy measured over 20 splits were skewed by such runs, their error reductions were not.

    Example:
        >>> round(error_reduction("accuracy", 0.96, 0.92), 3)  # half of the baseline's errors removed
        0.5
    """
    baseline_error = abs(BEST[name] - baseline)
    if baseline_error == 0:
        return 0.0 if value == baseline else float("-inf")
    return 1.0 - abs(BEST[name] - value) / baseline_error


_NAMES = {"accuracy": N_("accuracy"), "roc_auc": "ROC AUC", "log_loss": N_("log loss"), "mae": "MAE", "rmse": "RMSE",
          "mae_vs_last_value": N_("MAE relative to the naive forecast"), "chrf": "chrF"}


def metric_name(name: str) -> str:
    """How a learner reads a metric's name, in the learner's language: `ROC AUC` for `roc_auc`."""
    return _(_NAMES[name]) if name in _NAMES else name


def roc_auc(y_true: np.ndarray, scores: np.ndarray) -> float:
    """The probability that a random positive scores above a random negative (ties count half).

    Unlike accuracy on a small test split, it does not reward predicting the
    majority class: a constant score gets exactly 0.5.
    """
    positives, negatives = scores[y_true == 1][:, None], scores[y_true != 1][None, :]
    if not positives.size or not negatives.size:
        return float("nan")
    wins = np.sum(positives > negatives) + 0.5 * np.sum(positives == negatives)
    return float(wins / (positives.size * negatives.size))


def predicted_classes(predictions: np.ndarray) -> np.ndarray:
    """Class labels from probabilities (one column) or per-class scores."""
    predictions = np.asarray(predictions)
    if predictions.ndim == 1 or predictions.shape[-1] == 1:
        return (predictions.reshape(-1) > 0.5).astype(np.int64)
    classes: np.ndarray = np.argmax(predictions, axis=-1)
    return classes


def log_loss(y_true: np.ndarray, predictions: np.ndarray, epsilon: float = 1e-7) -> float:
    """Mean cross-entropy of probabilities, clipped to [epsilon, 1 - epsilon] as Keras does.

    Example:
        >>> round(log_loss(np.array([0, 1]), np.array([[0.5], [0.5]])), 4)
        0.6931
    """
    probabilities = np.clip(np.asarray(predictions, np.float64), epsilon, 1 - epsilon)
    labels = np.asarray(y_true).reshape(-1).astype(np.int64)
    if probabilities.ndim == 1 or probabilities.shape[-1] == 1:
        p = probabilities.reshape(-1)
        return float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))
    return float(-np.mean(np.log(probabilities[np.arange(len(labels)), labels])))


def chrf(hypotheses: list[str], references: list[str], order: int = 6, beta: float = 2.0) -> float:
    """Corpus-level chrF (Popović, 2015) from 0 to 100, as sacreBLEU's CHRF() computes it (whitespace removed).

    Character n-gram matches are counted over the whole corpus for n = 1..`order`; precision and
    recall are averaged over the orders both sides have, then combined with recall `beta` times as
    important. Ids 0-3 (padding, unknown, start, end) are not words and never reach it.

    Example:
        >>> chrf(["el perro"], ["el perro"]), chrf(["xyz"], ["el perro"])
        (100.0, 0.0)
    """
    totals = np.zeros((3, order))  # the hypotheses' n-grams, the references', and the matches
    for hypothesis, reference in zip(hypotheses, references):
        hypothesis, reference = "".join(str(hypothesis).split()), "".join(str(reference).split())
        for n in range(1, order + 1):
            written = Counter(hypothesis[i : i + n] for i in range(len(hypothesis) - n + 1))
            expected = Counter(reference[i : i + n] for i in range(len(reference) - n + 1))
            totals[:, n - 1] += (written.total(), expected.total(), (written & expected).total())
    written_total, expected_total, matches = totals
    effective = (written_total > 0) & (expected_total > 0)
    if not effective.any():
        return 0.0
    precision = float(np.mean(matches[effective] / written_total[effective]))
    recall = float(np.mean(matches[effective] / expected_total[effective]))
    if precision + recall == 0:
        return 0.0
    return 100 * (1 + beta**2) * precision * recall / (beta**2 * precision + recall)
