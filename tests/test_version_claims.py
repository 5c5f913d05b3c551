"""Claims the chapters make that depend on the installed Keras, TensorFlow or NumPy: an upgrade that makes one false fails here.

Each test checks that the chapter still says it, then that the installed libraries still do it,
in a subprocess on one backend (the backend is fixed when Keras is imported).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from grader.chapters import resolve

pytestmark = pytest.mark.slow


def says(chapter: str, *phrases: str) -> None:
    text = " ".join(resolve(chapter).source.read_text(encoding="utf-8").split())
    for phrase in phrases:
        assert phrase in text, f"{chapter} no longer says {phrase!r}: update this test with the text"


def run_on(backend: str, code: str) -> str:
    finished = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300,
        env={**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    return finished.stdout


def test_keras_3_still_accepts_input_dim_with_a_warning():
    says("chapter4", "Keras 3 still accepts it, with a warning")
    out = run_on("jax", """
        import warnings, keras
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = keras.Sequential([keras.layers.Dense(10, input_dim=8)])
        print(model.input_shape, any("input_dim" in str(w.message) for w in caught))
    """)
    assert out.split() == ["(None,", "8)", "True"]


def test_keras_gru_resets_after_the_recurrent_product_with_two_biases():
    says("chapter3b", "`reset_after=True`", r"r_t \odot (h_{t-1} U_h + b'_h)", "reset_after=False")
    out = run_on("jax", """
        import numpy as np, keras
        rng = np.random.default_rng(0)
        x = rng.normal(size=(2, 5, 3)).astype("float32")
        layer = keras.layers.GRU(4, return_sequences=True)
        keras_states = np.asarray(layer(x))
        assert layer.reset_after
        kernel, recurrent, bias = (np.asarray(w) for w in layer.get_weights())
        b_in, b_rec = bias  # shape (2, 3 units): the input side's and the recurrent side's
        sigmoid = lambda v: 1 / (1 + np.exp(-v))
        h, states = np.zeros((2, 4), "float32"), []
        for t in range(5):
            xz, xr, xh = np.split(x[:, t] @ kernel + b_in, 3, axis=-1)
            hz, hr, hh = np.split(h @ recurrent + b_rec, 3, axis=-1)
            z, r = sigmoid(xz + hz), sigmoid(xr + hr)
            h = z * h + (1 - z) * np.tanh(xh + r * hh)
            states.append(h)
        print(float(np.abs(np.stack(states, 1) - keras_states).max()))
    """)
    assert float(out) < 1e-5


def test_tf_keras_is_keras_3_since_tensorflow_2_16():
    says("chapter8", "`tf.keras` *is* Keras 3", "TF_USE_LEGACY_KERAS=1", "tf_keras")
    out = run_on("tensorflow", """
        import keras, tensorflow as tf
        print(tf.keras.Sequential is keras.Sequential, keras.__version__.split(".")[0])
    """)
    assert out.split() == ["True", "3"]


def test_bfloat16_keeps_8_bits_of_precision():
    says("chapter7", "8 bits of precision", "2 to 3 significant decimal digits")
    out = run_on("jax", """
        import ml_dtypes
        info = ml_dtypes.finfo(ml_dtypes.bfloat16)
        print(info.nmant, float(info.eps), info.maxexp)
    """)
    stored_bits, epsilon, max_exponent = out.split()
    assert (int(stored_bits), float(epsilon), int(max_exponent)) == (7, 2**-7, 128)


def test_compile_scales_the_loss_only_when_the_models_own_policy_is_mixed_float16():
    says("chapter7", "`compile` wraps the optimizer for you when the **model's own** policy is `\"mixed_float16\"`",
         "the model's policy stays `\"float32\"`")
    out = run_on("jax", """
        import keras

        def compiled():
            model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, dtype="mixed_float16"),
                                      keras.layers.Dense(1, dtype="float32")])
            model.compile(optimizer="sgd", loss="mse")
            return model.dtype_policy.name, type(model.optimizer).__name__

        print(*compiled())
        keras.config.set_dtype_policy("mixed_float16")
        print(*compiled())
    """)
    assert out.split() == ["float32", "SGD", "mixed_float16", "LossScaleOptimizer"]


def test_an_unregistered_layer_does_not_load_even_where_its_class_is_defined():
    says("chapter6", "and nowhere else: not even in the notebook that defined the class")
    out = run_on("jax", """
        import os, tempfile, keras

        class Doubler(keras.layers.Layer):  # defined in __main__, as in a notebook
            def call(self, inputs):
                return 2 * inputs

        path = os.path.join(tempfile.mkdtemp(), "m.keras")
        keras.Sequential([keras.Input(shape=(2,)), Doubler()]).save(path)
        try:
            keras.saving.load_model(path)
            print("loaded")
        except TypeError as error:
            print("refused" if "Could not locate class 'Doubler'" in str(error) else error)
        print(type(keras.saving.load_model(path, custom_objects={"Doubler": Doubler}).layers[-1]).__name__)
    """)
    assert out.split() == ["refused", "Doubler"]


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_unfreezing_without_compiling_again_trains_nothing_new_or_raises(backend):
    says("chapter7", "TensorFlow trains the head alone, silently; JAX and PyTorch", "stop with an error from the optimizer")
    out = run_on(backend, """
        import numpy as np, keras
        rng = np.random.default_rng(0)
        base = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(8, activation="relu")])
        base.trainable = False
        inputs = keras.Input(shape=(5,))
        model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(base(inputs, training=False)))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        x, y = rng.normal(size=(16, 5)).astype("float32"), rng.integers(0, 3, 16)
        model.fit(x, y, epochs=1, verbose=0)
        before = base.get_weights()
        base.trainable = True
        try:
            model.fit(x, y, epochs=1, verbose=0)
        except ValueError as error:
            print("raises", "optimizer" in str(error))
        else:
            print("base moved", any(not np.array_equal(a, b) for a, b in zip(before, base.get_weights())))
    """)
    expected = ["base", "moved", "False"] if backend == "tensorflow" else ["raises", "True"]
    assert out.split() == expected
