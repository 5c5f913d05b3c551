"""The command line: names a learner types, errors that say what to do, exit codes."""

from __future__ import annotations

import json

import pytest

from grader.chapters import UnknownChapter, resolve


@pytest.mark.parametrize("name", ["chapter4", "4", "ch4", "CH4", "chapter4_worked_example", "chapter4.ipynb"])
def test_a_chapter_has_many_names(name):
    assert resolve(name).number == 4


def test_an_unknown_chapter_suggests_a_close_one():
    with pytest.raises(UnknownChapter, match="Did you mean chapter4"):
        resolve("chaptr4")


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

