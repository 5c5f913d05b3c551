"""Describe a model's architecture as plain data the grader can compare."""

from __future__ import annotations

from typing import Any

import keras

from ..i18n import N_

# Layer attributes that define an architecture, in the order a learner reads them.
_ATTRIBUTES = ("units", "filters", "kernel_size", "strides", "padding", "pool_size", "rate", "return_sequences")


def describe_model(model: keras.Model) -> dict[str, Any]:
    """Layers (type, settings, parameters, output shape), inputs and total parameters."""
    if not model.built:
        raise ValueError(N_("the model has no input shape yet, so it has no weights: start it with keras.Input(shape=...)"))
    layers = [_describe_layer(layer) for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    return {
        "inputs": [_shape(tensor.shape) for tensor in model.inputs],
        "outputs": [_shape(tensor.shape) for tensor in model.outputs],
        "params": int(model.count_params()),
        "layers": layers,
    }


def _describe_layer(layer: keras.layers.Layer) -> dict[str, Any]:
    description: dict[str, Any] = {"type": type(layer).__name__, "params": int(layer.count_params())}
    for name in _ATTRIBUTES:
        if hasattr(layer, name):
            value = getattr(layer, name)
            description[name] = list(value) if isinstance(value, tuple) else value
    activation = getattr(layer, "activation", None)
    if activation is not None:
        description["activation"] = getattr(activation, "__name__", str(activation))
    try:
        description["output_shape"] = _shape(layer.output.shape)
    except (AttributeError, ValueError):
        pass
    return description


def _shape(shape: Any) -> list[int | None]:
    return [None if d is None else int(d) for d in shape]
