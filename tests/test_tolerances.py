"""Tolerances are measured: the cross-backend spread of the reference, against the manifest."""

from __future__ import annotations

import numpy as np

from grader.spec import ExerciseSpec, Tolerance
from grader.tolerances import Spread, _largest_differences


def exercise(atol: float, rtol: float) -> ExerciseSpec:
    return ExerciseSpec(id="1.1", title="t", kind="function", entry="f", points=1, hints=("h",),
                        tolerance=Tolerance(rtol=rtol, atol=atol))


def test_the_largest_difference_between_any_two_backends_is_found():
    jax = [{"result": np.array([1.0, 2.0])}]
    torch = [{"result": np.array([1.0, 2.0 + 4e-6])}]
    tensorflow = [{"result": np.array([1.0 + 1e-6, 2.0])}]
    max_abs, max_rel = _largest_differences([jax, torch, tensorflow])
    assert np.isclose(max_abs, 4e-6) and np.isclose(max_rel, 2e-6, rtol=1e-3)


def test_a_tolerance_needs_ten_times_headroom_over_the_spread():
    assert Spread(exercise(atol=1e-5, rtol=0.0), 5, max_abs=1e-6, max_rel=1.0).ok
    assert not Spread(exercise(atol=1e-6, rtol=1e-6), 5, max_abs=1e-6, max_rel=1e-6).ok
