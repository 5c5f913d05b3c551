"""The grader's text encoder: the rules of exercise 5.2, which learners implement too."""

from __future__ import annotations

import pytest

from course_data import build_vocabulary, encode, tokenize


def test_words_are_lower_case_without_punctuation():
    assert tokenize("It's GREAT -- really, great!") == ["its", "great", "really", "great"]


def test_the_vocabulary_reserves_padding_and_unknown_then_ranks_by_count_then_alphabet():
    vocabulary = build_vocabulary(["b a c", "c b", "c d"], max_tokens=5)
    assert vocabulary == ["", "[UNK]", "c", "b", "a"]


def test_encoding_cuts_pads_at_the_end_and_marks_unknown_words():
    vocabulary = ["", "[UNK]", "good", "film"]
    assert encode(["good film", "a good good film indeed"], vocabulary, length=3).tolist() == [[2, 3, 0], [1, 2, 2]]


def test_a_vocabulary_too_small_for_its_reserved_entries_is_refused():
    with pytest.raises(ValueError, match="max_tokens must be at least 2"):
        build_vocabulary(["a"], max_tokens=1)
