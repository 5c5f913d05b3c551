"""Greedy decoding of a translator, as chapter 5 teaches it (exercise 5.6), for the grader's own use.

The held-out translations of a trained translator (exercise 5.7) are written here, by the
worker that loads the learner's saved model, never by learner code: the tokens it returns
are what the grader scores with chrF.
"""

from __future__ import annotations

import keras
import numpy as np

START, END = 2, 3


def greedy_decode(model: keras.Model, source_ids: np.ndarray, length: int, batch_size: int = 512) -> np.ndarray:
    """The tokens `model([source, target])` writes one at a time: (n, length - 1), 0 after each first `[END]`.

    `target` starts as `[START]` and zeros; at step t the most probable token at output position t
    is written at input position t + 1. A causal decoder gives the same output at position t whatever
    follows it, so the whole fixed-length input is passed at every step.
    """
    written = [_decode_batch(model, source_ids[i : i + batch_size], length)
               for i in range(0, len(source_ids), batch_size)]
    return np.concatenate(written) if written else np.zeros((0, length - 1), dtype=np.int32)


def _decode_batch(model: keras.Model, source_ids: np.ndarray, length: int) -> np.ndarray:
    target_ids = np.zeros((len(source_ids), length), dtype=np.int32)
    target_ids[:, 0] = START
    for t in range(length - 1):
        probabilities = keras.ops.convert_to_numpy(model([source_ids, target_ids], training=False))
        target_ids[:, t + 1] = np.asarray(probabilities)[:, t].argmax(axis=-1)
    written = target_ids[:, 1:]
    after_end = np.cumsum(written == END, axis=1) - (written == END) > 0
    return np.where(after_end, 0, written).astype(np.int32)
