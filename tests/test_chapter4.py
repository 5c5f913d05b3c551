"""Chapter 4: correct answers written differently from the reference pass, on every exercise."""

from __future__ import annotations

import pytest

from grader.chapters import resolve
from helpers import messages, statuses

pytestmark = pytest.mark.slow

CHAPTER4 = resolve("chapter4")

# np.split for the parts, NaN for the missing values and np.nanmedian, statistics by hand in float64,
# zero spreads replaced in place.
SPLIT_BY_HAND = """
def prepare_data(features, labels, seed, missing_columns=(), test_fraction=0.2, val_fraction=0.2):
    features = np.asarray(features, dtype=np.float64).copy()
    n = features.shape[0]
    order = np.random.default_rng(seed).permutation(n)
    n_test = round(test_fraction * n)
    test, val, train = np.split(order, [n_test, n_test + round(val_fraction * n)])
    columns = list(missing_columns)
    if columns:
        block = features[:, columns]
        block[block == 0] = np.nan
        fill = np.nanmedian(block[train], axis=0)
        features[:, columns] = np.where(np.isnan(block), fill, block)
    mean = features[train].sum(axis=0) / len(train)
    std = np.sqrt(((features[train] - mean) ** 2).mean(axis=0))
    std[std == 0] = 1.0
    scaled = ((features - mean) / std).astype(np.float32)
    return {"x_train": scaled[train], "y_train": labels[train], "x_val": scaled[val], "y_val": labels[val],
            "x_test": scaled[test], "y_test": labels[test]}
"""

# The Functional API, and an activation given as a function rather than its name.
FUNCTIONAL_MODEL = """
def build_model(n_features):
    inputs = keras.Input(shape=(n_features,))
    hidden = keras.layers.Dense(12, activation="relu")(inputs)
    hidden = keras.layers.Dense(8, activation=keras.activations.relu)(hidden)
    outputs = keras.layers.Dense(1, activation="sigmoid")(hidden)
    return keras.Model(inputs, outputs)
"""

# Another recipe: RMSprop, loss and callback as objects, smaller batches, more patience.
ANOTHER_RECIPE = """
def train_model(x_train, y_train, x_val, y_val):
    model = build_model(x_train.shape[1])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3), loss=keras.losses.BinaryCrossentropy())
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=20, restore_best_weights=True)
    model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=200, batch_size=16, callbacks=[stop],
              verbose=0)
    return model
"""

# The AUC as the Mann-Whitney rank sum (ties share their average rank), not pairwise comparisons.
RANK_SUM_AUC = """
def evaluation_report(y_true, y_prob, threshold=0.5):
    positive = np.asarray(y_true).ravel() == 1
    scores = np.asarray(y_prob, dtype=np.float64).ravel()
    predicted = scores >= threshold
    true_positives = np.count_nonzero(predicted & positive)
    order = np.argsort(scores, kind="mergesort")
    _, first, counts = np.unique(scores[order], return_index=True, return_counts=True)
    ranks = np.empty(len(scores))
    ranks[order] = np.repeat(first + (counts + 1) / 2, counts)
    n_positive, n_negative = positive.sum(), (~positive).sum()
    auc = (ranks[positive].sum() - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative)
    return {
        "accuracy": float(np.mean(predicted == positive)),
        "precision": float(true_positives / predicted.sum()) if predicted.any() else 0.0,
        "recall": float(true_positives / positive.sum()) if positive.any() else 0.0,
        "roc_auc": float(auc),
    }
"""


# Sorting once and counting errors with cumulative sums, instead of comparing every threshold with every row.
SORTED_COSTS = """
def choose_threshold(y_true, y_prob, cost_false_negative, cost_false_positive):
    scores = np.asarray(y_prob, dtype=np.float64).ravel()
    positive = np.asarray(y_true).ravel() == 1
    order = np.argsort(scores, kind="stable")
    scores, positive = scores[order], positive[order]
    starts = np.flatnonzero(np.r_[True, scores[1:] != scores[:-1]])  # where each distinct score begins
    positives_below = np.r_[0, np.cumsum(positive)][starts]  # missed when the threshold is that score
    negatives_from = (~positive).sum() - np.r_[0, np.cumsum(~positive)][starts]  # alarms raised
    cost = cost_false_negative * positives_below + cost_false_positive * negatives_from
    best = np.flatnonzero(cost == cost.min())[-1]
    return {"threshold": float(scores[starts[best]]), "cost": float(cost[best]),
            "false_negatives": int(positives_below[best]), "false_positives": int(negatives_from[best])}
"""


def test_other_correct_answers_pass(grade_answers):
    replacements = {"prepare_data": SPLIT_BY_HAND, "build_model": FUNCTIONAL_MODEL, "train_model": ANOTHER_RECIPE,
                    "evaluation_report": RANK_SUM_AUC, "choose_threshold": SORTED_COSTS}
    finished, report = grade_answers(CHAPTER4, replacements)
    assert statuses(report) == dict.fromkeys(["4.1", "4.2", "4.3", "4.4", "4.5"], "passed"), messages(report)
    assert finished.returncode == 0
