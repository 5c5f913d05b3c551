"""Turn short texts into the integer sequences an Embedding layer reads.

The grader encodes the review snippets of chapter 5's text exercise with these
rules, which are also the contract of the learner's own tokeniser (exercise 5.2):

- standardise: lower-case, and drop every ASCII punctuation character;
- split on whitespace;
- vocabulary: index 0 is "" (padding), 1 is "[UNK]" (any word not in the
  vocabulary), then words by falling frequency, ties in alphabetical order,
  `max_tokens` entries in all (the same conventions as Keras's TextVectorization);
- encode: the first `length` tokens of each text, padded with 0 at the end.

Example:
    >>> vocabulary = build_vocabulary(["A cat.", "a dog, a cat"], max_tokens=4)
    >>> vocabulary
    ['', '[UNK]', 'a', 'cat']
    >>> encode(["the cat"], vocabulary, length=3).tolist()
    [[1, 3, 0]]
"""

from __future__ import annotations

import string
from collections import Counter
from typing import Iterable

import numpy as np

PADDING, UNKNOWN, START, END = "", "[UNK]", "[START]", "[END]"
_DROP_PUNCTUATION = str.maketrans("", "", string.punctuation)


def tokenize(text: str) -> list[str]:
    """The words of `text`, lower-cased, without punctuation."""
    return str(text).lower().translate(_DROP_PUNCTUATION).split()


def build_vocabulary(texts: Iterable[str], max_tokens: int) -> list[str]:
    """The `max_tokens` most frequent words, after the padding and unknown entries."""
    if max_tokens < 2:
        raise ValueError(f"max_tokens must be at least 2 (padding and [UNK]). Received: max_tokens={max_tokens}")
    counts = Counter(word for text in texts for word in tokenize(text))
    ranked = sorted(counts, key=lambda word: (-counts[word], word))
    return [PADDING, UNKNOWN, *ranked[: max_tokens - 2]]


def encode(texts: Iterable[str], vocabulary: list[str], length: int) -> np.ndarray:
    """Each text's first `length` word indices, 0-padded at the end: an int32 array (n, length)."""
    index = {word: i for i, word in enumerate(vocabulary)}
    texts = list(texts)
    ids = np.zeros((len(texts), length), dtype=np.int32)
    for row, text in enumerate(texts):
        words = tokenize(text)[:length]
        ids[row, : len(words)] = [index.get(word, 1) for word in words]
    return ids


def build_target_vocabulary(texts: Iterable[str], max_tokens: int) -> list[str]:
    """A translation's output vocabulary: padding, unknown, `[START]` (2) and `[END]` (3), then words.

    Example:
        >>> build_target_vocabulary(["Y dijo", "y vio"], max_tokens=6)
        ['', '[UNK]', '[START]', '[END]', 'y', 'dijo']
    """
    if max_tokens < 4:
        raise ValueError(f"max_tokens must be at least 4 (padding, [UNK], [START], [END]). Received: max_tokens={max_tokens}")
    return [PADDING, UNKNOWN, START, END, *build_vocabulary(texts, max_tokens - 2)[2:]]


def encode_target(texts: Iterable[str], vocabulary: list[str], length: int) -> np.ndarray:
    """A translation's target ids: `[START]`, the first `length - 2` words, `[END]`, then 0s: int32 (n, length).

    The decoder reads `ids[:, :-1]` and learns to predict `ids[:, 1:]` (teacher forcing).

    Example:
        >>> encode_target(["Y dijo"], ['', '[UNK]', '[START]', '[END]', 'y', 'dijo'], length=5).tolist()
        [[2, 4, 5, 3, 0]]
    """
    words = encode(texts, vocabulary, length - 2)
    ids = np.zeros((len(words), length), dtype=np.int32)
    ids[:, 0] = vocabulary.index(START)
    ids[:, 1:-1] = words
    ids[np.arange(len(words)), 1 + (words > 0).sum(axis=1)] = vocabulary.index(END)
    return ids
