"""Turn whatever an entry point returned into named NumPy arrays.

Tensors of any backend, NumPy arrays, numbers, strings, and tuples, lists and
dicts of them are accepted. Anything else (an object with a clever `__eq__`, say) is
refused here, so only plain arrays ever reach the comparison.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from ..compare import STRUCTURE_KEY
from ..i18n import N_


def flatten(value: Any) -> dict[str, np.ndarray]:
    """`{"result['x']": array, ..., "__structure__": "{x: array}"}` for a returned value."""
    arrays: dict[str, np.ndarray] = {}
    structure = _flatten(value, "result", arrays)
    arrays[STRUCTURE_KEY] = np.asarray(structure)
    return arrays


def _flatten(value: Any, path: str, arrays: dict[str, np.ndarray]) -> str:
    if isinstance(value, dict):
        parts = [f"{key}: {_flatten(value[key], f'{path}[{key!r}]', arrays)}" for key in sorted(value, key=str)]
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        arrays[path] = np.asarray(value)  # a list of words is one array, not thousands
        return "array"
    if isinstance(value, (tuple, list)):
        parts = [_flatten(item, f"{path}[{i}]", arrays) for i, item in enumerate(value)]
        return "(" + ", ".join(parts) + ")"
    arrays[path] = to_array(value)
    return "array"


def to_array(value: Any) -> np.ndarray:
    """A plain numeric NumPy array, or a TypeError that names what was received."""
    if keras.ops.is_tensor(value) or hasattr(value, "__array_namespace__"):
        value = keras.ops.convert_to_numpy(value)
    if not isinstance(value, (np.ndarray, np.generic, int, float, bool, str)):
        raise TypeError(N_("expected arrays, tensors, numbers or strings. Received: an object of type {received}").format(
            received=type(value).__name__))
    array = np.asarray(value)
    if array.dtype.kind not in "biufcU":
        raise TypeError(N_("expected numbers or strings. Received: an array of dtype {dtype}").format(dtype=array.dtype))
    return array
