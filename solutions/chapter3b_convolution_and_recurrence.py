# %% [markdown]
# # Chapter 3, part b — Convolution, recurrence and the six steps
# ## 核心算法原理和具体操作步骤以及数学模型公式（下）
#
# The second sitting of the article's section 3 (part a, `chapter3a_losses_and_optimisers.ipynb`,
# wrote the dense layer, the losses, gradients and optimisers by hand). Here: sections 5 and 6 of the
# chapter, the convolutional and recurrent networks the article names, each piece written with
# `keras.ops` and checked against Keras, then Keras's own layers trained through the article's six
# steps on real handwritten digits and on 260 years of sunspot counts.
#
# **Exercises in this part**
#
# | Exercise | You write | Points |
# |---|---|---|
# | 3.8 | `conv2d`: a vectorised 2-D convolution with strides and padding | 3 |
# | 3.9 | `max_pool2d`: vectorised max pooling | 2 |
# | 3.10 | `build_digit_cnn`: a small convolutional network | 1 |
# | 3.11 | `train_digit_cnn`: the six steps on real handwritten digits | 3 |
# | 3.12 | `simple_rnn`: a recurrent layer over a sequence | 2 |
# | 3.13 | `train_sunspot_forecaster`: beat "next month equals this month" | 3 |
#
# After each exercise, run the `check(...)` cell below it, or from a terminal: `grader check chapter3b`.

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
from course_data import load_mnist_5k, load_sunspots

print("Keras", keras.__version__, "on", keras.backend.backend())


def max_difference(yours, theirs):
    """The largest absolute difference between two arrays or tensors (or lists of them)."""
    if isinstance(yours, (list, tuple)):
        return max(max_difference(a, b) for a, b in zip(yours, theirs))
    return float(np.max(np.abs(ops.convert_to_numpy(yours) - ops.convert_to_numpy(theirs))))


rng = np.random.default_rng(3)


# %% [markdown]
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
# - A convolution is a sliding dot product with shared weights: vectorise over images, pixels and
#   channels, and loop only over the kernel's offsets.
# - The six steps: preprocess (shuffle sorted data, split before scaling, keep time order for a series),
#   build, choose a loss, choose an optimiser, train with a validation set, evaluate once on the test set.
# - Recurrent layers carry a state through time; gated ones (LSTM, GRU) remember longer. For speech and
#   translation today, use attention and Transformers.
