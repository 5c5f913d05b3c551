"""What a worker does for each request.

`call` runs an entry point (the learner's or the reference's) on inputs from an
`.npz` file and writes what it returned: arrays, or a saved `.keras` model.
`predict` and `describe` only load a saved model (in safe mode, so a model file
cannot carry code) and are sent to the reference worker, never to the learner's.
"""

from __future__ import annotations

import json
import linecache
import random
import re
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

import keras
import numpy as np

from .. import protocol
from ..i18n import N_  # messages are marked for the catalogue; the grader words them again (i18n.reworded)
from .architecture import describe_model
from .decoding import greedy_decode
from .outputs import flatten

LEARNER_FILE_PREFIX = "<notebook "


def environment() -> dict[str, Any]:
    """Keras and backend versions and the devices the backend sees."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        version, devices = jax.__version__, [str(d) for d in jax.devices()]
    elif backend == "torch":
        import torch

        version = torch.__version__
        devices = ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    else:
        import tensorflow as tf

        version = tf.__version__
        devices = [d.name for d in tf.config.list_physical_devices()]
    return {"backend": backend, "keras_version": keras.__version__, "backend_version": version, "devices": devices}


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """Run one request and describe what happened, as JSON-ready data."""
    handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        "call": _call,
        "predict": _predict,
        "describe": _describe,
    }
    try:
        return {"status": protocol.OK, **handlers[request["task"]](request)}
    except NotImplementedError as error:
        return {"status": protocol.NOT_IMPLEMENTED, "error": str(error)}
    except Exception as error:  # the code under test may raise anything
        return {"status": protocol.ERROR, "error": _one_line(error),
                "traceback": _learner_traceback(error, every_frame=bool(request.get("full_traceback")))}


def _call(request: dict[str, Any]) -> dict[str, Any]:
    function = _callable(request)
    inputs = _read_inputs(Path(request["inputs"]))
    seed_everything(int(request["seed"]))
    if request["expect"] == "timing":  # the parent times the request (grader/runner.py: fastest_reply)
        function(**inputs)
        return {}
    result = function(**inputs)
    output = Path(request["output"])
    if request["expect"] == "arrays":
        np.savez(output, **flatten(result))  # type: ignore[arg-type]  # numpy's stub: any name might be allow_pickle
        return {}
    if not isinstance(result, keras.Model):
        raise TypeError(N_("{function} should return a keras.Model. Received: {received}").format(
            function=request["entry"], received=type(result).__name__))
    if request["expect"] == "architecture":
        output.write_text(json.dumps(describe_model(result)))
        return {}
    result.save(output)
    return {"history": _history(result)}


def _callable(request: dict[str, Any]) -> Callable[..., Any]:
    """The entry point, or the exercise's probe applied to it.

    A probe is a reference-only function of the chapter's source that puts an
    entry point through its paces (build a layer, set weights, save and load)
    and returns arrays; it runs the learner's class the same way as the reference's.
    """
    entry = _load_entry(Path(request["source"]), request["entry"])
    if not request.get("probe"):
        return entry
    probe = _load_entry(Path(request["probe_source"]), request["probe"])
    return lambda **inputs: probe(entry, **inputs)


def _predict(request: dict[str, Any]) -> dict[str, Any]:
    model = _load_saved(request["model"])
    inputs = _read_inputs(Path(request["inputs"]))
    if request.get("decode_length"):
        predictions = greedy_decode(model, inputs[request["input_key"]], int(request["decode_length"]))
    else:
        predictions = keras.ops.convert_to_numpy(model.predict(inputs[request["input_key"]], verbose=0, batch_size=256))
    np.savez(request["output"], predictions=np.asarray(predictions))
    return {}


def _load_saved(path: str) -> keras.Model:
    """Load a learner's saved model in safe mode, naming first the class it needs that Keras does not have.

    Keras words that reason on a later line of a long message, and a reply keeps the first line only.
    """
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as error:
        missing = re.search(r"Could not locate (?:class|function) '[^']+'", str(error))
        if missing:
            raise ValueError(f"{missing.group(0)} (the saved model needs code that is not in Keras)") from error
        raise


def _describe(request: dict[str, Any]) -> dict[str, Any]:
    model = _load_saved(request["model"])
    Path(request["output"]).write_text(json.dumps(describe_model(model)))
    return {}


def _load_entry(source: Path, entry: str) -> Callable[..., Any]:
    """Run the extracted statements in a fresh namespace and return the entry point."""
    namespace: dict[str, Any] = {"__name__": "__notebook__"}
    for snippet in json.loads(source.read_text(encoding="utf-8")):
        filename = f"{LEARNER_FILE_PREFIX}{snippet['label']}>"
        padded = "\n" * (snippet["line"] - 1) + snippet["code"]
        _remember_lines(filename, padded)
        exec(compile(padded, filename, "exec"), namespace)
    if entry not in namespace:
        raise NameError(N_("{function} is not defined").format(function=entry))
    function: Callable[..., Any] = namespace[entry]  # anything else fails when called, as in the notebook
    return function


def _remember_lines(filename: str, padded: str) -> None:
    """Register the cell's text so that tracebacks can quote the learner's lines."""
    known = linecache.cache.get(filename)
    cached = known[2] if known is not None and len(known) == 4 else []  # a lazy entry (a 1-tuple) has no lines yet
    lines = padded.splitlines(True)
    merged = [new if new.strip() else old for new, old in zip(lines, cached + [""] * len(lines))]
    merged += cached[len(merged):]
    linecache.cache[filename] = (sum(map(len, merged)), None, merged, filename)


def _read_inputs(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as arrays:
        return {name: _python_scalar(arrays[name]) for name in arrays.files}


def _python_scalar(array: np.ndarray) -> Any:
    """0-d arrays become plain numbers, so `seed=3` arrives as an int."""
    return array.item() if array.ndim == 0 else array


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and Keras without importing TensorFlow on other backends.

    `keras.utils.set_random_seed` imports TensorFlow whenever it is installed,
    which costs hundreds of MB and seconds in a JAX or PyTorch worker.
    """
    if keras.backend.backend() == "tensorflow":
        keras.utils.set_random_seed(seed)
        return
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator

    global_state.set_global_attribute("global_random_seed", seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)
    if keras.backend.backend() == "torch":
        import torch

        torch.manual_seed(seed)


class _TensorFlowIfImported:
    """Keras's `tf` lazy module, `available` only once TensorFlow has been imported."""

    def __init__(self, lazy: Any) -> None:
        self._lazy = lazy

    @property
    def available(self) -> bool:
        return "tensorflow" in sys.modules and bool(self._lazy.available)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._lazy, name)


def save_without_tensorflow() -> None:
    """Let `model.save` on JAX or PyTorch run without importing TensorFlow.

    Keras's serializer asks `tf.available` for every object (to test `isinstance(obj,
    tf.TensorShape)`), which imports TensorFlow whenever it is installed: about 2.7 s and
    400 MB in each JAX or PyTorch worker, counted in a training exercise's time. An object
    can be a TensorFlow one only once TensorFlow is imported, so that is what is asked.
    """
    if keras.backend.backend() == "tensorflow":
        return
    from keras.src.saving import serialization_lib

    if hasattr(serialization_lib, "tf") and not isinstance(serialization_lib.tf, _TensorFlowIfImported):
        serialization_lib.tf = _TensorFlowIfImported(serialization_lib.tf)


save_without_tensorflow()


def _history(model: keras.Model) -> dict[str, list[float]]:
    history = getattr(getattr(model, "history", None), "history", None)
    if not isinstance(history, dict):
        return {}
    return {str(k): [float(v) for v in values] for k, values in history.items()}


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _learner_traceback(error: BaseException, *, every_frame: bool) -> str:
    """The frames from the notebook only (the grader's and Keras's are noise to a learner),
    or every frame with `grader check --full-traceback`."""
    frames: list[traceback.FrameSummary] = traceback.extract_tb(error.__traceback__)
    if not every_frame:
        frames = [f for f in frames if f.filename.startswith(LEARNER_FILE_PREFIX)]
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(error), error)
    return "".join(lines).rstrip()
