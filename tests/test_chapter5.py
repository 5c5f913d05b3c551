"""Chapter 5: the references agree with the tools learners will meet, wrong answers a learner would
plausibly write fail saying why, and other right answers pass.

The manifest's known mistakes are graded by tests/test_wrong_answers.py.
"""

from __future__ import annotations

import os
import string
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from conftest import PROJECT_ROOT
from grader.chapters import resolve
from grader.metrics import chrf
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


@pytest.mark.parametrize(("hypotheses", "references", "score"), SACREBLEU_CHRF)
def test_the_graders_chrf_equals_sacrebleu(hypotheses, references, score):
    """5.7 is scored by grader/metrics.py's own chrF, never by the learner's 5.5."""
    assert chrf(hypotheses, references) == pytest.approx(score, abs=1e-9)


def test_the_graders_greedy_decoding_writes_what_exercise_5_6s_reference_writes(tmp_path):
    """The inspector decodes 5.7's held-out verses with grader/worker/decoding.py: 5.6's contract, on 5.6's toy models."""
    script = tmp_path / "decode.py"
    script.write_text(
        "import sys, numpy as np\n"
        f"sys.path.insert(0, {str(PROJECT_ROOT / 'tools')!r})\n"
        "from reference_code import reference_function\n"
        "from grader.worker.decoding import greedy_decode\n"
        "toy, reference = reference_function('chapter5', 'toy_translator'), reference_function('chapter5', 'greedy_decode')\n"
        "for seed in range(4):\n"
        "    source = np.random.default_rng(seed).integers(1, 30, (7, 5)).astype('int32')\n"
        "    model = toy(30, 40, 9, seed)\n"
        "    assert np.array_equal(greedy_decode(model, source, 9, batch_size=3), reference(model, source, 9)), seed\n"
        "print('same')\n")
    finished = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                              cwd=PROJECT_ROOT, env={**os.environ, "KERAS_BACKEND": "jax"})
    assert finished.stdout.strip().endswith("same"), finished.stdout + finished.stderr


TRANSLATOR_WITH_A_LAYER_CLASS = """
class AddPositions(keras.layers.Layer):
    def build(self, input_shape):
        self.positions = self.add_weight(shape=input_shape[1:], initializer="zeros")

    def call(self, x):
        return x + self.positions


def train_translator(x_train, y_train, x_val, y_val):
    source = keras.Input(shape=(16,), dtype="int32")
    target = keras.Input(shape=(16,), dtype="int32")
    encoded = AddPositions()(keras.layers.Embedding(1200, 8)(source))
    decoded = AddPositions()(keras.layers.Embedding(1200, 8)(target))
    decoded = keras.layers.MultiHeadAttention(1, 8)(decoded, encoded)
    model = keras.Model([source, target], keras.layers.Dense(1200, activation="softmax")(decoded))
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=0))
    model.fit([x_train[:256], y_train[:256, :-1]], y_train[:256, 1:], epochs=1, verbose=0)
    return model
"""


@pytest.mark.slow
def test_a_translator_built_with_a_layer_class_of_its_own_is_told_why_it_cannot_be_loaded(grade_answers):
    _, report = grade_answers(CHAPTER5, {"train_translator": TRANSLATOR_WITH_A_LAYER_CLASS}, "5.7")
    assert statuses(report) == {"5.7": "failed"}, messages(report)
    assert messages(report)["5.7"].startswith("your model uses AddPositions, a class or function of your own"), messages(report)
    assert "Keras's own layers and keras.ops" in messages(report)["5.7"]


# The chapter's recurrent encoder-decoder, masked, trained for one epoch: it writes mostly [UNK]. (Trained as
# long as the Transformer, 8 epochs, it scores chrF 1.0 to 2.6 on three splits, far under the bound: the
# solved notebook's cell that trains it prints its score, and nbval runs it.)
RECURRENT_TRANSLATOR = """
def train_translator(x_train, y_train, x_val, y_val):
    source = keras.Input(shape=(16,), dtype="int32")
    target = keras.Input(shape=(16,), dtype="int32")
    _, state = keras.layers.GRU(64, return_state=True)(keras.layers.Embedding(1200, 32, mask_zero=True)(source))
    decoded = keras.layers.GRU(64, return_sequences=True)(
        keras.layers.Embedding(1200, 32, mask_zero=True)(target), initial_state=state)
    model = keras.Model([source, target], keras.layers.Dense(1200, activation="softmax")(decoded))
    model.compile(optimizer=keras.optimizers.Adam(0.003), loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=0))
    model.fit([x_train, y_train[:, :-1]], y_train[:, 1:], epochs=1, batch_size=128, verbose=0)
    return model
"""


@pytest.mark.slow
def test_a_translator_short_of_the_bound_is_told_its_chrf_and_the_bound(grade_answers):
    _, report = grade_answers(CHAPTER5, {"train_translator": RECURRENT_TRANSLATOR}, "5.7")
    assert statuses(report) == {"5.7": "failed"}, messages(report)
    assert messages(report)["5.7"].startswith("test chrF ") and "required" in messages(report)["5.7"], messages(report)
    metrics = report["backends"][0]["exercises"][0]["metrics"]
    bound = next(e for e in CHAPTER5.spec.exercises if e.id == "5.7").threshold.minimum
    assert metrics["test_chrf"] < metrics["required_chrf"] == bound, metrics


# A correct Transformer written differently from the reference: fixed sinusoidal positions computed with
# keras.ops, layer normalisation before each block (pre-LN), 2 heads of 32, logits out with the loss
# told so, AdamW, GELU, and a helper function beside the entry point. Graded on PyTorch.
TRANSFORMER_WRITTEN_ANOTHER_WAY = """
import numpy as np


def sinusoids(ids, width):
    positions = ops.cast(ops.cumsum(ops.ones_like(ids), axis=1) - 1, "float32")
    frequencies = np.exp(-np.log(10000.0) * np.arange(0, width, 2) / width).astype("float32")
    angles = positions[..., None] * frequencies
    return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)


def train_translator(x_train, y_train, x_val, y_val):
    width = 64
    source = keras.Input(shape=(16,), dtype="int32")
    target = keras.Input(shape=(16,), dtype="int32")
    encoded = keras.layers.Embedding(1200, width, mask_zero=True)(source) + sinusoids(source, width)
    normed = keras.layers.LayerNormalization()(encoded)
    encoded = encoded + keras.layers.MultiHeadAttention(2, 32)(normed, normed)
    encoded = encoded + keras.layers.Dense(width)(keras.layers.Dense(128, activation="gelu")(keras.layers.LayerNormalization()(encoded)))
    encoded = keras.layers.LayerNormalization()(encoded)
    decoded = keras.layers.Embedding(1200, width, mask_zero=True)(target) + sinusoids(target, width)
    normed = keras.layers.LayerNormalization()(decoded)
    decoded = decoded + keras.layers.MultiHeadAttention(2, 32)(normed, normed, use_causal_mask=True)
    decoded = decoded + keras.layers.MultiHeadAttention(2, 32, name="cross_attention")(
        keras.layers.LayerNormalization()(decoded), encoded)
    decoded = decoded + keras.layers.Dense(width)(keras.layers.Dense(128, activation="gelu")(keras.layers.LayerNormalization()(decoded)))
    logits = keras.layers.Dense(1200)(keras.layers.LayerNormalization()(decoded))
    model = keras.Model([source, target], logits)
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=0.003),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0))
    model.fit([x_train, y_train[:, :-1]], y_train[:, 1:], epochs=8, batch_size=128, verbose=0)
    return model
"""


@pytest.mark.slow
def test_a_transformer_written_another_way_passes(grade_answers):
    _, report = grade_answers(CHAPTER5, {"train_translator": TRANSFORMER_WRITTEN_ANOTHER_WAY}, "5.7", backend="torch")
    assert statuses(report) == {"5.7": "passed"}, messages(report)
