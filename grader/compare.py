"""Compare the learner's outputs with the reference's and say where they differ.

A mismatch reads like pytest's: one summary line for the learner, then the
shape, how many elements differ, the largest absolute and relative errors, and
a few `index | yours | expected` rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .i18n import _
from .spec import Tolerance

STRUCTURE_KEY = "__structure__"
_ROWS_SHOWN = 3


@dataclass(frozen=True)
class Comparison:
    """Whether two outputs agree, and if not, the words that show how."""

    ok: bool
    message: str = ""
    details: tuple[str, ...] = ()


def compare_outputs(
    yours: dict[str, np.ndarray], expected: dict[str, np.ndarray], tolerance: Tolerance
) -> Comparison:
    """Compare two flattened results (`{"result[0]": array, ...}`) element by element."""
    your_structure = str(yours.get(STRUCTURE_KEY, ""))
    expected_structure = str(expected.get(STRUCTURE_KEY, ""))
    if your_structure != expected_structure:
        message = _("expected {expected}, got {got}").format(expected=expected_structure, got=your_structure)
        return Comparison(False, message)
    for key in expected:
        if key == STRUCTURE_KEY:
            continue
        comparison = compare_arrays(yours[key], expected[key], tolerance)
        if not comparison.ok:
            prefix = "" if key == "result" else f"{key}: "
            return Comparison(False, prefix + comparison.message, comparison.details)
    return Comparison(True)


def compare_arrays(yours: np.ndarray, expected: np.ndarray, tolerance: Tolerance) -> Comparison:
    """Compare one array with the expected one within `tolerance`."""
    yours, expected = np.asarray(yours), np.asarray(expected)
    if yours.shape != expected.shape:
        return Comparison(False, _shape_message(yours.shape, expected.shape))
    if (expected.dtype.kind in "US") != (yours.dtype.kind in "US"):
        if expected.dtype.kind in "US":
            message = _("expected text like {expected}, got {got}")
        else:
            message = _("expected numbers like {expected}, got {got}")
        return Comparison(False, message.format(expected=repr(expected.flat[0].item()), got=repr(yours.flat[0].item())))
    if expected.dtype.kind in "USb":
        return _compare_exact(yours, expected)
    yours64, expected64 = yours.astype(np.float64), expected.astype(np.float64)
    bad = _non_finite_message(yours64, expected64)
    if bad:
        return Comparison(False, bad)
    close = np.isclose(yours64, expected64, rtol=tolerance.rtol, atol=tolerance.atol, equal_nan=True)
    if close.all():
        return Comparison(True)
    return _mismatch(yours64, expected64, close, tolerance)


def _shape_message(got: tuple[int, ...], expected: tuple[int, ...]) -> str:
    if len(got) > 1 and got == expected[::-1]:
        return _("expected shape {expected}, got {got} (transposed?)").format(expected=expected, got=got)
    return _("expected shape {expected}, got {got}").format(expected=expected, got=got)


def _compare_exact(yours: np.ndarray, expected: np.ndarray) -> Comparison:
    equal = yours == expected
    if np.all(equal):
        return Comparison(True)
    index = tuple(int(i) for i in np.argwhere(~np.asarray(equal))[0])
    message = _("got {got} at {index}, expected {expected}") if index else _("got {got}, expected {expected}")
    return Comparison(False, message.format(got=repr(yours[index].item()), index=_index(index),
                                            expected=repr(expected[index].item())))


def _non_finite_message(yours: np.ndarray, expected: np.ndarray) -> str:
    nan = int((np.isnan(yours) & ~np.isnan(expected)).sum())
    inf = int((np.isinf(yours) & ~np.isinf(expected)).sum())
    if not nan and not inf:
        return ""
    if nan and inf:
        message = _("your output has {nan} NaN and {inf} inf values where the expected one is finite "
                    "(numerical overflow?)")
    elif nan:
        message = _("your output has {nan} NaN values where the expected one is finite (numerical overflow?)")
    else:
        message = _("your output has {inf} inf values where the expected one is finite (numerical overflow?)")
    return message.format(nan=nan, inf=inf)


def _mismatch(yours: np.ndarray, expected: np.ndarray, close: np.ndarray, tolerance: Tolerance) -> Comparison:
    error = np.abs(yours - expected)
    error = np.where(np.isnan(error), np.inf, error)
    worst = tuple(int(i) for i in np.unravel_index(int(np.argmax(error)), error.shape)) if error.ndim else ()
    relative = error / np.maximum(np.abs(expected), np.finfo(np.float64).tiny)
    count, total = int((~close).sum()), close.size
    details = [
        _("shape {shape}; mismatched elements: {count} / {total} ({percent:.1f}%)").format(
            shape=expected.shape, count=count, total=total, percent=100 * count / total),
        _("max absolute difference: {error:.4g} at {index} (atol {atol:g})").format(
            error=float(error[worst]), index=_index(worst), atol=tolerance.atol),
        _("max relative difference: {error:.4g} (rtol {rtol:g})").format(
            error=float(np.max(relative)), rtol=tolerance.rtol),
        _("index | yours | expected"),
    ]
    for index in np.argwhere(~close)[:_ROWS_SHOWN]:
        position = tuple(int(i) for i in index)
        details.append(f"{_index(position)} | {yours[position]:.6g} | {expected[position]:.6g}")
    if error.ndim == 0:
        message = _("got {got:.6g}, expected {expected:.6g}").format(got=float(yours), expected=float(expected))
    else:
        message = _("max abs error {error:.3g} at {index}").format(error=float(error[worst]), index=_index(worst))
    return Comparison(False, message, tuple(details))


def _index(position: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in position) + "]"
