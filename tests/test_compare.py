"""Comparison messages that show the learner where the values differ."""

from __future__ import annotations

import numpy as np

from grader.compare import STRUCTURE_KEY, compare_arrays, compare_outputs
from grader.spec import Tolerance

TIGHT = Tolerance(rtol=1e-6, atol=1e-6)


def test_equal_within_tolerance_passes():
    assert compare_arrays(np.ones(3) + 1e-8, np.ones(3), TIGHT).ok


def test_mismatch_names_the_largest_error_and_where():
    expected = np.zeros((4, 6))
    yours = expected.copy()
    yours[2, 5] = 0.31
    comparison = compare_arrays(yours, expected, TIGHT)
    assert not comparison.ok
    assert comparison.message == "max abs error 0.31 at [2, 5]"
    assert "mismatched elements: 1 / 24" in comparison.details[0]
    assert comparison.details[-1] == "[2, 5] | 0.31 | 0"


def test_a_transposed_result_is_called_out():
    comparison = compare_arrays(np.zeros((10, 32)), np.zeros((32, 10)), TIGHT)
    assert comparison.message == "expected shape (32, 10), got (10, 32) (transposed?)"


def test_overflow_to_nan_or_inf_is_named():
    comparison = compare_arrays(np.array([np.nan, np.inf, 1.0]), np.array([0.5, 0.5, 1.0]), TIGHT)
    assert "1 NaN and 1 inf" in comparison.message


def test_structures_must_match():
    yours = {STRUCTURE_KEY: np.asarray("(array, array)"), "result[0]": np.ones(1), "result[1]": np.ones(1)}
    expected = {STRUCTURE_KEY: np.asarray("{a: array, b: array}"), "result['a']": np.ones(1), "result['b']": np.ones(1)}
    comparison = compare_outputs(yours, expected, TIGHT)
    assert comparison.message == "expected {a: array, b: array}, got (array, array)"


def test_dict_entries_are_named_in_the_message():
    expected = {STRUCTURE_KEY: np.asarray("{a: array}"), "result['a']": np.array(0.5)}
    yours = {STRUCTURE_KEY: np.asarray("{a: array}"), "result['a']": np.array(0.25)}
    assert compare_outputs(yours, expected, TIGHT).message == "result['a']: got 0.25, expected 0.5"


def test_text_is_compared_exactly():
    assert compare_arrays(np.asarray("sigmoid"), np.asarray("sigmoid"), TIGHT).ok
    assert compare_arrays(np.asarray("softmax"), np.asarray("sigmoid"), TIGHT).message == (
        "got 'softmax', expected 'sigmoid'"
    )
    assert compare_arrays(np.asarray(1.0), np.asarray("sigmoid"), TIGHT).message == (
        "expected text like 'sigmoid', got 1.0"
    )

