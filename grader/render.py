"""Renderers: the same report as a terminal table, JSON, or HTML for Jupyter."""

from __future__ import annotations

import html
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .chapters import Chapter
from .results import BackendReport, ExerciseResult, RunReport, Status, report_to_dict

_STYLE = {
    Status.PASSED: "bold green",
    Status.FAILED: "bold red",
    Status.ERROR: "bold magenta",
    Status.TIMEOUT: "bold yellow",
    Status.NOT_IMPLEMENTED: "dim",
    Status.MISSING: "yellow",
}
_ICON = {Status.PASSED: "✓", Status.FAILED: "✗", Status.ERROR: "!", Status.TIMEOUT: "⏱",
         Status.NOT_IMPLEMENTED: "·", Status.MISSING: "?"}


def print_report(report: RunReport, console: Console, *, verbose: bool = False) -> None:
    """One table per backend, then the score and the next step."""
    for backend in report.backends:
        console.print(_backend_table(backend))
        if backend.setup_error:
            console.print(f"[bold magenta]{backend.backend} could not start:[/] {backend.setup_error}")
        for result in backend.exercises:
            _print_details(result, console, verbose=verbose)
    console.print(f"Score: [bold]{report.score:g}/{report.max_score:g}[/] (seed {report.seed})")
    console.print(next_step(report))


def _backend_table(backend: BackendReport) -> Table:
    title = f"{backend.backend} (Keras {backend.keras_version}, {backend.backend} {backend.backend_version})"
    table = Table(title=title, title_justify="left", expand=False)
    for column in ("Exercise", "Status", "Points", "Time", "Message"):
        table.add_column(column, overflow="fold")
    for result in backend.exercises:
        table.add_row(
            f"{result.id} {result.title}",
            Text(f"{_ICON[result.status]} {result.status}", style=_STYLE[result.status]),
            f"{result.score:g}/{result.max_score:g}",
            f"{result.duration_s:.1f} s" if result.duration_s else "",
            result.message,
        )
    return table


def _print_details(result: ExerciseResult, console: Console, *, verbose: bool) -> None:
    if result.passed or result.status is Status.NOT_IMPLEMENTED:
        return
    lines = result.details if verbose else result.details[:8]
    if lines or result.hint:
        console.print(f"[bold]{result.id}[/] {result.message}", highlight=False)
        for line in lines:
            console.print(f"    {line}", highlight=False, markup=False)
        if len(result.details) > len(lines):
            console.print(f"    ... {len(result.details) - len(lines)} more lines: use -v to see them")
        if result.hint:
            console.print(f"    [cyan]Hint:[/] {result.hint}", highlight=False)


def next_step(report: RunReport) -> str:
    """The one thing to do next, with the exact command."""
    chapter = report.chapter
    failing = [r for b in report.backends for r in b.exercises if not r.passed]
    if not failing:
        return f"All passed. Next: grader check {_next_chapter(chapter)} (or grader list to see every chapter)"
    first = failing[0]
    if first.status is Status.NOT_IMPLEMENTED:
        return f"Next: open the notebook, write {first.id} \"{first.title}\", then run: grader check {chapter} -e {first.id}"
    return f"Next: fix {first.id} \"{first.title}\" and run: grader check {chapter} -e {first.id}"


def _next_chapter(chapter: str) -> str:
    number = int(chapter.removeprefix("chapter"))
    return f"chapter{number + 1}"


def write_json(report: RunReport, path: Path) -> None:
    """Write the report in the JSON form documented in the README."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report_to_dict(report), indent=2) + "\n", encoding="utf-8")


def report_html(report: RunReport) -> str:
    """A compact HTML verdict for a notebook cell."""
    rows = []
    for backend in report.backends:
        for result in backend.exercises:
            colour = {"passed": "#1a7f37", "failed": "#cf222e"}.get(result.status.value, "#9a6700")
            details = "".join(f"<div><code>{html.escape(line)}</code></div>" for line in result.details[:8])
            hint = f"<div><b>Hint:</b> {html.escape(result.hint)}</div>" if result.hint else ""
            rows.append(
                f"<tr><td>{html.escape(result.id)} {html.escape(result.title)}</td>"
                f"<td>{html.escape(backend.backend)}</td>"
                f"<td style='color:{colour};font-weight:bold'>{html.escape(str(result.status))}</td>"
                f"<td>{result.score:g}/{result.max_score:g}</td>"
                f"<td>{html.escape(result.message)}{details}{hint}</td></tr>"
            )
    header = "<tr><th>Exercise</th><th>Backend</th><th>Status</th><th>Points</th><th>Message</th></tr>"
    return f"<table>{header}{''.join(rows)}</table><p>{html.escape(next_step(report))}</p>"


def report_text(report: RunReport) -> str:
    """The terminal rendering as plain text (for consoles without HTML)."""
    console = Console(record=True, width=120, force_terminal=False)
    with console.capture():
        print_report(report, console)
    return console.export_text()


def chapters_json(chapters: list[Chapter]) -> list[dict]:
    """What `grader list --json` prints."""
    return [
        {
            "chapter": chapter.name,
            "number": chapter.number,
            "title": chapter.spec.title,
            "title_zh": chapter.spec.title_zh,
            "notebook": f"course/{chapter.notebook.name}",
            "max_score": chapter.spec.max_score,
            "exercises": [
                {"id": e.id, "title": e.title, "points": e.points, "kind": e.kind,
                 "entry_points": [e.entry], "hints": len(e.hints)}
                for e in chapter.spec.exercises
            ],
        }
        for chapter in chapters
    ]


def print_chapters(chapters: list[Chapter], console: Console) -> None:
    """One table of every chapter's exercises."""
    table = Table(title="Chapters and exercises", title_justify="left")
    for column in ("Exercise", "Title", "Kind", "Points", "You define"):
        table.add_column(column)
    for chapter in chapters:
        table.add_row(f"[bold]{chapter.name}[/]", f"[bold]{chapter.spec.title}[/] ({chapter.spec.title_zh})", "", "", "")
        for e in chapter.spec.exercises:
            table.add_row(e.id, e.title, e.kind, str(e.points), e.entry)
    console.print(table)
    console.print("Next: grader check chapterN (add --solutions to see the reference pass)")
