"""Helpers for tests that grade notebooks."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import nbformat
import pytest

from grader.build import read_source
from grader.chapters import Chapter


def solution_cell(chapter: Chapter, entry: str) -> str:
    """The reference source of the cell that defines `entry` (a function or a class)."""
    defines = re.compile(rf"^(def|class) {re.escape(entry)}\b", re.MULTILINE)
    for cell in read_source(chapter).cells:
        if cell.cell_type == "code" and defines.search(cell.source):
            return cell.source
    raise LookupError(entry)


def solution_with(chapter: Chapter, entry: str, *changes: tuple[str, str]) -> str:
    """The reference's cell for `entry`, its solution markers dropped, with each `(old, new)` change made where
    `old` occurs exactly once: a wrong answer that follows the reference as it is today, not a copy of it that
    drifts when the reference changes (a change that no longer applies fails here, naming it)."""
    code = "".join(line for line in solution_cell(chapter, entry).splitlines(keepends=True)
                   if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    for old, new in changes:
        found = code.count(old)
        assert found == 1, f"the reference of {entry} holds {old!r} {found} times, not once: update this wrong answer"
        code = code.replace(old, new)
    return code


def learner_notebook_with(chapter: Chapter, replacements: dict[str, str], path: Path) -> Path:
    """The chapter's learner notebook with some exercise cells replaced by the given code."""
    notebook = nbformat.read(chapter.notebook, as_version=4)
    for cell in notebook.cells:
        entry = cell.metadata.get("grader", {}).get("entry")
        if entry in replacements:
            cell.source = replacements[entry]
    nbformat.write(notebook, path)
    return path


def statuses(report: dict, backend: str | None = None) -> dict[str, str]:
    """`{exercise id: status}` for one backend (the only one when not named)."""
    backends = [b for b in report["backends"] if backend in (None, b["backend"])]
    return {e["id"]: e["status"] for e in backends[0]["exercises"]}


def messages(report: dict) -> dict[str, str]:
    return {e["id"]: e["message"] for e in report["backends"][0]["exercises"]}


@dataclass(frozen=True)
class Submission:
    """A learner's code for one exercise: it replaces the cell that defines `entry`."""

    exercise: str
    entry: str
    code: str


def in_rounds(cases: list[tuple]) -> dict[Submission, tuple[Submission, ...]]:
    """Each case's round, for cases `(exercise, entry, code, ...)`: round k holds the k-th case of every
    exercise, all graded in one notebook (conftest's `grade_round`), so a chapter is graded
    max(cases per exercise) times instead of once per case."""
    by_exercise: dict[str, list[Submission]] = defaultdict(list)
    for exercise, entry, code, *_ in cases:
        by_exercise[exercise].append(Submission(exercise, entry, code))
    count = max((len(submissions) for submissions in by_exercise.values()), default=0)
    rounds = [tuple(s[k] for s in by_exercise.values() if k < len(s)) for k in range(count)]
    entries = [[s.entry for s in round_] for round_ in rounds]
    assert all(len(set(e)) == len(e) for e in entries), "two exercises of a round replace the same cell"
    return {submission: round_ for round_ in rounds for submission in round_}


class WrongAnswer(NamedTuple):
    """A wrong answer a learner would plausibly write, and what the grader must say of it."""

    exercise: str
    entry: str
    code: str
    expected: str  # a part of the exercise's message
    status: str = "failed"  # or "error", where the code raises as the learner's would


def wrong_answer_test(chapter: Chapter, answers: list[tuple], rounds: dict[Submission, tuple[Submission, ...]], *,
                      ids: list[str]) -> Callable[..., None]:
    """The one test of wrong answers, over a chapter's table: each fails, with its status, saying why.

    A chapter's test file keeps its table and assigns this to a `test_` name; `rounds` (from
    `in_rounds`) may hold other cases of the chapter too, graded in the same notebooks.
    """
    cases = [WrongAnswer(*answer) for answer in answers]

    @pytest.mark.parametrize("answer", cases, ids=ids)
    def test(grade_round: Callable[..., tuple], answer: WrongAnswer) -> None:
        finished, report = grade_round(chapter, rounds, answer.exercise, answer.entry, answer.code)
        assert statuses(report)[answer.exercise] == answer.status, messages(report)
        assert answer.expected in messages(report)[answer.exercise]
        assert finished.returncode == 1

    return test
