# %% [markdown]
# # Chapter 3, part a — Feed-forward networks, losses, gradients and optimisers
# ## 核心算法原理和具体操作步骤以及数学模型公式（上）
#
# The article sums up the algorithms behind TensorFlow and Keras in a few lines: feed-forward,
# convolutional and recurrent networks; six steps from data to evaluation; mean squared error and
# cross-entropy as losses; gradient descent and Adam as optimisers. Chapter 3 writes each of those
# pieces by hand with `keras.ops`, checks that it computes exactly what Keras computes, and then uses
# Keras's own layers to train a convolutional network on real handwritten digits and a recurrent
# network on 260 years of sunspot counts.
#
# That is two sittings of work, so the article's section 3 comes in two notebooks:
#
# - **part a** (this one): sections 1 to 4, the feed-forward layer, the losses, gradients and the
#   optimisers, which every later chapter relies on;
# - **part b** (`chapter3b_convolution_and_recurrence.ipynb`): sections 5 and 6, convolution and
#   pooling, the six steps on real digits, recurrence and the sunspot forecast.
#
# Everything here runs unchanged on TensorFlow, PyTorch and JAX. Only where the frameworks really
# differ, in how they compute gradients, are the three shown side by side.
#
# **Exercises in this part**
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
#
# After each exercise, run the `check(...)` cell below it, or from a terminal: `grader check chapter3a`.

# %% [markdown]
# ## Setup
#
# The backend is fixed when `keras` is first imported: set `KERAS_BACKEND` (`jax`, `tensorflow` or
# `torch`) before that and restart the kernel to switch. `keras.ops` is the NumPy-like library that
# every backend implements; code written with it runs on all three.

# %%
import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import ops

from grader import check

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
# gradient with the step $h$ given as `epsilon`, an array shaped like `x`. A Python loop over the elements of `x` is fine here: each element
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

# %% [markdown]
# ## What to remember
#
# - A dense layer is $\varphi(XW + b)$; Keras stores $W$ as (inputs, units).
# - Mean squared error for regression, cross-entropy for classification; give the loss logits
#   (`from_logits=True`) rather than rounded probabilities when you can.
# - Check a hand-written gradient against central differences, in float64.
# - Keras's momentum keeps $v \leftarrow \mu v - \eta g$; its Adam folds the bias correction into the
#   learning rate, with $\epsilon$ outside it.
#
# Next: part b, convolution and recurrence (`chapter3b_convolution_and_recurrence.ipynb`,
# `grader check chapter3b`).
