"""Which measure of 4.3's trained model tells early stopping from the article's overfitting recipe?

4.3 hands a learner's `train_model` the standardised Pima split of its seed (training and validation
rows) and judges the returned model on held-out rows. For each seed this trains, on that split, the
chapter's reference `train_model` (early stopping on the validation loss, best weights restored) and
the article's recipe on the same network (Adam at its default rate, 150 epochs in batches of 10, no
validation), and measures each model's held-out ROC AUC and log loss, its log loss on its own training
and validation rows, and the gap (held-out minus training log loss). It prints, per measure, both
recipes' spread and how far apart they are in the reference's standard deviations:

    KERAS_BACKEND=jax .venv/bin/python tools/early_stopping_separation.py --seeds 20

On 154 held-out rows none of those measures separates the two by the 4 sd the grader requires. With
`--random-labels` it measures what 4.3 bounds instead: each recipe trained on the grader's second run,
inputs shaped like the split with random labels (grader.inputs.random_label_split), and its log loss on
4,000 fresh rows, for the reference and for recipes that do not stop where the validation loss does:

    KERAS_BACKEND=jax .venv/bin/python tools/early_stopping_separation.py --random-labels --seeds 12
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402

from grader.chapters import resolve  # noqa: E402
from grader.inputs import exercise_seed, random_label_split, split_dataset  # noqa: E402
from grader.metrics import log_loss, roc_auc  # noqa: E402
from reference_code import reference_function  # noqa: E402  (tools/reference_code.py)

MEASURES = ("test_roc_auc", "test_log_loss", "val_log_loss", "train_log_loss", "gap")


def article_recipe(build_model):
    def train(x_train, y_train, x_val, y_val):
        model = build_model(x_train.shape[1])
        model.compile(loss="binary_crossentropy", optimizer="adam")
        model.fit(x_train, y_train, epochs=150, batch_size=10, verbose=0)
        return model
    return train


def fixed_epochs(build_model, epochs: int, batch_size: int, stop_without_restoring: bool = False):
    """The reference's optimiser for a fixed number of epochs, or with early stopping that keeps the last weights."""
    def train(x_train, y_train, x_val, y_val):
        model = build_model(x_train.shape[1])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003), loss="binary_crossentropy")
        callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=15)] if stop_without_restoring else []
        model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=batch_size,
                  callbacks=callbacks, verbose=0)
        return model
    return train


def random_labels(args: argparse.Namespace) -> None:
    exercise = resolve("chapter4").spec.exercise("4.3")
    build = reference_function("chapter4", "build_model")
    recipes = {"reference": reference_function("chapter4", "train_model"), "article": article_recipe(build),
               "150 epochs of 32": fixed_epochs(build, 150, 32), "30 epochs of 32": fixed_epochs(build, 30, 32),
               "stops, keeps last": fixed_epochs(build, 150, 32, stop_without_restoring=True)}
    losses: dict[str, list[float]] = {name: [] for name in recipes}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        learner, _ = split_dataset(exercise.data, exercise_seed(seed, exercise.id))
        noise, held_out = random_label_split(learner, exercise.random_labels.test_rows, exercise_seed(seed, exercise.id, 1))
        for name, train in recipes.items():
            keras.utils.set_random_seed(seed)
            model = train(noise["x_train"], noise["y_train"], noise["x_val"], noise["y_val"])
            predictions = keras.ops.convert_to_numpy(model.predict(held_out["x_test"], verbose=0)).ravel()
            losses[name].append(log_loss(held_out["y_test"], predictions))
        print(f"seed {seed:2}: " + ", ".join(f"{name} {values[-1]:.3f}" for name, values in losses.items()), flush=True)
    bound = exercise.random_labels.max_log_loss
    print(f"\n{keras.backend.backend()}, {args.seeds} seeds: log loss on {exercise.random_labels.test_rows} fresh rows "
          f"after training on random labels (4.3 allows at most {bound:g})")
    for name, values in losses.items():
        values = np.array(values)
        print(f"{name:>18}: mean {values.mean():.3f} sd {values.std(ddof=1):.3f} min {values.min():.3f} "
              f"max {values.max():.3f}; over the bound: {np.mean(values > bound):.0%}")


def measure(model, learner, held_out) -> dict[str, float]:
    def predict(x):
        return keras.ops.convert_to_numpy(model.predict(x, verbose=0)).ravel()

    on_test, on_train, on_val = predict(held_out["x_test"]), predict(learner["x_train"]), predict(learner["x_val"])
    test_loss = log_loss(held_out["y_test"], on_test)
    train_loss = log_loss(learner["y_train"], on_train)
    return {"test_roc_auc": roc_auc(held_out["y_test"].ravel(), on_test), "test_log_loss": test_loss,
            "val_log_loss": log_loss(learner["y_val"], on_val), "train_log_loss": train_loss, "gap": test_loss - train_loss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--random-labels", action="store_true", help="measure 4.3's run on random labels instead")
    args = parser.parse_args()
    if args.random_labels:
        random_labels(args)
        return
    exercise = resolve("chapter4").spec.exercise("4.3")
    reference = reference_function("chapter4", "train_model")
    # "again": the reference on the same split from other initial weights, as a learner's correct answer would be.
    recipes = {"reference": reference, "again": reference, "article": article_recipe(reference_function("chapter4", "build_model"))}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in recipes}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        learner, held_out = split_dataset(exercise.data, exercise_seed(seed, exercise.id))
        for name, train in recipes.items():
            keras.utils.set_random_seed(seed + (10_000 if name == "again" else 0))
            started = time.perf_counter()
            model = train(learner["x_train"], learner["y_train"], learner["x_val"], learner["y_val"])
            runs[name].append(measure(model, learner, held_out))
            shown = " ".join(f"{k} {v:.3f}" for k, v in runs[name][-1].items())
            print(f"seed {seed:2} {name:>9}: {shown} ({time.perf_counter() - started:.1f} s)", flush=True)
    print(f"\n{keras.backend.backend()}, {args.seeds} seeds (mean, sd, min, max); separation = |article mean - "
          f"reference mean| / reference sd")
    for key in MEASURES:
        reference, article = (np.array([run[key] for run in runs[name]]) for name in ("reference", "article"))
        separation = abs(article.mean() - reference.mean()) / max(reference.std(ddof=1), 1e-12)
        print(f"{key:>15}: reference {reference.mean():.3f} {reference.std(ddof=1):.3f} {reference.min():.3f} "
              f"{reference.max():.3f} | article {article.mean():.3f} {article.std(ddof=1):.3f} {article.min():.3f} "
              f"{article.max():.3f} | separation {separation:.1f} sd")
    print("\nPaired on each split, minus the reference's own value: a correct answer's ('again') and the article's")
    for key in MEASURES:
        reference, again, article = (np.array([run[key] for run in runs[name]]) for name in ("reference", "again", "article"))
        correct, overfit = again - reference, article - reference
        bound = 4 * correct.std(ddof=1) + abs(correct.mean())
        print(f"{key:>15}: correct {correct.mean():+.3f} sd {correct.std(ddof=1):.3f} (min {correct.min():+.3f} max "
              f"{correct.max():+.3f}) | article {overfit.mean():+.3f} sd {overfit.std(ddof=1):.3f} (min {overfit.min():+.3f} "
              f"max {overfit.max():+.3f}) | beyond a 4 sd bound of {bound:.3f}: {np.mean(np.abs(overfit) > bound):.0%} of the article's runs")


if __name__ == "__main__":
    main()
