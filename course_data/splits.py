"""The course's rule for splitting a dataset into training, validation and held-out test rows.

The grader splits every training exercise's data this way (a manifest's `data` table names the arguments),
and chapter 8 shows it to learners.

Example:
    >>> learner, held_out = split("pima", seed=0, test_fraction=0.2, val_fraction=0.2, standardize=True)
    >>> learner["x_train"].shape, learner["x_val"].shape, held_out["x_test"].shape
    ((460, 8), (154, 8), (154, 8))
"""

from __future__ import annotations

import numpy as np

from .datasets import TRAINING_SETS
from .text import build_target_vocabulary, build_vocabulary, encode, encode_target, tokenize

Arrays = dict[str, np.ndarray]


def split(
    dataset: str, seed: int, *, test_fraction: float, val_fraction: float, standardize: bool = False,
    shuffle: bool = True, window: int = 0, vocabulary: int = 0, length: int = 0, pad_test: int = 0,
    translation: bool = False,
) -> tuple[Arrays, Arrays]:
    """A real dataset split into the learner's part and the held-out test part.

    Rows are shuffled by `seed`, or, for a time series (`shuffle = false`),
    kept in time order: training first, then validation, then test.

    Returns:
        `({x_train, y_train, x_val, y_val}, {x_test, y_test})`. With
        `standardize`, values are scaled with training-split statistics only.
        With `translation` (pairs of texts), see `_translation_pairs`: the held-out
        part also carries `target_vocabulary`.
    """
    features, labels = TRAINING_SETS[dataset]()
    if window:
        features, labels = series_windows(labels, window)
    n = len(features)
    n_test, n_val = round(test_fraction * n), round(val_fraction * n)
    if shuffle:
        order = np.random.default_rng(seed).permutation(n)
        parts = {"test": order[:n_test], "val": order[n_test : n_test + n_val], "train": order[n_test + n_val :]}
    else:
        parts = {"train": np.arange(n - n_test - n_val), "val": np.arange(n - n_test - n_val, n - n_test),
                 "test": np.arange(n - n_test, n)}
    x = {part: features[rows] for part, rows in parts.items()}
    y = {part: labels[rows] for part, rows in parts.items()}
    if standardize:
        x, y = _standardize(x, y, series=bool(window))
    if translation:
        return _translation_pairs(x, y, vocabulary, length)
    if vocabulary:
        # The vocabulary comes from the training texts only, as a deployed model's would.
        words = build_vocabulary(x["train"], vocabulary)
        x = {part: encode(texts, words, length) for part, texts in x.items()}
    if pad_test:
        # Longer padding than in training: a model that ignores its mask reads zeros as frames.
        x["test"] = np.pad(x["test"], [(0, 0), (0, pad_test)] + [(0, 0)] * (x["test"].ndim - 2))
    learner = {"x_train": x["train"], "y_train": y["train"], "x_val": x["val"], "y_val": y["val"]}
    return learner, {"x_test": x["test"], "y_test": y["test"]}


def _translation_pairs(x: Arrays, y: Arrays, vocabulary: int, length: int) -> tuple[Arrays, Arrays]:
    """Source texts as word ids (n, length); target texts as `[START]` words `[END]` ids (n, length + 1).

    Both vocabularies (`vocabulary` entries each) come from the training pairs only. The held-out
    targets stay texts, as the words a translation is scored against (`y_test`, tokenised: lower
    case, no punctuation), with `target_vocabulary` to read a model's output ids as words and the
    source verses as written (`source_text`).
    """
    source_words = build_vocabulary(x["train"], vocabulary)
    target_words = build_target_vocabulary(y["train"], vocabulary)
    learner: Arrays = {}
    for part in ("train", "val"):
        learner[f"x_{part}"] = encode(x[part], source_words, length)
        learner[f"y_{part}"] = encode_target(y[part], target_words, length + 1)
    references = np.array([" ".join(tokenize(text)) for text in y["test"]], dtype=str)
    held_out = {"x_test": encode(x["test"], source_words, length), "y_test": references,
                "target_vocabulary": np.array(target_words, dtype=str), "source_text": x["test"]}
    return learner, held_out


def series_windows(values: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows of `window` past values (n, window, 1) and the value that follows each (n,)."""
    values = np.asarray(values, dtype="float32")
    starts = np.arange(len(values) - window)
    windows = values[starts[:, None] + np.arange(window)[None, :]]
    return windows[..., None], values[starts + window]


def _standardize(x: Arrays, y: Arrays, *, series: bool) -> tuple[Arrays, Arrays]:
    """Scale with training statistics: per column for tables, one scale for a series (targets too),
    per feature over the real frames of zero-padded sequences (the padding stays 0, for masking)."""
    if x["train"].ndim == 3 and not series:
        frames = x["train"][np.any(x["train"] != 0, axis=-1)]
        mean, std = frames.mean(axis=0), frames.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        return {part: np.where(np.any(v != 0, axis=-1, keepdims=True), (v - mean) / std, 0).astype("float32")
                for part, v in x.items()}, y
    axis = None if series else 0
    mean, std = x["train"].mean(axis=axis), x["train"].std(axis=axis)
    std = np.where(std > 0, std, 1.0)
    x = {part: ((values - mean) / std).astype("float32") for part, values in x.items()}
    if series:
        y = {part: ((values - mean) / std).astype("float32") for part, values in y.items()}
    return x, y
