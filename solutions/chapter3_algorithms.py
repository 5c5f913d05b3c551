# %% [markdown]
# # Chapter 3 — Core algorithms and their mathematics
# ## 核心算法原理和具体操作步骤以及数学模型公式
#
# The article sums up the algorithms behind TensorFlow and Keras in a few lines: feed-forward,
# convolutional and recurrent networks; six steps from data to evaluation; mean squared error and
# cross-entropy as losses; gradient descent and Adam as optimisers. This chapter writes each of those
# pieces by hand with `keras.ops`, checks that it computes exactly what Keras computes, and then uses
# Keras's own layers to train a convolutional network on real handwritten digits and a recurrent
# network on 260 years of sunspot counts.
#
# Everything here runs unchanged on TensorFlow, PyTorch and JAX. Only where the frameworks really
# differ, in how they compute gradients, are the three shown side by side.
#
# **Exercises in this chapter**
#
# | Exercise | You write | Points |
# |---|---|---|
# | 3.1 | `dense_forward`: a dense layer's forward pass | 1 |
# | 3.2 | `mean_squared_error` | 1 |
# | 3.3 | `binary_crossentropy`, from probabilities and from logits | 2 |
# | 3.4 | `categorical_crossentropy`, from probabilities and from logits | 2 |
# | 3.5 | `numerical_gradient`: central differences | 2 |
# | 3.6 | `sgd_momentum_step`: one step of SGD with momentum | 2 |
# | 3.7 | `adam_step`: one step of Adam | 2 |
# | 3.8 | `conv2d`: a vectorised 2-D convolution with strides and padding | 3 |
# | 3.9 | `max_pool2d`: vectorised max pooling | 2 |
# | 3.10 | `build_digit_cnn`: a small convolutional network | 1 |
# | 3.11 | `train_digit_cnn`: the six steps on real handwritten digits | 3 |
# | 3.12 | `simple_rnn`: a recurrent layer over a sequence | 2 |
# | 3.13 | `train_sunspot_forecaster`: beat "next month equals this month" | 3 |
#
# After each exercise, run the `check(...)` cell below it, or from a terminal: `grader check chapter3`.

# %% [markdown]
# ## Setup
#
# The backend is fixed when `keras` is first imported: set `KERAS_BACKEND` (`jax`, `tensorflow` or
# `torch`) before that and restart the kernel to switch. `keras.ops` is the NumPy-like library that
# every backend implements; code written with it runs on all three.

# %%
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import ops

from grader import check
from grader.data import load_mnist_5k, load_sunspots

print("Keras", keras.__version__, "on", keras.backend.backend())


def max_difference(yours, theirs):
    """The largest absolute difference between two arrays or tensors (or lists of them)."""
    if isinstance(yours, (list, tuple)):
        return max(max_difference(a, b) for a, b in zip(yours, theirs))
    return float(np.max(np.abs(ops.convert_to_numpy(yours) - ops.convert_to_numpy(theirs))))


rng = np.random.default_rng(3)


# %% [markdown]
# ## 1. Feed-forward networks
#
# A feed-forward network is a chain of layers, each a function of the previous one's output. A dense
# (fully connected) layer with kernel $W$ of shape $(d_{in}, u)$, bias $b$ of shape $(u,)$ and an
# activation $\varphi$ maps a batch $X$ of shape $(n, d_{in})$ to
#
# $$H = \varphi(XW + b), \qquad H_{ij} = \varphi\Big(\sum_k X_{ik} W_{kj} + b_j\Big),$$
#
# with $b$ added to every row. The activations used most:
#
# | name | $\varphi(z)$ | used for |
# |---|---|---|
# | `linear` | $z$ | regression outputs, logits |
# | `relu` | $\max(0, z)$ | hidden layers |
# | `sigmoid` | $\sigma(z) = 1 / (1 + e^{-z})$ | a probability (binary output) |
# | `tanh` | $(e^z - e^{-z}) / (e^z + e^{-z})$ | hidden layers, recurrent cells |
#
# A network of $L$ layers is $f(x) = \varphi_L(\dots\varphi_2(\varphi_1(xW_1 + b_1)W_2 + b_2)\dots)$:
# the article's "input layer, hidden layers, output layer", trained by adjusting every $W_l$ and $b_l$.
#
# Keras stores a dense kernel as $(d_{in}, u)$ and computes $XW$. PyTorch's `nn.Linear` stores
# $(u, d_{in})$ and computes $XW^\top$: weights copied between the two must be transposed.
#
# ## Exercise 3.1 — A dense layer by hand
#
# Write the forward pass of `keras.layers.Dense` with the given weights, for the activations `linear`,
# `relu`, `sigmoid` and `tanh`, with `keras.ops` (`ops.matmul`, `ops.relu`, `ops.sigmoid`, `ops.tanh`).
#
# The grader passes NumPy arrays. Combine them with tensors through `keras.ops` (`ops.add(z, bias)`,
# `ops.subtract`, `ops.multiply`), or convert them first with `ops.convert_to_tensor`, rather than with
# `+` or `-` between an array and a tensor. On the CPU the operators happen to work; on a GPU with
# PyTorch, `tensor + array` fails with *can't convert cuda:0 device type tensor to numpy*, because the
# array's `+` asks the tensor for its values in host memory.

# %%
def dense_forward(x, kernel, bias, activation="linear"):
    """The output of a dense layer: activation(x @ kernel + bias).

    Args:
        x: inputs, shape (n, d_in).
        kernel: weights, shape (d_in, units).
        bias: shape (units,).
        activation: "linear", "relu", "sigmoid" or "tanh".

    Returns:
        A tensor of shape (n, units).
    """
    ### BEGIN SOLUTION
    activations = {"linear": lambda z: z, "relu": ops.relu, "sigmoid": ops.sigmoid, "tanh": ops.tanh}
    return activations[activation](ops.add(ops.matmul(x, kernel), bias))
    ### END SOLUTION


# %% tags=["reference-only"]
# Known mistakes. None calls an entry point: tests submit each one as the learner's answer.
_ACTIVATIONS = {"linear": lambda z: z, "relu": ops.relu, "sigmoid": ops.sigmoid, "tanh": ops.tanh}


def mistake_dense_without_bias(x, kernel, bias, activation="linear"):
    return _ACTIVATIONS[activation](ops.matmul(x, kernel))


def mistake_dense_activation_before_bias(x, kernel, bias, activation="linear"):
    return ops.add(_ACTIVATIONS[activation](ops.matmul(x, kernel)), bias)


# %% [markdown]
# The same layer in Keras: build it for 3 inputs, give it our weights, and compare.

# %%
x = rng.normal(size=(5, 3)).astype("float32")
kernel = rng.normal(size=(3, 4)).astype("float32")
bias = rng.normal(size=(4,)).astype("float32")
layer = keras.layers.Dense(4, activation="relu")
layer.build((None, 3))
layer.set_weights([kernel, bias])
print("kernel", tuple(layer.kernel.shape), "bias", tuple(layer.bias.shape))
print("largest difference from keras.layers.Dense:", max_difference(dense_forward(x, kernel, bias, "relu"), layer(x)))


# %% [markdown]
# ## 2. Losses: how wrong is the model?
#
# Training minimises a **loss**, one number that says how far the predictions $\hat y$ are from the
# targets $y$. The article names two.
#
# **Mean squared error**, for regression: over $n$ samples with $k$ outputs each,
#
# $$\mathrm{MSE} = \frac{1}{nk}\sum_{i=1}^{n}\sum_{j=1}^{k}(y_{ij} - \hat y_{ij})^2 .$$
#
# **Cross-entropy**, for classification, is the negative log-likelihood of the true labels under the
# model's predicted probabilities. For one probability $p = P(y = 1)$ per sample (binary):
#
# $$\mathrm{BCE} = -\frac{1}{n}\sum_{i}\big[y_i \log p_i + (1 - y_i)\log(1 - p_i)\big],$$
#
# and for $K$ classes, with one-hot targets and probabilities $p_{ik}$ that sum to 1 over $k$:
#
# $$\mathrm{CCE} = -\frac{1}{n}\sum_{i}\sum_{k=1}^{K} y_{ik}\log p_{ik}.$$
#
# Why not mean squared error for classification too? With a sigmoid output, the gradient of the squared
# error carries a factor $\sigma'(z)$, which vanishes when the model is confidently wrong; the gradient of
# cross-entropy with respect to the logit is simply $p - y$, large exactly when the model is wrong.
#
# ### Numerical stability
#
# In float32, $\sigma(z)$ rounds to exactly 1.0 once $z$ exceeds about 17, and $\log(1 - 1) = -\infty$.
# Keras guards probabilities by clipping them to $[\epsilon, 1 - \epsilon]$ with
# $\epsilon$ = `keras.config.epsilon()` $= 10^{-7}$, which caps a single sample's loss near 16.
#
# Better still, let the loss see the **logits** $z$ (the values before the sigmoid or softmax) with
# `from_logits=True`. Then no probability is ever rounded. For the binary case,
# $\log\sigma(z) = -\log(1 + e^{-z})$ and $\log(1 - \sigma(z)) = -\log(1 + e^{z})$, and the loss of one
# sample can be written so that no exponential overflows:
#
# $$\ell(z, y) = \max(z, 0) - z\,y + \log\big(1 + e^{-|z|}\big).$$
#
# For $K$ classes, $\log p_k = z_k - \log\sum_j e^{z_j}$, and the log-sum-exp is computed after
# subtracting the largest logit $m = \max_j z_j$ so that no $e^{z_j}$ overflows:
#
# $$\log\sum_j e^{z_j} = m + \log\sum_j e^{z_j - m}.$$
#
# ## Exercise 3.2 — Mean squared error
#
# Equal to `keras.losses.MeanSquaredError()(y_true, y_pred)`: the mean over outputs, then over samples.

# %%
def mean_squared_error(y_true, y_pred):
    """The mean of (y_true - y_pred)**2 over every sample and output.

    Args:
        y_true: targets, shape (n, k).
        y_pred: predictions, shape (n, k).

    Returns:
        A scalar.
    """
    ### BEGIN SOLUTION
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)))
    ### END SOLUTION


# %% tags=["reference-only"]
def mistake_mse_absolute_error(y_true, y_pred):
    return ops.mean(ops.abs(ops.subtract(y_true, y_pred)))


def mistake_mse_summed_over_outputs(y_true, y_pred):
    return ops.mean(ops.sum(ops.square(ops.subtract(y_true, y_pred)), axis=-1))


# %%
y_true = rng.normal(size=(6, 2)).astype("float32")
y_pred = rng.normal(size=(6, 2)).astype("float32")
print("MSE", float(mean_squared_error(y_true, y_pred)),
      "difference from keras.losses:", max_difference(mean_squared_error(y_true, y_pred),
                                                       keras.losses.MeanSquaredError()(y_true, y_pred)))


# %% [markdown]
# ## Exercise 3.3 — Binary cross-entropy
#
# Equal to `keras.losses.BinaryCrossentropy(from_logits=...)(y_true, y_pred)`:
#
# - with `from_logits=False`, `y_pred` holds probabilities, some of them exactly 0 or 1: clip them to
#   $[\epsilon, 1 - \epsilon]$ with $\epsilon$ = `keras.config.epsilon()`, then apply the formula;
# - with `from_logits=True`, `y_pred` holds logits as large as $\pm 100$: use the stable form
#   $\max(z, 0) - zy + \log(1 + e^{-|z|})$ (`ops.log1p` computes $\log(1 + t)$ accurately for small $t$);
# - return the mean over samples.

# %%
def binary_crossentropy(y_true, y_pred, from_logits=False):
    """The mean binary cross-entropy of 0/1 targets and predictions.

    Args:
        y_true: 0/1 targets, shape (n,).
        y_pred: probabilities of class 1, or logits if from_logits; shape (n,).
        from_logits: whether y_pred holds logits.

    Returns:
        A scalar.
    """
    ### BEGIN SOLUTION
    y_true = ops.convert_to_tensor(y_true, "float32")
    y_pred = ops.convert_to_tensor(y_pred, "float32")
    if from_logits:
        losses = ops.maximum(y_pred, 0.0) - y_pred * y_true + ops.log1p(ops.exp(-ops.abs(y_pred)))
    else:
        epsilon = keras.config.epsilon()
        p = ops.clip(y_pred, epsilon, 1.0 - epsilon)
        losses = -(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))
    return ops.mean(losses)
    ### END SOLUTION


# %% tags=["reference-only"]
def probe_crossentropy(entry, y_true, logits):
    """The loss from probabilities (some exactly 0 or 1 in float32) and from the logits themselves."""
    logits64 = logits.astype("float64")
    if logits.ndim == 1:
        probabilities = 1.0 / (1.0 + np.exp(-logits64))
    else:
        shifted = np.exp(logits64 - logits64.max(axis=-1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=-1, keepdims=True)
        y_true = np.eye(logits.shape[-1], dtype="float32")[np.argmax(y_true, axis=-1)]
    probabilities = probabilities.astype("float32")
    return [entry(y_true, probabilities, from_logits=False), entry(y_true, logits, from_logits=True)]


def _bce_of_probabilities(y_true, p, clip=True):
    y_true, p = ops.convert_to_tensor(y_true, "float32"), ops.convert_to_tensor(p, "float32")
    if clip:
        p = ops.clip(p, keras.config.epsilon(), 1.0 - keras.config.epsilon())
    return ops.mean(-(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p)))


def _bce_of_logits(y_true, z):
    y_true, z = ops.convert_to_tensor(y_true, "float32"), ops.convert_to_tensor(z, "float32")
    return ops.mean(ops.maximum(z, 0.0) - z * y_true + ops.log1p(ops.exp(-ops.abs(z))))


def mistake_bce_unclipped(y_true, y_pred, from_logits=False):
    return _bce_of_logits(y_true, y_pred) if from_logits else _bce_of_probabilities(y_true, y_pred, clip=False)


def mistake_bce_logits_through_sigmoid(y_true, y_pred, from_logits=False):
    if from_logits:
        return _bce_of_probabilities(y_true, ops.sigmoid(ops.convert_to_tensor(y_pred, "float32")))
    return _bce_of_probabilities(y_true, y_pred)


# %%
labels = np.array([0.0, 1.0, 1.0, 0.0], dtype="float32")
logits = np.array([-3.0, 40.0, -60.0, 25.0], dtype="float32")
probabilities = ops.sigmoid(logits)
print("sigmoid of the logits in float32:", ops.convert_to_numpy(probabilities))
for from_logits, y_pred in ((False, probabilities), (True, logits)):
    yours = binary_crossentropy(labels, y_pred, from_logits=from_logits)
    theirs = keras.losses.BinaryCrossentropy(from_logits=from_logits)(labels, y_pred)
    print(f"from_logits={from_logits}: {float(yours):.4f}, difference from Keras {max_difference(yours, theirs):.2g}")


# %% [markdown]
# From probabilities, the third sample's loss is capped at $-\log(10^{-7}) \approx 16$ although its
# logit says it is wrong by 60; from logits, the loss is the true 60. Prefer logits when you can:
# an output layer without activation and `loss=keras.losses.BinaryCrossentropy(from_logits=True)`.
#
# ## Exercise 3.4 — Categorical cross-entropy
#
# Equal to `keras.losses.CategoricalCrossentropy(from_logits=...)(y_true, y_pred)` with one-hot
# targets:
#
# - from probabilities, Keras first divides each row by its sum (so that it sums to 1), then clips to
#   $[\epsilon, 1 - \epsilon]$, then takes $-\sum_k y_k \log p_k$;
# - from logits, use $\log p_k = z_k - m - \log\sum_j e^{z_j - m}$ with $m$ the row's largest logit;
# - sum over classes, then average over samples.

# %%
def categorical_crossentropy(y_true, y_pred, from_logits=False):
    """The mean categorical cross-entropy of one-hot targets and predictions.

    Args:
        y_true: one-hot targets, shape (n, k).
        y_pred: probabilities (rows sum to 1), or logits if from_logits; shape (n, k).
        from_logits: whether y_pred holds logits.

    Returns:
        A scalar.
    """
    ### BEGIN SOLUTION
    y_true = ops.convert_to_tensor(y_true, "float32")
    y_pred = ops.convert_to_tensor(y_pred, "float32")
    if from_logits:
        shifted = y_pred - ops.max(y_pred, axis=-1, keepdims=True)
        log_p = shifted - ops.log(ops.sum(ops.exp(shifted), axis=-1, keepdims=True))
    else:
        epsilon = keras.config.epsilon()
        p = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
        log_p = ops.log(ops.clip(p, epsilon, 1.0 - epsilon))
    return ops.mean(-ops.sum(y_true * log_p, axis=-1))
    ### END SOLUTION


# %% tags=["reference-only"]
def _cce_log_probabilities(y_pred, from_logits):
    y_pred = ops.convert_to_tensor(y_pred, "float32")
    if from_logits:
        shifted = y_pred - ops.max(y_pred, axis=-1, keepdims=True)
        return shifted - ops.log(ops.sum(ops.exp(shifted), axis=-1, keepdims=True))
    p = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
    return ops.log(ops.clip(p, keras.config.epsilon(), 1.0 - keras.config.epsilon()))


def mistake_cce_mean_over_classes(y_true, y_pred, from_logits=False):
    return ops.mean(-ops.convert_to_tensor(y_true, "float32") * _cce_log_probabilities(y_pred, from_logits))


def mistake_cce_logits_through_softmax(y_true, y_pred, from_logits=False):
    if from_logits:
        y_pred = ops.softmax(ops.convert_to_tensor(y_pred, "float32"))
    log_p = _cce_log_probabilities(y_pred, from_logits=False)
    return ops.mean(-ops.sum(ops.convert_to_tensor(y_true, "float32") * log_p, axis=-1))


# %%
one_hot = np.eye(3, dtype="float32")[[0, 2, 1]]
logits = np.array([[2.0, 1.0, 0.1], [120.0, 0.0, -5.0], [0.5, 0.5, 0.5]], dtype="float32")
for from_logits, y_pred in ((False, ops.softmax(logits)), (True, logits)):
    yours = categorical_crossentropy(one_hot, y_pred, from_logits=from_logits)
    theirs = keras.losses.CategoricalCrossentropy(from_logits=from_logits)(one_hot, y_pred)
    print(f"from_logits={from_logits}: {float(yours):.4f}, difference from Keras {max_difference(yours, theirs):.2g}")


# %% [markdown]
# ## 3. Gradients: how a network learns
#
# Training moves every weight $w$ a little against the gradient of the loss,
# $w \leftarrow w - \eta\,\partial L/\partial w$, with a learning rate $\eta$. The gradient comes from
# the chain rule, applied from the loss back to each layer (**backpropagation**). For a dense layer
# $H = \varphi(Z)$, $Z = XW + b$, and the gradient $G = \partial L / \partial H$ arriving from above:
#
# $$\frac{\partial L}{\partial Z} = G \odot \varphi'(Z), \qquad
#   \frac{\partial L}{\partial W} = X^\top \frac{\partial L}{\partial Z}, \qquad
#   \frac{\partial L}{\partial b} = \sum_i \Big(\frac{\partial L}{\partial Z}\Big)_{i\cdot}, \qquad
#   \frac{\partial L}{\partial X} = \frac{\partial L}{\partial Z}\, W^\top.$$
#
# Nobody writes these by hand any more: each framework records the operations and differentiates them
# (automatic differentiation). How to check that a gradient is right? Compare it with a **numerical
# gradient**. The central difference
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}$$
#
# ($e_i$ is 1 at position $i$ and 0 elsewhere) has an error of order $h^2$, where the forward
# difference $(f(x + he_i) - f(x))/h$ has an error of order $h$. Work in float64: in float32, $f$ itself
# is only accurate to about $10^{-7}|f|$, and dividing that error by $h = 10^{-4}$ leaves three digits.
#
# ## Exercise 3.5 — A numerical gradient
#
# `f` takes a NumPy float64 array shaped like `x` and returns a float. Return the central-difference
# gradient, an array shaped like `x`. A Python loop over the elements of `x` is fine here: each element
# needs two calls of `f`. Do not change `x` itself (work on a copy).

# %%
def numerical_gradient(f, x, epsilon=1e-4):
    """The central-difference gradient of a scalar function f at x.

    Args:
        f: a function from a float64 array shaped like x to a float.
        x: the point, a float64 array of any shape.
        epsilon: the step h.

    Returns:
        A float64 array shaped like x.
    """
    ### BEGIN SOLUTION
    x = np.array(x, dtype="float64")
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = epsilon
        gradient[index] = (f(x + step) - f(x - step)) / (2 * epsilon)
    return gradient
    ### END SOLUTION


# %% tags=["reference-only"]
def probe_numerical_gradient(entry, x, w):
    """The gradient of a smooth, curved function, so that forward differences are visibly off."""
    w64 = w.astype("float64")

    def f(v):
        return float(np.sum(np.tanh(v @ w64)) + np.sum(v**3) / 3.0)

    return entry(f, x.astype("float64"), 1e-4)


def _finite_differences(f, x, epsilon, central):
    x = np.array(x, dtype="float64")
    gradient = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = epsilon
        gradient[index] = (f(x + step) - f(x - step if central else x)) / epsilon
    return gradient


def mistake_forward_difference(f, x, epsilon=1e-4):
    return _finite_differences(f, x, epsilon, central=False)


def mistake_divided_by_epsilon_once(f, x, epsilon=1e-4):
    return _finite_differences(f, x, epsilon, central=True)


# %% [markdown]
# ### Automatic differentiation, framework by framework
#
# Here the three frameworks genuinely differ: TensorFlow records operations on a `tf.GradientTape`,
# PyTorch marks tensors with `requires_grad=True` and calls `.backward()`, and JAX transforms the
# function itself with `jax.grad`. The function below is written with `keras.ops`, so the same code
# runs on each; only the cell for your backend runs. Its gradient is
# $\partial f/\partial x = (1 - \tanh^2(xW))\,W^\top + x^2$.

# %%
def curved_function(x, w):
    """sum(tanh(x @ w)) + sum(x**3) / 3, written with keras.ops."""
    return ops.sum(ops.tanh(ops.matmul(x, w))) + ops.sum(x**3) / 3.0


point = rng.normal(size=(2, 3)).astype("float32")
weights = rng.normal(size=(3, 2)).astype("float32")
backend = keras.backend.backend()

# %%
if keras.backend.backend() == "tensorflow":
    import tensorflow as tf

    x_variable = tf.Variable(point)
    with tf.GradientTape() as tape:  # records every operation on watched variables
        value = curved_function(x_variable, weights)
    autodiff_gradient = tape.gradient(value, x_variable).numpy()

# %%
if keras.backend.backend() == "torch":
    import torch

    x_tensor = torch.tensor(point, requires_grad=True)  # PyTorch tracks operations on this tensor
    value = curved_function(x_tensor, torch.tensor(weights))
    value.backward()  # fills x_tensor.grad
    autodiff_gradient = x_tensor.grad.numpy()

# %%
if keras.backend.backend() == "jax":
    import jax

    # jax.grad turns a function into the function that computes its gradient (argument 0).
    autodiff_gradient = np.asarray(jax.grad(curved_function)(point, weights))

# %%
numerical = numerical_gradient(
    lambda v: float(np.sum(np.tanh(v @ weights.astype("float64"))) + np.sum(v**3) / 3.0), point
)
print(f"{backend} autodiff:\n{autodiff_gradient}\nlargest difference from central differences: "
      f"{np.max(np.abs(autodiff_gradient - numerical)):.2g}")


# %% [markdown]
# The two agree to about $10^{-6}$: float32 autodiff against float64 central differences. In a training
# loop Keras does this for you (`model.fit` calls the backend's own mechanism), but when you write a
# custom layer or loss, a gradient check like this one is the quickest way to find a wrong derivative.
#
# ## 4. Optimisers
#
# **Gradient descent** takes a step against the gradient $g = \nabla_w L$ of the current batch:
# $w \leftarrow w - \eta g$. On a long narrow valley it zig-zags across and crawls along.
#
# **Momentum** keeps a velocity $v$, a running sum of past steps, so that consistent directions build
# up speed and oscillations cancel. Keras (`keras.optimizers.SGD(momentum=μ)`) writes it as
#
# $$v \leftarrow \mu v - \eta g, \qquad w \leftarrow w + v .$$
#
# (PyTorch's `torch.optim.SGD` keeps $v \leftarrow \mu v + g$ and steps $w \leftarrow w - \eta v$: the
# same path for a constant $\eta$, but a different number stored in the state.)
#
# **Adam** (Kingma and Ba, 2015) keeps running means of the gradient and of its square, and divides one
# by the square root of the other, so that every weight gets a step of about $\eta$ whatever the scale
# of its gradient. At step $t = 1, 2, \dots$:
#
# $$m \leftarrow \beta_1 m + (1 - \beta_1) g, \qquad v \leftarrow \beta_2 v + (1 - \beta_2) g^2,$$
#
# and since $m$ and $v$ start at 0, they are biased towards 0 early on; dividing by
# $1 - \beta_1^t$ and $1 - \beta_2^t$ corrects that. The paper's Algorithm 1 then steps
# $w \leftarrow w - \eta\,\hat m / (\sqrt{\hat v} + \epsilon)$. Keras uses the equivalent form the
# paper gives just before its section 2.1, with the correction folded into the learning rate:
#
# $$\alpha_t = \eta\,\frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}, \qquad
#   w \leftarrow w - \alpha_t\,\frac{m}{\sqrt{v} + \epsilon}.$$
#
# The two differ only in where $\epsilon$ sits (it is "$\hat\epsilon$" in the paper), which matters
# when $\sqrt{v}$ is as small as $\epsilon$.
#
# ## Exercise 3.6 — One step of SGD with momentum
#
# Given the parameters, their gradient and the velocity, return the new parameters and the new
# velocity, as `keras.optimizers.SGD(learning_rate, momentum=momentum)` computes them.

# %%
def sgd_momentum_step(param, grad, velocity, learning_rate, momentum):
    """One step of SGD with momentum, in Keras's form.

    Args:
        param: the parameters, any shape.
        grad: their gradient, same shape.
        velocity: the optimizer's velocity before the step, same shape.
        learning_rate: the step size eta.
        momentum: mu, between 0 and 1.

    Returns:
        (new_param, new_velocity).
    """
    ### BEGIN SOLUTION
    new_velocity = momentum * ops.convert_to_tensor(velocity) - learning_rate * ops.convert_to_tensor(grad)
    return ops.convert_to_tensor(param) + new_velocity, new_velocity
    ### END SOLUTION


# %% tags=["reference-only"]
def mistake_sgd_pytorch_convention(param, grad, velocity, learning_rate, momentum):
    new_velocity = momentum * ops.convert_to_tensor(velocity) + ops.convert_to_tensor(grad)
    return ops.convert_to_tensor(param) - learning_rate * new_velocity, new_velocity


def mistake_sgd_step_with_old_velocity(param, grad, velocity, learning_rate, momentum):
    new_velocity = momentum * ops.convert_to_tensor(velocity) - learning_rate * ops.convert_to_tensor(grad)
    return ops.add(param, velocity), new_velocity


# %% [markdown]
# Keras's optimizer, given the same state. `optimizer.build` creates its variables (here the velocity,
# which Keras calls `momentum`); `optimizer.apply` takes gradients (as tensors) and the variables they
# belong to.

# %%
def optimizer_slot(optimizer, name):
    """The optimizer's state variable whose path ends with `name` (e.g. "momentum", "velocity")."""
    return next(variable for variable in optimizer.variables if variable.path.endswith("_" + name))


param, grad, velocity = (rng.normal(size=(2, 3)).astype("float32") for _ in range(3))
variable = keras.Variable(param)
sgd = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
sgd.build([variable])
optimizer_slot(sgd, "momentum").assign(velocity)
sgd.apply([ops.convert_to_tensor(grad)], [variable])
print("difference from keras.optimizers.SGD:",
      max_difference(sgd_momentum_step(param, grad, velocity, 0.1, 0.9), [variable, optimizer_slot(sgd, "momentum")]))


# %% [markdown]
# ## Exercise 3.7 — One step of Adam
#
# Given the parameters, the gradient, the state $m$ and $v$ and the number $t$ of this step (1 for the
# first), return the new parameters, $m$ and $v$, exactly as `keras.optimizers.Adam` computes them:
# mind where $\epsilon$ goes.

# %%
def adam_step(param, grad, m, v, step, learning_rate, beta_1, beta_2, epsilon):
    """One step of Adam, in Keras's form.

    Args:
        param: the parameters, any shape.
        grad: their gradient, same shape.
        m: the running mean of gradients before the step.
        v: the running mean of squared gradients before the step.
        step: t, the number of this step (1 for the first).
        learning_rate, beta_1, beta_2, epsilon: Adam's hyper-parameters.

    Returns:
        (new_param, new_m, new_v).
    """
    ### BEGIN SOLUTION
    grad = ops.convert_to_tensor(grad)
    new_m = beta_1 * ops.convert_to_tensor(m) + (1 - beta_1) * grad
    new_v = beta_2 * ops.convert_to_tensor(v) + (1 - beta_2) * ops.square(grad)
    alpha = learning_rate * np.sqrt(1 - beta_2**step) / (1 - beta_1**step)
    return ops.convert_to_tensor(param) - alpha * new_m / (ops.sqrt(new_v) + epsilon), new_m, new_v
    ### END SOLUTION


# %% tags=["reference-only"]
def _adam_moments(grad, m, v, beta_1, beta_2):
    grad = ops.convert_to_tensor(grad)
    new_m = beta_1 * ops.convert_to_tensor(m) + (1 - beta_1) * grad
    return new_m, beta_2 * ops.convert_to_tensor(v) + (1 - beta_2) * grad**2


def mistake_adam_without_bias_correction(param, grad, m, v, step, learning_rate, beta_1, beta_2, epsilon):
    new_m, new_v = _adam_moments(grad, m, v, beta_1, beta_2)
    return ops.convert_to_tensor(param) - learning_rate * new_m / (ops.sqrt(new_v) + epsilon), new_m, new_v


def mistake_adam_epsilon_of_algorithm_1(param, grad, m, v, step, learning_rate, beta_1, beta_2, epsilon):
    new_m, new_v = _adam_moments(grad, m, v, beta_1, beta_2)
    m_hat, v_hat = new_m / (1 - beta_1**step), new_v / (1 - beta_2**step)
    return ops.convert_to_tensor(param) - learning_rate * m_hat / (ops.sqrt(v_hat) + epsilon), new_m, new_v


# %%
m, v = rng.normal(size=(2, 3)).astype("float32") * 0.1, rng.uniform(size=(2, 3)).astype("float32") * 0.01
variable = keras.Variable(param)
adam = keras.optimizers.Adam(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-3)
adam.build([variable])
adam.iterations.assign(4)  # four steps done: the next is t = 5
optimizer_slot(adam, "momentum").assign(m)
optimizer_slot(adam, "velocity").assign(v)
adam.apply([ops.convert_to_tensor(grad)], [variable])
expected = [variable, optimizer_slot(adam, "momentum"), optimizer_slot(adam, "velocity")]
print("difference from keras.optimizers.Adam:",
      max_difference(adam_step(param, grad, m, v, 5, 0.01, 0.9, 0.999, 1e-3), expected))

# %% [markdown]
# ### The three optimisers on a narrow valley
#
# Your two functions, and plain gradient descent, minimising $f(w) = \frac{1}{2}(w_1^2 + 25 w_2^2)$
# from the same start with the same learning rate. The gradient is $(w_1, 25 w_2)$.

# %%
START = np.array([-4.0, 1.0], dtype="float32")


def valley_gradient(w):
    """The gradient of f(w) = (w1**2 + 25 * w2**2) / 2."""
    return w * np.array([1.0, 25.0], dtype="float32")


def gradient_descent_path(steps=60, learning_rate=0.035):
    w, path = START, [START]
    for _ in range(steps):
        w = w - learning_rate * valley_gradient(w)
        path.append(w)
    return np.array(path)


def momentum_path(steps=60, learning_rate=0.035, momentum=0.8):
    """The path of your sgd_momentum_step."""
    w, velocity, path = START, np.zeros(2, "float32"), [START]
    for _ in range(steps):
        w, velocity = sgd_momentum_step(w, valley_gradient(w), velocity, learning_rate, momentum)
        w = ops.convert_to_numpy(w)
        path.append(w)
    return np.array(path)


def adam_path(steps=60, learning_rate=0.3):
    """The path of your adam_step, with Keras's default betas and epsilon."""
    w, m, v, path = START, np.zeros(2, "float32"), np.zeros(2, "float32"), [START]
    for t in range(1, steps + 1):
        w, m, v = adam_step(w, valley_gradient(w), m, v, t, learning_rate, 0.9, 0.999, 1e-7)
        w = ops.convert_to_numpy(w)
        path.append(w)
    return np.array(path)


paths = {"gradient descent": gradient_descent_path(), "momentum 0.8": momentum_path(), "Adam": adam_path()}
figure, axis = plt.subplots(figsize=(7, 3))
grid_1, grid_2 = np.meshgrid(np.linspace(-4.5, 1, 100), np.linspace(-1.2, 1.2, 100))
axis.contour(grid_1, grid_2, 0.5 * (grid_1**2 + 25 * grid_2**2), levels=12, colors="lightgrey")
for name, path in paths.items():
    axis.plot(path[:, 0], path[:, 1], ".-", label=f"{name}: f = {0.5 * (path[-1, 0]**2 + 25 * path[-1, 1]**2):.1e}")
axis.set(xlabel="$w_1$", ylabel="$w_2$", title="60 steps from (-4, 1)")
axis.legend(fontsize=8)
plt.show()


# %% [markdown]
# Gradient descent is limited by the steep direction: a larger $\eta$ would make $w_2$ oscillate and
# diverge, so it crawls along $w_1$. Momentum builds up speed along the valley. Adam rescales each
# coordinate by its own gradient size, so both move at about the same pace. Adam with $\eta = 10^{-3}$
# is the usual first choice; SGD with momentum, well tuned, often generalises as well or better on
# large image models.
#
# ## 5. Convolutional networks
#
# A dense layer on a 28×28 image would give every pixel its own weight for every unit and ignore that
# nearby pixels belong together. A convolutional layer slides one small kernel $K$ of shape
# $(k_h, k_w, c_{in}, c_{out})$ over the image: each output pixel sees only a $k_h \times k_w$ patch, and
# every patch uses the same weights. With stride $s$, for a batch of images $x$ of shape
# $(n, h, w, c_{in})$ (Keras's default `channels_last`),
#
# $$y_{b,i,j,d} = \beta_d + \sum_{u=0}^{k_h-1}\sum_{v=0}^{k_w-1}\sum_{c} x_{b,\,si+u,\,sj+v,\,c}\,K_{u,v,c,d}.$$
#
# This is a cross-correlation: unlike the convolution of signal processing, the kernel is not flipped
# (a learned kernel does not care). The output size along one axis of length $n$, for a kernel $k$:
#
# - `valid` (no padding): $\lfloor (n - k)/s \rfloor + 1$;
# - `same`: $\lceil n/s \rceil$. The input is padded with zeros by $p = \max((\lceil n/s\rceil - 1)s + k - n,\ 0)$
#   in all, $\lfloor p/2 \rfloor$ before and the rest after (so an odd extra row goes at the bottom).
#
# A layer has $k_h k_w c_{in} c_{out} + c_{out}$ parameters, whatever the image size.
#
# ## Exercise 3.8 — A 2-D convolution, vectorised
#
# Write `conv2d` equal to `keras.layers.Conv2D(c_out, (k_h, k_w), strides=strides, padding=padding)`
# with the given kernel and bias (no activation). Vectorise: a Python loop over the $k_h k_w$ kernel
# offsets is fine (each iteration handles every image, output pixel and channel at once: slice `x`
# with a step of `strides`, then `ops.einsum` or `ops.matmul` with `kernel[u, v]`); a loop over output
# pixels is hundreds of times slower and fails the speed check. Pad with `ops.pad`. Do not call
# `ops.conv` (that is the answer).

# %%
def conv2d(x, kernel, bias, strides=1, padding="valid"):
    """A 2-D convolution (cross-correlation), channels last, as keras.layers.Conv2D computes it.

    Args:
        x: images, shape (n, h, w, c_in).
        kernel: shape (k_h, k_w, c_in, c_out).
        bias: shape (c_out,).
        strides: the step between patches, the same along both axes.
        padding: "valid" or "same".

    Returns:
        A tensor of shape (n, out_h, out_w, c_out).
    """
    ### BEGIN SOLUTION
    x = ops.convert_to_tensor(x)
    k_h, k_w = kernel.shape[0], kernel.shape[1]
    if padding == "same":
        pads = []
        for size, k in ((x.shape[1], k_h), (x.shape[2], k_w)):
            total = max((-(-size // strides) - 1) * strides + k - size, 0)
            pads.append((total // 2, total - total // 2))
        x = ops.pad(x, [(0, 0), pads[0], pads[1], (0, 0)])
    out_h = (x.shape[1] - k_h) // strides + 1
    out_w = (x.shape[2] - k_w) // strides + 1
    y = 0
    for u in range(k_h):
        for v in range(k_w):
            patch = x[:, u : u + strides * (out_h - 1) + 1 : strides, v : v + strides * (out_w - 1) + 1 : strides, :]
            y = y + ops.einsum("nhwc,cd->nhwd", patch, kernel[u, v])
    return ops.add(y, bias)
    ### END SOLUTION


# %% tags=["reference-only"]
def probe_conv2d(entry, x, kernel, bias):
    """Every combination of stride 1 or 2 and valid or same padding."""
    return [entry(x, kernel, bias, strides=s, padding=p) for s in (1, 2) for p in ("valid", "same")]


def mistake_conv_always_valid(x, kernel, bias, strides=1, padding="valid"):
    return conv2d(x, kernel, bias, strides, "valid")


def mistake_conv_flipped_kernel(x, kernel, bias, strides=1, padding="valid"):
    return conv2d(x, kernel[::-1, ::-1], bias, strides, padding)


def mistake_conv_without_bias(x, kernel, bias, strides=1, padding="valid"):
    return conv2d(x, kernel, np.zeros_like(bias), strides, padding)


def mistake_conv_symmetric_same_padding(x, kernel, bias, strides=1, padding="valid"):
    """'same' padding that puts an odd total's extra row and column before the image, not after."""
    if padding == "same":
        x = ops.convert_to_tensor(x)
        pads = []
        for size, k in ((x.shape[1], kernel.shape[0]), (x.shape[2], kernel.shape[1])):
            total = max((-(-size // strides) - 1) * strides + k - size, 0)
            pads.append((total - total // 2, total // 2))
        x = ops.pad(x, [(0, 0), pads[0], pads[1], (0, 0)])
    return conv2d(x, kernel, bias, strides, "valid")


# %%
images = rng.normal(size=(2, 7, 8, 3)).astype("float32")
conv_kernel = rng.normal(size=(3, 2, 3, 4)).astype("float32")
conv_bias = rng.normal(size=(4,)).astype("float32")
for strides in (1, 2):
    for padding in ("valid", "same"):
        layer = keras.layers.Conv2D(4, (3, 2), strides=strides, padding=padding)
        layer.build(images.shape)
        layer.set_weights([conv_kernel, conv_bias])
        yours = conv2d(images, conv_kernel, conv_bias, strides, padding)
        print(f"strides={strides} padding={padding!r}: output {tuple(yours.shape)}, "
              f"difference from keras.layers.Conv2D {max_difference(yours, layer(images)):.2g}")


# %% [markdown]
# ## Pooling
#
# A max-pooling layer keeps the largest value of each $p \times p$ window, channel by channel, moving
# by a stride $s$ (by default $s = p$, so windows do not overlap):
#
# $$y_{b,i,j,c} = \max_{0 \le u, v < p} x_{b,\,si+u,\,sj+v,\,c}.$$
#
# It has no parameters. It halves the resolution (for $p = s = 2$), so that the next convolution sees a
# wider part of the image, and it makes the output insensitive to shifts of a pixel or two.
#
# ## Exercise 3.9 — Max pooling, vectorised
#
# Equal to `keras.layers.MaxPooling2D(pool_size, strides)` with `valid` padding: output size
# $\lfloor (n - p)/s \rfloor + 1$ per axis. Vectorise as for 3.8: loop over the $p^2$ offsets in the
# window and combine strided slices with `ops.maximum`.

# %%
def max_pool2d(x, pool_size=2, strides=None):
    """Max pooling with valid padding, channels last, as keras.layers.MaxPooling2D computes it.

    Args:
        x: images, shape (n, h, w, c).
        pool_size: the window's side p.
        strides: the step between windows; None means pool_size.

    Returns:
        A tensor of shape (n, out_h, out_w, c).
    """
    ### BEGIN SOLUTION
    x = ops.convert_to_tensor(x)
    strides = strides or pool_size
    out_h = (x.shape[1] - pool_size) // strides + 1
    out_w = (x.shape[2] - pool_size) // strides + 1
    y = None
    for u in range(pool_size):
        for v in range(pool_size):
            window = x[:, u : u + strides * (out_h - 1) + 1 : strides, v : v + strides * (out_w - 1) + 1 : strides, :]
            y = window if y is None else ops.maximum(y, window)
    return y
    ### END SOLUTION


# %% tags=["reference-only"]
def probe_max_pool2d(entry, x):
    """Non-overlapping windows, overlapping ones, and a stride of 1."""
    return [entry(x, 2), entry(x, pool_size=3, strides=2), entry(x, pool_size=2, strides=1)]


def _windows(x, pool_size, strides):
    """Every offset's strided slice of x: one per position in the window."""
    x = ops.convert_to_tensor(x)
    out_h, out_w = (x.shape[1] - pool_size) // strides + 1, (x.shape[2] - pool_size) // strides + 1
    return [x[:, u : u + strides * (out_h - 1) + 1 : strides, v : v + strides * (out_w - 1) + 1 : strides, :]
            for u in range(pool_size) for v in range(pool_size)]


def mistake_pool_stride_is_pool_size(x, pool_size=2, strides=None):
    windows = _windows(x, pool_size, pool_size)
    return ops.max(ops.stack(windows), axis=0)


def mistake_average_pooling(x, pool_size=2, strides=None):
    windows = _windows(x, pool_size, strides or pool_size)
    return ops.mean(ops.stack(windows), axis=0)


# %%
for pool_size, strides in ((2, None), (3, 2)):
    yours = max_pool2d(images, pool_size, strides)
    theirs = keras.layers.MaxPooling2D(pool_size, strides)(images)
    print(f"pool {pool_size}, strides {strides}: output {tuple(yours.shape)}, "
          f"difference from keras.layers.MaxPooling2D {max_difference(yours, theirs):.2g}")

# %% [markdown]
# ## The six steps, on real handwritten digits
#
# The article lists six steps from data to a trained model. Here they are for a small convolutional
# network on 5,000 real MNIST digits (LeCun et al., 1998; 500 of each digit, shipped in `datasets/`):
#
# | Step | Here | Keras |
# |---|---|---|
# | 1. Preprocess | scale pixels to [0, 1], shuffle, split train/validation/test | NumPy |
# | 2. Build | convolution, pooling, dense softmax output | `keras.Sequential`, `keras.Input` |
# | 3. Choose a loss | cross-entropy on integer labels | `"sparse_categorical_crossentropy"` |
# | 4. Choose an optimiser | Adam | `keras.optimizers.Adam` |
# | 5. Train | a few epochs, watching the validation set | `model.fit(..., validation_data=...)` |
# | 6. Evaluate | accuracy on the test set, used once, at the end | `model.evaluate` or `model.predict` |
#
# Step 1 first. The file is **sorted by label**: the first 500 images are all zeros. Split it without
# shuffling and the test set holds only nines.

# %%
digits, digit_labels = load_mnist_5k()
print(digits.shape, digits.dtype, f"pixels in [{digits.min()}, {digits.max()}]")
print("labels of the first 10 images:", digit_labels[:10], "of the last 10:", digit_labels[-10:])
order = np.random.default_rng(0).permutation(len(digits))
test_rows, val_rows, train_rows = order[:1000], order[1000:1500], order[1500:]
print("digits in the shuffled test set:", np.bincount(digit_labels[test_rows], minlength=10))
figure, axes = plt.subplots(1, 8, figsize=(8, 1.3))
for axis, row in zip(axes, train_rows):
    axis.imshow(digits[row], cmap="gray_r")
    axis.set(title=int(digit_labels[row]), xticks=[], yticks=[])
plt.show()


# %% [markdown]
# ## Exercise 3.10 — Build the network
#
# Step 2. The model takes images of shape (28, 28), as they come, and returns 10 probabilities:
#
# 1. `keras.Input(shape=(28, 28))`, then `keras.layers.Reshape((28, 28, 1))`: a convolution expects a
#    channel axis;
# 2. `Conv2D(16, 3, activation="relu")` → (26, 26, 16), then `MaxPooling2D(2)` → (13, 13, 16);
# 3. `Conv2D(32, 3, activation="relu")` → (11, 11, 32), then `MaxPooling2D(2)` → (5, 5, 32);
# 4. `Flatten()` → 800 values, then `Dense(10, activation="softmax")`.
#
# Parameters: $3 \cdot 3 \cdot 1 \cdot 16 + 16 = 160$, $3 \cdot 3 \cdot 16 \cdot 32 + 32 = 4640$, and
# $800 \cdot 10 + 10 = 8010$: 12,810 in all. A single dense layer from 784 pixels to 128 units would
# need 100,480.

# %%
def build_digit_cnn():
    """The small convolutional network described above (uncompiled).

    Returns:
        A keras.Model from (28, 28) images to 10 class probabilities.
    """
    ### BEGIN SOLUTION
    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Reshape((28, 28, 1)),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    ### END SOLUTION


# %% [markdown]
# ## Exercise 3.11 — Train it
#
# Steps 3 to 5. Compile a model from `build_digit_cnn` with the loss for integer labels and 10
# probabilities (`"sparse_categorical_crossentropy"`) and Adam, train it on `x_train`, `y_train` with
# `validation_data=(x_val, y_val)`, and return the trained model. The grader gives you 3,500 shuffled
# digits for training and 500 for validation, and keeps 1,000 your code never sees for step 6. To pass,
# the test accuracy must reach a threshold within a time budget on each backend (the message of
# `check("3.11")` states both): a few epochs at a batch size of about 64 are enough.

# %%
def train_digit_cnn(x_train, y_train, x_val, y_val):
    """Compile and train a model from build_digit_cnn; return the trained model.

    Args:
        x_train, y_train: images (n, 28, 28) in [0, 1] and their digits 0-9.
        x_val, y_val: validation images and digits.

    Returns:
        The trained keras.Model.
    """
    ### BEGIN SOLUTION
    model = build_digit_cnn()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.003),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=6, batch_size=64, verbose=0)
    return model
    ### END SOLUTION


# %% [markdown]
# Step 6, on our own split: the test rows are used once, after training is over.

# %%
started = time.perf_counter()
digit_model = train_digit_cnn(digits[train_rows], digit_labels[train_rows], digits[val_rows], digit_labels[val_rows])
print(f"trained in {time.perf_counter() - started:.1f} s")
history = digit_model.history.history
print("validation accuracy by epoch:", [round(a, 3) for a in history["val_accuracy"]])
test_loss, test_accuracy = digit_model.evaluate(digits[test_rows], digit_labels[test_rows], verbose=0)
print(f"test accuracy {test_accuracy:.3f}")
predicted = np.argmax(ops.convert_to_numpy(digit_model.predict(digits[test_rows], verbose=0)), axis=-1)
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (digit_labels[test_rows], predicted), 1)
print("confusion matrix (rows: true digit, columns: predicted):")
print(confusion)


# %% [markdown]
# ## 6. Recurrent networks
#
# A recurrent layer reads a sequence $x_1, \dots, x_T$ one step at a time and carries a hidden state
# $h_t$ from each step to the next. The simplest, `keras.layers.SimpleRNN`, with kernel $W$
# $(d, u)$, recurrent kernel $U$ $(u, u)$ and bias $b$:
#
# $$h_0 = 0, \qquad h_t = \tanh(x_t W + h_{t-1} U + b), \quad t = 1, \dots, T.$$
#
# The same $W$, $U$ and $b$ are used at every step, so the layer handles sequences of any length.
# Backpropagating through $T$ steps multiplies $T$ Jacobians: the gradient of a distant step shrinks
# (or explodes) geometrically, so a simple RNN forgets after a few dozen steps. The **LSTM**
# (Hochreiter and Schmidhuber, 1997) and the **GRU** (Cho et al., 2014) add gates that decide what to
# keep. The GRU as `keras.layers.GRU` computes it by default (`reset_after=True`), with $\sigma$ the
# sigmoid, $\odot$ the element-wise product, and two biases per gate, $b$ on the input side and $b'$ on
# the recurrent side:
#
# $$z_t = \sigma(x_t W_z + b_z + h_{t-1} U_z + b'_z), \qquad r_t = \sigma(x_t W_r + b_r + h_{t-1} U_r + b'_r),$$
# $$\tilde h_t = \tanh\big(x_t W_h + b_h + r_t \odot (h_{t-1} U_h + b'_h)\big), \qquad
#   h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t .$$
#
# The reset gate acts *after* the recurrent product. Cho et al.'s original GRU resets the state before
# it, $\tanh\big(x_t W_h + (r_t \odot h_{t-1}) U_h + b_h\big)$ with one bias: that is
# `keras.layers.GRU(..., reset_after=False)`. Keras's default is the form cuDNN implements; the two train
# about equally well, but their weights are not interchangeable.
#
# When the update gate $z_t$ is close to 1, the state passes through unchanged and so does its gradient.
#
# **A correction to the article.** It presents recurrent networks as the tool for speech recognition and
# machine translation. That was true around 2015; since the Transformer (Vaswani et al., 2017),
# attention-based models do both (and language modelling), because they look at all positions at once
# and train in parallel. Recurrent layers remain a good, small choice for modest sequences and for
# streaming, one step at a time, like the forecast below.
#
# ## Exercise 3.12 — A recurrent layer by hand
#
# Return every hidden state $h_1, \dots, h_T$, shape $(n, T, u)$, as
# `keras.layers.SimpleRNN(u, return_sequences=True)` computes them with these weights. The loop over
# time steps is unavoidable (each step needs the previous one); everything inside it is a batched
# matrix product. `ops.stack(states, axis=1)` puts the states together.

# %%
def simple_rnn(x, kernel, recurrent_kernel, bias):
    """Every hidden state of a SimpleRNN (tanh) layer over a batch of sequences.

    Args:
        x: sequences, shape (n, T, d).
        kernel: W, shape (d, u).
        recurrent_kernel: U, shape (u, u).
        bias: b, shape (u,).

    Returns:
        A tensor of shape (n, T, u): h_1, ..., h_T.
    """
    ### BEGIN SOLUTION
    x = ops.convert_to_tensor(x)
    h = ops.zeros((x.shape[0], kernel.shape[1]))
    states = []
    for t in range(x.shape[1]):
        h = ops.tanh(ops.matmul(x[:, t], kernel) + ops.matmul(h, recurrent_kernel) + ops.convert_to_tensor(bias))
        states.append(h)
    return ops.stack(states, axis=1)
    ### END SOLUTION


# %% tags=["reference-only"]
def _rnn(x, kernel, recurrent_kernel, bias):
    x = ops.convert_to_tensor(x)
    h, states = ops.zeros((x.shape[0], kernel.shape[1])), []
    for t in range(x.shape[1]):
        h = ops.tanh(ops.matmul(x[:, t], kernel) + ops.matmul(h, recurrent_kernel) + ops.convert_to_tensor(bias))
        states.append(h)
    return ops.stack(states, axis=1)


def mistake_rnn_transposed_recurrent_kernel(x, kernel, recurrent_kernel, bias):
    return _rnn(x, kernel, recurrent_kernel.T, bias)


def mistake_rnn_without_recurrence(x, kernel, recurrent_kernel, bias):
    return _rnn(x, kernel, np.zeros_like(recurrent_kernel), bias)


def mistake_rnn_without_bias(x, kernel, recurrent_kernel, bias):
    return _rnn(x, kernel, recurrent_kernel, np.zeros_like(bias))


# %%
sequences = rng.normal(size=(2, 5, 3)).astype("float32")
rnn_weights = [rng.normal(size=(3, 4)).astype("float32") * 0.5, rng.normal(size=(4, 4)).astype("float32") * 0.5,
               rng.normal(size=(4,)).astype("float32") * 0.1]
layer = keras.layers.SimpleRNN(4, return_sequences=True)
layer.build(sequences.shape)
layer.set_weights(rnn_weights)
print("difference from keras.layers.SimpleRNN:", max_difference(simple_rnn(sequences, *rnn_weights), layer(sequences)))

# %% [markdown]
# ## Forecasting sunspots
#
# The monthly mean number of sunspots from 1749 to 2009 (SILSO, Royal Observatory of Belgium; shipped in
# `datasets/`) rises and falls with the 11-year solar cycle, with a lot of month-to-month noise.

# %%
dates, sunspots = load_sunspots()
figure, axis = plt.subplots(figsize=(8, 2.5))
axis.plot(dates, sunspots, linewidth=0.5)
axis.set(xlabel="year", ylabel="monthly mean sunspots", title="Sunspots, 1749-2009")
plt.show()


# %% [markdown]
# The task: from the last 24 months, predict the next one. A forecast must beat the **naive** forecast
# "next month equals this month" to be worth anything; we measure it by the ratio of mean absolute
# errors on the test period,
#
# $$\text{MAE ratio} = \frac{\frac{1}{n}\sum_t |\hat y_{t+1} - y_{t+1}|}{\frac{1}{n}\sum_t |y_t - y_{t+1}|},$$
#
# below 1 when the model is better. The data are split **in time order**: training on the oldest 70% of
# the windows, validation on the next 10%, test on the last 20% (1957-2009). Shuffling before the
# split would let the model train on months that sit between test months: a leak from the future. The
# series is standardised with the training period's mean and standard deviation, targets included.
#
# Here are the windows, built the way the grader builds them:

# %%
def make_windows(values, window):
    """Windows of `window` past values (n, window, 1) and the value that follows each (n,)."""
    starts = np.arange(len(values) - window)
    windows = values[starts[:, None] + np.arange(window)[None, :]]
    return windows[..., None].astype("float32"), values[starts + window].astype("float32")


series_x, series_y = make_windows(sunspots, 24)
n_test, n_val = round(0.2 * len(series_x)), round(0.1 * len(series_x))
n_train = len(series_x) - n_test - n_val
mean, std = series_x[:n_train].mean(), series_x[:n_train].std()
series_x, series_y = (series_x - mean) / std, (series_y - mean) / std
series_split = {
    "train": (series_x[:n_train], series_y[:n_train]),
    "val": (series_x[n_train:n_train + n_val], series_y[n_train:n_train + n_val]),
    "test": (series_x[n_train + n_val:], series_y[n_train + n_val:]),
}
print({name: part[0].shape for name, part in series_split.items()})
naive_mae = np.mean(np.abs(series_split["test"][0][:, -1, 0] - series_split["test"][1]))
print(f"naive forecast's test MAE: {naive_mae:.3f} standard deviations")


# %% [markdown]
# ## Exercise 3.13 — Beat "next month equals this month"
#
# Train a recurrent model that maps windows of shape (24, 1) to the next value, shape (1,), and return
# it. A `keras.layers.GRU` (or `LSTM`) of a few dozen units followed by `Dense(1)` works; train with the
# mean absolute error or the mean squared error and Adam, and use the validation data, for instance
# with `keras.callbacks.EarlyStopping(restore_best_weights=True)`. The grader predicts on the test
# period and requires an MAE ratio below its threshold within a time budget per backend.

# %%
def train_sunspot_forecaster(x_train, y_train, x_val, y_val):
    """Build, compile and train a recurrent forecaster; return the trained model.

    Args:
        x_train, y_train: standardised windows (n, 24, 1) and the standardised next values (n,).
        x_val, y_val: the validation period's windows and next values.

    Returns:
        The trained keras.Model, from (24, 1) windows to one value.
    """
    ### BEGIN SOLUTION
    model = keras.Sequential([
        keras.Input(shape=x_train.shape[1:]),
        keras.layers.GRU(16),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003), loss="mae")
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=30, batch_size=64,
              callbacks=[stop], verbose=0)
    return model
    ### END SOLUTION


# %%
started = time.perf_counter()
forecaster = train_sunspot_forecaster(*series_split["train"], *series_split["val"])
print(f"trained in {time.perf_counter() - started:.1f} s")
test_x, test_y = series_split["test"]
forecast = ops.convert_to_numpy(forecaster.predict(test_x, verbose=0)).ravel()
print(f"MAE ratio against the naive forecast: {np.mean(np.abs(forecast - test_y)) / naive_mae:.3f}")
test_dates = dates[24:][n_train + n_val:]
figure, axis = plt.subplots(figsize=(8, 2.5))
axis.plot(test_dates, test_y * std + mean, linewidth=0.6, label="observed")
axis.plot(test_dates, forecast * std + mean, linewidth=0.6, label="GRU forecast")
axis.set(xlabel="year", ylabel="sunspots", title="One month ahead, test period")
axis.legend()
plt.show()

# %% [markdown]
# ## What to remember
#
# - A dense layer is $\varphi(XW + b)$; Keras stores $W$ as (inputs, units).
# - Mean squared error for regression, cross-entropy for classification; give the loss logits
#   (`from_logits=True`) rather than rounded probabilities when you can.
# - Check a hand-written gradient against central differences, in float64.
# - Keras's momentum keeps $v \leftarrow \mu v - \eta g$; its Adam folds the bias correction into the
#   learning rate, with $\epsilon$ outside it.
# - A convolution is a sliding dot product with shared weights: vectorise over images, pixels and
#   channels, and loop only over the kernel's offsets.
# - The six steps: preprocess (shuffle sorted data, split before scaling, keep time order for a series),
#   build, choose a loss, choose an optimiser, train with a validation set, evaluate once on the test set.
# - Recurrent layers carry a state through time; gated ones (LSTM, GRU) remember longer. For speech and
#   translation today, use attention and Transformers.
