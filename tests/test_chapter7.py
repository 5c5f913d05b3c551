"""Chapter 7: plausible wrong answers fail with a message that points at the mistake.

The manifest's known mistakes are tested by tests/test_wrong_answers.py; these are other ways
to get each exercise wrong, written as a learner would.
"""

from __future__ import annotations

import pytest

from grader.chapters import resolve
from helpers import in_rounds, messages, statuses, wrong_answer_test

pytestmark = pytest.mark.slow

CHAPTER7 = resolve("chapter7")

HALF_TURNS = """
def make_augmentation():
    return keras.Sequential([
        keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
        keras.layers.RandomRotation(0.5, fill_mode="constant"),
    ])
"""

FORGOT_LAST_BASE_LAYER = """
def transfer_model(base, n_classes):
    for layer in base.layers[:-1]:
        layer.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    outputs = keras.layers.Dense(n_classes, activation="softmax")(base(inputs, training=False))
    return keras.Model(inputs, outputs)
"""

GLOBAL_POLICY_FOR_EVERY_LAYER = """
def build_mixed_precision_model(n_features, n_classes, policy):
    keras.config.set_dtype_policy(policy)
    model = keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(n_classes, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy")
    return model
"""

ROWS_COUNTED_TWICE = """
def data_parallel_gradients(model, x, y, n_devices):
    shards = zip(np.array_split(x, n_devices), np.array_split(y, n_devices))
    grads = [loss_gradients(model, xs, ys) for xs, ys in shards]
    return [sum(len(xs) * g for xs, g in zip(np.array_split(x, n_devices), parts)) / n_devices for parts in zip(*grads)]
"""

RETURNS_HISTORY = """
def train_few_labels(x_train, y_train, x_val, y_val):
    model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model.fit(x_train, y_train, epochs=1, verbose=0)
"""

NOT_COMPILED_AGAIN = """
def fine_tune(model, base, x, y, epochs):
    base.trainable = True
    model.optimizer.learning_rate.assign(model.optimizer.learning_rate / 10)
    return model.fit(x, y, epochs=epochs, verbose=0).history
"""

REBUILT_IN_TRAINING_MODE = """
def fine_tune(model, base, x, y, epochs):
    rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) / 10
    base.trainable = True
    inputs = keras.Input(shape=base.input_shape[1:])
    rebuilt = keras.Model(inputs, model.layers[-1](base(inputs)))
    rebuilt.compile(optimizer=keras.optimizers.Adam(rate), loss=model.loss)
    return rebuilt.fit(x, y, epochs=epochs, verbose=0).history
"""

PLAUSIBLE_MISTAKES = [
    ("7.1", "make_augmentation", HALF_TURNS, "your augmentation flips or turns images over"),
    ("7.3", "transfer_model", FORGOT_LAST_BASE_LAYER, "base_weights']: got 'changed in fit', expected 'unchanged'"),
    ("7.5", "build_mixed_precision_model", GLOBAL_POLICY_FOR_EVERY_LAYER, "your output layer computes in 16 bits"),
    ("7.6", "data_parallel_gradients", ROWS_COUNTED_TWICE, "gradient of the hidden bias']"),
    ("7.2", "train_few_labels", RETURNS_HISTORY, "train_few_labels should return a keras.Model. Received: History", "error"),
    ("7.4", "fine_tune", NOT_COMPILED_AGAIN, "after base.trainable = True, compile the model again", "error"),
    ("7.4", "fine_tune", REBUILT_IN_TRAINING_MODE, "fine-tune `model`, whose base runs with training=False", "error"),
]
# One grading per round, not per answer: a round holds at most one of each exercise.
ROUNDS = in_rounds(PLAUSIBLE_MISTAKES)


test_plausible_mistakes_are_explained = wrong_answer_test(
    CHAPTER7, PLAUSIBLE_MISTAKES, ROUNDS,
    ids=["rotations up to a half turn", "one base layer left trainable", "global policy on the output too",
         "weighted by rows, divided by devices", "returned the History", "unfrozen, not compiled again",
         "a new model around the base, in training mode"],
)


# Correct answers written differently: the factors as (low, high) ranges and the layers in another
# order, the base's layers frozen one by one as well, the global dtype policy (so that compile scales the
# loss itself) with an explicit float32 output, and the shards' gradients combined by hand-made slices
# and NumPy's weighted average; fine-tuning with another optimizer at a hundredth of the rate.
OTHER_CORRECT_ANSWERS = {
    "make_augmentation": """
def make_augmentation():
    return keras.Sequential([
        keras.layers.RandomRotation(factor=(-0.05, 0.05), fill_mode="constant", fill_value=0.0),
        keras.layers.RandomZoom(height_factor=(-0.1, 0.1), fill_mode="constant"),
        keras.layers.RandomTranslation(height_factor=(-0.1, 0.1), width_factor=(-0.1, 0.1), fill_mode="constant"),
    ])
""",
    "transfer_model": """
def transfer_model(base, n_classes):
    for layer in base.layers:
        layer.trainable = False
    base.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    head = keras.layers.Dense(n_classes, activation="softmax", name="new_head")
    return keras.Model(inputs=inputs, outputs=head(base(inputs, training=False)))
""",
    "build_mixed_precision_model": """
def build_mixed_precision_model(n_features, n_classes, policy):
    # The global policy, restored afterwards: the model's own policy is then mixed_float16 too, and
    # compile wraps the optimizer in a LossScaleOptimizer by itself.
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(keras.dtype_policies.DTypePolicy(policy))
    try:
        inputs = keras.Input(shape=(n_features,))
        hidden = keras.layers.Dense(64, activation="relu")(inputs)
        hidden = keras.layers.Dense(64, activation="relu")(hidden)
        outputs = keras.layers.Dense(n_classes, activation="softmax", dtype=keras.dtype_policies.DTypePolicy("float32"))(hidden)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy")
    finally:
        keras.config.set_dtype_policy(previous)
    return model
""",
    "fine_tune": """
def fine_tune(model, base, x, y, epochs):
    # A hundredth of the rate, RMSprop instead of Adam, the loss named again, full-batch
    for layer in base.layers:
        layer.trainable = True
    base.trainable = True
    rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=rate / 100), loss="sparse_categorical_crossentropy")
    history = model.fit(x=x, y=y, epochs=epochs, batch_size=len(x), verbose=0)
    return dict(history.history)
""",
    "data_parallel_gradients": """
def data_parallel_gradients(model, x, y, n_devices):
    sizes = [len(x) // n_devices + (d < len(x) % n_devices) for d in range(n_devices)]
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    per_shard = [loss_gradients(model, x[a:b], y[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    return [np.average(np.stack(parts), axis=0, weights=sizes).astype("float32") for parts in zip(*per_shard)]
""",
}


def test_other_correct_answers_pass(grade_answers):
    # 7.7 grades make_augmentation a second way, by training twice: tests/test_chapters.py grades it with the
    # reference's pipeline, test_an_augmentation_that_changes_nothing... with one that does nothing.
    exercises = [e.id for e in CHAPTER7.spec.exercises if e.entry in OTHER_CORRECT_ANSWERS and e.id != "7.7"]
    finished, report = grade_answers(CHAPTER7, OTHER_CORRECT_ANSWERS, *exercises)
    assert statuses(report) == dict.fromkeys(exercises, "passed"), messages(report)
    assert finished.returncode == 0


NO_AUGMENTATION = """
def make_augmentation():
    return keras.Sequential([keras.layers.Identity()])
"""


def test_an_augmentation_that_changes_nothing_gains_exactly_nothing_over_the_baseline(grade_answers):
    """7.7 is paired: the same network from the same weights, in the learner's worker and in the reference's.
    Copies that equal the originals train exactly the baseline, so none of its error is removed, to the last digit.
    Graded on TensorFlow, which trains this small CNN fastest on a CPU (7 s against JAX's 20, calibration's medians)."""
    _, report = grade_answers(CHAPTER7, {"make_augmentation": NO_AUGMENTATION}, "7.7", backend="tensorflow")
    assert statuses(report) == {"7.7": "failed"}, messages(report)
    assert "the same network trained without your augmentation, on the same split: 0% of its error removed" in messages(report)["7.7"]
    result = report["backends"][0]["exercises"][0]
    assert result["metrics"]["error_reduction"] == 0.0 and result["metrics"]["test_accuracy"] > 0.5
