"""Chapter 2: wrong answers a learner would plausibly write fail, saying why; other right answers pass.

The manifest's known mistakes (the custom layer's and the metric's) are graded by
tests/test_wrong_answers.py. Here: model architectures (which a manifest cannot list as mistakes),
mistakes written the way a learner would write them, and the ones only a probe's round trips reveal:
a layer without get_config, or not registered, or whose __init__ refuses **kwargs.
"""

from __future__ import annotations

import pytest

from grader.chapters import resolve
from helpers import in_rounds, messages, solution_with, statuses, wrong_answer_test

pytestmark = pytest.mark.slow

CHAPTER2 = resolve("chapter2")

NO_DROPOUT = solution_with(CHAPTER2, "build_classifier", ("        keras.layers.Dropout(0.2),\n", ""))

NO_SOFTMAX = """
def build_classifier(n_features, n_classes):
    model = keras.Sequential()
    model.add(keras.Input(shape=(n_features,)))
    model.add(keras.layers.Dense(32, activation="relu"))
    model.add(keras.layers.Dropout(0.2))
    model.add(keras.layers.Dense(16, activation="relu"))
    model.add(keras.layers.Dense(n_classes))
    return model
"""

INPUTS_SWAPPED = """
def build_two_input_model(n_measurements, n_flags):
    measurements = keras.Input(shape=(n_measurements,))
    flags = keras.Input(shape=(n_flags,))
    merged = keras.layers.Concatenate()([
        keras.layers.Dense(16, activation="relu")(measurements),
        keras.layers.Dense(4, activation="relu")(flags),
    ])
    output = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Dense(8, activation="relu")(merged))
    return keras.Model(inputs=[flags, measurements], outputs=output)
"""

NO_BRANCHES = """
def build_two_input_model(n_measurements, n_flags):
    measurements = keras.Input(shape=(n_measurements,))
    flags = keras.Input(shape=(n_flags,))
    merged = keras.layers.Concatenate()([measurements, flags])
    output = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Dense(8, activation="relu")(merged))
    return keras.Model(inputs=[measurements, flags], outputs=output)
"""


WRONG_ARCHITECTURES = [
    ("2.1", "build_classifier", NO_DROPOUT, "expected 4 layers after the input, got 3"),
    ("2.1", "build_classifier", NO_SOFTMAX, "layer 4: expected Dense("),
    ("2.2", "build_two_input_model", INPUTS_SWAPPED, "expected input shape"),
    ("2.2", "build_two_input_model", NO_BRANCHES, "expected 5 layers after the input, got 3"),
]


def custom_dense(*, init: str = "", build: str = "", call: str = "", config: str = "", decorator: bool = True) -> str:
    """A learner's CustomDense, written independently of the reference: its methods unless replaced."""
    init = init or """
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
"""
    build = build or """
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros")
"""
    call = call or """
    def call(self, inputs):
        return self.activation(ops.matmul(inputs, self.kernel) + self.bias)
"""
    config = "" if config == "none" else config or """
    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": keras.activations.serialize(self.activation)}
"""
    head = '@keras.saving.register_keras_serializable(package="course")\n' if decorator else ""
    return f"{head}class CustomDense(keras.layers.Layer):\n{init}{build}{call}{config}"


FORGOT_BIAS = custom_dense(call="""
    def call(self, inputs):
        return self.activation(inputs @ self.kernel)
""")

TRANSPOSED_KERNEL = custom_dense(
    build="""
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(self.units, input_shape[-1]))
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros")
""",
    call="""
    def call(self, inputs):
        return self.activation(ops.matmul(inputs, ops.transpose(self.kernel)) + self.bias)
""",
)

ACTIVATION_ONLY_AS_A_NAME = custom_dense(
    init="""
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation_name = activation
""",
    call="""
    def call(self, inputs):
        outputs = ops.matmul(inputs, self.kernel) + self.bias
        return ops.relu(outputs) if self.activation_name == "relu" else outputs
""",
    config="""
    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": self.activation_name}
""",
)


CUSTOM_LAYER_MISTAKES = [
    (FORGOT_BIAS, "call never adds the bias"),
    (TRANSPOSED_KERNEL, "your kernel is transposed"),
    (ACTIVATION_ONLY_AS_A_NAME, "the activation is never applied"),
]


@pytest.mark.parametrize(
    ("code", "expected"), CUSTOM_LAYER_MISTAKES,
    ids=["forgot the bias", "transposed kernel", "activation understood only as a name"],
)
def test_custom_layer_mistakes_are_named(grade_round, code, expected):
    _, report = grade_round(CHAPTER2, ROUNDS, "2.3", "CustomDense", code)
    assert statuses(report)["2.3"] == "failed", messages(report)
    assert expected in messages(report)["2.3"]


NO_KWARGS = custom_dense(init="""
    def __init__(self, units, activation=None):
        super().__init__()
        self.units = units
        self.activation = keras.activations.get(activation)
""")


LAYERS_THAT_CANNOT_BE_SAVED = [
    (custom_dense(config="none"), "get_config must return every constructor argument"),
    (NO_KWARGS, "__init__ must accept **kwargs"),
    (custom_dense(decorator=False), "register_keras_serializable"),
]


@pytest.mark.parametrize(
    ("code", "expected"), LAYERS_THAT_CANNOT_BE_SAVED,
    ids=["no get_config", "no **kwargs", "not registered"],
)
def test_a_layer_that_cannot_be_saved_and_loaded_is_caught(grade_round, code, expected):
    """Its outputs are right, but a round trip through get_config or a .keras file raises: an error, saying why."""
    _, report = grade_round(CHAPTER2, ROUNDS, "2.3", "CustomDense", code)
    assert statuses(report)["2.3"] == "error", messages(report)
    assert expected in messages(report)["2.3"]


BATCH_RMSES_AVERAGED = """
class RunningRMSE(keras.metrics.Metric):
    def __init__(self, name="running_rmse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.batches = self.add_variable(shape=(), initializer="zeros", name="batches")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(ops.sqrt(ops.mean(ops.square(ops.subtract(y_true, y_pred)))))
        self.batches.assign_add(1.0)

    def result(self):
        return ops.divide_no_nan(self.total, self.batches)
"""

METRIC_WITHOUT_KWARGS = """
class RunningRMSE(keras.metrics.Metric):
    def __init__(self):
        super().__init__(name="running_rmse")
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(ops.sum(ops.square(ops.subtract(y_true, y_pred))))
        self.count.assign_add(ops.cast(ops.size(y_true), "float32"))

    def result(self):
        return ops.sqrt(ops.divide_no_nan(self.total, self.count))
"""


# Every wrong answer above and below shares gradings: a round holds at most one of each exercise.
ROUNDS = in_rounds(
    WRONG_ARCHITECTURES
    + [("2.3", "CustomDense", code) for code, _ in CUSTOM_LAYER_MISTAKES + LAYERS_THAT_CANNOT_BE_SAVED]
    + [("2.4", "RunningRMSE", BATCH_RMSES_AVERAGED), ("2.4", "RunningRMSE", METRIC_WITHOUT_KWARGS)]
)


test_wrong_architectures_are_explained = wrong_answer_test(
    CHAPTER2, WRONG_ARCHITECTURES, ROUNDS,
    ids=["forgot the dropout", "forgot the softmax", "inputs swapped", "no branches"],
)


def test_averaged_batch_results_are_named(grade_round):
    _, report = grade_round(CHAPTER2, ROUNDS, "2.4", "RunningRMSE", BATCH_RMSES_AVERAGED)
    assert statuses(report)["2.4"] == "failed", messages(report)
    assert "you averaged per-batch RMSEs" in messages(report)["2.4"]


def test_a_metric_that_cannot_be_recreated_from_its_config_is_caught(grade_round):
    _, report = grade_round(CHAPTER2, ROUNDS, "2.4", "RunningRMSE", METRIC_WITHOUT_KWARGS)
    assert statuses(report)["2.4"] == "error", messages(report)
    assert "Accept name and **kwargs in __init__" in messages(report)["2.4"]


def test_other_correct_answers_pass(grade_answers):
    """Unnamed weights, a hand-written config, the inherited reset_state: all correct."""
    metric = METRIC_WITHOUT_KWARGS.replace("def __init__(self):", "def __init__(self, name='running_rmse', **kwargs):")
    metric = metric.replace('super().__init__(name="running_rmse")', "super().__init__(name=name, **kwargs)")
    _, report = grade_answers(CHAPTER2, {"CustomDense": custom_dense(), "RunningRMSE": metric}, "2.3", "2.4")
    assert set(statuses(report).values()) == {"passed"}, messages(report)
