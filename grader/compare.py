"""Compare the learner's outputs with the reference's and say where they differ.

A mismatch reads like pytest's: one summary line for the learner, then the
shape, how many elements differ, the largest absolute and relative errors, and
a few `index | yours | expected` rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
        return Comparison(False, f"expected {expected_structure}, got {your_structure}")
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
        kind = "text" if expected.dtype.kind in "US" else "numbers"
        return Comparison(False, f"expected {kind} like {expected.flat[0].item()!r}, got {yours.flat[0].item()!r}")
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
    message = f"expected shape {expected}, got {got}"
    if len(got) > 1 and got == expected[::-1]:
        message += " (transposed?)"
    return message


def _compare_exact(yours: np.ndarray, expected: np.ndarray) -> Comparison:
    equal = yours == expected
    if np.all(equal):
        return Comparison(True)
    index = tuple(int(i) for i in np.argwhere(~np.asarray(equal))[0])
    where = f" at {_index(index)}" if index else ""
    return Comparison(False, f"got {yours[index].item()!r}{where}, expected {expected[index].item()!r}")


def _non_finite_message(yours: np.ndarray, expected: np.ndarray) -> str:
    nan = int((np.isnan(yours) & ~np.isnan(expected)).sum())
    inf = int((np.isinf(yours) & ~np.isinf(expected)).sum())
    if not nan and not inf:
        return ""
    parts = [f"{count} {name}" for count, name in ((nan, "NaN"), (inf, "inf")) if count]
    return f"your output has {' and '.join(parts)} values where the expected one is finite (numerical overflow?)"


def _mismatch(yours: np.ndarray, expected: np.ndarray, close: np.ndarray, tolerance: Tolerance) -> Comparison:
    error = np.abs(yours - expected)
    error = np.where(np.isnan(error), np.inf, error)
    worst = np.unravel_index(int(np.argmax(error)), error.shape) if error.ndim else ()
    relative = error / np.maximum(np.abs(expected), np.finfo(np.float64).tiny)
    count, total = int((~close).sum()), close.size
    details = [
        f"shape {expected.shape}; mismatched elements: {count} / {total} ({100 * count / total:.1f}%)",
        f"max absolute difference: {float(error[worst]):.4g} at {_index(worst)} (atol {tolerance.atol:g})",
        f"max relative difference: {float(np.max(relative)):.4g} (rtol {tolerance.rtol:g})",
        "index | yours | expected",
    ]
    for index in np.argwhere(~close)[:_ROWS_SHOWN]:
        position = tuple(int(i) for i in index)
        details.append(f"{_index(position)} | {yours[position]:.6g} | {expected[position]:.6g}")
    message = f"max abs error {float(error[worst]):.3g} at {_index(worst)}"
    if error.ndim == 0:
        message = f"got {float(yours):.6g}, expected {float(expected):.6g}"
    return Comparison(False, message, tuple(details))


def _index(position: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in position) + "]"
