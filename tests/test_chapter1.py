"""Chapter 1: wrong answers a learner would plausibly write fail, saying why; other right answers pass.

The manifest's known mistakes are graded by tests/test_wrong_answers.py. Here: mistakes written the
way a learner would write them (not the reference-only functions themselves), Python loops that are
correct but slow (only the speed check can catch them), and correct alternatives to the reference
that must pass within the tolerances.
"""

from __future__ import annotations

import pytest

from grader.chapters import resolve
from helpers import in_rounds, messages, statuses, wrong_answer_test

pytestmark = pytest.mark.slow

CHAPTER1 = resolve("chapter1")

STANDARDIZE_ROWS = """
def standardize(x):
    mean = keras.ops.mean(x, axis=-1, keepdims=True)
    return (x - mean) / keras.ops.std(x, axis=-1, keepdims=True)
"""

STANDARDIZE_DDOF1 = """
def standardize(x):
    n = x.shape[0]
    mean = ops.sum(x, axis=0) / n
    variance = ops.sum((x - mean) ** 2, axis=0) / (n - 1)
    return (x - mean) / ops.sqrt(variance)
"""

NAIVE_SOFTMAX = """
def stable_softmax(logits):
    return ops.exp(logits) / ops.sum(ops.exp(logits), axis=-1, keepdims=True)
"""

SOFTMAX_AXIS_1 = """
def stable_softmax(logits):
    e = ops.exp(logits - ops.max(logits, axis=1, keepdims=True))
    return e / ops.sum(e, axis=1, keepdims=True)
"""

SQUARED_DISTANCES = """
def pairwise_distances(a, b):
    return ops.sum(ops.square(a[:, None, :] - b[None, :, :]), axis=-1)
"""


PLAUSIBLE_MISTAKES = [
    ("1.1", "standardize", STANDARDIZE_ROWS, "you standardised each row"),
    ("1.1", "standardize", STANDARDIZE_DDOF1, "sample standard deviation (n - 1)"),
    ("1.2", "stable_softmax", NAIVE_SOFTMAX, "exp overflowed"),
    ("1.2", "stable_softmax", SOFTMAX_AXIS_1, "you normalised over axis 1"),
    ("1.3", "pairwise_distances", SQUARED_DISTANCES, "these are squared distances"),
]


ROW_LOOP = """
def pairwise_distances(a, b):
    rows = []
    for i in range(a.shape[0]):
        rows.append(ops.sqrt(ops.sum(ops.square(ops.subtract(b, a[i])), axis=1)))
    return ops.stack(rows)
"""

DOUBLE_LOOP = """
def pairwise_distances(a, b):
    distances = np.zeros((a.shape[0], b.shape[0]), dtype="float32")
    for i in range(a.shape[0]):
        for j in range(b.shape[0]):
            distances[i, j] = np.sqrt(np.sum((a[i] - b[j]) ** 2))
    return distances
"""


# The mistakes and the loops share gradings: a round holds at most one of each exercise.
SLOW_LOOPS = [("1.3", "pairwise_distances", ROW_LOOP), ("1.3", "pairwise_distances", DOUBLE_LOOP)]
ROUNDS = in_rounds(PLAUSIBLE_MISTAKES + SLOW_LOOPS)


test_plausible_mistakes_are_named = wrong_answer_test(
    CHAPTER1, PLAUSIBLE_MISTAKES, ROUNDS,
    ids=["rows instead of columns", "sample std", "naive softmax", "softmax over axis 1", "forgot the sqrt"],
)


@pytest.mark.parametrize("code", [ROW_LOOP, DOUBLE_LOOP], ids=["loop over rows", "double loop in NumPy"])
def test_a_python_loop_is_correct_but_too_slow(grade_round, code):
    _, report = grade_round(CHAPTER1, ROUNDS, "1.3", "pairwise_distances", code)
    assert statuses(report)["1.3"] == "failed", messages(report)
    message = messages(report)["1.3"]
    assert message.startswith("correct, but") and "slower than the reference" in message
    assert "replace Python loops with vectorised keras.ops" in message


BROADCAST_DISTANCES = """
def pairwise_distances(a, b):
    difference = ops.expand_dims(a, 1) - ops.expand_dims(b, 0)
    return ops.sqrt(ops.sum(difference * difference, axis=-1))
"""

LOGSUMEXP_SOFTMAX = """
def stable_softmax(logits):
    logits = ops.convert_to_tensor(logits)
    return ops.exp(logits - ops.logsumexp(logits, axis=-1, keepdims=True))
"""

VARIANCE_STANDARDIZE = """
def standardize(x):
    x = ops.convert_to_tensor(x)
    return (x - ops.mean(x, axis=0)) / ops.sqrt(ops.var(x, axis=0))
"""


def test_other_correct_answers_pass(grade_answers):
    """The tolerances admit every correct route, not only the reference's (and broadcasting is fast enough)."""
    replacements = {
        "standardize": VARIANCE_STANDARDIZE,
        "stable_softmax": LOGSUMEXP_SOFTMAX,
        "pairwise_distances": BROADCAST_DISTANCES,
    }
    finished, report = grade_answers(CHAPTER1, replacements)
    assert set(statuses(report).values()) == {"passed"}, messages(report)
    assert finished.returncode == 0
