# Emulates a CUDA device's strictness on CPU for the torch backend: a tensor may not be turned into a
# NumPy array implicitly (np.asarray(t), t + ndarray); keras.ops.convert_to_numpy still may.
import os
import threading

if os.environ.get("KERAS_BACKEND") == "torch":
    import torch

    _allowed = threading.local()
    _array = torch.Tensor.__array__

    def _strict_array(self, *args, **kwargs):
        if getattr(_allowed, "depth", 0) == 0:
            raise TypeError("can't convert cuda:0 device type tensor to numpy (emulated GPU)")
        return _array(self, *args, **kwargs)

    torch.Tensor.__array__ = _strict_array

    import keras.src.backend.torch.core as core

    _convert = core.convert_to_numpy

    def _explicit(x):
        _allowed.depth = getattr(_allowed, "depth", 0) + 1
        try:
            return _convert(x)
        finally:
            _allowed.depth -= 1

    core.convert_to_numpy = _explicit
    import keras.src.backend as backend_module
    for module in (backend_module,):
        if getattr(module, "convert_to_numpy", None) is _convert:
            module.convert_to_numpy = _explicit
