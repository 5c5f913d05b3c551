# %% [markdown]
# # Chapter 7 — Trends and challenges: scarce data, overfitting, compute
# ## 总结：未来发展趋势与挑战
#
# The article closes by naming the challenges deep learning still faces: **too little data**,
# **overfitting**, and **compute**. It names them and stops there. This chapter turns each into
# something you can do with Keras 3 today, on any backend:
#
# - too little data: make more of the labelled images you have (augmentation), regularise, and stop
#   early; or borrow features learned on another task (transfer learning);
# - compute: do the arithmetic in 16-bit floats where it is safe (mixed precision), and spread a batch
#   over several devices (data parallelism).
#
# **Exercises in this chapter**
#
# | Exercise | You write | Points |
# |---|---|---|
# | 7.1 | `make_augmentation`: label-preserving random transformations of digit images | 2 |
# | 7.2 | `train_few_labels`: a digit classifier from 500 labelled images | 3 |
# | 7.3 | `transfer_model`: a frozen pre-trained base with a new head | 2 |
# | 7.4 | `fine_tune`: the base unfrozen and trained on, at a tenth of the learning rate | 2 |
# | 7.5 | `build_mixed_precision_model`: 16-bit compute, float32 weights and output, loss scaling where float16 needs it | 2 |
# | 7.6 | `data_parallel_gradients`: gradients of shards combined into the batch's, on every backend | 2 |
# | 7.7 | nothing new: the gain your `make_augmentation` (7.1) buys, measured on 500 labels | 2 |
#
# After each exercise, run the `check(...)` cell below it, or from a terminal: `grader check chapter7`.

# %% [markdown]
# ## Setup
#
# The last example spreads training over eight devices. A laptop has one CPU, but JAX can present it as eight
# virtual devices if the `XLA_FLAGS` environment variable says so **before JAX is first imported**, so
# the first lines below set it before `import keras`. It changes nothing on TensorFlow or PyTorch.
# If you switch backends, restart the kernel.

# %%
import os

if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8").strip()

import time

import keras
import numpy as np

from grader import check
from course_data import load_mnist_5k

# keras.distribution is implemented for JAX (and partly TensorFlow), not for PyTorch.
devices = "n/a on PyTorch" if keras.backend.backend() == "torch" else len(keras.distribution.list_devices())
print("Keras", keras.__version__, "on", keras.backend.backend(), "with", devices, "devices")

# %% [markdown]
# ## The data: 5,000 handwritten digits
#
# `load_mnist_5k` returns 500 images of each digit from MNIST (LeCun, Cortes and Burges), 28 x 28
# grey levels scaled to $[0, 1]$, shipped with the course. Deep networks are usually trained on tens
# of thousands of labelled images or more; this chapter pretends that labels are expensive and that
# only a few hundred are labelled.

# %%
images, labels = load_mnist_5k()
print(images.shape, labels.shape, "digits", np.bincount(labels))

# %% [markdown]
# ## Challenge 1: scarce data and overfitting
#
# With $n$ training examples and a model of $p$ parameters, $p \gg n$ lets the model memorise the
# training set: the training loss goes to zero while the validation loss turns back up. Three
# remedies work together:
#
# 1. **Augmentation** makes new training examples from old ones with transformations that keep the
#    label: a digit shifted by two pixels or turned by ten degrees is still the same digit. The model
#    sees a slightly different image at every epoch, so it cannot memorise pixels.
# 2. **Regularisation**: `Dropout(rate)` zeroes a random fraction of activations during training (and
#    scales the others by $1/(1-\text{rate})$), so no unit can rely on one particular other unit.
# 3. **Early stopping** on the validation loss keeps the weights from the best epoch.
#
# ## Exercise 7.1 — Augmentation that keeps the label
#
# Keras 3's random preprocessing layers (`RandomTranslation`, `RandomRotation`, `RandomZoom`,
# `RandomFlip`, ...) transform each image of a batch differently **during training only**: at
# inference (`training=False`, what `predict` and `evaluate` use) they pass images through unchanged.
# Put them in a `keras.Sequential` and the pipeline can be the first block of a model.
#
# Write `make_augmentation` returning a `keras.Sequential` of random layers for images of shape
# `(28, 28, 1)` with values in $[0, 1]$ that
#
# - shifts by up to 10% of the height and width, rotates by up to $\pm 0.05$ of a full turn ($18°$)
#   and zooms by up to 10%;
# - fills the pixels that come in from outside the image with 0 (`fill_mode="constant"`), the
#   background of these digits;
# - keeps the label: no flips (a mirrored 2 or an upside-down 6 is not the same digit), and no
#   layer that changes images at inference.
#
# The grader feeds your pipeline a batch of test images and checks what happens at inference and in
# training, that orientation is kept, and that values stay in $[0, 1]$.

# %%
def make_augmentation():
    """Random shifts, rotations and zooms for (28, 28, 1) digit images, active in training only.

    Returns:
        A keras.Sequential of random preprocessing layers.
    """
    ### BEGIN SOLUTION
    return keras.Sequential([
        keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
        keras.layers.RandomRotation(0.05, fill_mode="constant"),
        keras.layers.RandomZoom(0.1, fill_mode="constant"),
    ], name="augmentation")
    ### END SOLUTION


# %% tags=["reference-only"]
def probe_augmentation(make_augmentation, seed):
    """What the pipeline does to 32 copies of an off-centre spot: a flip or a half turn moves it across."""
    augmentation = make_augmentation()
    rows, columns = np.mgrid[0:28, 0:28]
    spot = np.exp(-((rows - 7.5) ** 2 + (columns - 21.5) ** 2) / 8.0).astype("float32")
    batch = np.repeat(spot[None, :, :, None], 32, axis=0)
    at_inference = keras.ops.convert_to_numpy(augmentation(batch, training=False))
    in_training = keras.ops.convert_to_numpy(augmentation(batch, training=True))
    same_shape = at_inference.shape == batch.shape and in_training.shape == batch.shape
    return {
        "shape": np.array(in_training.shape),
        "at_inference": "unchanged" if same_shape and np.allclose(at_inference, batch, atol=1e-5) else "changed",
        "in_training": "changed" if same_shape and np.abs(in_training - batch).max() > 1e-3 else "unchanged",
        "orientation": "kept" if same_shape and _spot_directions(in_training).min() > 0.5 else "flipped or turned over",
        "values": "in [0, 1]" if in_training.min() >= -1e-3 and in_training.max() <= 1 + 1e-3 else "outside [0, 1]",
    }


def _spot_directions(images):
    """Cosine between each image's centre of brightness (seen from the middle) and the spot's, (-6, 8)."""
    weights = np.clip(images[..., 0], 0, None).reshape(len(images), -1)
    rows, columns = np.mgrid[0:28, 0:28]
    offsets = np.stack([rows.ravel() - 13.5, columns.ravel() - 13.5], axis=1)
    centres = weights @ offsets / np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)
    return centres @ np.array([-0.6, 0.8]) / np.maximum(np.linalg.norm(centres, axis=1), 1e-9)


def mistake_flips_digits():
    return keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant")])


def mistake_rescales_again():
    return keras.Sequential([keras.layers.Rescaling(1 / 255), keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant")])


def mistake_no_augmentation():
    return keras.Sequential([keras.layers.Identity()])


# %% [markdown]
# Here is what the pipeline does to a few digits: every call in training mode draws new shifts,
# rotations and zooms.

# %%
augmentation = make_augmentation()
digits = images[::500][:6, :, :, None]
augmented = keras.ops.convert_to_numpy(augmentation(digits, training=True))
unchanged = keras.ops.convert_to_numpy(augmentation(digits, training=False))
print("largest pixel change in training:", float(np.abs(augmented - digits).max()),
      "| at inference:", float(np.abs(unchanged - digits).max()))
for original, moved in zip(digits[:3, :, :, 0], augmented[:3, :, :, 0]):
    rows = [" ".join("".join("#" if v > 0.5 else "." for v in row[::2]) for row in pair) for pair in zip(original[::2], moved[::2])]
    print("\n".join(rows), end="\n\n")

# %% [markdown]
# ## Exercise 7.2 — A classifier from 500 labels
#
# The grader splits the 5,000 digits by the run's seed into **500** training images, 500 validation
# images and 4,000 test images that your code never sees. Train a classifier on the first two and
# return it; it must reach the calibrated test accuracy within the time budget of your backend.
#
# - The images arrive with shape `(n, 28, 28)`: start with `keras.Input(shape=(28, 28))`. (A
#   convolutional model needs a channel axis: `keras.layers.Reshape((28, 28, 1))`.)
# - The output: `Dense(10, activation="softmax")`, one probability per digit, trained with
#   `loss="sparse_categorical_crossentropy"` on the integer labels.
# - With 500 images, a model of 100,000 parameters memorises them in a few epochs: use `Dropout`,
#   and `EarlyStopping(monitor="val_loss", restore_best_weights=True)`.
#
# Your `make_augmentation` helps here too, at a price in time (each random transformation costs more
# than a small network's forward pass on a CPU): mind the budget if you use it.

# %%
def train_few_labels(x_train, y_train, x_val, y_val):
    """Train a digit classifier on a few hundred labelled images.

    Args:
        x_train, y_train: training images (n, 28, 28) in [0, 1] and integer labels 0-9.
        x_val, y_val: validation images and labels.

    Returns:
        The trained keras.Model; its output: 10 class probabilities per image.
    """
    ### BEGIN SOLUTION
    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.4),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.002),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=8, restore_best_weights=True)
    model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=80, batch_size=32,
              callbacks=[stop], verbose=0)
    return model
    ### END SOLUTION


# %% [markdown]
# Once 7.2 passes, compare your model's training and validation accuracy on a split of your own:
# the gap between them is the overfitting that dropout and early stopping keep small.

# %%
order = np.random.default_rng(7).permutation(len(images))
few_train, few_val, few_test = order[:500], order[500:1000], order[1000:]
started = time.perf_counter()
few_model = train_few_labels(images[few_train], labels[few_train], images[few_val], labels[few_val])
print(f"trained in {time.perf_counter() - started:.1f} s")
for name, rows in (("training", few_train), ("validation", few_val), ("test", few_test)):
    probabilities = keras.ops.convert_to_numpy(few_model.predict(images[rows], verbose=0, batch_size=500))
    print(f"{name:>10} accuracy {np.mean(probabilities.argmax(axis=1) == labels[rows]):.3f}")

# %% [markdown]
# ## Exercise 7.7 — What your augmentation buys
#
# Does augmentation help, and by how much? The grader measures it for the pipeline you wrote in 7.1,
# with nothing new for you to write. On the 500 training images of 7.2's split it makes nine
# augmented copies of each image with your pipeline (`training=True`), then trains the same small
# convolutional network twice, from the same initial weights, for the same number of steps:
#
# - **without** augmentation, on the 500 images repeated ten times;
# - **with** it, on the 500 images and their nine augmented copies (5,000 images, the same labels).
#
# The only difference between the two runs is your pipeline's transformations, so what they buy shows
# on the 4,000 test images: the share of the first network's errors that the second no longer makes.
# The reference pipeline removes 23% to 64% of them (a median of about 40%, over 20 splits per backend);
# yours must remove at least 3%, the bound that sits 4 standard deviations under those runs.
# An augmentation that keeps too little of the digit (shifts of half the image, say) makes the
# training images unlike the test images and adds errors; one that does nothing removes none.
#
# Augmenting the images once, before training, is cheaper than the random layers inside the model
# (7.2's note), and fixes the data for a fair comparison; a model that augments on the fly sees a
# new copy at every epoch instead, which is worth a little more when time allows.

# %% tags=["reference-only"]
AUGMENTED_COPIES = 9


def digit_network():
    """7.7's network: the same initial weights and dropout draws in every process (seeded), whatever ran before."""
    seeded = keras.initializers.GlorotUniform
    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Reshape((28, 28, 1)),
        keras.layers.Conv2D(16, 3, activation="relu", kernel_initializer=seeded(seed=1)),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, activation="relu", kernel_initializer=seeded(seed=2)),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3, seed=3),
        keras.layers.Dense(10, activation="softmax", kernel_initializer=seeded(seed=4)),
    ])


def _fit_digit_network(x, y, x_val, y_val):
    model = digit_network()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.002), loss="sparse_categorical_crossentropy")
    order = np.random.default_rng(0).permutation(len(x))  # one fixed order: fit's own shuffling draws from the process's state
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=4, restore_best_weights=True)
    model.fit(x[order], y[order], validation_data=(x_val, y_val), epochs=30, batch_size=64, shuffle=False,
              callbacks=[stop], verbose=0)
    return model


def train_with_augmentation(make_augmentation, x_train, y_train, x_val, y_val):
    """7.7's run with the learner's pipeline: the images and nine augmented copies of each."""
    augmentation = make_augmentation()
    images = x_train[..., None].astype("float32")
    copies = []
    for _ in range(AUGMENTED_COPIES):
        copy = np.asarray(keras.ops.convert_to_numpy(augmentation(images, training=True)), dtype="float32")
        if copy.shape != images.shape:
            raise ValueError(f"your augmentation turned images of shape {images.shape} into {copy.shape}: "
                             "it must keep the shape")
        copies.append(copy[..., 0])
    x = np.concatenate([x_train, *copies])
    return _fit_digit_network(x, np.tile(y_train, AUGMENTED_COPIES + 1), x_val, y_val)


def train_without_augmentation(x_train, y_train, x_val, y_val):
    """7.7's baseline: the same network on the same images, repeated as often, unchanged."""
    x = np.tile(x_train, (AUGMENTED_COPIES + 1, 1, 1))
    return _fit_digit_network(x, np.tile(y_train, AUGMENTED_COPIES + 1), x_val, y_val)


# %% tags=["check"]
check("7.7")


# %% [markdown]
# ## Exercise 7.3 — Transfer learning: freeze the base, train a new head
#
# A network trained on one task learns features (strokes, loops, corners) that serve related tasks.
# **Transfer learning** reuses them: take the trained network without its output layer (the *base*),
# freeze it, and train only a new output layer (the *head*) on the new task's few labels. Few
# parameters to fit means few labels suffice.
#
# In Keras every layer and model has a `trainable` flag. `base.trainable = False` moves all its
# weights to `non_trainable_weights`, so `fit` leaves them alone; it must be set **before** `compile`,
# which fixes the list of variables the optimiser updates. Call the base with `training=False` too,
# so that layers such as `BatchNormalization` and `Dropout` inside it stay in inference mode.
#
# Write `transfer_model(base, n_classes)`: freeze `base`, and return a new `keras.Model` from an input
# of the base's input shape (`base.input_shape[1:]`) through `base(inputs, training=False)` to a
# `Dense(n_classes, activation="softmax")` head. The grader gives your function a pre-trained base,
# trains what you return on a few labels, and checks which weights moved.

# %%
def transfer_model(base, n_classes):
    """A frozen `base` followed by a new trainable softmax head.

    Args:
        base: a trained keras.Model that maps inputs to features.
        n_classes: the number of classes of the new task.

    Returns:
        An uncompiled keras.Model whose only trainable weights are the head's.
    """
    ### BEGIN SOLUTION
    base.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    features = base(inputs, training=False)
    outputs = keras.layers.Dense(n_classes, activation="softmax")(features)
    return keras.Model(inputs, outputs)
    ### END SOLUTION


# %% tags=["reference-only"]
def probe_transfer(transfer_model, n_features, n_classes, seed):
    """Fine-tune what transfer_model returns on 40 labelled rows; report what is trainable and what moved."""
    rng = np.random.default_rng(seed)
    base = keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(16, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed)),
        keras.layers.Dense(8, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed + 1)),
    ], name="pretrained_base")
    before = [np.array(w) for w in base.get_weights()]
    model = transfer_model(base, n_classes)
    if not isinstance(model, keras.Model):
        raise TypeError(f"transfer_model should return a keras.Model. Received: {type(model).__name__}")
    x = rng.normal(size=(40, n_features)).astype("float32")
    y = rng.integers(0, n_classes, size=40)
    head_before = [np.array(w) for w in model.layers[-1].get_weights()]
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=20, verbose=0)
    probabilities = keras.ops.convert_to_numpy(model.predict(x, verbose=0))
    head_after = model.layers[-1].get_weights()
    return {
        "trainable_parameters": np.array(sum(int(np.prod(w.shape)) for w in model.trainable_weights)),
        "frozen_parameters": np.array(sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)),
        "base_weights": "changed in fit" if any(not np.array_equal(a, b) for a, b in zip(before, base.get_weights())) else "unchanged",
        "head_weights": "changed in fit" if any(not np.array_equal(a, b) for a, b in zip(head_before, head_after)) else "unchanged",
        "output_shape": np.array(probabilities.shape),
        "rows_sum_to_one": bool(np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4)),
    }


def mistake_base_not_frozen(base, n_classes):
    inputs = keras.Input(shape=base.input_shape[1:])
    return keras.Model(inputs, keras.layers.Dense(n_classes, activation="softmax")(base(inputs)))


def mistake_everything_frozen(base, n_classes):
    model = mistake_base_not_frozen(base, n_classes)
    model.trainable = False
    return model


def mistake_head_without_softmax(base, n_classes):
    base.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    return keras.Model(inputs, keras.layers.Dense(n_classes)(base(inputs, training=False)))


# %% [markdown]
# Now the whole story on digits: pre-train a small network on the digits 0 to 4, where labels are
# plentiful, then learn the digits 5 to 9 from only **10 labelled images each**, once from scratch and
# once on top of the frozen base.

# %%
def small_network(n_outputs):
    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu", name="features"),
        keras.layers.Dense(n_outputs, activation="softmax"),
    ])


def fit_and_score(model, x, y, x_test, y_test, epochs):
    model.compile(optimizer=keras.optimizers.Adam(0.003), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    return model.evaluate(x_test, y_test, verbose=0, batch_size=500)[1]


keras.utils.set_random_seed(0)
low, high = order[labels[order] < 5], order[labels[order] >= 5]
few = np.concatenate([high[labels[high] == digit][:10] for digit in range(5, 10)])
rest = np.setdiff1d(high, few)
pretrained = small_network(5)
fit_and_score(pretrained, images[low], labels[low], images[low], labels[low], epochs=5)
base = keras.Model(pretrained.inputs, pretrained.get_layer("features").output)
scratch = fit_and_score(small_network(5), images[few], labels[few] - 5, images[rest], labels[rest] - 5, epochs=30)
transferred_model = transfer_model(base, 5)
transferred = fit_and_score(transferred_model, images[few], labels[few] - 5, images[rest], labels[rest] - 5, epochs=30)
print(f"digits 5-9 from 50 labels: from scratch {scratch:.3f}, on the frozen base {transferred:.3f}")

# %% [markdown]
# ## Exercise 7.4 — Fine-tune: unfreeze the base, at a low learning rate
#
# Once the new head has learned, a second stage can adapt the base itself to the new task:
# **fine-tuning**. Unfreeze the base and train the whole model a little more, at a learning rate
# far lower than the head's (a tenth, often a hundredth). The head's first steps from random weights
# send large, noisy gradients into the base; at the head's learning rate they would overwrite the
# features that made transfer worth doing, and with a few labels the base's many weights overfit fast.
# Three details decide whether the stage does what it says:
#
# - `base.trainable = True` changes which weights are trainable, but `compile` fixed the list the
#   optimizer updates: **compile again** after unfreezing, and that is where the low learning rate goes.
#   Forget it and the backends disagree: TensorFlow trains the head alone, silently; JAX and PyTorch
#   stop with an error from the optimizer, which was built for the head's variables alone.
# - The base was called with `training=False` in 7.3, so its `BatchNormalization` layers stay in
#   inference mode while it is fine-tuned: their moving statistics, measured on the large first task,
#   are not overwritten by a few batches of the new one. Unfreezing does not change that call.
# - The learning rate is relative to the one the head was trained with: read it from
#   `model.optimizer.learning_rate`.
#
# Write `fine_tune(model, base, x, y, epochs)`. `model` is the model 7.3's function returned, compiled
# and its head already trained with `base` frozen. Unfreeze `base`, compile `model` again with
# `keras.optimizers.Adam` at **a tenth (or less) of the learning rate it was compiled with** and the
# same loss (`model.loss`), train it for `epochs` epochs with `verbose=0`, and return the history dict.
# The grader checks which weights moved, whether the moving statistics stayed, how much the learning rate
# came down, and how many epochs were trained.

# %%
def fine_tune(model, base, x, y, epochs):
    """Unfreeze `base` inside `model` and train the whole model at a tenth of its learning rate.

    Args:
        model: a compiled keras.Model built on `base`, its head trained while `base` was frozen.
        base: the pre-trained base inside `model`.
        x, y: the new task's training data.
        epochs: the number of epochs to fine-tune for.

    Returns:
        The history dict of the fine-tuning fit.
    """
    ### BEGIN SOLUTION
    learning_rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) / 10
    base.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss=model.loss)
    return model.fit(x, y, epochs=epochs, verbose=0).history
    ### END SOLUTION


# %% tags=["reference-only"]
def _base_with_statistics(n_features, rng):
    """A 'pre-trained' base: Dense, BatchNormalization with moving statistics of an earlier task, Dense."""
    base = keras.Sequential([keras.Input(shape=(n_features,)), keras.layers.Dense(12, activation="relu"),
                             keras.layers.BatchNormalization(), keras.layers.Dense(6, activation="relu")],
                            name="pretrained_base")
    base.set_weights([rng.uniform(0.5, 2.0, w.shape).astype("float32") if "variance" in w.path
                      else rng.normal(0.0, 0.5, w.shape).astype("float32") for w in base.weights])
    return base


def _learning_rate(model):
    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


def probe_fine_tuning(fine_tune, n_features, n_classes, head_learning_rate, epochs, seed):
    """Train a head on a frozen base, hand the model to fine_tune, and report what its stage changed."""
    rng = np.random.default_rng(seed)
    base = _base_with_statistics(n_features, rng)
    base.trainable = False
    inputs = keras.Input(shape=(n_features,))
    model = keras.Model(inputs, keras.layers.Dense(n_classes, activation="softmax")(base(inputs, training=False)))
    model.compile(optimizer=keras.optimizers.Adam(head_learning_rate), loss="sparse_categorical_crossentropy")
    x = rng.normal(size=(48, n_features)).astype("float32")
    y = rng.integers(0, n_classes, size=48)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    moving = {w.path for w in base.weights if "moving" in w.path}
    base_weights = {w.path for w in base.weights} - moving
    before = {w.path: keras.ops.convert_to_numpy(w) for w in model.weights}
    head_optimizer = model.optimizer
    not_compiled_again = ValueError("the optimizer compiled for the head alone cannot update the unfrozen base: "
                                    "after base.trainable = True, compile the model again")
    try:
        history = fine_tune(model, base, x, y, epochs)
    except ValueError as error:  # JAX and PyTorch: the optimizer was built for the head's variables
        if "optimizer" in str(error) and "variables" in str(error):
            raise not_compiled_again from error
        raise
    if not isinstance(history, dict):
        raise TypeError(f"fine_tune should return history.history, a dict. Received: {type(history).__name__}")

    def moved(paths):
        return "changed" if any(not np.array_equal(before[w.path], keras.ops.convert_to_numpy(w))
                                for w in model.weights if w.path in paths) else "unchanged"

    if base.trainable and model.optimizer is head_optimizer and moved(base_weights) == "unchanged":
        raise not_compiled_again  # TensorFlow: fit trained the head alone, silently
    if model.optimizer is head_optimizer and moved(moving) == "changed":
        raise ValueError("fine_tune trained a new model built around base, not the model it was given, and the base's "
                         "BatchNormalization moving statistics changed: fine-tune `model`, whose base runs with training=False")
    ratio = _learning_rate(model) / head_learning_rate
    return {
        "base_weights": moved(base_weights),
        "moving_statistics": moved(moving),
        "head_weights": moved(set(before) - base_weights - moving),
        "learning_rate": ("lowered at least tenfold" if ratio <= 0.1 * (1 + 1e-6)
                          else "lowered less than tenfold" if ratio < 1 else "not lowered"),
        "epochs": np.array(len(history.get("loss", []))),
    }


def mistake_still_frozen(model, base, x, y, epochs):
    model.compile(optimizer=keras.optimizers.Adam(_learning_rate(model) / 10), loss=model.loss)
    return model.fit(x, y, epochs=epochs, verbose=0).history


def mistake_same_learning_rate(model, base, x, y, epochs):
    base.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(_learning_rate(model)), loss=model.loss)
    return model.fit(x, y, epochs=epochs, verbose=0).history


# %% [markdown]
# Once 7.4 passes, add the second stage to the digits: fine-tune copies of the transferred model for ten
# epochs at a tenth of the head's learning rate (your `fine_tune`), at the head's own rate, and at ten
# times it.
#
# Measured on JAX (PyTorch's differ by a few hundredths): the frozen base scores 0.61, below training
# from scratch (0.84): 64 features learned to tell 0 to 4 apart describe 5 to 9 poorly. Fine-tuning at a
# tenth gives 0.72, at the head's rate 0.83, at ten times it 0.79. On this small base, ten epochs at a tenth
# are too slow to finish the job, and ten times the rate starts to undo the features. Where the base is
# large and learned from far more data than the new task has, the best rate sits lower, which is why a
# tenth or less is the safe default; the way to know is the one here, measure it.

# %%
def transferred_copy():
    """The transferred model and its base, as they were after training the head: a fresh copy each time."""
    copy = keras.models.clone_model(transferred_model)
    copy.set_weights(transferred_model.get_weights())
    copy_base = copy.layers[1]
    copy_base.trainable = False
    copy.compile(optimizer=keras.optimizers.Adam(0.003), loss="sparse_categorical_crossentropy")
    return copy, copy_base


print(f"frozen base: accuracy {transferred:.3f}")
for factor in (0.1, 1.0, 10.0):
    keras.utils.set_random_seed(0)
    tuned, tuned_base = transferred_copy()
    if factor == 0.1:
        fine_tune(tuned, tuned_base, images[few], labels[few] - 5, epochs=10)
    else:
        tuned_base.trainable = True
        tuned.compile(optimizer=keras.optimizers.Adam(0.003 * factor), loss="sparse_categorical_crossentropy")
        tuned.fit(images[few], labels[few] - 5, epochs=10, verbose=0)
    tuned.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    accuracy = tuned.evaluate(images[rest], labels[rest] - 5, verbose=0, batch_size=500)[1]
    print(f"fine-tuned at {factor:g} x the head's learning rate: accuracy {accuracy:.3f}")


# %% [markdown]
# ## Challenge 2: compute
#
# ### Mixed precision
#
# A float32 number takes 4 bytes; bfloat16 takes 2 and keeps float32's 8-bit exponent (so the same
# range, about $10^{\pm 38}$) with 7 stored mantissa bits instead of 23: 8 bits of precision with the
# implicit leading one, a relative step of $2^{-7} \approx 0.008$, so 2 to 3 significant decimal digits.
# Recent GPUs and TPUs (and recent CPUs with AMX or AVX-512 BF16) multiply bfloat16 matrices several
# times faster than float32 ones, and half the bytes means half the memory traffic.
#
# Two or three significant digits are enough for a layer's *computation*, not for its *weights*: an update
# $w \leftarrow w - \eta g$ with $|\eta g| < 2^{-8}|w|$ rounds away to nothing in bfloat16. Keras's
# `"mixed_bfloat16"` dtype policy therefore keeps each variable in float32 (`variable_dtype`) and
# casts it to bfloat16 for the computation (`compute_dtype`). The last layer should stay in float32
# (`dtype="float32"`), so that the softmax and the loss are computed in full precision.
#
# You can set the policy for every layer built afterwards with
# `keras.config.set_dtype_policy("mixed_bfloat16")`, but that is process-wide state that leaks into
# everything built later (and back to `"float32"` you must set it). Here, give each layer its policy:
# `keras.layers.Dense(64, dtype="mixed_bfloat16")`.
#
# ### float16 and loss scaling
#
# Older GPUs (before NVIDIA's Ampere) have fast float16 arithmetic and no bfloat16. float16 keeps 10
# mantissa bits (more precision than bfloat16) but only 5 exponent bits: nothing smaller than about
# $6 \times 10^{-8}$ survives, and gradients are often smaller than that. They *underflow* to zero, and
# the weights they belong to stop learning without any error. **Loss scaling** is the cure: multiply
# the loss by a large factor $S$ before the backward pass, so that every gradient is $S$ times larger
# and stays representable, then divide the gradients by $S$ (in float32) before the update.
# `keras.optimizers.LossScaleOptimizer(optimizer)` does both and adjusts $S$ as it goes: it halves it
# when a gradient overflows to infinity (and skips that step) and doubles it after a run of good steps.
#
# `compile` wraps the optimizer for you when the **model's own** policy is `"mixed_float16"`, that
# is, when the global policy was set before the model was built. When you give the layers their
# policies one by one, as here, the model's policy stays `"float32"`, and nothing is wrapped unless you
# wrap it.
#
# ## Exercise 7.5 — A mixed-precision model, compiled so that it learns
#
# Write `build_mixed_precision_model(n_features, n_classes, policy)`, where `policy` is
# `"mixed_bfloat16"` or `"mixed_float16"`: `keras.Input(shape=(n_features,))`, two
# `Dense(64, activation="relu")` layers with that policy, and a `Dense(n_classes, activation="softmax")`
# output layer in `"float32"`. Return it compiled with
# `keras.optimizers.SGD(learning_rate=0.05)` and `loss="sparse_categorical_crossentropy"`, and make
# the decision the text above describes: which policy needs loss scaling?
#
# The grader reads each layer's policy and the dtype of every weight and of the output. Then it trains
# your model for one step on data whose gradients are too small for float16, and checks that the first
# layer's weights moved: that its gradient was not lost.

# %%
def build_mixed_precision_model(n_features, n_classes, policy):
    """Dense(64, relu) x 2 in `policy`, a float32 softmax output, compiled so that it learns.

    Args:
        n_features: the number of input columns.
        n_classes: the number of classes.
        policy: "mixed_bfloat16" or "mixed_float16", for the hidden layers.

    Returns:
        A keras.Model compiled with SGD(learning_rate=0.05) and sparse categorical cross-entropy.
    """
    ### BEGIN SOLUTION
    model = keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(64, activation="relu", dtype=policy),
        keras.layers.Dense(64, activation="relu", dtype=policy),
        keras.layers.Dense(n_classes, activation="softmax", dtype="float32"),
    ])
    optimizer = keras.optimizers.SGD(learning_rate=0.05)
    if policy == "mixed_float16":  # float16 gradients underflow without it; bfloat16 has float32's range
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    return model
    ### END SOLUTION


# %% tags=["reference-only"]
def _tiny_gradient_data(n_features, n_classes, rng):
    """Inputs so small that the first layer's gradients (about 1e-8) fall below float16's smallest number."""
    x = (1e-6 * rng.normal(size=(64, n_features))).astype("float32")
    return x, rng.integers(0, n_classes, size=64)


def _first_row_learns(model, x, y):
    """Whether one step moves the first hidden kernel's first row off zero.

    Started at exactly 0, a row moves under any gradient that is not 0, however small, so this tells
    a gradient that underflowed in float16 from one that survived; no rounding of the update hides it.
    """
    first = next(layer for layer in model.layers if layer.weights)
    weights = first.get_weights()
    weights[0][0, :] = 0.0
    first.set_weights(weights)
    model.fit(x, y, epochs=1, batch_size=len(x), shuffle=False, verbose=0)
    return bool(np.any(first.get_weights()[0][0, :] != 0.0))


def probe_mixed_precision(build_mixed_precision_model, n_features, n_classes, seed):
    """For each policy: the layers' policies, the dtypes of weights and output, and whether the first layer learns."""
    facts = {}
    for policy in ("mixed_bfloat16", "mixed_float16"):
        previous = keras.config.dtype_policy()
        try:
            model = build_mixed_precision_model(n_features, n_classes, policy)
        finally:
            keras.config.set_dtype_policy(previous)
        if not isinstance(model, keras.Model):
            raise TypeError(f"build_mixed_precision_model should return a keras.Model. Received: {type(model).__name__}")
        if getattr(model, "optimizer", None) is None:
            raise ValueError("build_mixed_precision_model returned an uncompiled model: compile it before returning it")
        x, y = _tiny_gradient_data(n_features, n_classes, np.random.default_rng(seed))
        output = model(x[:4])
        layers = [layer for layer in model.layers if layer.weights]
        facts[policy] = {
            "layer_policies": np.array([layer.dtype_policy.name for layer in layers]),
            "weight_dtypes": np.array(sorted({keras.backend.standardize_dtype(w.dtype) for w in model.weights})),
            "output_dtype": keras.backend.standardize_dtype(output.dtype),
            "output_shape": np.array(output.shape),
            "first_layer": "learns" if _first_row_learns(model, x, y) else "stuck: its gradient underflowed to 0",
        }
    return facts


def _mixed(n_features, n_classes, hidden, output, scale):
    model = keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(64, activation="relu", dtype=hidden),
        keras.layers.Dense(64, activation="relu", dtype=hidden),
        keras.layers.Dense(n_classes, activation="softmax", dtype=output),
    ])
    optimizer = keras.optimizers.SGD(learning_rate=0.05)
    model.compile(optimizer=keras.optimizers.LossScaleOptimizer(optimizer) if scale else optimizer,
                  loss="sparse_categorical_crossentropy")
    return model


def mistake_no_loss_scaling(n_features, n_classes, policy):
    return _mixed(n_features, n_classes, policy, "float32", scale=False)


def mistake_low_precision_output(n_features, n_classes, policy):
    return _mixed(n_features, n_classes, policy, policy, scale=policy == "mixed_float16")


def mistake_pure_low_precision(n_features, n_classes, policy):
    return _mixed(n_features, n_classes, policy.removeprefix("mixed_"), "float32", scale=policy == "mixed_float16")


def mistake_all_float32(n_features, n_classes, policy):
    return _mixed(n_features, n_classes, "float32", "float32", scale=False)


# %% [markdown]
# Once 7.5 passes, look inside: the weights are float32, the hidden layers compute in 16 bits, and
# the output is float32 again. Then measure what the 16 bits buy on this machine: the bytes of one
# batch's activations, and the time of a training step on a wider network. A CPU without bfloat16
# hardware emulates it, so mixed precision is often *slower* here; on a GPU with tensor cores it is
# usually the other way round. Measure on the hardware you will train on.

# %%
for policy in ("mixed_bfloat16", "mixed_float16"):
    mixed = build_mixed_precision_model(8, 3, policy)
    print(f"{policy}: optimizer {type(mixed.optimizer).__name__}")
    for layer in mixed.layers:
        dtypes = layer.dtype_policy
        print(f"  {layer.name:>8}: policy {dtypes.name:<15} weights {dtypes.variable_dtype:<8} compute {dtypes.compute_dtype}")


def step_time_and_activation_bytes(policy, batch=256, steps=5):
    """Seconds per training step and the bytes of the first hidden layer's output, for one policy."""
    if policy == "float32":
        model = keras.Sequential([keras.Input(shape=(256,)), keras.layers.Dense(64, activation="relu"),
                                  keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="sparse_categorical_crossentropy")
    else:
        model = build_mixed_precision_model(256, 10, policy)
    x = np.random.default_rng(0).normal(size=(batch, 256)).astype("float32")
    y = np.random.default_rng(1).integers(0, 10, size=batch)
    model.train_on_batch(x, y)  # the first step compiles
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    hidden = keras.backend.standardize_dtype(model.layers[0](x).dtype)
    return (time.perf_counter() - start) / steps, batch * 64 * {"float32": 4, "bfloat16": 2, "float16": 2}[hidden]


for policy in ("float32", "mixed_bfloat16", "mixed_float16"):
    seconds, size = step_time_and_activation_bytes(policy)
    print(f"{policy:>15}: {1000 * seconds:6.2f} ms per step; one hidden layer's activations {size / 1024:.0f} KiB")

# %% [markdown]
# ### Data parallelism
#
# When one device is too slow, **data parallelism** copies the model to each of $D$ devices, gives each
# device a shard of every batch, and combines the devices' gradients before every update. With a loss
# that is a mean over the $B$ rows of a batch, and shard $d$ holding $B_d$ of them,
#
# $$g = \frac{1}{B}\sum_{i=1}^{B} \nabla_w \ell_i
#     = \sum_{d=1}^{D} \frac{B_d}{B} \underbrace{\frac{1}{B_d} \sum_{i \in \text{shard } d} \nabla_w \ell_i}_{g_d, \text{ device } d}.$$
#
# Each device computes the gradient $g_d$ of the mean loss over *its* rows; the combination weights
# each by its share of the rows, $B_d / B$. When the shards are equal, that is the plain average
# $\frac{1}{D}\sum_d g_d$, which is what every data-parallel library computes (an *all-reduce* mean);
# when they are not (the last batch of an epoch, a batch that does not divide by $D$), the plain average
# over-weights the small shards. Either way the result is the one-device gradient, up to the order of
# float32 additions: data parallelism changes how fast training runs, not what it computes.
#
# ### A gradient on each backend
#
# To combine gradients yourself you need them as arrays, outside `fit`. Each backend computes them its
# own way; this is also the heart of a custom training step (the keras.io guide *Customizing what
# happens in `fit()`* has one for each backend):
#
# - **TensorFlow** records the forward pass on a `tf.GradientTape` and asks it for the gradient;
# - **PyTorch** builds its graph as it computes, and `torch.autograd.grad` walks it back;
# - **JAX** differentiates a pure function: `model.stateless_call(trainable, non_trainable, x)` runs
#   the model on the variable values it is given, so `jax.grad` can differentiate the loss with
#   respect to them.
#
# `loss_gradients` below does it for the mean squared error, on whichever backend is running. It is
# given: read it, then use it in the exercise.

# %%
def build_regressor(n_features, seed):
    """A small regression network whose initial weights depend only on `seed`."""
    return keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(16, activation="tanh", kernel_initializer=keras.initializers.GlorotUniform(seed)),
        keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(seed + 1)),
    ])


def mean_squared_error(y, y_pred):
    return keras.ops.mean(keras.ops.square(y - y_pred))


def loss_gradients(model, x, y):
    """The gradient of the mean squared error over (x, y), one NumPy array per trainable weight."""
    x, y = keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(y)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = mean_squared_error(y, model(x, training=True))
        gradients = tape.gradient(loss, model.trainable_weights)
    elif backend == "torch":
        import torch

        loss = mean_squared_error(y, model(x, training=True))
        gradients = torch.autograd.grad(loss, [w.value for w in model.trainable_weights])
    else:
        import jax

        non_trainable = [w.value for w in model.non_trainable_weights]

        def loss_of(trainable):
            y_pred, _ = model.stateless_call(trainable, non_trainable, x, training=True)
            return mean_squared_error(y, y_pred)

        gradients = jax.grad(loss_of)([w.value for w in model.trainable_weights])
    return [keras.ops.convert_to_numpy(g) for g in gradients]


# %% [markdown]
# ## Exercise 7.6 — Data parallelism by hand
#
# Write `data_parallel_gradients(model, x, y, n_devices)`: split the rows of `x` and `y` into
# `n_devices` shards with `np.array_split` (which allows shards of unequal size), compute each shard's
# gradient with `loss_gradients(model, x_shard, y_shard)` as a device would, and combine them into the
# gradient of the whole batch. Return a list with one NumPy array per trainable weight, in the order of
# `model.trainable_weights`.
#
# The grader calls it with batches whose size does not divide by `n_devices`, on every backend, and
# compares your combined gradient with the reference's, which is the one-device gradient.

# %%
def data_parallel_gradients(model, x, y, n_devices):
    """The batch gradient, combined from the gradients of `n_devices` shards.

    Args:
        model: a keras.Model with a single output.
        x: features (n, d).
        y: targets (n, 1).
        n_devices: how many shards to split the rows into (np.array_split).

    Returns:
        A list of NumPy arrays, one per trainable weight: the gradient of the mean squared error
        over all n rows.
    """
    ### BEGIN SOLUTION
    combined = [np.zeros(w.shape, "float32") for w in model.trainable_weights]
    for x_shard, y_shard in zip(np.array_split(x, n_devices), np.array_split(y, n_devices)):
        share = len(x_shard) / len(x)
        for total, gradient in zip(combined, loss_gradients(model, x_shard, y_shard)):
            total += share * gradient
    return combined
    ### END SOLUTION


# %% tags=["reference-only"]
def probe_sharded_gradients(data_parallel_gradients, x, y, n_devices, seed):
    """The learner's combined gradient for a batch whose size does not divide by n_devices."""
    if len(x) % n_devices == 0:  # unequal shards are the case that tells the weights apart
        x, y = x[:-1], y[:-1]
    model = build_regressor(x.shape[1], seed)
    rng = np.random.default_rng(seed)  # the same weights on every backend (seeded initializers differ)
    model.set_weights([rng.normal(0.0, 0.5, w.shape).astype("float32") for w in model.weights])
    gradients = data_parallel_gradients(model, x, y, n_devices)
    if not isinstance(gradients, (list, tuple)):
        raise TypeError(f"data_parallel_gradients should return a list of arrays. Received: {type(gradients).__name__}")
    if len(gradients) != len(model.trainable_weights):
        raise ValueError(f"data_parallel_gradients should return one array per trainable weight "
                         f"({len(model.trainable_weights)}). Received: {len(gradients)}")
    names = [f"{'hidden' if i < 2 else 'output'} {w.name}" for i, w in enumerate(model.trainable_weights)]
    return {f"gradient of the {name}": np.asarray(g, "float32") for name, g in zip(names, gradients)}


def mistake_plain_average(model, x, y, n_devices):
    shards = [loss_gradients(model, xs, ys) for xs, ys in zip(np.array_split(x, n_devices), np.array_split(y, n_devices))]
    return [np.mean(parts, axis=0) for parts in zip(*shards)]


def mistake_summed(model, x, y, n_devices):
    shards = [loss_gradients(model, xs, ys) for xs, ys in zip(np.array_split(x, n_devices), np.array_split(y, n_devices))]
    return [np.sum(parts, axis=0) for parts in zip(*shards)]


def mistake_first_shard_only(model, x, y, n_devices):
    return loss_gradients(model, np.array_split(x, n_devices)[0], np.array_split(y, n_devices)[0])


# %% [markdown]
# Once 7.6 passes, show that it trains as one device would: one SGD step with your combined gradient
# lands on the same weights as one full-batch step of `fit`, on this backend.

# %%
rng = np.random.default_rng(0)
x_demo = rng.normal(size=(61, 5)).astype("float32")
y_demo = (x_demo @ rng.normal(size=(5, 1))).astype("float32")
by_hand = build_regressor(5, seed=3)
step = [w - 0.05 * g for w, g in zip(by_hand.get_weights(), data_parallel_gradients(by_hand, x_demo, y_demo, n_devices=8))]
one_device = build_regressor(5, seed=3)
one_device.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
one_device.fit(x_demo, y_demo, epochs=1, batch_size=len(x_demo), shuffle=False, verbose=0)
difference = max(float(np.abs(a - b).max()) for a, b in zip(step, one_device.get_weights()))
print(f"8 shards of 7 or 8 rows; largest weight difference from one full-batch fit step: {difference:.1e}")

# %% [markdown]
# ### The same, done for you: `keras.distribution`
#
# On JAX, Keras 3's distribution API does the sharding, the per-device gradients and the all-reduce
# inside `fit` (TensorFlow and PyTorch have their own tools, `tf.distribute` and
# `torch.distributed`). Two lines say it:
#
# ```python
# distribution = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
# with distribution.scope():
#     ...  # build, compile and fit as usual
# ```
#
# Variables created inside the scope are replicated on every device, and `fit` splits each batch
# across them. (`keras.distribution.set_distribution(distribution)` does the same for the whole
# process; the scope keeps it local.) On JAX, compare it with one device: the difference is float32
# rounding.

# %%
if keras.backend.backend() == "jax":
    x_demo = rng.normal(size=(256, 5)).astype("float32")
    y_demo = (x_demo @ rng.normal(size=(5, 1))).astype("float32")
    distribution = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
    with distribution.scope():
        parallel = build_regressor(5, seed=3)
        parallel.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
        parallel.fit(x_demo, y_demo, epochs=3, batch_size=64, shuffle=False, verbose=0)
    alone = build_regressor(5, seed=3)
    alone.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    alone.fit(x_demo, y_demo, epochs=3, batch_size=64, shuffle=False, verbose=0)
    difference = max(float(np.abs(np.asarray(a) - b).max()) for a, b in zip(parallel.get_weights(), alone.get_weights()))
    print(f"{len(parallel.weights[0].value.sharding.device_set)} devices; largest weight difference from one device: {difference:.1e}")
else:
    print("keras.distribution's DataParallel needs the JAX backend: set KERAS_BACKEND=jax and restart the kernel")

# %% [markdown]
# ## What to remember
#
# - Few labels: augment with transformations that keep the label (no flips for digits), add dropout,
#   stop early on the validation loss, and reuse a pre-trained base when you have one.
# - Transfer learning: `base.trainable = False` before `compile`, call the base with `training=False`,
#   train only the new head.
# - Mixed precision: `"mixed_bfloat16"` computes in bfloat16 and keeps float32 weights; keep the output
#   layer in float32. float16 needs loss scaling (`LossScaleOptimizer`), which `compile` adds only when
#   the model's own policy is `"mixed_float16"`.
# - Data parallelism splits batches, not results: each shard's gradient weighted by its share of the
#   rows gives the one-device gradient, so training is the same, faster.
