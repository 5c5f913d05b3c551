"""Manifests are typed and checked: a typo fails loudly instead of grading with a default."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.chapters import discover
from grader.spec import SpecError, load_chapter_spec

GOOD = """
schema = 1
[chapter]
number = 9
title = "T"
title_zh = "标题"
[[exercises]]
id = "9.1"
title = "x"
kind = "function"
entry = "f"
points = 1
hints = ["a hint"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "chapter9_test.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_manifest_loads(tmp_path):
    spec = load_chapter_spec(write(tmp_path, GOOD))
    assert spec.exercises[0].id == "9.1" and spec.max_score == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("schema = 1", "schema = 2"), "expected schema = 1"),
        (('kind = "function"', 'kind = "functon"'), "kind must be one of"),
        (('hints = ["a hint"]', "hints = []"), "at least one hint"),
        (('points = 1', 'points = 1\npionts = 2'), "unknown keys ['pionts']"),
        (('id = "9.1"', 'id = "8.1"'), "must start with '9.'"),
        (('kind = "function"', 'kind = "training"'), "needs [data] and [threshold]"),
    ],
)
def test_mistakes_in_a_manifest_are_named(tmp_path, change, message):
    with pytest.raises(SpecError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_chapter_spec(write(tmp_path, GOOD.replace(*change)))


def test_every_shipped_manifest_is_valid_and_every_exercise_has_hints():
    for chapter in discover():
        assert chapter.spec.exercises
        assert all(exercise.hints for exercise in chapter.spec.exercises)


def test_an_exercise_may_need_one_backend(tmp_path):
    spec = load_chapter_spec(write(tmp_path, GOOD.replace('points = 1', 'points = 1\nbackends = ["jax"]')))
    assert spec.exercises[0].backends == ("jax",)
    with pytest.raises(SpecError, match="backends must be some of"):
        load_chapter_spec(write(tmp_path, GOOD.replace('points = 1', 'points = 1\nbackends = ["mxnet"]')))


TRAINING = GOOD.replace('kind = "function"', 'kind = "training"') + """
data = { dataset = "pima", test_fraction = 0.2, val_fraction = 0.2 }
threshold = { metric = "log_loss", max = 0.6, max_gap = 0.25 }
budget_s = { jax = 30, tensorflow = 30, torch = 30 }
"""


def test_a_threshold_may_bound_the_gap_to_training_and_a_misspelt_key_is_named(tmp_path):
    threshold = load_chapter_spec(write(tmp_path, TRAINING)).exercises[0].threshold
    assert threshold.max_gap == 0.25 and threshold.gap(0.5, 0.4) == pytest.approx(0.1)
    with pytest.raises(SpecError, match=r"unknown threshold keys \['max_gaps'\]"):
        load_chapter_spec(write(tmp_path, TRAINING.replace("max_gap", "max_gaps")))


def test_a_threshold_may_bound_the_training_metric_in_its_own_direction(tmp_path):
    bounded = TRAINING.replace("max_gap = 0.25", "max_gap = 0.25, max_training = 0.55")
    threshold = load_chapter_spec(write(tmp_path, bounded)).exercises[0].threshold
    assert threshold.training == 0.55 and threshold.reads_training_rows
    assert threshold.training_within(0.5) and not threshold.training_within(0.56)
    accuracy = bounded.replace('"log_loss", max = 0.6', '"accuracy", min = 0.7').replace("max_training", "min_training")
    assert load_chapter_spec(write(tmp_path, accuracy)).exercises[0].threshold.training_within(0.54) is False
    with pytest.raises(SpecError, match=r"unknown threshold keys \['min_training'\].*takes max_gap and max_training"):
        load_chapter_spec(write(tmp_path, bounded.replace("max_training", "min_training")))
