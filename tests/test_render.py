"""What the learner reads: tables, details, hints and the next step."""

from __future__ import annotations

import io

from rich.console import Console

from grader.render import print_report, report_html, what_next
from grader.results import BackendReport, ExerciseResult, RunReport, Status


def report(*results: ExerciseResult) -> RunReport:
    return RunReport("chapter6", 1, "n.ipynb", (BackendReport("jax", "3.15", "0.10", ("cpu",), results),))


def printed(run: RunReport) -> str:
    console = Console(record=True, width=200, file=io.StringIO())
    print_report(run, console, next_step="grader check chapter7")
    return console.export_text()


def test_brackets_in_messages_and_hints_are_shown_as_written():
    result = ExerciseResult("6.3", "Log", Status.FAILED, 0, 2, message="KeyError: [/bold] 'loss'",
                            details=("a[0] | 1 | 2",), hint="pass callbacks=[logger] to fit")
    text = printed(report(result))
    assert "KeyError: [/bold] 'loss'" in text
    assert "callbacks=[logger]" in text and "a[0] | 1 | 2" in text


def test_the_next_step_names_a_command():
    passed = ExerciseResult("6.1", "Save", Status.PASSED, 2, 2, message="ok")
    assert what_next(report(passed), "grader check chapter7") == "All passed. Next: grader check chapter7"
    stub = ExerciseResult("6.1", "Save", Status.NOT_IMPLEMENTED, 0, 2)
    assert "grader check chapter6 -e 6.1" in what_next(report(stub))


def test_html_escapes_what_it_shows():
    result = ExerciseResult("6.1", "<b>", Status.FAILED, 0, 2, message="<script>", hint="a & b")
    html = report_html(report(result))
    assert "<script>" not in html and "&lt;script&gt;" in html and "a &amp; b" in html
