"""Exports of a class's grades, each read from the grades database and nothing else.

- the gradebook (CSV): one row per student, a column per exercise, the total, as an LMS imports it;
- JUnit XML: a test suite per student and backend, a test case per exercise, for CI systems;
- feedback: one Markdown and one HTML page per student, with the verdicts, messages and hints.

An exercise's points in the gradebook are the fewest it earned on the backends it was graded on
(the course promises that what passes on one backend passes on the others). A grader fault
leaves the student's cells empty, with the reason in the last column: it is never a zero.
"""

from __future__ import annotations

import csv
import html
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from ..results import ExerciseResult, Status
from ..spec import ChapterSpec
from .store import FAULT, GRADED, Grading, students

_FAILURE = {Status.FAILED, Status.NOT_IMPLEMENTED, Status.MISSING}  # the student's answer is wrong or absent
_ERROR = {Status.ERROR, Status.TIMEOUT, Status.MEMORY_LIMIT}  # the student's code did not finish


def write_gradebook(spec: ChapterSpec, gradings: list[Grading], path: Path) -> int:
    """Write the gradebook CSV; the number of students."""
    ids = [exercise.id for exercise in spec.exercises if any(exercise.id in g.exercises for g in gradings)]
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as sink:
        writer = csv.writer(sink)
        writer.writerow(["student", *ids, "total", "max_score", "comment"])
        for student, own in students(gradings):
            writer.writerow([student, *_gradebook_cells(spec, own, ids)])
            rows += 1
    return rows


def _gradebook_cells(spec: ChapterSpec, own: list[Grading], ids: list[str]) -> list[str]:
    possible = sum(spec.exercise(i).points for i in ids)
    faults = [g for g in own if g.outcome == FAULT]
    if faults:
        return [""] * (len(ids) + 1) + [f"{possible:g}", f"grader fault on {faults[0].backend}: re-run grader grade"]
    points = {i: fewest_points(own, i) for i in ids}
    comment = next((f"{g.outcome}: {g.message}" for g in own if g.outcome != GRADED), "")
    return [f"{points[i]:g}" for i in ids] + [f"{sum(points.values()):g}", f"{possible:g}", comment]


def fewest_points(own: list[Grading], exercise_id: str) -> float:
    """The exercise's points on its worst backend (skipped backends do not count)."""
    earned = [r.score for g in own for r in g.results if r.id == exercise_id and r.status is not Status.SKIPPED]
    return min(earned) if earned else 0.0


def write_junit(chapter: str, gradings: list[Grading], path: Path) -> int:
    """Write JUnit XML (the schema CI systems read, tests/data/junit-10.xsd); the number of test cases."""
    root = ElementTree.Element("testsuites", name=f"{chapter} grades")
    cases = 0
    for grading in gradings:
        suite = ElementTree.SubElement(root, "testsuite", name=f"{grading.student} on {grading.backend}")
        failures = errors = skipped = 0
        if grading.outcome != GRADED:
            case = ElementTree.SubElement(suite, "testcase", name="grading", classname=_classname(grading))
            ElementTree.SubElement(case, "error", message=f"{grading.outcome}: {grading.message}", type=grading.outcome)
            errors += 1
        for result in grading.results:
            case = ElementTree.SubElement(suite, "testcase", name=f"{result.id} {result.title}",
                                          classname=_classname(grading), time=f"{result.duration_s:.3f}")
            kind = _junit_kind(result)
            if kind == "skipped":
                ElementTree.SubElement(case, "skipped").text = result.message
                skipped += 1
            elif kind:
                element = ElementTree.SubElement(case, kind, message=result.message, type=result.status.value)
                element.text = "\n".join([*result.details, *([f"Hint: {result.hint}"] if result.hint else [])])
                failures += kind == "failure"
                errors += kind == "error"
        count = len(suite)
        cases += count
        suite.attrib.update(tests=str(count), failures=str(failures), errors=str(errors), skipped=str(skipped),
                            time=f"{grading.duration_s:.3f}")
    ElementTree.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return cases


def _classname(grading: Grading) -> str:
    return f"{grading.chapter}.{re.sub(r'[^A-Za-z0-9_]', '_', grading.student)}.{grading.backend}"


def _junit_kind(result: ExerciseResult) -> str:
    if result.status is Status.SKIPPED:
        return "skipped"
    if result.status in _FAILURE:
        return "failure"
    return "error" if result.status in _ERROR else ""


def write_feedback(chapter: str, gradings: list[Grading], folder: Path) -> int:
    """Write `<student>.md` and `<student>.html` into `folder`; the number of students."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for student, own in students(gradings):
        name = _file_name(student)
        (folder / f"{name}.md").write_text(feedback_markdown(chapter, student, own), encoding="utf-8")
        (folder / f"{name}.html").write_text(feedback_html(chapter, student, own), encoding="utf-8")
        count += 1
    return count


def _file_name(student: str) -> str:
    """A file name that stays in the folder, whatever the id holds."""
    return re.sub(r"[^A-Za-z0-9_.@-]", "_", student).lstrip(".") or "_"


def feedback_markdown(chapter: str, student: str, own: list[Grading]) -> str:
    lines = [f"# {chapter}: feedback for {student}", ""]
    for grading in own:
        lines += [f"## On {grading.backend}: {grading.score:g}/{grading.max_score:g}", ""]
        if grading.outcome != GRADED:
            lines += [f"Not graded ({grading.outcome}): {grading.message}", ""]
            continue
        lines += ["| Exercise | Status | Points | Message |", "|---|---|---|---|"]
        lines += [f"| {r.id} {_cell(r.title)} | {r.status} | {r.score:g}/{r.max_score:g} | {_cell(r.message)} |"
                  for r in grading.results]
        lines.append("")
        for result in grading.results:
            if not result.ok and (result.details or result.hint):
                lines += [f"**{result.id}** {result.message}", "", "```", *result.details[:8], "```"]
                lines += [f"Hint: {result.hint}", ""] if result.hint else [""]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def feedback_html(chapter: str, student: str, own: list[Grading]) -> str:
    parts = [f"<!doctype html><meta charset='utf-8'><title>{html.escape(chapter)}: {html.escape(student)}</title>",
             f"<h1>{html.escape(chapter)}: feedback for {html.escape(student)}</h1>"]
    for grading in own:
        parts.append(f"<h2>On {html.escape(grading.backend)}: {grading.score:g}/{grading.max_score:g}</h2>")
        if grading.outcome != GRADED:
            parts.append(f"<p>Not graded ({html.escape(grading.outcome)}): {html.escape(grading.message)}</p>")
            continue
        rows = "".join(
            f"<tr><td>{html.escape(r.id)} {html.escape(r.title)}</td><td>{html.escape(str(r.status))}</td>"
            f"<td>{r.score:g}/{r.max_score:g}</td><td>{html.escape(r.message)}"
            + "".join(f"<div><code>{html.escape(line)}</code></div>" for line in r.details[:8])
            + (f"<div><b>Hint:</b> {html.escape(r.hint)}</div>" if r.hint and not r.ok else "")
            + "</td></tr>"
            for r in grading.results)
        parts.append(f"<table><tr><th>Exercise</th><th>Status</th><th>Points</th><th>Message</th></tr>{rows}</table>")
    return "\n".join(parts) + "\n"
