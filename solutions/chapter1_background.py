# %% [markdown]
# # Chapter 1 — Background: deep learning, TensorFlow and Keras 3
# ## 背景介绍
#
# The article opens with three claims: deep learning is an important branch of artificial
# intelligence built on neural networks; TensorFlow and Keras are two of its most important
# frameworks; and both are widely used in practice. All three still hold, but the relationship between
# the two frameworks has changed since the article was written. This chapter sets the record straight
# and gets you fluent with the tools every later chapter uses: choosing a backend, tensors,
# `keras.ops`, dtypes and the way back to NumPy.
#
# **Exercises in this chapter**
#
# | Exercise | You write | Points |
# |---|---|---|
# | 1.1 | `standardize`: column-wise standardisation with `keras.ops` | 1 |
# | 1.2 | `stable_softmax`: a softmax that survives large logits | 2 |
# | 1.3 | `pairwise_distances`: a vectorised distance matrix, held to a speed limit | 2 |
#
# After each exercise, run the `check(...)` cell below it, or from a terminal: `grader check chapter1`.

# %% [markdown]
# ## Deep learning in one paragraph
#
# A neural network is a function built by composing simple, differentiable pieces called **layers**:
#
# $$f(x) = f_L\big(\cdots f_2(f_1(x))\big), \qquad f_\ell(h) = \phi(h W_\ell + b_\ell),$$
#
# where each layer multiplies its input by a weight matrix $W_\ell$, adds a bias vector $b_\ell$ and
# applies a non-linear **activation** $\phi$ (ReLU, $\max(0, z)$, for instance). "Deep" means many
# layers. **Learning** means adjusting all the $W_\ell$ and $b_\ell$ so that a **loss** $L$, a number
# measuring how wrong the predictions are on training data, goes down; gradient descent does it by
# repeatedly stepping against the gradient, $W \leftarrow W - \eta\, \partial L / \partial W$.
# Everything in this course is an instance of that recipe; chapter 3 takes its mathematics apart.
#
# ## TensorFlow, Keras, and what changed
#
# The article describes Keras as "a high-level API that can run on TensorFlow". That was the Keras 2
# era. The short history:
#
# - **2015**: François Chollet releases Keras, a high-level API over other libraries' tensors
#   (Theano first, then TensorFlow, later also CNTK). Google open-sources **TensorFlow** the same year.
# - **2019**: TensorFlow 2 adopts Keras as its official high-level API, `tf.keras`; the
#   multi-backend Keras ends with version 2.3, and for four years "Keras" effectively means "part of
#   TensorFlow".
# - **2023**: **Keras 3** makes Keras multi-backend again: the same model code runs on
#   **TensorFlow**, **JAX** or **PyTorch**. Since TensorFlow 2.16, installing TensorFlow gives you
#   Keras 3 too.
#
# So in this course "Keras" means Keras 3 and `import keras` (not `from tensorflow import keras`, and
# not the Keras 2 style `from keras.models import Sequential` with `input_dim=`). Every graded exercise
# runs on all three backends, and the grader checks it on each.
#
# | Backend | Made by | Strengths |
# |---|---|---|
# | TensorFlow | Google | mature deployment (TF Serving, TFLite, TF.js), `tf.data` pipelines |
# | JAX | Google | function transformations (`jit`, `grad`, `vmap`), XLA compilation, often fastest |
# | PyTorch | Meta, now the PyTorch Foundation | the largest research ecosystem, eager and easy to debug |

# %% [markdown]
# ## Setup: choosing a backend
#
# Keras reads its backend **once, when `keras` is first imported**, from (in that order):
#
# 1. the environment variable `KERAS_BACKEND` (`jax`, `tensorflow` or `torch`);
# 2. the file `~/.keras/keras.json` (`{"backend": "jax", "floatx": "float32", ...}`), which Keras
#    writes with defaults the first time it runs;
# 3. the default, `tensorflow`.
#
# In a terminal: `KERAS_BACKEND=jax jupyter lab`. In a notebook, before any `import keras`:
#
# ```python
# import os
# os.environ["KERAS_BACKEND"] = "torch"
# import keras
# ```
#
# To **switch** backends you need a fresh Python process: **restart the kernel**. Python imports a
# module once and keeps it in `sys.modules`, and Keras has already wired every `keras.ops` function to
# the first backend's implementation. Setting the variable afterwards changes nothing, as the cell
# after the next one shows.

# %%
import os
import time

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import ops

from grader import check

print("Keras", keras.__version__, "on", keras.backend.backend())
print("default float type (floatx):", keras.config.floatx())

# %%
backend_at_import = keras.backend.backend()
previous = os.environ.get("KERAS_BACKEND")
os.environ["KERAS_BACKEND"] = "torch" if backend_at_import != "torch" else "jax"
print(f"KERAS_BACKEND is now {os.environ['KERAS_BACKEND']!r}, yet Keras still runs on {keras.backend.backend()!r}")
if previous is None:
    del os.environ["KERAS_BACKEND"]
else:
    os.environ["KERAS_BACKEND"] = previous

# %% [markdown]
# ## Tensors and `keras.ops`
#
# A **tensor** is an n-dimensional array: a scalar has rank 0, a vector rank 1, a matrix rank 2, a
# batch of colour images rank 4 (batch, height, width, channels). Each backend has its own tensor
# type (`jax.Array`, `tf.Tensor`, `torch.Tensor`), with its own methods. **`keras.ops`** is the one
# API that works on all of them: it follows NumPy's names and broadcasting rules, so if you know
# `np.mean(x, axis=0)` you know `ops.mean(x, axis=0)`.
#
# | NumPy | `keras.ops` |
# |---|---|
# | `np.asarray(x, dtype="float32")` | `ops.convert_to_tensor(x, dtype="float32")` |
# | `x @ w`, `np.matmul(x, w)` | `ops.matmul(x, w)` (or `x @ w`) |
# | `np.mean(x, axis=0, keepdims=True)` | `ops.mean(x, axis=0, keepdims=True)` |
# | `np.std(x, axis=0)` | `ops.std(x, axis=0)` (population: divides by $n$) |
# | `x[:, None] - y[None, :]` | `ops.expand_dims(x, 1) - ops.expand_dims(y, 0)` (indexing works too) |
# | `np.where(c, a, b)`, `np.maximum(a, b)` | `ops.where(c, a, b)`, `ops.maximum(a, b)` |
#
# `keras.ops` also has what NumPy lacks: neural-network functions (`ops.relu`, `ops.softmax`,
# `ops.conv`, ...) and backend-neutral conversion, `ops.convert_to_numpy`.

# %%
x = ops.convert_to_tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print("type:", type(x).__module__ + "." + type(x).__name__)
print("shape:", tuple(x.shape), " dtype:", x.dtype)
column_means = ops.mean(x, axis=0, keepdims=True)  # shape (1, 3)
print("centred by broadcasting:\n", ops.convert_to_numpy(x - column_means))

# %% [markdown]
# **Broadcasting** is what made `x - column_means` work: a (2, 3) tensor minus a (1, 3) tensor. Shapes
# are compared from the right; each pair of sizes must be equal or one of them 1, and a size-1 axis is
# stretched to match. It is how every exercise in this chapter avoids Python loops.
#
# ## Dtypes
#
# Deep learning computes in **float32** by default (`keras.config.floatx()`): half the memory of
# float64 and much faster on accelerators, with about 7 significant digits, which is plenty for
# weights trained by noisy gradient steps. Python floats (and lists of them) become float32 tensors;
# integers (and lists of them) become int32.
#
# Two traps:
#
# - **JAX has no float64 unless you ask.** A float64 NumPy array given to JAX silently becomes
#   float32; enable 64-bit with `jax.config.update("jax_enable_x64", True)` at start-up.
#   TensorFlow and PyTorch keep float64 arrays as float64. If you need a dtype, say it:
#   `ops.convert_to_tensor(x, dtype="float32")` or `ops.cast(x, "float32")`.
# - **float32 has a range**: its largest value is about $3.4 \times 10^{38}$, so $e^{89}$ is already
#   `inf`. Exercise 1.2 is about exactly that.
#
# The functions in `keras.ops` apply the same type promotion rules on every backend
# (`ops.add(int32, float32)` gives float32, for instance). Python operators on raw tensors follow each
# backend's own rules instead: JAX and PyTorch promote `int32_tensor + float32_tensor` to float32, but
# TensorFlow refuses with an `InvalidArgumentError`. Cast first (`ops.cast(x, "float32")`) or use the
# `ops` function.

# %%
print("from a Python float:    ", ops.convert_to_tensor(1.5).dtype)
print("from a Python int:      ", ops.convert_to_tensor(3).dtype)
print("ops.add(int32, float32):", ops.add(ops.ones(2, dtype="int32"), ops.ones(2, dtype="float32")).dtype)
print("float32 limits:          largest", np.finfo(np.float32).max, " exp(89) =", ops.convert_to_numpy(ops.exp(89.0)))
if keras.backend.backend() == "jax":
    print("JAX, float64 array in:   ", ops.convert_to_tensor(np.zeros(2, dtype="float64")).dtype, "(no x64 here)")

# %% [markdown]
# ## Back to NumPy
#
# Plotting, pandas and most of the scientific Python world want NumPy arrays.
# **`ops.convert_to_numpy(t)`** works for every backend's tensor, wherever it lives. `np.asarray(t)`
# happens to work for JAX and TensorFlow tensors on the CPU, but not for a PyTorch tensor on a GPU
# (that needs `t.cpu().numpy()`, and `t.detach()` first if it tracks gradients), so the backend-neutral
# call is the one to remember. To hand a single number to Python, `float(t)` works on a scalar tensor
# of every backend.

# %%
t = ops.linspace(0.0, 1.0, 5)
array = ops.convert_to_numpy(t)
print(type(array).__name__, array.dtype, array, " sum as a Python float:", float(ops.sum(t)))

# %% [markdown]
# ## Where the backends really differ
#
# `keras.ops` hides most differences, but three are worth seeing once.
#
# **Mutability.** A PyTorch tensor can be changed in place; JAX arrays and TensorFlow tensors are
# immutable and every update makes a new array. Backend-neutral code therefore never writes
# `x[0] = 1.0`; it builds a new tensor (`ops.where`, `ops.scatter_update`, `ops.slice_update`).
#
# **NumPy on the left of an operator.** `numpy_array - tensor` works on JAX and TensorFlow (NumPy hands
# the operation over to the tensor), but on PyTorch it raises `TypeError: unsupported operand type(s)`.
# Functions in `keras.ops` accept NumPy arrays and tensors alike, so the safe habit is to convert
# inputs once, at the top of a function: `x = ops.convert_to_tensor(x)`. The grader calls your
# functions with NumPy arrays, on all three backends.
#
# **Gradients.** TensorFlow records operations on a `tf.GradientTape`, PyTorch records them on the
# tensors (`requires_grad`, `.backward()`), and JAX transforms the function itself with `jax.grad`.
# `model.fit` hides this; chapters 2 and 3 show the three side by side. The cells below are
# backend-specific and clearly marked: only the one for your backend runs.

# %%
# Backend-neutral: an "update" that makes a new tensor, the same on every backend.
v = ops.zeros(4)
v = ops.scatter_update(v, [[0], [2]], ops.convert_to_tensor([1.0, 2.0]))
print("backend-neutral update:", ops.convert_to_numpy(v))

# Backend-neutral: NumPy in, tensors out. Convert first, then any operator is safe on every backend.
measurements = np.array([1.0, 2.0, 6.0], dtype="float32")  # a NumPy array, as the grader passes it
measurements = ops.convert_to_tensor(measurements)
print("centred:", ops.convert_to_numpy(measurements - ops.mean(measurements)))

# %%
# Backend-specific, shown for comparison (only your backend's branch runs).
if keras.backend.backend() == "jax":
    import jax.numpy as jnp

    a = jnp.zeros(4)
    a = a.at[0].set(1.0)  # JAX: a functional update returns a new array; `a[0] = 1.0` raises TypeError
    print("JAX:", a)
elif keras.backend.backend() == "torch":
    import torch

    a = torch.zeros(4)
    a[0] = 1.0  # PyTorch: in place
    print("PyTorch:", a)
elif keras.backend.backend() == "tensorflow":
    import tensorflow as tf

    a = tf.tensor_scatter_nd_update(tf.zeros(4), [[0]], [1.0])  # TensorFlow: tensors are immutable
    print("TensorFlow:", a)

# %% [markdown]
# ## Exercise 1.1 — Standardise the columns
#
# Features on wildly different scales (ages in tens, incomes in tens of thousands) slow training down:
# gradient steps that suit one weight are far too big or too small for another. **Standardising**
# each column fixes that: subtract the column's mean $\mu_j$ and divide by its standard deviation
# $\sigma_j$,
#
# $$z_{ij} = \frac{x_{ij} - \mu_j}{\sigma_j}, \qquad
#   \mu_j = \frac{1}{n}\sum_{i=1}^{n} x_{ij}, \qquad
#   \sigma_j = \sqrt{\frac{1}{n}\sum_{i=1}^{n} (x_{ij} - \mu_j)^2}.$$
#
# Each row is a sample and each column a feature, so the statistics run **down the columns**
# (`axis=0`), and $\sigma_j$ is the *population* standard deviation (divide by $n$, as `ops.std` does).
# Every column of the result has mean 0 and standard deviation 1.
#
# Write `standardize` with `keras.ops` (no loops, no NumPy); start with `x = ops.convert_to_tensor(x)`,
# since the grader passes a NumPy array (see "NumPy on the left of an operator" above). Your inputs
# never have a constant column; real code guards against $\sigma_j = 0$ (Keras's `Normalization` layer
# divides by $\max(\sigma_j, \varepsilon)$).

# %%
def standardize(x):
    """Standardise each column of `x` to mean 0 and standard deviation 1.

    Args:
        x: a float32 tensor or array of shape (n, d): n samples, d features.

    Returns:
        A tensor of shape (n, d): (x - column mean) / column standard deviation.

    Example:
        >>> standardize(np.array([[1.0, 10.0], [3.0, 30.0]]))  # -> [[-1, -1], [1, 1]]
    """
    ### BEGIN SOLUTION
    x = ops.convert_to_tensor(x)
    mean = ops.mean(x, axis=0, keepdims=True)
    std = ops.std(x, axis=0, keepdims=True)
    return (x - mean) / std
    ### END SOLUTION


# %% tags=["reference-only"]
# Known mistakes: when a learner's output matches one of these, the grader names the mistake.
def mistake_standardize_rows(x):
    x = ops.convert_to_tensor(x)
    return (x - ops.mean(x, axis=1, keepdims=True)) / ops.std(x, axis=1, keepdims=True)


def mistake_standardize_whole_array(x):
    x = ops.convert_to_tensor(x)
    return (x - ops.mean(x)) / ops.std(x)


def mistake_standardize_sample_std(x):
    x = ops.convert_to_tensor(x)
    centred = x - ops.mean(x, axis=0, keepdims=True)
    return centred / ops.sqrt(ops.sum(centred * centred, axis=0, keepdims=True) / (x.shape[0] - 1))


def mistake_standardize_not_centred(x):
    x = ops.convert_to_tensor(x)
    return x / ops.std(x, axis=0, keepdims=True)


# %%
rng = np.random.default_rng(0)
raw = rng.normal(loc=[50.0, -3.0, 1000.0], scale=[10.0, 0.5, 300.0], size=(200, 3)).astype("float32")
z = ops.convert_to_numpy(standardize(raw))
print("column means before:", raw.mean(axis=0).round(2), " after:", z.mean(axis=0).round(6))
print("column stds before: ", raw.std(axis=0).round(2), " after:", z.std(axis=0).round(6))

# %% [markdown]
# ## Exercise 1.2 — A softmax that survives large logits
#
# A classifier's last layer produces one score per class, the **logits** $z_1, \dots, z_K$.
# **Softmax** turns them into probabilities that are positive and sum to 1:
#
# $$\operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_{j=1}^{K} e^{z_j}}.$$
#
# Written as it reads, it breaks in float32: $e^{z}$ overflows to `inf` once $z > 88.7$, and
# $\infty / \infty$ is `NaN`; for very negative logits every $e^{z}$ underflows to 0 and $0 / 0$ is
# `NaN` too. The cure is one line of algebra: for any constant $c$,
#
# $$\frac{e^{z_k - c}}{\sum_j e^{z_j - c}} = \frac{e^{-c}\, e^{z_k}}{e^{-c} \sum_j e^{z_j}}
#   = \operatorname{softmax}(z)_k ,$$
#
# so choose $c = \max_j z_j$. Then every exponent is at most 0 (no overflow) and the largest term is
# $e^0 = 1$ (the sum is at least 1, never 0).
#
# Write `stable_softmax` over the **last axis** of a tensor of any rank, with `keras.ops`. The grader
# feeds it logits around 500, where the naive formula returns `NaN`. (`ops.softmax` does this for you;
# the point here is to see why it can.)

# %%
def stable_softmax(logits):
    """Softmax over the last axis, computed without overflow.

    Args:
        logits: a float32 tensor of any rank; the last axis holds the classes.

    Returns:
        A tensor of the same shape whose entries along the last axis are positive and sum to 1.

    Example:
        >>> stable_softmax(np.array([1000.0, 1000.0]))  # -> [0.5, 0.5], not [nan, nan]
    """
    ### BEGIN SOLUTION
    logits = ops.convert_to_tensor(logits)
    shifted = logits - ops.max(logits, axis=-1, keepdims=True)
    exponentials = ops.exp(shifted)
    return exponentials / ops.sum(exponentials, axis=-1, keepdims=True)
    ### END SOLUTION


# %% tags=["reference-only"]
def mistake_softmax_naive(logits):
    exponentials = ops.exp(logits)
    return exponentials / ops.sum(exponentials, axis=-1, keepdims=True)


def _softmax_over(logits, axis):
    logits = ops.convert_to_tensor(logits)
    exponentials = ops.exp(logits - ops.max(logits, axis=axis, keepdims=True))
    return exponentials / ops.sum(exponentials, axis=axis, keepdims=True)


def mistake_softmax_first_axis(logits):
    return _softmax_over(logits, 0)


def mistake_softmax_second_axis(logits):
    return _softmax_over(logits, 1)


# %%
def naive_softmax(logits):
    """The formula as written: overflows for large logits, underflows to 0 / 0 for very negative ones."""
    exponentials = ops.exp(logits)
    return exponentials / ops.sum(exponentials, axis=-1, keepdims=True)


big = np.array([[500.0, 501.0, 502.0], [-800.0, -801.0, -799.0]], dtype="float32")
with np.errstate(over="ignore", invalid="ignore"):
    print("naive: ", ops.convert_to_numpy(naive_softmax(big)).astype(float).round(4).tolist())
print("stable:", ops.convert_to_numpy(stable_softmax(big)).astype(float).round(4).tolist())

# %% [markdown]
# The picture below shows what softmax does to one set of logits as they are divided by a
# **temperature** $T$ (`softmax(z / T)`): a low temperature sharpens the distribution towards the
# largest logit, a high one flattens it towards uniform. Language models sample with exactly this knob.

# %%
scores = np.array([2.0, 1.0, 0.5, -1.0], dtype="float32")
figure, axes = plt.subplots(1, 3, figsize=(9, 2.6), sharey=True)
for axis, temperature in zip(axes, [0.25, 1.0, 4.0]):
    axis.bar(range(len(scores)), ops.convert_to_numpy(stable_softmax(scores / temperature)))
    axis.set(title=f"T = {temperature:g}", xlabel="class", xticks=range(len(scores)))
axes[0].set_ylabel("probability")
figure.tight_layout()
plt.show()

# %% [markdown]
# ## Exercise 1.3 — Pairwise distances, without a loop
#
# Nearest-neighbour search, clustering and kernel methods all need the matrix of Euclidean distances
# between the rows $a_i$ of one set of points (shape $(n, d)$) and the rows $b_j$ of another (shape
# $(m, d)$):
#
# $$D_{ij} = \lVert a_i - b_j \rVert = \sqrt{\sum_{k=1}^{d} (a_{ik} - b_{jk})^2}.$$
#
# Two Python loops over $i$ and $j$ compute it correctly, and slowly: each iteration dispatches
# a few tiny operations to the backend, and the overhead dwarfs the arithmetic. Vectorised code asks
# the backend for a whole matrix at once. Two vectorised routes:
#
# - **broadcasting**: `ops.expand_dims(a, 1) - ops.expand_dims(b, 0)` has shape $(n, m, d)$; square,
#   sum over the last axis, take the square root;
# - **the expansion** $\lVert a_i - b_j \rVert^2 = \lVert a_i \rVert^2 + \lVert b_j \rVert^2 - 2\, a_i
#   \cdot b_j$, whose last term for all pairs at once is one matrix product, $A B^\top$. It needs no
#   $(n, m, d)$ intermediate; rounding can make a squared distance slightly negative, so clamp it at 0
#   (`ops.maximum(d2, 0.0)`) before the square root.
#
# Write `pairwise_distances` either way, returning shape $(n, m)$. After checking your answer, the
# grader times it against the reference on the distances from 2,000 points to 16 others, in 8-D:
# more than 5 times slower fails. Both vectorised routes take about as long as the reference; a Python
# loop takes 10 to 170 times as long.

# %%
def pairwise_distances(a, b):
    """Euclidean distances between every row of `a` and every row of `b`.

    Args:
        a: a float32 tensor of shape (n, d).
        b: a float32 tensor of shape (m, d).

    Returns:
        A tensor of shape (n, m) whose entry [i, j] is the distance between a[i] and b[j].

    Example:
        >>> pairwise_distances(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [0.0, 1.0]]))  # -> [[5, 1]]
    """
    ### BEGIN SOLUTION
    a, b = ops.convert_to_tensor(a), ops.convert_to_tensor(b)
    squared_a = ops.sum(ops.square(a), axis=1, keepdims=True)  # (n, 1)
    squared_b = ops.sum(ops.square(b), axis=1, keepdims=True)  # (m, 1)
    squared = squared_a + ops.transpose(squared_b) - 2.0 * ops.matmul(a, ops.transpose(b))
    return ops.sqrt(ops.maximum(squared, 0.0))
    ### END SOLUTION


# %% tags=["reference-only"]
# (Self-contained: a known mistake must not call the exercise's entry point by name.)
def _squared_distances(a, b):
    a, b = ops.convert_to_tensor(a), ops.convert_to_tensor(b)
    squared_a = ops.sum(ops.square(a), axis=1, keepdims=True)
    squared_b = ops.sum(ops.square(b), axis=1, keepdims=True)
    return ops.maximum(squared_a + ops.transpose(squared_b) - 2.0 * ops.matmul(a, ops.transpose(b)), 0.0)


def mistake_squared_distances(a, b):
    return _squared_distances(a, b)


def mistake_distances_transposed(a, b):
    return ops.transpose(ops.sqrt(_squared_distances(a, b)))


# %% [markdown]
# The cell below times a loop over the rows of `a` (one vectorised distance computation per row)
# against your function. Even this half-vectorised loop loses badly, and the gap grows with $n$.

# %%
def distances_row_by_row(a, b):
    """The same matrix, one row of a at a time: correct, and slow."""
    return ops.stack([ops.sqrt(ops.sum(ops.square(ops.subtract(b, a[i])), axis=1)) for i in range(a.shape[0])])


def best_time(function, *arguments, repeats=3):
    """The fastest of a few runs, in seconds (the first run is a warm-up: JAX compiles on it)."""
    ops.convert_to_numpy(function(*arguments))
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        ops.convert_to_numpy(function(*arguments))
        times.append(time.perf_counter() - started)
    return min(times)


points = rng.normal(size=(300, 8)).astype("float32")
centres = rng.normal(size=(16, 8)).astype("float32")
gap = np.max(np.abs(ops.convert_to_numpy(pairwise_distances(points, centres) - distances_row_by_row(points, centres))))
print(f"largest difference between the two: {gap:.2e}")
sizes = [50, 100, 200, 300]
loop_times = [best_time(distances_row_by_row, points[:n], centres) for n in sizes]
vector_times = [best_time(pairwise_distances, points[:n], centres) for n in sizes]
figure, axis = plt.subplots(figsize=(5.5, 3.2))
axis.plot(sizes, np.array(loop_times) * 1e3, "o-", label="loop over rows")
axis.plot(sizes, np.array(vector_times) * 1e3, "o-", label="vectorised")
axis.set(xlabel="rows of a (n)", ylabel="milliseconds", yscale="log", title="Distances to 16 points in 8-D")
axis.legend()
plt.show()

# %% [markdown]
# ## What to remember
#
# - Keras 3 is a multi-backend API: `import keras`, then the same code runs on TensorFlow, JAX or
#   PyTorch. The backend is chosen once, at import (`KERAS_BACKEND` or `~/.keras/keras.json`); switching
#   needs a fresh kernel.
# - `keras.ops` is NumPy's API for every backend's tensors; `ops.convert_to_numpy` brings results back.
#   Convert NumPy inputs with `ops.convert_to_tensor` before using operators on them.
# - float32 is the default; JAX has no float64 unless you enable it; say the dtype when it matters.
# - Subtract the maximum before `exp`: numerically stable code gives the same answer and never `NaN`.
# - Vectorise: broadcasting and matrix products beat Python loops by orders of magnitude.
