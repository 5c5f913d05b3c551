"""Manifests are typed and checked: a typo fails loudly instead of grading with a default."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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
        (('kind = "function"', 'kind = "functon"'), "kind 'functon' is not a kind of exercise. Did you mean 'function'?"),
        (('hints = ["a hint"]', "hints = []"), "at least one hint"),
        (('points = 1', 'points = 1\npionts = 2'), "the exercise has no key 'pionts'. Did you mean 'points'?"),
        (('points = 1', 'points = "one"'), "points must be an integer. Received: 'one'."),
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
    with pytest.raises(SpecError, match="there is no backend 'mxnet'. Expected one of: jax, tensorflow, torch."):
        load_chapter_spec(write(tmp_path, GOOD.replace('points = 1', 'points = 1\nbackends = ["mxnet"]')))


TRAINING = GOOD.replace('kind = "function"', 'kind = "training"') + """
data = { dataset = "pima", test_fraction = 0.2, val_fraction = 0.2 }
threshold = { metric = "log_loss", max = 0.6, max_gap = 0.25 }
budget_s = { jax = 30, tensorflow = 30, torch = 30 }
"""


def test_a_threshold_may_bound_the_gap_to_training_and_a_misspelt_key_is_named(tmp_path):
    threshold = load_chapter_spec(write(tmp_path, TRAINING)).exercises[0].threshold
    assert threshold.max_gap == 0.25 and threshold.gap(0.5, 0.4) == pytest.approx(0.1)
    with pytest.raises(SpecError, match=r"a max threshold has no key 'max_gaps'. Did you mean 'max_gap'\?"):
        load_chapter_spec(write(tmp_path, TRAINING.replace("max_gap", "max_gaps")))


def test_a_threshold_may_bound_the_training_metric_in_its_own_direction(tmp_path):
    bounded = TRAINING.replace("max_gap = 0.25", "max_gap = 0.25, max_training = 0.55")
    threshold = load_chapter_spec(write(tmp_path, bounded)).exercises[0].threshold
    assert threshold.training == 0.55 and threshold.reads_training_rows
    assert threshold.training_within(0.5) and not threshold.training_within(0.56)
    accuracy = bounded.replace('"log_loss", max = 0.6', '"accuracy", min = 0.7').replace("max_training", "min_training")
    assert load_chapter_spec(write(tmp_path, accuracy)).exercises[0].threshold.training_within(0.54) is False
    with pytest.raises(SpecError, match=r"a max threshold has no key 'min_training'. Did you mean 'max_training'\?"):
        load_chapter_spec(write(tmp_path, bounded.replace("max_training", "min_training")))


FUNCTION = GOOD + """
trials = 2
dims = { n = [2, 9] }
inputs = { x = { normal = ["n", 3], loc = 1.0, scale = [0.5, 2.0] }, t = { sentences = "bible_en", rows = "n" }, u = { perturb = "t", drop = 0.3 } }
mistakes = [ { function = "forgot_the_bias", message = "The bias is missing." } ]
speed = { max_ratio = 5, repeats = 3, dims = { n = 2000 } }
"""


def test_a_manifest_using_every_kind_of_table_loads(tmp_path):
    function = load_chapter_spec(write(tmp_path, FUNCTION)).exercises[0]
    assert function.speed.dims == {"n": 2000} and function.mistakes[0].function == "forgot_the_bias"
    training = load_chapter_spec(write(tmp_path, TRAINING.replace("val_fraction = 0.2", "val_fraction = 0.2, standardize = true")))
    assert training.exercises[0].data.standardize is True


# Each mistake an author makes in a manifest, caught when it is loaded (before anything is graded), in one
# line that names the exercise, the key and the fix.
@pytest.mark.parametrize(
    ("manifest", "change", "message"),
    [
        (TRAINING, ("val_fraction = 0.2", "val_fraction = 0.2, standardise = true"),
         "exercise 9.1: data has no key 'standardise'. Did you mean 'standardize'?"),
        (TRAINING, ('dataset = "pima"', 'dataset = "pimaa"'), "exercise 9.1: data: there is no dataset 'pimaa'. Did you mean 'pima'?"),
        (TRAINING, ('metric = "log_loss"', 'metric = "log_los"'), "threshold: there is no metric 'log_los'. Did you mean 'log_loss'?"),
        (TRAINING, ("test_fraction = 0.2", 'test_fraction = "a fifth"'), "data test_fraction must be a number. Received: 'a fifth'."),
        (TRAINING, ("test_fraction = 0.2", "test_fraction = 0.9"), "must be fractions that leave training rows"),
        (TRAINING, ("jax = 30,", "jaxx = 30,"), "budget_s has no key 'jaxx'. Did you mean 'jax'?"),
        (TRAINING, ('data = { dataset = "pima", ', "data = { "), "data needs 'dataset'."),
        (TRAINING, ("test_fraction = 0.2", "test_fraction = 0.2, translation = 1"), "data translation must be true or false"),
        (TRAINING, ('data = {', 'baseline = { function = "f", min_error_reduction = 0.01 }\ndata = {'), "baseline needs 'description'."),
        (FUNCTION, ("trials = 2", 'trials = 2\nbaseline = { function = "f", min_error_reduction = 0.01, description = "d" }'),
         "baseline is a reference model to beat: only a training exercise has one."),
        (FUNCTION, ('function = "forgot_the_bias"', 'functon = "forgot_the_bias"'), "a mistake has no key 'functon'. Did you mean 'function'?"),
        (FUNCTION, ("max_ratio = 5", "max_ration = 5"), "speed has no key 'max_ration'. Did you mean 'max_ratio'?"),
        (FUNCTION, ("dims = { n = 2000 }", "dims = { m = 2000 }"), "speed.dims has no key 'm'. Expected one of: n."),
        (FUNCTION, ("loc = 1.0", "lok = 1.0"), "input 'x': a normal rule has no key 'lok'. Did you mean 'loc'?"),
        (FUNCTION, ("{ normal =", "{ normall ="), "input 'x' must name exactly one rule of normal, uniform, integers"),
        (FUNCTION, ('normal = ["n", 3]', 'normal = ["nn", 3]'), "input 'x': the shape names 'nn', which is not in dims. Did you mean 'n'?"),
        (FUNCTION, ('normal = ["n", 3]', 'normal = ["n", -3]'), "the shape must be a size (an integer) or a [low, high] range"),
        (FUNCTION, ('"bible_en"', '"bible_eng"'), "input 't': there is no corpus 'bible_eng'. Did you mean 'bible_en'?"),
        (FUNCTION, ('perturb = "t"', 'perturb = "v"'), "input 'u': perturb must name an input listed before it"),
        (FUNCTION, ("dims = { n = [2, 9] }", "dims = { n = [9, 2] }"), "dims n must be a size (an integer) or a [low, high] range"),
        (FUNCTION, ("trials = 2", "trials = 2\n[exercises.tolerance]\nrtol = 1e-5\ntorhc = { atol = 1 }"),
         "tolerance has no key 'torhc'. Did you mean 'torch'?"),
    ],
)
def test_every_mistake_in_a_manifest_is_named_at_load_with_its_fix(tmp_path, manifest, change, message):
    assert change[0] in manifest
    with pytest.raises(SpecError) as caught:
        load_chapter_spec(write(tmp_path, manifest.replace(*change, 1)))
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert str(caught.value).startswith(f"{tmp_path / 'chapter9_test.toml'}: ")


def test_a_mistake_in_a_shipped_manifest_stops_every_command_with_exit_2_and_one_line(tmp_path):
    """A course author's fork: the grader and its manifests copied, one key misspelt."""
    root = Path(__file__).resolve().parents[1]
    for folder in ("grader", "solutions"):
        shutil.copytree(root / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = tmp_path / "solutions" / "chapter4_worked_example.toml"
    manifest.write_text(manifest.read_text().replace("standardize = true", "standardise = true", 1))
    for command in (["list"], ["check", "chapter4", "--solutions", "--backend", "jax"]):
        ran = subprocess.run([sys.executable, "-m", "grader", *command], cwd=tmp_path, capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(tmp_path)}, timeout=120)
        assert ran.returncode == 2, ran.stderr
        assert ran.stderr.splitlines()[-1] == (f"error: {manifest}: exercise 4.3: data has no key 'standardise'. "
                                               "Did you mean 'standardize'?")
