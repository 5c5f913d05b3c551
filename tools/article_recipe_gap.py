"""Could a bound on overfitting reject the article's recipe in 4.3? Measured on the grader's own splits.

A bound on the gap between a model's held-out and training log loss would make 4.3's early stopping
matter. The reference's gap, measured with `grader calibrate` under a trial bound, puts a bound 4 sd
clear of it at 0.36 (solutions/chapter4_worked_example.toml says how). This script trains the
article's recipe instead, on the network of exercise 4.2 and the standardised split that 4.3 hands a
learner: Adam at its default rate, 150 epochs in batches of 10, whatever the validation loss does. It
prints, per seed and in summary, the held-out ROC AUC and the log-loss gap, and how many seeds a gap
bound would reject:

    KERAS_BACKEND=jax .venv/bin/python tools/article_recipe_gap.py --seeds 20 --gap-bound 0.36
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

from grader.chapters import resolve  # noqa: E402
from grader.inputs import exercise_seed, split_dataset  # noqa: E402
from grader.metrics import log_loss, roc_auc  # noqa: E402


def article_recipe(x_train: np.ndarray, y_train: np.ndarray) -> keras.Model:
    model = keras.Sequential([
        keras.Input(shape=(x_train.shape[1],)),
        keras.layers.Dense(12, activation="relu"),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(loss="binary_crossentropy", optimizer="adam")
    model.fit(x_train, y_train, epochs=150, batch_size=10, verbose=0)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--gap-bound", type=float, default=0.36, help="the trial bound on the log-loss gap")
    args = parser.parse_args()
    exercise = resolve("chapter4").spec.exercise("4.3")
    threshold = exercise.threshold
    gaps, scores = [], []
    for seed in range(args.seeds):
        keras.utils.set_random_seed(seed)
        learner, held_out = split_dataset(exercise.data, exercise_seed(seed, exercise.id))
        started = time.perf_counter()
        model = article_recipe(learner["x_train"], learner["y_train"])
        on_test = keras.ops.convert_to_numpy(model.predict(held_out["x_test"], verbose=0)).ravel()
        on_train = keras.ops.convert_to_numpy(model.predict(learner["x_train"], verbose=0)).ravel()
        score = roc_auc(held_out["y_test"].ravel(), on_test)
        gap = log_loss(held_out["y_test"], on_test) - log_loss(learner["y_train"], on_train)
        gaps.append(gap)
        scores.append(score)
        print(f"seed {seed:2}: held-out ROC AUC {score:.3f}, log-loss gap {gap:.3f} "
              f"({time.perf_counter() - started:.1f} s)", flush=True)
    gaps, scores = np.array(gaps), np.array(scores)
    print(f"\n{keras.backend.backend()}, {args.seeds} seeds. Held-out ROC AUC min {scores.min():.3f} median "
          f"{np.median(scores):.3f} max {scores.max():.3f}: {np.mean(scores >= threshold.minimum):.0%} reach "
          f"{threshold.describe()}.")
    print(f"Log-loss gap min {gaps.min():.3f} median {np.median(gaps):.3f} max {gaps.max():.3f}: "
          f"{np.mean(gaps > args.gap_bound):.0%} exceed a bound of {args.gap_bound:g}.")


if __name__ == "__main__":
    main()
