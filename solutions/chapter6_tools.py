# %% [markdown]
# # Chapter 6 — Tools and resources: saving, callbacks, logs and your own training step
# ## 工具和资源推荐
#
# The article's tools section is a list of four links, one of them twice. A practitioner's tools are
# more than links: a file format that carries a model from one machine (and one backend) to another,
# callbacks that watch and steer training, logs you can read afterwards, a summary of what you built,
# a training step of your own when `fit`'s is not the one you need, and the documentation to look
# things up. This chapter uses each of them.
#
# **Exercises in this chapter**
#
# | Exercise | You write | Points |
# |---|---|---|
# | 6.1 | `save_and_reload`: the `.keras` format with a custom layer, checked on a second backend | 2 |
# | 6.2 | `StopOnPlateau`: a callback that stops training when the validation loss stalls | 2 |
# | 6.3 | `fit_with_log`: a CSV log that a resumed run continues as one run | 2 |
# | 6.4 | `ClippedModel`: a `train_step` of your own, on your backend, that clips the gradient | 3 |
#
# After each exercise, run the `check(...)` cell below it, or from a terminal: `grader check chapter6`.

# %% [markdown]
# ## Setup

# %%
import csv
import os
import tempfile

import keras
import numpy as np
from keras import ops

from grader import check

print("Keras", keras.__version__, "on", keras.backend.backend())

# %% [markdown]
# ## `model.summary`: what did I build?
#
# Before saving or training anything, look at the model. `summary` lists the layers, their output
# shapes and their parameters, split into trainable and non-trainable ones (a `BatchNormalization`
# layer keeps moving statistics that are not trained by gradients).

# %%
def build_classifier(n_features, n_classes=3):
    return keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(n_classes, activation="softmax"),
    ], name="classifier")


classifier = build_classifier(8)
classifier.summary()

# %% [markdown]
# ## The `.keras` format, and what makes a model portable
#
# `model.save("model.keras")` writes one zip file holding the architecture (JSON), the weights and the
# optimiser's state; `keras.saving.load_model("model.keras")` rebuilds the model. Because Keras 3 stores
# the architecture as configuration and the weights as plain arrays, a file saved on one backend loads on
# any other, **provided** everything in it is Keras:
#
# - layers, losses and activations from `keras`, or custom ones written with `keras.ops` only, registered
#   with `@keras.saving.register_keras_serializable()` and given a `get_config`;
# - no `tf.*`, `torch.*` or `jax.*` calls inside the model (a `Lambda` layer with Python code is not
#   even loaded by default: `safe_mode=True` refuses to deserialise code).
#
# Other formats for other needs: `model.save_weights("w.weights.h5")` keeps only the weights (you need
# the code to rebuild the model), and `model.export("dir", format="tf_saved_model")` writes an
# inference-only artefact for TensorFlow Serving; it works from the TensorFlow and JAX backends, and
# `format="onnx"` offers another route. Export is for serving; `.keras` is for going on with Keras.
#
# ### A model that will not load
#
# The file stores each layer's class by name. For Keras's own layers the name is enough; for a
# custom layer, `load_model` has to be told which class the name stands for. It looks among the
# classes registered with `@keras.saving.register_keras_serializable()` and the `custom_objects` you
# pass, and nowhere else: not even in the notebook that defined the class. Here is a colleague's
# layer, written without registering it:

# %%
class LearnedScale(keras.layers.Layer):
    """Multiplies each feature by a learned factor, which starts at `initial`."""

    def __init__(self, initial=1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial = initial

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer=keras.initializers.Constant(self.initial))

    def call(self, inputs):
        return inputs * self.scale

    def get_config(self):
        return {**super().get_config(), "initial": self.initial}


scaled = keras.Sequential([keras.Input(shape=(4,)), LearnedScale(initial=2.0), keras.layers.Dense(1)])
folder = tempfile.mkdtemp()
scaled.save(os.path.join(folder, "scaled.keras"))
try:
    keras.saving.load_model(os.path.join(folder, "scaled.keras"))
except TypeError as error:
    # Keras names the outer model first; the reason comes last in its message.
    print("load_model refused:", str(error).split("Exception encountered: ")[-1].split(". ")[0])

# %% [markdown]
# Three ways to give `load_model` the class, each in the process that loads:
#
# - `keras.saving.load_model(path, custom_objects={"LearnedScale": LearnedScale})`, for this one call;
# - `with keras.saving.custom_object_scope({"LearnedScale": LearnedScale}):` around the call;
# - decorate the class with `@keras.saving.register_keras_serializable(package="my_project")` where
#   it is defined, so that importing the module registers it (the file then names it
#   `"my_project>LearnedScale"`).
#
# `safe_mode=False` is no way out: it does not find classes, it lets a file run Python code (a `Lambda`
# layer's) as it loads, which is only for files you wrote yourself.
#
# ## Exercise 6.1 — Save and reload a model with a custom layer
#
# Write `save_and_reload(model, path)`: save the whole model in the native format at `path` (a
# filename ending in `.keras`), load it back with `keras.saving.load_model`, giving it the custom
# classes it needs, and return the loaded model: a new object, not the one you were given.
#
# The decision to make: `model` may hold custom layers, and the grader's model holds one of its own, not
# `LearnedScale`, never registered. Which classes does `load_model` need, and where can your function
# find them? The grader compares the reloaded model's predictions with the original's, and then loads
# **your file** in a separate process on a different backend (JAX when you run TensorFlow or PyTorch,
# PyTorch when you run JAX) and compares its predictions too.

# %%
def save_and_reload(model, path):
    """Save `model` in the `.keras` format at `path` and load it back, custom layers included.

    Args:
        model: a keras.Model, which may hold custom layers that are not registered.
        path: where to save, a filename ending in `.keras`.

    Returns:
        The model loaded from `path`.
    """
    ### BEGIN SOLUTION
    model.save(path)
    custom = {type(layer).__name__: type(layer) for layer in model.layers
              if not type(layer).__module__.startswith("keras")}
    return keras.saving.load_model(path, custom_objects=custom)
    ### END SOLUTION


# %% tags=["reference-only"]
import subprocess
import sys

# The grader's own custom layer: never registered, defined afresh in each process that loads a file.
PROBE_LAYER = """
import keras


class Temperature(keras.layers.Layer):
    def __init__(self, initial=1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial = initial

    def build(self, input_shape):
        self.log_t = self.add_weight(shape=(), initializer=keras.initializers.Constant(self.initial))

    def call(self, inputs):
        return inputs / keras.ops.exp(self.log_t)

    def get_config(self):
        return {**super().get_config(), "initial": self.initial}
"""
OTHER_BACKEND = {"jax": "torch", "tensorflow": "jax", "torch": "jax"}
LOAD_AND_PREDICT = PROBE_LAYER + (
    "import json, sys, zipfile\n"
    "import numpy as np\n"
    "# The file may name the class as registered (package>Temperature) by the learner's process.\n"
    "names = set(['Temperature'] + __import__('re').findall(r'\"registered_name\": \"([^\"]*Temperature)\"',\n"
    "            zipfile.ZipFile(sys.argv[1]).read('config.json').decode()))\n"
    "model = keras.saving.load_model(sys.argv[1], compile=False, custom_objects=dict.fromkeys(names, Temperature))\n"
    "np.save(sys.argv[3], keras.ops.convert_to_numpy(model.predict(np.load(sys.argv[2]), verbose=0)))\n"
)


def _temperature_class():
    namespace = {"__name__": "grader_probe_layers"}  # a module no process can import
    exec(PROBE_LAYER, namespace)
    return namespace["Temperature"]


def _seeded_classifier(n_features, seed):
    """A classifier holding the custom layer, with weights drawn from `seed`, the same in every process."""
    rng = np.random.default_rng(seed)
    model = keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(3),
        _temperature_class()(initial=0.5),
        keras.layers.Softmax(),
    ])
    model.set_weights([
        rng.uniform(0.5, 2.0, w.shape) if "variance" in w.path else rng.normal(0.0, 0.5, w.shape)
        for w in model.weights
    ])
    return model, rng.normal(size=(32, n_features)).astype("float32")


def _predict_elsewhere(path, x, folder):
    """Predictions of the model file at `path`, loaded in a fresh process on another backend."""
    backend = OTHER_BACKEND[keras.backend.backend()]
    x_file, out_file = os.path.join(folder, "x.npy"), os.path.join(folder, "predictions.npy")
    np.save(x_file, x)
    finished = subprocess.run(
        [sys.executable, "-c", LOAD_AND_PREDICT, path, x_file, out_file], capture_output=True, text=True,
        env={**os.environ, "KERAS_BACKEND": backend}, timeout=180,
    )
    if finished.returncode != 0:
        last = (finished.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"your file did not load on the {backend} backend: {last}")
    return np.load(out_file)


def _causes(error):
    """The messages of an exception and of those that caused it."""
    messages = []
    while error is not None and len(messages) < 20:
        messages.append(str(error))
        error = error.__cause__ or error.__context__
    return "\n".join(messages)


def probe_portability(save_and_reload, n_features, seed):
    model, x = _seeded_classifier(n_features, seed)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        try:
            reloaded = save_and_reload(model, path)
        except TypeError as error:
            if "Could not locate class 'Temperature'" in _causes(error):  # Keras names only the outer model
                raise TypeError("load_model could not find the class of the model's custom layer, Temperature: "
                                "give it the classes it needs explicitly") from error
            raise
        if not os.path.isfile(path):
            raise FileNotFoundError(f"save_and_reload wrote no file at the path it was given: save there with model.save(path)")
        if not isinstance(reloaded, keras.Model):
            raise TypeError(f"save_and_reload should return the loaded keras.Model. Received: {type(reloaded).__name__}")
        if reloaded is model:
            raise TypeError("save_and_reload returned the model it was given: return keras.saving.load_model(path, ...)")
        return {
            "original": keras.ops.convert_to_numpy(model.predict(x, verbose=0)),
            "reloaded": keras.ops.convert_to_numpy(reloaded.predict(x, verbose=0)),
            "other_backend": _predict_elsewhere(path, x, folder),
        }


# %% [markdown]
# Once 6.1 passes, try it on the classifier from above and on the colleague's model. `predict` runs in
# inference mode, so the `Dropout` layer passes values through and `BatchNormalization` uses its saved
# moving statistics: the predictions before and after the round trip are identical.

# %%
for original, x_check in ((classifier, np.random.default_rng(1).normal(size=(4, 8))), (scaled, np.ones((2, 4)))):
    path = os.path.join(folder, f"{original.name}.keras")
    reloaded = save_and_reload(original, path)
    before = keras.ops.convert_to_numpy(original.predict(x_check.astype("float32"), verbose=0))
    after = keras.ops.convert_to_numpy(reloaded.predict(x_check.astype("float32"), verbose=0))
    print(f"{original.name}: {os.path.getsize(path)} bytes; largest difference after reloading: {np.max(np.abs(before - after)):.1e}")


# %% [markdown]
# ## Callbacks: watching and steering `fit`
#
# A callback is an object whose methods `fit` calls at fixed moments: `on_train_begin`,
# `on_epoch_begin`, `on_train_batch_end`, `on_epoch_end` (with `logs`, the epoch's metrics such as
# `logs["val_loss"]`), `on_train_end`. Through `self.model` it can read and change the model, and
# setting `self.model.stop_training = True` ends training after the current epoch. The ones you will use
# most:
#
# | Callback | What it does |
# |---|---|
# | `keras.callbacks.ModelCheckpoint("best.keras", monitor="val_loss", save_best_only=True)` | saves the model whenever the monitored value improves |
# | `keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)` | stops when it stops improving, keeping the best weights |
# | `keras.callbacks.CSVLogger("log.csv")` | writes one row of metrics per epoch |
# | `keras.callbacks.TensorBoard(log_dir="logs")` | writes event files for the TensorBoard dashboard (`tensorboard --logdir logs`) |
# | `keras.callbacks.ReduceLROnPlateau`, `LearningRateScheduler` | change the learning rate during training |
#
# ## Exercise 6.2 — A callback that stops on a plateau
#
# Write `StopOnPlateau`, a simpler `EarlyStopping`. With `monitor` (a key of `logs`), `patience` and
# `min_delta`:
#
# - `on_train_begin` sets `self.best = np.inf`, `self.best_epoch = -1` and a counter of epochs
#   without improvement to 0;
# - `on_epoch_end(epoch, logs)` reads `value = logs[self.monitor]`. It is an **improvement** when
#   `value < self.best - self.min_delta`: then `best` and `best_epoch` take the value and the epoch, and the
#   counter returns to 0. Otherwise the counter grows by one, and when it reaches `patience`, the callback
#   sets `self.model.stop_training = True`.
#
# Improvements are measured against the best value so far, not against the previous epoch. The grader
# drives your callback through many sequences of validation losses and records the epoch at which it
# stops and its best epoch.

# %%
class StopOnPlateau(keras.callbacks.Callback):
    """Stop training when `monitor` has not improved by more than `min_delta` for `patience` epochs.

    Args:
        monitor: the key of `logs` to watch, such as "val_loss".
        patience: epochs without improvement before stopping.
        min_delta: the smallest decrease that counts as an improvement.
    """

    def __init__(self, monitor="val_loss", patience=3, min_delta=0.0):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.min_delta = min_delta

    def on_train_begin(self, logs=None):
        ### BEGIN SOLUTION
        self.best = np.inf
        self.best_epoch = -1
        self.wait = 0
        ### END SOLUTION

    def on_epoch_end(self, epoch, logs=None):
        ### BEGIN SOLUTION
        value = float(logs[self.monitor])
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.model.stop_training = True
        ### END SOLUTION


# %% tags=["reference-only"]
def _plateau_sequences(values, min_delta):
    """Random sequences, plus two made to expose an ignored min_delta and a comparison with the last epoch."""
    # One real improvement, then a decrease smaller than min_delta, then flat: ignoring min_delta moves
    # best, best_epoch and the stopping epoch whatever the patience and the length.
    small_step = np.full(values.shape[1], 0.5 - 0.5 * min_delta)
    small_step[:2] = [1.0, 0.5]
    see_saw = np.where(np.arange(values.shape[1]) % 2 == 0, 0.8, 0.6)
    see_saw[:2] = [1.0, 0.5]
    return np.vstack([small_step, see_saw, values])


def probe_callback(callback_class, patience, min_delta, values):
    stopped, best_epochs, bests = [], [], []
    for sequence in _plateau_sequences(values, min_delta):
        callback = callback_class(monitor="val_loss", patience=patience, min_delta=min_delta)
        model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
        model.stop_training = False
        callback.set_model(model)
        callback.on_train_begin({})
        stopped_at = -1
        for epoch, value in enumerate(sequence):
            callback.on_epoch_end(epoch, {"loss": 1.0, "val_loss": float(value)})
            if model.stop_training:
                stopped_at = epoch
                break
        stopped.append(stopped_at)
        best_epochs.append(int(callback.best_epoch))
        bests.append(float(callback.best))
    return {"stopped_epoch": np.array(stopped), "best_epoch": np.array(best_epochs), "best": np.array(bests)}


class _Plateau(StopOnPlateau):
    """The reference with the parts a learner may get wrong as switches."""

    use_min_delta, against_previous, early = True, False, 0

    def on_train_begin(self, logs=None):
        self.best, self.best_epoch, self.wait, self.previous = np.inf, -1, 0, np.inf

    def on_epoch_end(self, epoch, logs=None):
        value = float(logs[self.monitor])
        reference = self.previous if self.against_previous else self.best
        self.previous = value
        if value < reference - (self.min_delta if self.use_min_delta else 0.0):
            if value < self.best:
                self.best, self.best_epoch = value, epoch
            self.wait = 0
            return
        self.wait += 1
        if self.wait >= self.patience - self.early:
            self.model.stop_training = True


class MistakeIgnoresMinDelta(_Plateau):
    use_min_delta = False


class MistakeComparesWithPreviousEpoch(_Plateau):
    against_previous = True


class MistakeStopsOneEpochEarly(_Plateau):
    early = 1


# %% [markdown]
# Keras' own `EarlyStopping` follows the same rule; on a sequence of losses both stop at the same epoch:

# %%
losses = [1.0, 0.8, 0.7, 0.69, 0.695, 0.71, 0.70, 0.72, 0.73]
for callback in (StopOnPlateau(patience=3, min_delta=0.005), keras.callbacks.EarlyStopping(patience=3, min_delta=0.005)):
    callback.set_model(classifier)
    classifier.stop_training = False
    callback.on_train_begin({})
    for epoch, value in enumerate(losses):
        callback.on_epoch_end(epoch, {"val_loss": value})
        if classifier.stop_training:
            break
    print(f"{type(callback).__name__:>14} stopped after epoch {epoch}")

# %% [markdown]
# ## Training logs you can read afterwards
#
# The `History` that `fit` returns lives only as long as your Python session. A log file outlives it:
# `keras.callbacks.CSVLogger(path)` writes a header (`epoch,loss,...`) and one row per epoch as training
# goes, so a crashed or interrupted run still leaves its record; `TensorBoard` does the same for the
# dashboard.
#
# Long runs get interrupted: the laptop sleeps, the cluster's time limit ends the job. You then load
# the last saved model and **resume**, and the log should read as one run: the rows of the first part,
# then the rows of the second, the epochs numbered on. Two settings decide it:
#
# - `CSVLogger(path)` starts a fresh file and throws the old rows away; `CSVLogger(path, append=True)`
#   adds to the file that is there;
# - `fit(..., initial_epoch=k, epochs=k + more)` numbers the epochs from `k` (in the log, in callbacks
#   such as learning-rate schedules, and in `EarlyStopping`'s patience), where a plain
#   `fit(..., epochs=more)` starts again from epoch 0.
#
# ## Exercise 6.3 — Write a log that survives an interruption
#
# Write `fit_with_log(model, x, y, log_path, epochs)`. The model arrives compiled (mean squared error,
# with the metric `mae`). Train it for `epochs` more epochs **full-batch** (`batch_size=len(x)`), with
# `shuffle=False` and `verbose=0`, logging to the CSV file at `log_path` with
# `keras.callbacks.CSVLogger`, and return the `history` dict of the `History` object
# (`history.history`).
#
# The decision is yours: when no log exists at `log_path`, this is a new run; when one does, it is the
# log of this same training, interrupted, and your function resumes it, so that the file ends up as
# the log of one run. How many epochs were done already? The log's rows tell you.
#
# The grader calls your function on a model, then again on the same model (as after an interruption),
# reads the log back column by column, and compares it with the reference's.

# %%
def fit_with_log(model, x, y, log_path, epochs):
    """Train full-batch for `epochs` more epochs, continuing the CSV log at `log_path` if there is one.

    Args:
        model: a compiled keras.Model.
        x, y: the training data.
        log_path: where CSVLogger writes the log; a log already there is this training's, to continue.
        epochs: the number of epochs to train now.

    Returns:
        The history dict of this call: metric name -> list of per-epoch values.
    """
    ### BEGIN SOLUTION
    done = 0
    if os.path.exists(log_path):
        with open(log_path, newline="") as log:
            done = len(list(csv.DictReader(log)))
    logger = keras.callbacks.CSVLogger(log_path, append=done > 0)
    history = model.fit(x, y, initial_epoch=done, epochs=done + epochs, batch_size=len(x), shuffle=False,
                        callbacks=[logger], verbose=0)
    return history.history
    ### END SOLUTION


# %% tags=["reference-only"]
def probe_log(fit_with_log, n, n_features, epochs, more_epochs, seed):
    """The log after a first run and a resumed one, read back, and the history of each call."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, n_features)).astype("float32")
    y = (x @ rng.normal(size=(n_features, 1)) + 0.1 * rng.normal(size=(n, 1))).astype("float32")
    model = keras.Sequential([keras.Input(shape=(n_features,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)])
    model.set_weights([rng.normal(0.0, 0.5, w.shape) for w in model.weights])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mean_squared_error", metrics=["mae"])
    with tempfile.TemporaryDirectory() as folder:
        log_path = os.path.join(folder, "training.csv")
        histories = [fit_with_log(model, x, y, log_path, count) for count in (epochs, more_epochs)]
        for history in histories:
            if not isinstance(history, dict):
                raise TypeError(f"fit_with_log should return history.history, a dict. Received: {type(history).__name__}")
        if not os.path.isfile(log_path):
            raise FileNotFoundError("fit_with_log wrote no log at log_path: pass keras.callbacks.CSVLogger(log_path) to fit")
        with open(log_path, newline="") as log:
            rows = list(csv.DictReader(log))
        if not rows or not {"epoch", "loss", "mae"} <= set(rows[0]):
            raise ValueError("the file at log_path is not a CSVLogger log with the columns epoch, loss and mae: "
                             "pass keras.callbacks.CSVLogger(log_path) to fit")
    return {"log": {name: np.array([float(row[name]) for row in rows]) for name in ("epoch", "loss", "mae")},
            "history": [{name: np.asarray(history.get(name, []), "float64") for name in ("loss", "mae")} for history in histories]}


def _epochs_logged(log_path):
    if not os.path.exists(log_path):
        return 0
    with open(log_path, newline="") as log:
        return len(list(csv.DictReader(log)))


def mistake_log_restarted(model, x, y, log_path, epochs):
    logger = keras.callbacks.CSVLogger(log_path)
    return model.fit(x, y, epochs=epochs, batch_size=len(x), shuffle=False, callbacks=[logger], verbose=0).history


def mistake_epochs_renumbered(model, x, y, log_path, epochs):
    logger = keras.callbacks.CSVLogger(log_path, append=True)
    return model.fit(x, y, epochs=epochs, batch_size=len(x), shuffle=False, callbacks=[logger], verbose=0).history


def mistake_epochs_counted_from_zero(model, x, y, log_path, epochs):
    done = _epochs_logged(log_path)
    logger = keras.callbacks.CSVLogger(log_path, append=done > 0)
    return model.fit(x, y, initial_epoch=done, epochs=epochs, batch_size=len(x), shuffle=False,
                     callbacks=[logger], verbose=0).history


def mistake_default_batch_size(model, x, y, log_path, epochs):
    done = _epochs_logged(log_path)
    logger = keras.callbacks.CSVLogger(log_path, append=done > 0)
    return model.fit(x, y, initial_epoch=done, epochs=done + epochs, shuffle=False, callbacks=[logger], verbose=0).history


# %% [markdown]
# Once 6.3 passes, interrupt a run yourself: three epochs, then two more as a resumed run. Reading the
# log back is one line with NumPy (or `pandas.read_csv`):

# %%
with tempfile.TemporaryDirectory() as folder:
    rng = np.random.default_rng(0)
    x_demo = rng.normal(size=(64, 8)).astype("float32")
    y_demo = x_demo.sum(axis=1, keepdims=True)
    demo = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(1)])
    demo.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mean_squared_error", metrics=["mae"])
    fit_with_log(demo, x_demo, y_demo, os.path.join(folder, "log.csv"), epochs=3)
    fit_with_log(demo, x_demo, y_demo, os.path.join(folder, "log.csv"), epochs=2)  # after the interruption
    log = np.genfromtxt(os.path.join(folder, "log.csv"), delimiter=",", names=True)
print(log.dtype.names)
print("epochs", log["epoch"].astype(int), "loss", np.round(log["loss"], 3))

# %% [markdown]
# ## Your own training step
#
# `fit` runs the same loop on every backend: for each batch it calls the model's `train_step`, which
# computes the loss, its gradients, and one optimizer update, and returns the logs that callbacks and
# the `History` read. Callbacks steer that loop from outside; when the step itself must change (clip
# or inspect the gradients, add a second loss, train two networks against each other as a GAN does),
# you override `train_step` and keep everything else `fit` gives you: batching, callbacks, validation,
# `History`. This is the keras.io guide "Customizing what happens in `fit()`", written once per
# backend, because the one thing Keras cannot hide is how a backend computes gradients:
#
# - **TensorFlow** records the forward pass on a tape: inside `with tf.GradientTape() as tape:`
#   compute `y_pred = self(x, training=True)` and the loss, then `tape.gradient(loss, self.trainable_variables)`.
# - **PyTorch** accumulates gradients into each weight: clear the old ones with `self.zero_grad()`,
#   call `loss.backward()`, read `[v.value.grad for v in self.trainable_variables]`, and apply the
#   update inside `with torch.no_grad():` so that the update itself is not recorded.
# - **JAX** has no state inside a traced function: `train_step(self, state, data)` receives the
#   values of every variable, `state = (trainable, non_trainable, optimizer_variables, metrics_variables)`,
#   and returns `(logs, new_state)`. The forward pass is `self.stateless_call(trainable, non_trainable, x,
#   training=True)`, which returns the predictions and the *new* non-trainable values (a
#   `BatchNormalization` layer's moving statistics move there); `jax.value_and_grad` differentiates a
#   function of `trainable`, and `self.optimizer.stateless_apply(optimizer_variables, gradients, trainable)`
#   returns the updated weights and optimizer state.
#
# On every backend `self.compute_loss(x=x, y=y, y_pred=y_pred)` computes the loss given to `compile`,
# and `self.optimizer.apply(gradients, self.trainable_variables)` (TensorFlow, PyTorch) updates the weights.
#
# **Clipping by the global norm.** One bad batch can produce a gradient thousands of times larger than
# usual, and one step along it undoes hours of training (recurrent networks are famous for it). Clipping
# by the global norm treats all the gradients $g_1, \dots, g_k$ as one long vector, measures its length
# $\lVert g \rVert = \sqrt{\sum_i \sum g_i^2}$, and shrinks them all by the same factor when it exceeds
# a bound $c$:
#
# $$g_i \leftarrow g_i \cdot \frac{c}{\max(\lVert g \rVert, c)}.$$
#
# The direction of the step is kept; only its length is capped, and a gradient shorter than $c$ is
# left alone. Clipping each $g_i$ by its own norm is a different rule: it changes the direction.
#
# ## Exercise 6.4 — A training step that clips the gradient
#
# Complete `ClippedModel`, a `keras.Model` whose `train_step` clips the gradients to the global norm
# `self.clip_norm` before the optimizer applies them. `train_step` (given) calls the step of the backend
# you run on; write that one (and the others, to run your model anywhere):
#
# - `clip(gradients)` returns `(clipped_gradients, norm)`: the list clipped as above, and the global norm
#   **before** clipping, written with `keras.ops` so that it runs on every backend;
# - each step returns the logs `{"loss": loss, "grad_norm": norm}` (on JAX, with the new state).
#
# What decides whether a step is right: after training, are the weights, including `BatchNormalization`'s
# moving statistics, the ones the clipped step gives? The grader builds a network with your class
# (Dense, BatchNormalization, Dense), compiles it with plain SGD (no clipping of its own), trains it
# full-batch on data whose gradients are far longer than `clip_norm`, then on data whose gradients are
# shorter, and compares the final weights, and the `loss` and `grad_norm` logged at every epoch, with
# the reference's.

# %%
class ClippedModel(keras.Model):
    """A model whose training step clips the gradients to a global norm of `clip_norm`.

    Build it as any functional model: `ClippedModel(inputs, outputs, clip_norm=1.0)`.
    """

    def __init__(self, *args, clip_norm=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.clip_norm = clip_norm

    def train_step(self, *args):
        """fit calls this once per batch: `(data)` on TensorFlow and PyTorch, `(state, data)` on JAX."""
        steps = {"tensorflow": self.tensorflow_step, "torch": self.torch_step, "jax": self.jax_step}
        return steps[keras.backend.backend()](*args)

    def clip(self, gradients):
        """The gradients scaled by clip_norm / max(norm, clip_norm), and their global norm before clipping."""
        ### BEGIN SOLUTION
        norm = ops.sqrt(sum(ops.sum(ops.square(gradient)) for gradient in gradients))
        scale = self.clip_norm / ops.maximum(norm, self.clip_norm)
        return [gradient * scale for gradient in gradients], norm
        ### END SOLUTION

    def tensorflow_step(self, data):
        import tensorflow as tf

        x, y = data
        ### BEGIN SOLUTION
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
        gradients, norm = self.clip(tape.gradient(loss, self.trainable_variables))
        self.optimizer.apply(gradients, self.trainable_variables)
        return {"loss": loss, "grad_norm": norm}
        ### END SOLUTION

    def torch_step(self, data):
        import torch

        x, y = data
        ### BEGIN SOLUTION
        y_pred = self(x, training=True)
        self.zero_grad()
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
        loss.backward()
        gradients, norm = self.clip([variable.value.grad for variable in self.trainable_variables])
        with torch.no_grad():
            self.optimizer.apply(gradients, self.trainable_variables)
        return {"loss": loss, "grad_norm": norm}
        ### END SOLUTION

    def jax_step(self, state, data):
        import jax

        trainable, non_trainable, optimizer_variables, metrics_variables = state
        x, y = data
        ### BEGIN SOLUTION
        def loss_and_state(trainable, non_trainable):
            y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x, training=True)
            return self.compute_loss(x=x, y=y, y_pred=y_pred), non_trainable

        (loss, non_trainable), gradients = jax.value_and_grad(loss_and_state, has_aux=True)(trainable, non_trainable)
        gradients, norm = self.clip(gradients)
        trainable, optimizer_variables = self.optimizer.stateless_apply(optimizer_variables, gradients, trainable)
        return {"loss": loss, "grad_norm": norm}, (trainable, non_trainable, optimizer_variables, metrics_variables)
        ### END SOLUTION


# %% tags=["reference-only"]
def _clipping_network(model_class, n_features, clip_norm, rng):
    """Dense, BatchNormalization, Dense, built with `model_class`, its weights drawn from `rng`."""
    inputs = keras.Input(shape=(n_features,))
    hidden = keras.layers.BatchNormalization()(keras.layers.Dense(6, activation="tanh")(inputs))
    model = model_class(inputs, keras.layers.Dense(1)(hidden), clip_norm=clip_norm)
    model.set_weights([np.ones(w.shape, "float32") if "variance" in w.path else rng.normal(0.0, 0.5, w.shape).astype("float32")
                       for w in model.weights])
    return model


def probe_training_step(model_class, n, n_features, clip_norm, seed):
    """Weights and logs after full-batch training with long gradients (clipped), then short ones (kept)."""
    if not (isinstance(model_class, type) and issubclass(model_class, keras.Model)):
        raise TypeError(f"ClippedModel should be a subclass of keras.Model. Received: {model_class!r}")
    if model_class.train_step is keras.Model.train_step:
        raise TypeError("ClippedModel does not override train_step: fit would run Keras's own step, which does not clip")
    rng = np.random.default_rng(seed)
    model = _clipping_network(model_class, n_features, clip_norm, rng)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mean_squared_error")
    x = rng.normal(size=(n, n_features)).astype("float32")
    far = (3.0 * x @ rng.normal(size=(n_features, 1))).astype("float32")
    logs = {"loss": [], "grad_norm": []}
    for y, epochs in ((far, 4), (None, 3)):
        if y is None:  # targets the network nearly fits already: its gradient is shorter than clip_norm
            y = ops.convert_to_numpy(model(x, training=True)) + 0.01 * rng.normal(size=(n, 1)).astype("float32")
        history = model.fit(x, y, epochs=epochs, batch_size=n, shuffle=False, verbose=0).history
        for name in logs:
            if name not in history:
                raise KeyError(f"your train_step's logs have no {name!r}: return {{'loss': loss, 'grad_norm': norm}}"
                               f" (History received: {sorted(history)})")
            logs[name] += history[name]
    return {"weights": [ops.convert_to_numpy(w) for w in model.weights],
            **{name: np.array(values, "float64") for name, values in logs.items()}}


class MistakeNoClipping(ClippedModel):
    def clip(self, gradients):
        return list(gradients), super().clip(gradients)[1]


class MistakeClipsEachVariable(ClippedModel):
    def clip(self, gradients):
        norms = [ops.sqrt(ops.sum(ops.square(gradient))) for gradient in gradients]
        clipped = [g * self.clip_norm / ops.maximum(norm, self.clip_norm) for g, norm in zip(gradients, norms)]
        return clipped, super().clip(gradients)[1]


class MistakeAlwaysRescales(ClippedModel):
    def clip(self, gradients):
        norm = super().clip(gradients)[1]
        return [gradient * self.clip_norm / norm for gradient in gradients], norm


class MistakeReportsClippedNorm(ClippedModel):
    def clip(self, gradients):
        clipped, _ = super().clip(gradients)
        return clipped, ops.sqrt(sum(ops.sum(ops.square(gradient)) for gradient in clipped))


class MistakeKeepsOldMovingStatistics(ClippedModel):
    """On JAX: the step returns the non-trainable values it was given (elsewhere, the step is correct)."""

    def jax_step(self, state, data):
        logs, (trainable, _, optimizer_variables, metrics_variables) = super().jax_step(state, data)
        return logs, (trainable, state[1], optimizer_variables, metrics_variables)


# %% [markdown]
# Once 6.4 passes, look at what the clipped step did, and check it against the rule Keras's optimizers
# already carry: `global_clipnorm=c` clips the same way inside `apply`. Both networks start from the
# same weights; after training they agree to the last bit, and `grad_norm` shows which steps were clipped.

# %%
rng = np.random.default_rng(0)
x_demo = rng.normal(size=(64, 5)).astype("float32")
y_demo = (3.0 * x_demo @ rng.normal(size=(5, 1))).astype("float32")
def demo_network(model_class, **options):
    inputs = keras.Input(shape=(5,))
    return model_class(inputs, keras.layers.Dense(1)(keras.layers.Dense(8, activation="tanh")(inputs)), **options)


clipped, plain = demo_network(ClippedModel, clip_norm=1.0), demo_network(keras.Model)
plain.set_weights(clipped.get_weights())
clipped.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mean_squared_error")
plain.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1, global_clipnorm=1.0), loss="mean_squared_error")
history = clipped.fit(x_demo, y_demo, epochs=5, batch_size=64, verbose=0).history
plain.fit(x_demo, y_demo, epochs=5, batch_size=64, verbose=0)
print("gradient norm before clipping, per epoch:", np.round(history["grad_norm"], 2))
gap = max(float(np.max(np.abs(a - b))) for a, b in zip(clipped.get_weights(), plain.get_weights()))
print(f"largest difference from SGD(global_clipnorm=1.0): {gap:.1e}")

# %% [markdown]
# ## Documentation and further reading
#
# The article lists the TensorFlow and Keras documentation and then the same book twice (the same
# title and the same Douban link). Each resource once, for Keras 3:
#
# - Keras documentation and guides: <https://keras.io/> (the API reference, and the guides on saving,
#   callbacks, custom layers and multi-backend code); Keras 3 source and issues:
#   <https://github.com/keras-team/keras>.
# - The backends: TensorFlow <https://www.tensorflow.org/>, PyTorch <https://pytorch.org/docs/>,
#   JAX <https://docs.jax.dev/>.
# - TensorBoard: <https://www.tensorflow.org/tensorboard>, which reads the files the `TensorBoard`
#   callback writes, from any backend.
# - KerasHub (pretrained models and layers for Keras 3): <https://keras.io/keras_hub/>.
# - A book: François Chollet, *Deep Learning with Python* (Manning); its third edition is written for
#   Keras 3 and its three backends.
#
# ## What to remember
#
# - Save with `model.save("name.keras")` and load with `keras.saving.load_model`: one file, portable
#   across backends when the model is made of Keras parts and `keras.ops` code.
# - Callbacks steer `fit` from outside: stop early, save the best model, change the learning rate, log.
# - Keep a log file of every run; a `History` disappears with the session. To resume, continue the
#   log (`append=True`) and the epoch count (`initial_epoch`).
# - To change what one step of `fit` does, override `train_step`: gradients come from a tape on
#   TensorFlow, `backward()` on PyTorch and `jax.value_and_grad` over `stateless_call` on JAX, where the
#   step returns the new state as well as the logs.
