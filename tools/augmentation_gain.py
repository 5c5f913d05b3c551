"""How much does 7.1's augmentation gain on 500 labels, and how reliably? Paired over splits.

This measures the design 7.7 did not take: the random layers inside the model, augmenting on the fly
(a steadier gain, at 50-79 s per training on JAX). 7.7 trains on nine precomputed copies instead;
its own numbers come from `grader calibrate chapter7 -e 7.7 --backend all --seeds 20 --write`.

For each seed, the 5,000 digits are split as 7.2 splits them (500 to train, 500 to validate, 4,000
held out); a small network is trained on the same 500 images from the same initial weights twice,
without and with chapter 7's `make_augmentation`, each with early stopping on the validation loss,
and the held-out accuracy of both is measured. It prints each seed's pair and, over seeds, the paired
gain's mean and standard deviation, and the training time with augmentation:

    KERAS_BACKEND=jax .venv/bin/python tools/augmentation_gain.py --seeds 10 --model cnn
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
from reference_code import reference_function  # noqa: E402  (tools/reference_code.py)


def network(kind: str, augmentation: keras.Layer | None) -> keras.Model:
    layers = [keras.Input(shape=(28, 28)), keras.layers.Reshape((28, 28, 1))]
    layers += [augmentation] if augmentation is not None else []
    if kind == "cnn":
        layers += [keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.MaxPooling2D(2),
                   keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(2),
                   keras.layers.Flatten(), keras.layers.Dropout(0.3)]
    else:
        layers += [keras.layers.Flatten(), keras.layers.Dropout(0.2), keras.layers.Dense(128, activation="relu"),
                   keras.layers.Dropout(0.4)]
    model = keras.Sequential([*layers, keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.002), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def held_out_accuracy(kind, augmentation, learner, held_out, seed, epochs) -> tuple[float, float]:
    keras.utils.set_random_seed(seed)
    model = network(kind, augmentation)
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    started = time.perf_counter()
    model.fit(learner["x_train"], learner["y_train"], validation_data=(learner["x_val"], learner["y_val"]),
              epochs=epochs, batch_size=32, callbacks=[stop], verbose=0)
    seconds = time.perf_counter() - started
    predicted = keras.ops.convert_to_numpy(model.predict(held_out["x_test"], verbose=0, batch_size=1000)).argmax(axis=1)
    return float(np.mean(predicted == held_out["y_test"])), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--model", choices=("cnn", "mlp"), default="cnn")
    parser.add_argument("--epochs", type=int, default=60)
    args = parser.parse_args()
    exercise = resolve("chapter7").spec.exercise("7.2")
    make_augmentation = reference_function("chapter7", "make_augmentation")
    gains, times = [], []
    for seed in range(args.seeds):
        learner, held_out = split_dataset(exercise.data, exercise_seed(seed, exercise.id))
        plain, _ = held_out_accuracy(args.model, None, learner, held_out, seed, args.epochs)
        augmented, seconds = held_out_accuracy(args.model, make_augmentation(), learner, held_out, seed, args.epochs)
        gains.append(augmented - plain)
        times.append(seconds)
        print(f"seed {seed}: without {plain:.3f}, with {augmented:.3f}, gain {augmented - plain:+.3f} ({seconds:.1f} s)", flush=True)
    gains = np.array(gains)
    print(f"\n{keras.backend.backend()}, {args.model}, {args.seeds} seeds: gain mean {gains.mean():+.3f} sd "
          f"{gains.std(ddof=1):.3f} min {gains.min():+.3f} max {gains.max():+.3f}; mean/sd {gains.mean() / gains.std(ddof=1):.1f}; "
          f"training with augmentation median {np.median(times):.1f} s, max {max(times):.1f} s")


if __name__ == "__main__":
    main()
