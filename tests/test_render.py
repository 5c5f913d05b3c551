"""What the learner reads: tables, details, hints and the next step."""

from __future__ import annotations

import io
import json

from rich.console import Console

from grader.chapters import resolve
from grader.next_step import NextStep, decide
from grader.render import print_report, report_html, write_json
from grader.results import BackendReport, ExerciseResult, RunReport, Status


def report(*results: ExerciseResult, chapter: str = "chapter6") -> RunReport:
    return RunReport(chapter, 1, "n.ipynb", (BackendReport("jax", "3.15", "0.10", ("cpu",), results),))


def printed(run: RunReport) -> str:
    console = Console(record=True, width=200, file=io.StringIO())
    print_report(run, console)
    return console.export_text()


def test_brackets_in_messages_and_hints_are_shown_as_written():
    result = ExerciseResult("6.3", "Log", Status.FAILED, 0, 2, message="KeyError: [/bold] 'loss'",
                            details=("a[0] | 1 | 2",), hint="pass callbacks=[logger] to fit")
    text = printed(report(result))
    assert "KeyError: [/bold] 'loss'" in text
    assert "callbacks=[logger]" in text and "a[0] | 1 | 2" in text


def passed(exercise_id: str) -> ExerciseResult:
    return ExerciseResult(exercise_id, "t", Status.PASSED, 2, 2, message="ok")


def test_the_next_step_is_the_first_exercise_that_did_not_pass_in_the_chapters_order():
    stub = ExerciseResult("6.2", "A callback", Status.NOT_IMPLEMENTED, 0, 2)
    failed = ExerciseResult("6.3", "Write a training log", Status.FAILED, 0, 2, message="no")
    assert decide(report(passed("6.1"), stub, failed)) == NextStep("write", "chapter6", "6.2", "A callback")
    assert decide(report(passed("6.1"), failed)) == NextStep("fix", "chapter6", "6.3", "Write a training log")


def test_after_a_pass_the_next_step_is_the_next_exercise_then_the_next_chapter_then_the_end():
    assert decide(report(passed("6.1"))) == NextStep("continue", "chapter6", "6.2", "A callback that stops on a plateau")
    assert decide(report(passed("6.2"), passed("6.3"), passed("6.4"))) == NextStep("next_chapter", "chapter7")
    assert decide(report(passed("3.7"), chapter="chapter3a")) == NextStep("next_chapter", "chapter3b")
    last_exercise = resolve("chapter8").spec.exercises[-1].id
    assert decide(report(passed(last_exercise), chapter="chapter8")).action == "finished"


def test_each_medium_words_the_same_step():
    step = NextStep("fix", "chapter6", "6.3", "Write a training log")
    assert step.sentence() == 'Next: fix 6.3 "Write a training log" and run: grader check chapter6 -e 6.3'
    assert step.sentence(in_notebook=True) == 'Next: fix 6.3 "Write a training log" and run: check("6.3")'
    stub = report(ExerciseResult("6.1", "Save", Status.NOT_IMPLEMENTED, 0, 2))
    assert 'open the notebook, write 6.1 "Save", then run: grader check chapter6 -e 6.1' in printed(stub)
    assert 'write 6.1 &quot;Save&quot; in its cell, run that cell, then: check(&quot;6.1&quot;)' in report_html(stub)


def test_the_json_report_carries_the_next_step(tmp_path):
    write_json(report(passed("6.1")), tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())["next_step"] == {
        "action": "continue", "chapter": "chapter6", "exercise": "6.2", "title": "A callback that stops on a plateau",
        "command": "grader check chapter6 -e 6.2"}


def test_html_escapes_what_it_shows():
    result = ExerciseResult("6.1", "<b>", Status.FAILED, 0, 2, message="<script>", hint="a & b")
    html = report_html(report(result))
    assert "<script>" not in html and "&lt;script&gt;" in html and "a &amp; b" in html
