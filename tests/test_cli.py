"""The command line: names a learner types, errors that say what to do, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.chapters import UnknownChapter, chapter_of_exercise, resolve
from helpers import messages, statuses


@pytest.mark.parametrize("name", ["chapter4", "4", "ch4", "CH4", "chapter4_worked_example", "chapter4.ipynb"])
def test_a_chapter_has_many_names(name):
    assert resolve(name).number == 4


def test_an_unknown_chapter_suggests_a_close_one():
    with pytest.raises(UnknownChapter, match="Did you mean chapter4"):
        resolve("chaptr4")


@pytest.mark.parametrize(("name", "stem"), [("chapter3a", "chapter3a_losses_and_optimisers"), ("3B", "chapter3b_convolution_and_recurrence"),
                                           ("ch3b", "chapter3b_convolution_and_recurrence")])
def test_a_part_of_a_chapter_is_named_by_its_letter(name, stem):
    assert resolve(name).stem == stem


def test_a_chapter_in_parts_named_without_its_letter_lists_the_parts():
    with pytest.raises(UnknownChapter, match=r"Chapter 3 comes in 2 parts: chapter3a \(.*\) and chapter3b \(.*\)"):
        resolve("chapter3")


@pytest.mark.parametrize(("exercise", "part"), [("3.1", "chapter3a"), ("3.7", "chapter3a"), ("3.8", "chapter3b"), ("3.13", "chapter3b")])
def test_an_exercise_id_finds_the_part_that_holds_it(exercise, part):
    assert chapter_of_exercise(exercise).name == part


def test_list_json_names_every_exercise(run_grader):
    finished, _ = run_grader("list", "--json")
    chapters = {c["chapter"]: c for c in json.loads(finished.stdout)}
    exercises = chapters["chapter4"]["exercises"]
    assert [e["id"] for e in exercises] == ["4.1", "4.2", "4.3", "4.4", "4.5"]
    assert {"id", "title", "points", "kind", "entry_points"} <= set(exercises[0])
    assert exercises[2]["kind"] == "training"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "chapter42"], "No chapter called 'chapter42'"),
        (["check", "chapter3"], "Name one, for example: grader check chapter3a"),
        (["check", "chapter4", "-e", "4.9"], "Chapter 4 has no exercise '4.9'"),
        (["check", "chapter4", "--backend", "theano"], "Unknown backend 'theano'"),
        (["check", "chapter4", "--solutions", "--notebook", "x.ipynb"], "either --solutions or --notebook"),
        (["check", "chapter4", "--notebook", "missing.ipynb", "--backend", "jax"], "no such file"),
        (["calibrate", "chapter4", "-e", "4.1"], "no training exercise"),
    ],
)
def test_usage_errors_exit_2_with_one_line_that_says_why(run_grader, args, message):
    finished, _ = run_grader(*args)
    assert finished.returncode == 2
    assert message in finished.stderr


def test_an_unreadable_notebook_is_a_usage_error(run_grader, tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ this is not json")
    finished, _ = run_grader("check", "chapter4", "--notebook", str(broken), "--backend", "jax")
    assert finished.returncode == 2
    assert "not valid notebook JSON" in finished.stderr
    assert broken.read_text() == "{ this is not json"


def test_unknown_exercise_ids_may_omit_the_chapter(run_grader):
    finished, _ = run_grader("check", "chapter4", "-e", "9", "--backend", "jax")
    assert "has no exercise '4.9'" in finished.stderr



def test_an_exercise_for_one_backend_is_skipped_plainly_on_another(tmp_path):
    """A course author's fork in which exercise 1.1 is graded on JAX only, checked on PyTorch."""
    root = Path(__file__).resolve().parents[1]
    for folder in ("grader", "solutions"):
        shutil.copytree(root / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = tmp_path / "solutions" / "chapter1_background.toml"
    manifest.write_text(manifest.read_text().replace('id = "1.1"', 'id = "1.1"\nbackends = ["jax"]', 1))
    report = tmp_path / "report.json"
    ran = subprocess.run(
        [sys.executable, "-m", "grader", "check", "chapter1", "-e", "1.1", "--solutions", "--backend", "torch",
         "--json", str(report)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(tmp_path), "GRADER_STATE": str(tmp_path / "state.json")},
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert statuses(json.loads(report.read_text())) == {"1.1": "skipped"}
    assert messages(json.loads(report.read_text()))["1.1"] == (
        "needs the jax backend, not torch: grader check chapter1 -e 1.1 --backend jax")
