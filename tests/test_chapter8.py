"""Chapter 8: plausible wrong answers fail with a message that points at the mistake.

The known mistakes of the manifest are graded by tests/test_wrong_answers.py; these are
wrong answers that no reference-only function computes (errors, a threshold missed).
"""

from __future__ import annotations

import pytest

from grader.chapters import resolve
from helpers import in_rounds, messages, solution_with, statuses, wrong_answer_test

pytestmark = pytest.mark.slow

CHAPTER8 = resolve("chapter8")

ACCURACY_LEFT_TO_COMPILE = solution_with(CHAPTER8, "output_head", ('"binary_crossentropy", "binary_accuracy"),\n        "multiclass_integer"', '"binary_crossentropy", "accuracy"),\n        "multiclass_integer"'))

SCHEDULE_BODY = """
    def __init__(self, peak_learning_rate, warmup_steps, total_steps):
        self.peak_learning_rate = peak_learning_rate
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        warmup, total = float(self.warmup_steps), float(self.total_steps)
        progress = keras.ops.minimum(1.0, (step - warmup) / (total - warmup))
        decay = 0.5 * self.peak_learning_rate * (1.0 + keras.ops.cos(np.pi * progress))
        return keras.ops.where(step < warmup, self.peak_learning_rate * step / warmup, decay)
"""

SCHEDULE_WITHOUT_CONFIG = "class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):\n" + SCHEDULE_BODY

SCHEDULE_NOT_A_SCHEDULE = "class WarmupCosine:\n" + SCHEDULE_BODY

OVERFITTING_MODEL = """
def train_regularised(x_train, y_train, x_val, y_val):
    model = keras.Sequential([
        keras.Input(shape=(x_train.shape[1],)),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=60, batch_size=32, verbose=0)
    return model
"""

UNDERFITTING_MODEL = """
def train_regularised(x_train, y_train, x_val, y_val):
    model = keras.Sequential([
        keras.Input(shape=(x_train.shape[1],)),
        keras.layers.Dense(16, activation="relu", kernel_regularizer=keras.regularizers.L2(10.0)),
        keras.layers.Dropout(0.5),
        keras.layers.Dense(1, activation="sigmoid", kernel_regularizer=keras.regularizers.L2(10.0)),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=30, batch_size=32, verbose=0)
    return model
"""

WRONG_ANSWERS = [
    ("8.1", "output_head", ACCURACY_LEFT_TO_COMPILE, "got 'accuracy', expected 'binary_accuracy'"),
    ("8.2", "WarmupCosine", SCHEDULE_WITHOUT_CONFIG, "WarmupCosine has no get_config", "error"),
    ("8.2", "WarmupCosine", SCHEDULE_NOT_A_SCHEDULE, "should subclass keras.optimizers.schedules.LearningRateSchedule", "error"),
    ("8.4", "train_regularised", OVERFITTING_MODEL, "your model overfits: log loss"),
    ("8.4", "train_regularised", UNDERFITTING_MODEL, "your model underfits: log loss"),
]
# One grading per round, not per answer: a round holds at most one of each exercise.
ROUNDS = in_rounds(WRONG_ANSWERS)


test_wrong_answers_are_explained = wrong_answer_test(
    CHAPTER8, WRONG_ANSWERS, ROUNDS,
    ids=["'accuracy' left for compile to resolve", "schedule without get_config", "not a LearningRateSchedule",
         "the overfitting network, unregularised", "regularised so hard that it learns only the base rate"],
)


def test_the_notebook_states_the_three_bounds_it_is_graded_on():
    threshold = CHAPTER8.spec.exercise("8.4").threshold
    text = CHAPTER8.source.read_text(encoding="utf-8")
    assert f"log loss of at most {threshold.maximum:.2f}" in text
    assert f"\\le {threshold.max_gap:.2f}" in text
    assert f"\\mathcal{{L}}_\\text{{train}} \\le {threshold.training:.2f}" in text


# Correct answers written differently: loss and metric aliases, a schedule clipped instead of branched,
# a diagnosis in plain Python, and another way to regularise (a wider layer, dropout only, smaller batches).
OTHER_CORRECT_ANSWERS = {
    # A loop of train_on_batch instead of fit.
    "overfits_one_batch": """
def overfits_one_batch(model, x, y, steps):
    losses = [float(model.train_on_batch(x, y)) for _ in range(steps)]
    return losses[-1] < losses[0] / 10
""",
    # The divergence cut by a loop, NaN treated as divergence, central differences written out.
    "suggest_learning_rate": """
def suggest_learning_rate(learning_rates, losses):
    lowest, end = float("inf"), len(losses)
    for i, loss in enumerate(losses):
        if not np.isfinite(loss) or loss > 4 * min(lowest, loss):
            end = i
            break
        lowest = min(lowest, loss)
    x, l = np.log10(np.asarray(learning_rates[:end], float)), np.asarray(losses[:end], float)
    slope = np.empty(end)
    slope[1:-1] = (l[2:] - l[:-2]) / (x[2:] - x[:-2])
    slope[0], slope[-1] = (l[1] - l[0]) / (x[1] - x[0]), (l[-1] - l[-2]) / (x[-1] - x[-2])
    return float(learning_rates[int(np.argmin(slope))])
""",
    "output_head": """
def output_head(n_classes):
    table = {
        "binary": (1, "sigmoid", "binary_crossentropy", "binary_accuracy"),
        "multiclass_integer": (n_classes, "softmax", "sparse_categorical_crossentropy", "sparse_categorical_accuracy"),
        "multiclass_onehot": (n_classes, "softmax", "categorical_crossentropy", "categorical_accuracy"),
        "multilabel": (n_classes, "sigmoid", "binary_crossentropy", "binary_accuracy"),
        "regression": (1, "linear", "mse", "mae"),
    }
    return {task: dict(zip(("units", "activation", "loss", "metric"), row)) for task, row in table.items()}
""",
    "WarmupCosine": """
class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, peak_learning_rate, warmup_steps, total_steps):
        self.peak_learning_rate = peak_learning_rate
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps

    def __call__(self, step):
        step = keras.ops.convert_to_tensor(step, "float32")
        warm = step / max(self.warmup_steps, 1)
        decay_steps = max(self.total_steps - self.warmup_steps, 1)
        done = keras.ops.clip((step - self.warmup_steps) / decay_steps, 0.0, 1.0)
        cosine = 0.5 * (1.0 + keras.ops.cos(np.pi * done))
        return self.peak_learning_rate * keras.ops.where(step < self.warmup_steps, warm, cosine)

    def get_config(self):
        return dict(peak_learning_rate=self.peak_learning_rate, warmup_steps=self.warmup_steps,
                    total_steps=self.total_steps)
""",
    "diagnose": """
def diagnose(loss, val_loss, target_loss):
    loss, val_loss = [float(v) for v in loss], [float(v) for v in val_loss]
    best = min(range(len(val_loss)), key=val_loss.__getitem__)
    if val_loss[-1] > 1.1 * val_loss[best]:
        verdict = "overfitting"
    elif loss[-1] > target_loss:
        verdict = "underfitting"
    else:
        verdict = "good fit"
    return {"best_epoch": best + 1, "gap": val_loss[best] - loss[best], "diagnosis": verdict}
""",
    "train_regularised": """
def train_regularised(x_train, y_train, x_val, y_val):
    inputs = keras.Input(shape=(x_train.shape[1],))
    hidden = keras.layers.Dropout(0.3)(keras.layers.Dense(32, activation="relu")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=300, batch_size=32, verbose=0,
              callbacks=[keras.callbacks.EarlyStopping(patience=15, restore_best_weights=True)])
    return model
""",
}


def test_other_correct_answers_pass(grade_answers):
    finished, report = grade_answers(CHAPTER8, OTHER_CORRECT_ANSWERS)
    assert statuses(report) == dict.fromkeys(["8.1", "8.2", "8.3", "8.4", "8.5", "8.6"], "passed"), messages(report)
    assert finished.returncode == 0
