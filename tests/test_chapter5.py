"""Chapter 5: the references agree with the tools learners will meet, wrong answers a learner would
plausibly write fail saying why, and other right answers pass.

The manifest's known mistakes are graded by tests/test_wrong_answers.py.
"""

from __future__ import annotations

import string
from collections import Counter

import numpy as np
import pytest

from grader.chapters import resolve
from course_data import build_vocabulary, encode, load_rotten_tomatoes
from helpers import messages, solution_cell, solution_with, statuses

CHAPTER5 = resolve("chapter5")


def reference(entry: str):
    """The reference function, run from the solution's source (pure Python and NumPy here)."""
    namespace = {"np": np, "Counter": Counter, "string": string}
    exec(solution_cell(CHAPTER5, entry), namespace)
    return namespace[entry]


# Scores computed with sacreBLEU 2.6.0: CHRF().corpus_score(hypotheses, [references]).score
SACREBLEU_CHRF = [
    (["EN el principio crió Dios los cielos y la tierra."], ["EN el principio crió Dios los cielos y la tierra."], 100.0),
    (["el principio Dios creó cielos y tierra"], ["EN el principio crió Dios los cielos y la tierra."], 52.49558853060338),
    (["Y dijo Dios: Sea la luz", "la tarde y la mañana"],
     ["Y dijo Dios: Sea la luz: y fué la luz.", "Y fué la tarde y la mañana el día tercero."], 56.24554036546493),
    (["In the beginning, God created the heavens and the earth."], ["EN el principio crió Dios los cielos y la tierra."], 7.27627372515705),
    (["", "luz"], ["Y dijo Dios: Sea la luz: y fué la luz.", "la luz"], 7.553660155699945),
]


@pytest.mark.parametrize(("hypotheses", "references", "score"), SACREBLEU_CHRF)
def test_the_chrf_reference_equals_sacrebleu(hypotheses, references, score):
    assert reference("chrf")(hypotheses, references) == pytest.approx(score, abs=1e-9)


def test_the_graders_text_encoder_follows_the_contract_of_exercise_5_2():
    """5.3's inputs are encoded by course_data/text.py; the learner implements the same rules in 5.2."""
    texts = load_rotten_tomatoes()[0][:2000]
    vocabulary, ids = reference("vectorize")(texts, 3000, 25)
    assert vocabulary == build_vocabulary(texts, 3000)
    assert np.array_equal(ids, encode(texts, vocabulary, 25))


FIXED_LENGTH_FLATTEN = """
def train_spoken_digit_classifier(x_train, y_train, x_val, y_val):
    model = keras.Sequential([
        keras.Input(shape=x_train.shape[1:]),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x_train, y_train, epochs=1, verbose=0)
    return model
"""

ATTENTION_WITH_A_PYTHON_LOOP_OVER_THE_BATCH = """
def scaled_dot_product_attention(query, key, value, mask):
    outputs, all_weights = [], []
    for q, k, v, m in zip(query, key, value, mask):
        scores = ops.matmul(q, ops.transpose(k)) / np.sqrt(k.shape[-1])
        weights = ops.softmax(scores + (1.0 - ops.cast(m, "float32")) * -1e9)
        outputs.append(ops.matmul(weights, v))
        all_weights.append(weights)
    return ops.stack(outputs), ops.stack(all_weights)
"""

ATTENTION_WITH_EINSUM_AND_MINUS_INFINITY = """
def scaled_dot_product_attention(query, key, value, mask):
    scores = ops.einsum("nqd,nkd->nqk", query, key) / ops.sqrt(ops.cast(query.shape[-1], "float32"))
    weights = ops.softmax(ops.where(ops.cast(mask, "bool"), scores, float("-inf")), axis=-1)
    return ops.einsum("nqk,nkv->nqv", weights, value), weights
"""

VECTORIZE_WITH_A_REGEX = """
import re

def vectorize(texts, max_tokens, length):
    punctuation = re.compile("[" + re.escape(string.punctuation) + "]")
    words = [punctuation.sub("", t.lower()).split() for t in texts]
    counts = Counter(w for ws in words for w in ws)
    vocabulary = ["", "[UNK]"] + sorted(counts, key=lambda w: (-counts[w], w))[: max_tokens - 2]
    lookup = {w: i for i, w in enumerate(vocabulary)}
    ids = [[lookup.get(w, 1) for w in ws[:length]] + [0] * (length - len(ws[:length])) for ws in words]
    return vocabulary, np.array(ids)
"""

CHRF_IN_FLOAT32 = """
def chrf(hypotheses, references):
    stats = np.zeros((6, 3), dtype="float32")
    for h, r in zip(hypotheses, references):
        h, r = h.replace(" ", ""), r.replace(" ", "")
        for n in range(1, 7):
            hg = Counter(h[i:i + n] for i in range(len(h) - n + 1))
            rg = Counter(r[i:i + n] for i in range(len(r) - n + 1))
            stats[n - 1] += [sum(hg.values()), sum(rg.values()), sum((hg & rg).values())]
    used = (stats[:, 0] > 0) & (stats[:, 1] > 0)
    if not used.any():
        return 0.0
    p = (stats[used, 2] / stats[used, 0]).mean()
    r = (stats[used, 2] / stats[used, 1]).mean()
    return 0.0 if p + r == 0 else 100 * 5 * p * r / (4 * p + r)
"""


@pytest.mark.slow
def test_right_answers_written_another_way_pass(grade_answers):
    replacements = {
        "scaled_dot_product_attention": ATTENTION_WITH_EINSUM_AND_MINUS_INFINITY,
        "vectorize": VECTORIZE_WITH_A_REGEX,
        "chrf": CHRF_IN_FLOAT32,
    }
    _, report = grade_answers(CHAPTER5, replacements, "5.1", "5.2", "5.5")
    assert statuses(report) == {"5.1": "passed", "5.2": "passed", "5.5": "passed"}, messages(report)


@pytest.mark.slow
def test_a_loop_over_the_batch_is_still_right(grade_answers):
    """5.1 has no speed check: a loop over the batch axis is correct and passes on every backend's rules."""
    looped = {"scaled_dot_product_attention": ATTENTION_WITH_A_PYTHON_LOOP_OVER_THE_BATCH}
    _, report = grade_answers(CHAPTER5, looped, "5.1", backend="torch")
    assert statuses(report) == {"5.1": "passed"}, messages(report)


@pytest.mark.slow
def test_a_fixed_length_model_is_told_that_the_held_out_recordings_are_longer(grade_answers):
    _, report = grade_answers(CHAPTER5, {"train_spoken_digit_classifier": FIXED_LENGTH_FLATTEN}, "5.4")
    assert statuses(report) == {"5.4": "failed"}, messages(report)
    assert "held-out inputs, of shape (600, 292, 13)" in messages(report)["5.4"]
    assert "keras.Input(shape=(None, 13))" in report["backends"][0]["exercises"][0]["hint"]


WITHOUT_MASKING = solution_with(CHAPTER5, "train_spoken_digit_classifier", ("        keras.layers.Masking(mask_value=0.0),\n", ""))


@pytest.mark.slow
def test_a_model_that_averages_the_padding_fails_on_longer_padding(grade_answers):
    """Without Masking the average includes padding frames: right on the training padding, wrong on more."""
    _, report = grade_answers(CHAPTER5, {"train_spoken_digit_classifier": WITHOUT_MASKING}, "5.4")
    assert statuses(report) == {"5.4": "failed"}, messages(report)
    assert "test accuracy" in messages(report)["5.4"] and ">= 0.940 required" in messages(report)["5.4"]
    assert "Masking" in report["backends"][0]["exercises"][0]["hint"]
