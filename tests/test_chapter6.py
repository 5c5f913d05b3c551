"""Chapter 6: plausible wrong answers fail with a message that points at the mistake.

The known mistakes of the manifest are graded by tests/test_wrong_answers.py; these are
wrong answers that no reference-only function computes.
"""

from __future__ import annotations

import pytest

from grader.chapters import resolve
from helpers import in_rounds, messages, solution_cell, statuses, wrong_answer_test

pytestmark = pytest.mark.slow

CHAPTER6 = resolve("chapter6")
SOLUTION_CLIPPED_MODEL = solution_cell(CHAPTER6, "ClippedModel")

NOT_SAVED = """
def save_and_reload(model, path):
    return keras.models.clone_model(model)
"""

NOT_RELOADED = """
def save_and_reload(model, path):
    model.save(path)
    return model
"""

WEIGHTS_ONLY = """
def save_and_reload(model, path):
    model.save_weights(path)
    return keras.saving.load_model(path)
"""

NO_CUSTOM_OBJECTS = """
def save_and_reload(model, path):
    model.save(path)
    return keras.saving.load_model(path)
"""

ONLY_THE_NOTEBOOKS_CLASS = """
def save_and_reload(model, path):
    model.save(path)
    return keras.saving.load_model(path, custom_objects={"LearnedScale": LearnedScale})
"""

NO_LOGGER = """
def fit_with_log(model, x, y, log_path, epochs):
    return model.fit(x, y, epochs=epochs, batch_size=len(x), shuffle=False, verbose=0).history
"""

RETURNS_HISTORY_OBJECT = """
def fit_with_log(model, x, y, log_path, epochs):
    logger = keras.callbacks.CSVLogger(log_path)
    return model.fit(x, y, epochs=epochs, batch_size=len(x), shuffle=False, callbacks=[logger], verbose=0)
"""

NO_OWN_STEP = """
class ClippedModel(keras.Model):
    def __init__(self, *args, clip_norm=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.clip_norm = clip_norm
"""

NO_GRAD_NORM_LOGGED = """
class ClippedModel(_ReferenceClippedModel):
    def train_step(self, *args):
        result = super().train_step(*args)
        if keras.backend.backend() == "jax":
            return {"loss": result[0]["loss"]}, result[1]
        return {"loss": result["loss"]}
""" + SOLUTION_CLIPPED_MODEL.replace("class ClippedModel(", "class _ReferenceClippedModel(")

WRONG_ANSWERS = [
    ("6.1", "save_and_reload", NOT_SAVED, "save_and_reload wrote no file at the path it was given", "error"),
    ("6.1", "save_and_reload", NOT_RELOADED, "save_and_reload returned the model it was given", "error"),
    ("6.1", "save_and_reload", WEIGHTS_ONLY, ".weights.h5", "error"),
    ("6.1", "save_and_reload", NO_CUSTOM_OBJECTS, "could not find the class of the model's custom layer, Temperature", "error"),
    ("6.1", "save_and_reload", ONLY_THE_NOTEBOOKS_CLASS, "could not find the class of the model's custom layer, Temperature", "error"),
    ("6.3", "fit_with_log", NO_LOGGER, "fit_with_log wrote no log at log_path: pass keras.callbacks.CSVLogger(log_path)", "error"),
    ("6.3", "fit_with_log", RETURNS_HISTORY_OBJECT, "fit_with_log should return history.history, a dict. Received: History", "error"),
    ("6.4", "ClippedModel", NO_OWN_STEP, "ClippedModel does not override train_step", "error"),
    ("6.4", "ClippedModel", NO_GRAD_NORM_LOGGED, "your train_step's logs have no 'grad_norm'", "error"),
]
# One grading per round, not per answer: a round holds at most one of each exercise.
ROUNDS = in_rounds(WRONG_ANSWERS)


test_wrong_answers_are_explained = wrong_answer_test(
    CHAPTER6, WRONG_ANSWERS, ROUNDS,
    ids=["nothing saved", "the original returned", "weights only", "no custom objects", "only the notebook's class",
         "no CSVLogger", "the History returned", "no train_step of its own", "no grad_norm logged"],
)


# Correct answers written differently: the functional saving API, a callback that counts epochs since
# its best one instead of a counter, CSVLogger with its keyword arguments and the history copied.
OTHER_CORRECT_ANSWERS = {
    "save_and_reload": """
def save_and_reload(model, path):
    for layer in model.layers:  # registered under a package of one's own: the file names it mine>Temperature
        if "keras" not in type(layer).__module__:
            keras.saving.register_keras_serializable(package="mine")(type(layer))
    keras.saving.save_model(model, path)
    return keras.models.load_model(path)
""",
    "StopOnPlateau": """
class StopOnPlateau(keras.callbacks.Callback):
    def __init__(self, monitor="val_loss", patience=3, min_delta=0.0):
        super().__init__()
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta

    def on_train_begin(self, logs=None):
        self.best, self.best_epoch = float("inf"), -1

    def on_epoch_end(self, epoch, logs=None):
        value = float((logs or {})[self.monitor])
        if value < self.best - self.min_delta:
            self.best, self.best_epoch = value, epoch
        elif epoch - self.best_epoch >= self.patience:
            self.model.stop_training = True
""",
    "fit_with_log": """
def fit_with_log(model, x, y, log_path, epochs):
    from pathlib import Path
    log = Path(log_path)
    done = max(len(log.read_text().splitlines()) - 1, 0) if log.exists() else 0
    logger = keras.callbacks.CSVLogger(filename=str(log), separator=",", append=log.exists())
    history = model.fit(x=x, y=y, batch_size=x.shape[0], epochs=epochs + done, initial_epoch=done,
                        shuffle=False, verbose=0, callbacks=[logger])
    return dict(history.history)
""",
    # one norm of all the gradients flattened, min(1, c / norm), apply_gradients, logs in another order
    "ClippedModel": """
class ClippedModel(keras.Model):
    def __init__(self, *args, clip_norm=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.clip_norm = clip_norm

    def train_step(self, *args):
        steps = {"tensorflow": self.tensorflow_step, "torch": self.torch_step, "jax": self.jax_step}
        return steps[keras.backend.backend()](*args)

    def clip(self, gradients):
        norm = ops.norm(ops.concatenate([ops.reshape(g, (-1,)) for g in gradients]))
        factor = ops.minimum(1.0, self.clip_norm / norm)
        return [ops.multiply(g, factor) for g in gradients], norm

    def tensorflow_step(self, data):
        import tensorflow as tf
        x, y = data
        with tf.GradientTape() as tape:
            loss = self.compute_loss(x=x, y=y, y_pred=self(x, training=True), training=True)
        gradients, norm = self.clip(tape.gradient(loss, self.trainable_weights))
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        return {"grad_norm": norm, "loss": loss}

    def torch_step(self, data):
        import torch
        x, y = data
        for weight in self.trainable_weights:
            weight.value.grad = None
        loss = self.compute_loss(x=x, y=y, y_pred=self(x, training=True))
        loss.backward()
        gradients, norm = self.clip([weight.value.grad for weight in self.trainable_weights])
        with torch.no_grad():
            self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        return {"grad_norm": norm, "loss": loss}

    def jax_step(self, state, data):
        import jax
        trainable, non_trainable, optimizer_state, metrics_state = state
        x, y = data

        def forward(weights):
            predictions, moved = self.stateless_call(weights, non_trainable, x, training=True)
            return self.compute_loss(x=x, y=y, y_pred=predictions), moved

        (loss, moved), gradients = jax.value_and_grad(forward, has_aux=True)(trainable)
        gradients, norm = self.clip(gradients)
        trainable, optimizer_state = self.optimizer.stateless_apply(optimizer_state, gradients, trainable)
        return {"grad_norm": norm, "loss": loss}, (trainable, moved, optimizer_state, metrics_state)
""",
}


def test_other_correct_answers_pass(grade_answers):
    finished, report = grade_answers(CHAPTER6, OTHER_CORRECT_ANSWERS)
    assert statuses(report) == dict.fromkeys(["6.1", "6.2", "6.3", "6.4"], "passed"), messages(report)
    assert finished.returncode == 0


def test_another_training_step_passes_on_pytorch_too(grade_answers):
    """The step is written per backend: the other correct answer's PyTorch step, graded on PyTorch."""
    answer = {"ClippedModel": OTHER_CORRECT_ANSWERS["ClippedModel"]}
    finished, report = grade_answers(CHAPTER6, answer, "6.4", backend="torch")
    assert statuses(report) == {"6.4": "passed"}, messages(report)
    assert finished.returncode == 0
