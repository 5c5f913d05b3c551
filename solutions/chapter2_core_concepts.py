# %% [markdown]
# # Chapter 2 — Core concepts: layers, models and three backends
# ## 核心概念与联系
#
# The article's second section says: TensorFlow is an open-source deep learning framework developed by
# Google, with efficient algorithms and tools for building and training neural networks; Keras is a
# high-level neural network API that *runs on TensorFlow* and offers a simpler way to program, aiming
# to make deep learning easier to use and to extend.
#
# The first half is still true. The second half is Keras 2: **Keras 3 runs on TensorFlow, JAX and
# PyTorch**, and the same model code runs on each. This chapter is about the concepts that make that
# possible, the ones every Keras program is built from: **layers**, **models** (three ways to build
# them), **weights**, and **compile / fit / evaluate** with **metrics**.
#
# **Exercises in this chapter**
#
# | Exercise | You write | Points |
# |---|---|---|
# | 2.1 | `build_classifier`: a Sequential model to a specification | 1 |
# | 2.2 | `build_two_input_model`: a Functional model with two inputs | 2 |
# | 2.3 | `CustomDense`: a layer of your own that survives saving and loading | 3 |
# | 2.4 | `RunningRMSE`: a metric with state, over a stream of batches | 2 |
#
# After each exercise, run the `check(...)` cell below it, or from a terminal: `grader check chapter2`.

# %% [markdown]
# ## A framework and an API
#
# A deep learning **framework** (TensorFlow, PyTorch, JAX) provides tensors, hundreds of numerical
# operations that run on CPUs, GPUs or TPUs, automatic differentiation, and ways to compile and deploy
# programs. **Keras** sits on top: it provides the *vocabulary* of deep learning (layers, models,
# losses, optimisers, metrics, callbacks) and delegates every numerical operation to the backend.
#
# | Level | What it provides |
# |---|---|
# | your code | `keras.Sequential`, `keras.layers.Dense`, `model.fit`, ... |
# | **Keras 3** | layers, models, losses, optimisers, metrics, saving, and `keras.ops` |
# | **a backend** | JAX, TensorFlow or PyTorch: tensors, gradients, compilation (XLA, `torch.compile`) |
# | hardware | CPU, GPU, TPU |
#
# Because Keras only talks to the backend through `keras.ops` and a small set of backend modules,
# a model written with Keras layers and `keras.ops` runs on any of the three, and a model saved in the
# `.keras` format on one backend loads on another. The article's "Keras makes deep learning easier to
# extend" is truer than ever: you extend Keras with your own layers, models and metrics, and they run
# everywhere too (exercises 2.3 and 2.4).

# %% [markdown]
# ## Setup

# %%
import tempfile
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import ops

from grader import check

print("Keras", keras.__version__, "on", keras.backend.backend())

# %% [markdown]
# ## Layers: state and computation
#
# A **layer** bundles some state (its **weights**) with a computation (its `call`). The workhorse is
# `Dense`, a fully connected layer: for an input batch $X$ of shape $(N, d_\text{in})$,
#
# $$Y = \phi(X W + b), \qquad W \in \mathbb{R}^{d_\text{in} \times u},\quad b \in \mathbb{R}^{u},$$
#
# with $u$ = `units` and $\phi$ the activation. Keras stores the **kernel** $W$ with shape
# $(d_\text{in}, u)$, input dimension first, so that a batch of row vectors multiplies it from the left.
#
# A layer does not know $d_\text{in}$ when you create it; it creates its weights the first time it
# sees an input (it is **built**). That is why `Dense(4)` has no weights yet, and why a model starts
# with `keras.Input(shape=...)`: the shape lets Keras build every layer up front.

# %%
layer = keras.layers.Dense(4, activation="relu")
print("weights before the first call:", layer.weights)
outputs = layer(np.ones((2, 3), dtype="float32"))  # builds the layer for inputs with 3 features
for weight in layer.weights:
    print(f"{weight.path:>12}: shape {tuple(weight.shape)}, trainable={weight.trainable}")
print("outputs:", tuple(outputs.shape))

# %% [markdown]
# **Weights** are `keras.Variable`s. `layer.get_weights()` returns them as NumPy arrays and
# `layer.set_weights([...])` loads arrays of the same shapes, in the same order. Some weights are not
# trained by gradient descent: `BatchNormalization` keeps running averages of the mean and variance it
# has seen, which it updates itself, so they are **non-trainable**.

# %%
kernel, bias = layer.get_weights()
layer.set_weights([np.eye(3, 4, dtype="float32"), np.zeros(4, dtype="float32")])
print("with W = I and b = 0, Dense passes its input through:", ops.convert_to_numpy(layer(np.array([[1.0, -2.0, 3.0]]))))
norm = keras.layers.BatchNormalization()
norm.build((None, 3))
print("BatchNormalization:", [(w.name, w.trainable) for w in norm.weights])

# %% [markdown]
# ## Models, three ways
#
# A **model** is a layer with extra powers: `compile`, `fit`, `evaluate`, `predict`, `save`. Keras
# offers three ways to build one:
#
# 1. **Sequential**: a plain stack, each layer feeding the next. Most models start here.
# 2. **Functional**: you call layers on symbolic tensors and get a graph; any directed acyclic graph
#    works, so several inputs, several outputs, branches and shared layers are all possible.
# 3. **Subclassing**: you write a class with a `call` method, for anything the graph form cannot say
#    (loops over time steps, different behaviour in training...). Custom *layers* are written this way
#    too (exercise 2.3).
#
# The article builds its model with `model.add(Dense(10, input_dim=8, activation='relu'))`: Keras 2
# style. In Keras 3, list the layers and start with `keras.Input`.
#
# Counting parameters is the quickest check of an architecture: a `Dense` layer with $d$ inputs and
# $u$ units has $d u + u$ (kernel plus bias); `Dropout` has none.

# %%
article_model = keras.Sequential([
    keras.Input(shape=(8,)),  # the article's input_dim=8
    keras.layers.Dense(10, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
article_model.summary()
print("by hand:", 8 * 10 + 10 + 10 * 1 + 1)

# %% [markdown]
# ## Exercise 2.1 — A Sequential model to a specification
#
# Build a classifier for `n_classes` classes from `n_features` numbers:
#
# 1. `keras.Input(shape=(n_features,))`;
# 2. `Dense`, 32 units, ReLU;
# 3. `Dropout` with rate 0.2 (during training it zeroes 20% of the activations at random, and scales
#    the others by $1/0.8$, which discourages co-adapted features; at inference it does nothing);
# 4. `Dense`, 16 units, ReLU;
# 5. `Dense`, `n_classes` units, softmax, so that each output row is a probability distribution.
#
# It has $(n_\text{features} + 1) \cdot 32 + 33 \cdot 16 + 17\, n_\text{classes}$ parameters. The
# grader compares your layers, their settings, the shapes and the parameter count with the reference.

# %%
def build_classifier(n_features, n_classes):
    """Input(n_features) -> Dense(32, relu) -> Dropout(0.2) -> Dense(16, relu) -> Dense(n_classes, softmax).

    Args:
        n_features: the number of input features.
        n_classes: the number of classes.

    Returns:
        An uncompiled keras.Sequential model.
    """
    ### BEGIN SOLUTION
    return keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(n_classes, activation="softmax"),
    ])
    ### END SOLUTION


# %%
classifier = build_classifier(n_features=10, n_classes=3)
classifier.summary()
probabilities = ops.convert_to_numpy(classifier(np.random.default_rng(0).normal(size=(2, 10))))
print("each row sums to 1:", probabilities.sum(axis=1))

# %% [markdown]
# ## The Functional API
#
# In the Functional API, `keras.Input` returns a symbolic tensor, calling a layer on a symbolic
# tensor returns another, and `keras.Model(inputs, outputs)` turns the graph between them into a model.
# A model with two inputs is as easy as one:
#
# ```python
# left = keras.Input(shape=(5,))
# right = keras.Input(shape=(3,))
# merged = keras.layers.Concatenate()([left, right])   # shape (None, 8)
# model = keras.Model(inputs=[left, right], outputs=keras.layers.Dense(1)(merged))
# model([x_left, x_right])                             # called with a list, in the same order
# ```
#
# ## Exercise 2.2 — A model with two inputs
#
# A clinic wants one risk score from two kinds of data: `n_measurements` continuous measurements
# (blood pressure, glucose, ...) and `n_flags` yes/no flags from the patient's history. Each kind
# gets its own small branch before the two are merged:
#
# - input `measurements` of shape `(n_measurements,)` → `Dense(16, relu)`;
# - input `flags` of shape `(n_flags,)` → `Dense(4, relu)`;
# - `Concatenate` the two branches, **measurements first** → `Dense(8, relu)` → `Dense(1, sigmoid)`.
#
# Return `keras.Model(inputs=[measurements, flags], outputs=...)`, inputs in that order.

# %%
def build_two_input_model(n_measurements, n_flags):
    """Two inputs, a Dense branch for each, merged by Concatenate, then Dense(8, relu) -> Dense(1, sigmoid).

    Args:
        n_measurements: features of the first input.
        n_flags: features of the second input.

    Returns:
        An uncompiled keras.Model with inputs [measurements, flags] and one output of shape (None, 1).
    """
    ### BEGIN SOLUTION
    measurements = keras.Input(shape=(n_measurements,), name="measurements")
    flags = keras.Input(shape=(n_flags,), name="flags")
    measured = keras.layers.Dense(16, activation="relu")(measurements)
    flagged = keras.layers.Dense(4, activation="relu")(flags)
    merged = keras.layers.Concatenate()([measured, flagged])
    hidden = keras.layers.Dense(8, activation="relu")(merged)
    risk = keras.layers.Dense(1, activation="sigmoid")(hidden)
    return keras.Model(inputs=[measurements, flags], outputs=risk)
    ### END SOLUTION


# %%
two_inputs = build_two_input_model(n_measurements=6, n_flags=3)
two_inputs.summary()
rng = np.random.default_rng(1)
risk = two_inputs([rng.normal(size=(4, 6)).astype("float32"), rng.integers(0, 2, size=(4, 3)).astype("float32")])
print("risk scores:", ops.convert_to_numpy(risk).ravel().round(3))

# %% [markdown]
# ## Subclassing: a layer of your own
#
# A custom layer subclasses `keras.layers.Layer` and writes up to four methods:
#
# - `__init__(self, ..., **kwargs)`: store the settings, pass `**kwargs` (`name`, `dtype`,
#   `trainable`) to `super().__init__`; create no weights yet;
# - `build(self, input_shape)`: create the weights with `self.add_weight(shape=..., initializer=...,
#   name=...)`, now that the input shape is known;
# - `call(self, inputs)`: the computation, with `keras.ops` only, so that it runs on every backend;
# - `get_config(self)`: the constructor arguments as a dict of plain values, so that Keras can
#   re-create the layer with `cls.from_config(config)`, which is what loading a saved model does.
#
# A `.keras` file is a zip archive holding the model's config (as JSON), its weights and some
# metadata. Loading rebuilds every layer from its config, by its **registered name**: decorate your
# class with `@keras.saving.register_keras_serializable(package=...)` so that Keras can find it.
#
# Keras 3 can write the config for you while all constructor arguments are plain values (numbers,
# strings, booleans, `None`): it records them as the layer is created. Give it a function, an
# initializer object or another layer and it cannot; then `get_config` is the only way to save the
# model. Write it always: it documents what your layer depends on.

# %% [markdown]
# ## Exercise 2.3 — `CustomDense`
#
# Write `CustomDense(units, activation=None)`, a dense layer of your own that computes
# $Y = \phi(XW + b)$ like `keras.layers.Dense`:
#
# - `build` creates two weights with `add_weight`: the kernel $W$ of shape `(input_dim, units)`
#   (initialiser `"glorot_uniform"`) and the bias $b$ of shape `(units,)` (initialiser `"zeros"`);
# - `activation` may be `None` (the identity), a name such as `"relu"`, or a function such as
#   `keras.activations.tanh`: `keras.activations.get(activation)` turns any of them into a function,
#   and `keras.activations.serialize(...)` turns that function back into a name for `get_config`;
# - `call` uses `keras.ops` only;
# - `get_config` returns `units` and `activation` on top of `super().get_config()`;
# - register the class with `@keras.saving.register_keras_serializable(package="course")`.
#
# The grader creates your layer with an activation **function**, builds it, fills its weights with
# known values, and compares the outputs with the reference's given the same weights; then it
# re-creates the layer from `get_config()`, and saves a model containing it to a `.keras` file and
# loads it back. Both copies must compute the same outputs.

# %%
@keras.saving.register_keras_serializable(package="course")
class CustomDense(keras.layers.Layer):
    """A fully connected layer: activation(inputs @ kernel + bias).

    Args:
        units: the number of outputs.
        activation: None (the identity), an activation name or an activation function.
        **kwargs: base layer arguments (name, dtype, trainable).

    Example:
        >>> CustomDense(3, activation="relu")(np.ones((2, 4))).shape  # (2, 3)
    """

    def __init__(self, units, activation=None, **kwargs):
        ### BEGIN SOLUTION
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        ### END SOLUTION

    def build(self, input_shape):
        ### BEGIN SOLUTION
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="kernel"
        )
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        ### END SOLUTION

    def call(self, inputs):
        ### BEGIN SOLUTION
        return self.activation(ops.matmul(inputs, self.kernel) + self.bias)
        ### END SOLUTION

    def get_config(self):
        ### BEGIN SOLUTION
        config = super().get_config()
        config.update({"units": self.units, "activation": keras.activations.serialize(self.activation)})
        return config
        ### END SOLUTION


# %% tags=["reference-only"]
# The probe: how the grader exercises a learner's layer class (and the reference's, the same way).
def _reason(error, limit=240):
    """An exception as one short line: its type and the start of its message."""
    words = " ".join(str(error).split())
    return f"{type(error).__name__}: {words[:limit]}{'...' if len(words) > limit else ''}"


def _fill_weights(layer, seed):
    """Known values for every weight, drawn by rank (the kernel is 2-D, the bias 1-D) and position."""
    ranks = {}
    for weight in layer.weights:
        position = ranks.setdefault(len(weight.shape), 0)
        ranks[len(weight.shape)] += 1
        rng = np.random.default_rng([seed, len(weight.shape), position])
        weight.assign(rng.normal(scale=0.5, size=tuple(weight.shape)).astype("float32"))


def probe_custom_dense(layer_class, x, units, activation, seed):
    """Outputs of a CustomDense with known weights, after get_config and after a .keras round trip."""
    layer = layer_class(units, activation=keras.activations.get(activation))
    model = keras.Sequential([keras.Input(shape=(x.shape[1],)), layer])
    _fill_weights(layer, seed)
    kernels = [w for w in layer.weights if len(w.shape) == 2]
    result = {
        "kernel_shape": np.array(kernels[0].shape if kernels else (0, 0)),
        "number_of_weights": len(layer.weights),
        "outputs": model(x),
    }
    try:
        clone = layer_class.from_config(layer.get_config())
        clone.build((None, x.shape[1]))
        clone.set_weights(layer.get_weights())
    except Exception as error:
        raise TypeError(
            f"{layer_class.__name__}.from_config(layer.get_config()) did not re-create the layer "
            f"({_reason(error)}). get_config must return every constructor argument (units, activation) "
            "on top of super().get_config(), and __init__ must accept **kwargs and pass them to "
            "super().__init__"
        ) from error
    result["outputs_from_config"] = clone(x)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "probe.keras"
        try:
            model.save(path)
            loaded = keras.saving.load_model(path)
        except Exception as error:
            raise TypeError(
                f"a model containing {layer_class.__name__} could not be saved to .keras and loaded back "
                f"({_reason(error)}). Check get_config, and that the class is registered with "
                "@keras.saving.register_keras_serializable(package='course')"
            ) from error
    result["outputs_after_save_and_load"] = loaded(x)
    return result


# Known mistakes, as layer classes: the probe runs them like the learner's.
class _MistakeDense(keras.layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "activation": keras.activations.serialize(self.activation)})
        return config


@keras.saving.register_keras_serializable(package="course_mistakes")
class MistakeBiasNotAdded(_MistakeDense):
    def call(self, inputs):
        return self.activation(ops.matmul(inputs, self.kernel))


@keras.saving.register_keras_serializable(package="course_mistakes")
class MistakeNoBias(_MistakeDense):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, inputs):
        return self.activation(ops.matmul(inputs, self.kernel))


@keras.saving.register_keras_serializable(package="course_mistakes")
class MistakeTransposedKernel(_MistakeDense):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(self.units, input_shape[-1]), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return self.activation(ops.matmul(inputs, ops.transpose(self.kernel)) + self.bias)


@keras.saving.register_keras_serializable(package="course_mistakes")
class MistakeActivationIgnored(_MistakeDense):
    def call(self, inputs):
        return ops.matmul(inputs, self.kernel) + self.bias


@keras.saving.register_keras_serializable(package="course_mistakes")
class MistakeActivationBeforeBias(_MistakeDense):
    def call(self, inputs):
        return self.activation(ops.matmul(inputs, self.kernel)) + self.bias


# %%
custom = CustomDense(3, activation="relu")
print("config:", custom.get_config())
with tempfile.TemporaryDirectory() as folder:
    small = keras.Sequential([keras.Input(shape=(4,)), custom])
    small.save(Path(folder) / "small.keras")
    reloaded = keras.saving.load_model(Path(folder) / "small.keras")
probe_batch = np.random.default_rng(2).normal(size=(5, 4)).astype("float32")
same = np.allclose(ops.convert_to_numpy(small(probe_batch)), ops.convert_to_numpy(reloaded(probe_batch)))
print("same outputs after saving and loading:", same)

# %% [markdown]
# ## compile, fit, evaluate
#
# A model learns in three calls:
#
# - `model.compile(optimizer=..., loss=..., metrics=[...])` chooses how to learn: the **loss** to
#   minimise, the **optimiser** that updates the weights, and **metrics** to report;
# - `model.fit(x, y, epochs=..., batch_size=..., validation_split=...)` runs the training loop: for
#   each batch, a forward pass, the loss, its gradient with respect to every trainable weight, and an
#   optimiser step; it returns a `History` with the loss and metrics of every epoch;
# - `model.evaluate(x, y)` computes the loss and metrics on other data; `model.predict(x)` returns
#   outputs.
#
# Here is a small regression: 512 samples of 4 features with targets
# $y = 2x_1 - x_2 + 0.5 x_3 x_4 + \varepsilon$, fitted by a model built from `CustomDense` layers.

# %%
keras.utils.set_random_seed(0)
data_rng = np.random.default_rng(0)
features = data_rng.normal(size=(512, 4)).astype("float32")
targets = (2 * features[:, :1] - features[:, 1:2] + 0.5 * features[:, 2:3] * features[:, 3:4]
           + 0.1 * data_rng.normal(size=(512, 1))).astype("float32")
regressor = keras.Sequential([
    keras.Input(shape=(4,)),
    CustomDense(16, activation="relu"),
    CustomDense(1),
])
regressor.compile(optimizer=keras.optimizers.Adam(learning_rate=0.02), loss="mean_squared_error")
history = regressor.fit(features[:384], targets[:384], validation_split=0.25, epochs=30, batch_size=32, verbose=0)
test_loss = regressor.evaluate(features[384:], targets[384:], verbose=0)
print(f"test mean squared error: {test_loss:.4f} (the noise alone gives 0.01)")

figure, axis = plt.subplots(figsize=(6, 3.2))
axis.plot(history.history["loss"], label="training")
axis.plot(history.history["val_loss"], label="validation")
axis.set(xlabel="epoch", ylabel="mean squared error", yscale="log", title="Learning curves")
axis.legend()
plt.show()

# %% [markdown]
# ## What `fit` does, backend by backend
#
# One step of the training loop, written out. The forward pass and the loss are the same Keras code on
# every backend; **how the gradient is taken is not**, which is why Keras hides it inside `fit`.
# TensorFlow records the computation on a `GradientTape`; PyTorch records it on the tensors and
# `loss.backward()` fills each weight's `.grad`; JAX differentiates a *pure function* of the weights,
# so the model is called statelessly with the weights as arguments (`model.stateless_call`). The cell
# is backend-specific and clearly marked: only your backend's branch runs.

# %%
step_model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
step_loss = keras.losses.MeanSquaredError()
step_optimizer = keras.optimizers.SGD(learning_rate=0.1)
x_batch, y_batch = features[:32], targets[:32]
before = float(step_loss(y_batch, step_model(x_batch)))

if keras.backend.backend() == "tensorflow":
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = step_loss(y_batch, step_model(x_batch, training=True))
    gradients = tape.gradient(loss, step_model.trainable_variables)
    step_optimizer.apply(gradients, step_model.trainable_variables)
elif keras.backend.backend() == "torch":
    import torch

    step_model.zero_grad()
    loss = step_loss(y_batch, step_model(x_batch, training=True))
    loss.backward()
    gradients = [variable.value.grad for variable in step_model.trainable_variables]
    with torch.no_grad():
        step_optimizer.apply(gradients, step_model.trainable_variables)
elif keras.backend.backend() == "jax":
    import jax

    def loss_of_weights(trainable, non_trainable, x, y):
        predictions, non_trainable = step_model.stateless_call(trainable, non_trainable, x, training=True)
        return step_loss(y, predictions), non_trainable

    trainable = [variable.value for variable in step_model.trainable_variables]
    non_trainable = [variable.value for variable in step_model.non_trainable_variables]
    (loss, _), gradients = jax.value_and_grad(loss_of_weights, has_aux=True)(trainable, non_trainable, x_batch, y_batch)
    step_optimizer.apply(gradients, step_model.trainable_variables)

print(f"loss before the step {before:.3f}, after {float(step_loss(y_batch, step_model(x_batch))):.3f}")

# %% [markdown]
# ## Metrics with state
#
# `fit` reports metrics over a whole epoch, yet it sees the data one batch at a time. A metric is
# therefore an object with **state**: `update_state(y_true, y_pred)` adds a batch to running totals,
# `result()` computes the metric from the totals, and `reset_state()` zeroes them (Keras calls it at
# the start of every epoch and of every `evaluate`).
#
# Why totals and not an average of per-batch results? Because most metrics do not average. The
# root-mean-squared error over $N$ values in batches $B_1, \dots, B_T$ is
#
# $$\text{RMSE} = \sqrt{\frac{1}{N}\sum_{t=1}^{T}\sum_{i \in B_t} (y_i - \hat y_i)^2}
#   \;\neq\; \frac{1}{T}\sum_{t=1}^{T}\sqrt{\frac{1}{|B_t|}\sum_{i \in B_t} (y_i - \hat y_i)^2},$$
#
# the square root of a mean is not the mean of square roots, and the last batch of an epoch is
# usually smaller than the others. Keeping two totals, the sum of squared errors and the count, is
# exact for any batching.

# %% [markdown]
# ## Exercise 2.4 — `RunningRMSE`
#
# Write a metric class `RunningRMSE(keras.metrics.Metric)`:
#
# - `__init__(self, name="running_rmse", **kwargs)`: pass `name` and `**kwargs` to `super().__init__`,
#   and create two scalar state variables with `self.add_variable(shape=(), initializer="zeros",
#   name=...)`: the sum of squared errors and the number of values;
# - `update_state(self, y_true, y_pred, sample_weight=None)`: add the batch's squared errors (over
#   **all** its elements, whatever the shape) and their number (`ops.size`) to the totals, with
#   `variable.assign_add(...)` (you may ignore `sample_weight`);
# - `result(self)`: $\sqrt{\text{sum} / \text{count}}$, and 0 before any data:
#   `ops.divide_no_nan` returns 0 where the denominator is 0;
# - `reset_state(self)`: set both totals back to 0 with `variable.assign(...)`.
#
# The grader feeds it a stream of unequal batches, reads `result()` after each, resets it, reads
# again, feeds one more batch, and re-creates it from `get_config()`.

# %%
@keras.saving.register_keras_serializable(package="course")
class RunningRMSE(keras.metrics.Metric):
    """Root-mean-squared error over every value seen since the last reset.

    Example:
        >>> metric = RunningRMSE()
        >>> metric.update_state(np.zeros(4), np.full(4, 2.0))
        >>> float(metric.result())  # 2.0
    """

    def __init__(self, name="running_rmse", **kwargs):
        ### BEGIN SOLUTION
        super().__init__(name=name, **kwargs)
        self.squared_error_sum = self.add_variable(shape=(), initializer="zeros", name="squared_error_sum")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")
        ### END SOLUTION

    def update_state(self, y_true, y_pred, sample_weight=None):
        ### BEGIN SOLUTION
        errors = ops.cast(y_true, self.dtype) - ops.cast(y_pred, self.dtype)
        self.squared_error_sum.assign_add(ops.sum(ops.square(errors)))
        self.count.assign_add(ops.cast(ops.size(errors), self.dtype))
        ### END SOLUTION

    def result(self):
        ### BEGIN SOLUTION
        return ops.sqrt(ops.divide_no_nan(self.squared_error_sum, self.count))
        ### END SOLUTION

    def reset_state(self):
        ### BEGIN SOLUTION
        self.squared_error_sum.assign(0.0)
        self.count.assign(0.0)
        ### END SOLUTION


# %% tags=["reference-only"]
def _number(value):
    return float(ops.convert_to_numpy(value))


def probe_running_rmse(metric_class, y_true, y_pred, seed):
    """Results over a stream of unequal batches, after a reset, and from a re-created metric."""
    metric = metric_class()
    cuts = np.sort(np.random.default_rng(seed).choice(np.arange(1, len(y_true)), size=3, replace=False))
    batches = list(zip(np.split(y_true, cuts), np.split(y_pred, cuts)))
    after_each_batch = []
    for batch_true, batch_pred in batches:
        metric.update_state(batch_true, batch_pred)
        after_each_batch.append(_number(metric.result()))
    metric.reset_state()
    after_reset = _number(metric.result())
    metric.update_state(*batches[-1])
    try:
        fresh = metric_class.from_config(metric.get_config())
    except Exception as error:
        raise TypeError(
            f"{metric_class.__name__}.from_config(metric.get_config()) failed ({_reason(error)}). "
            "Accept name and **kwargs in __init__ and pass them to super().__init__: Keras re-creates "
            "metrics from their config when it loads a compiled model"
        ) from error
    fresh.update_state(*batches[0])
    return {
        "result_after_each_batch": np.array(after_each_batch),
        "result_after_reset": after_reset,
        "result_after_reset_and_one_batch": _number(metric.result()),
        "result_of_a_metric_from_config": _number(fresh.result()),
    }


class _MistakeMetric(keras.metrics.Metric):
    def __init__(self, name="running_rmse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def result(self):
        return ops.sqrt(ops.divide_no_nan(self.total, self.count))

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)


class MistakeMeanOfBatchRMSE(_MistakeMetric):
    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(ops.sqrt(ops.mean(ops.square(y_true - y_pred))))
        self.count.assign_add(1.0)

    def result(self):
        return ops.divide_no_nan(self.total, self.count)


class MistakeCountsBatches(_MistakeMetric):
    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(ops.sum(ops.square(y_true - y_pred)))
        self.count.assign_add(1.0)


class MistakeCountsRows(_MistakeMetric):
    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(ops.sum(ops.square(y_true - y_pred)))
        self.count.assign_add(float(y_true.shape[0]))


class MistakeIncompleteReset(_MistakeMetric):
    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(ops.sum(ops.square(y_true - y_pred)))
        self.count.assign_add(float(ops.size(y_true)))

    def reset_state(self):
        self.total.assign(0.0)


class MistakeNaNWhenEmpty(_MistakeMetric):
    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(ops.sum(ops.square(y_true - y_pred)))
        self.count.assign_add(float(ops.size(y_true)))

    def result(self):
        return ops.sqrt(self.total / self.count)


# %% [markdown]
# Once 2.3 and 2.4 pass, your metric can watch a model train next to Keras's own
# `RootMeanSquaredError`; they agree to float32 precision, on every epoch.

# %%
keras.utils.set_random_seed(1)
watched = keras.Sequential([keras.Input(shape=(4,)), CustomDense(16, activation="relu"), CustomDense(1)])
watched.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.02),
    loss="mean_squared_error",
    metrics=[RunningRMSE(), keras.metrics.RootMeanSquaredError(name="keras_rmse")],
)
watched_history = watched.fit(features[:384], targets[:384], epochs=5, batch_size=50, verbose=0)
for epoch, (mine, theirs) in enumerate(zip(watched_history.history["running_rmse"], watched_history.history["keras_rmse"])):
    print(f"epoch {epoch + 1}: RunningRMSE {mine:.5f}   keras RootMeanSquaredError {theirs:.5f}")

# %% [markdown]
# ## What to remember
#
# - TensorFlow, JAX and PyTorch are frameworks; Keras 3 is the API over all three. The article's
#   "Keras runs on TensorFlow" is Keras 2: now the same code runs on each backend.
# - A layer holds weights and a computation; it is built on its first input; Dense's kernel has shape
#   `(input_dim, units)`.
# - Sequential for stacks, Functional for graphs (several inputs, branches), subclassing for the rest.
# - A custom layer: weights in `build` with `add_weight`, `call` with `keras.ops`, `get_config` for
#   saving, and registration so that a `.keras` file can find the class again.
# - `compile` chooses loss, optimiser and metrics; `fit` loops over batches; `evaluate` measures.
# - A metric accumulates totals across batches (`update_state`), computes from them (`result`) and
#   starts over (`reset_state`); averaging per-batch results is usually wrong.
