"""Renderers: the same report as a terminal table, JSON, or HTML for Jupyter."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

from contextlib import contextmanager
from typing import Any, Callable, Iterator

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from . import next_step
from .chapters import Chapter
from .i18n import N_, _, ngettext, status_label
from .results import BackendReport, ExerciseResult, RunReport, Status, report_to_dict
from .spec import ExerciseSpec

_STYLE = {
    Status.PASSED: "bold green",
    Status.FAILED: "bold red",
    Status.ERROR: "bold magenta",
    Status.TIMEOUT: "bold yellow",
    Status.MEMORY_LIMIT: "bold yellow",
    Status.NOT_IMPLEMENTED: "dim",
    Status.MISSING: "yellow",
    Status.SKIPPED: "dim cyan",
}
_KIND_LABELS = {"function": N_("function"), "model": N_("model"), "training": N_("training")}
_ICON = {Status.PASSED: "✓", Status.FAILED: "✗", Status.ERROR: "!", Status.TIMEOUT: "⏱", Status.MEMORY_LIMIT: "▲",
         Status.NOT_IMPLEMENTED: "·", Status.MISSING: "?", Status.SKIPPED: "-"}


def print_report(report: RunReport, console: Console, *, verbose: bool = False, in_notebook: bool = False) -> None:
    """One table per backend, then the score and the next step (a `check()` call in a notebook)."""
    for backend in report.backends:
        console.print(_backend_table(backend))
        if backend.setup_error:
            could_not_start = _("{backend} could not start:").format(backend=backend.backend)
            console.print(f"[bold magenta]{escape(could_not_start)}[/] {escape(backend.setup_error)}")
        for result in backend.exercises:
            _print_details(result, console, verbose=verbose)
    score = f"[bold]{report.score:g}/{report.max_score:g}[/]"
    console.print(_("Score: {score} (seed {seed})").format(score=score, seed=report.seed))
    console.print(next_step.decide(report).sentence(in_notebook=in_notebook))


@contextmanager
def live_progress(console: Console, total: int) -> Iterator[Callable[..., None]]:
    """A progress bar over `total` steps; yields `status(message, advance=False)`."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(_("starting the workers"), total=total)

        def status(message: str, advance: bool = False) -> None:
            bar.update(task, description=message, advance=1 if advance else 0)

        yield status


def _backend_table(backend: BackendReport) -> Table:
    title = f"{backend.backend} (Keras {backend.keras_version}, {backend.backend} {backend.backend_version})"
    table = Table(title=title, title_justify="left", expand=False)
    for column in (_("Exercise"), _("Status"), _("Points"), _("Time"), _("Message")):
        table.add_column(column, overflow="fold")
    for result in backend.exercises:
        table.add_row(
            Text(f"{result.id} {result.title}"),
            Text(f"{_ICON[result.status]} {status_label(result.status)}", style=_STYLE[result.status]),
            f"{result.score:g}/{result.max_score:g}",
            f"{result.duration_s:.1f} s" if result.duration_s else "",
            Text(result.message),
        )
    return table


def _print_details(result: ExerciseResult, console: Console, *, verbose: bool) -> None:
    if result.ok or result.status is Status.NOT_IMPLEMENTED:
        return
    lines = result.details if verbose else result.details[:8]
    if lines or result.hint:
        console.print(f"[bold]{result.id}[/] {escape(result.message)}", highlight=False)
        for line in lines:
            console.print(f"    {line}", highlight=False, markup=False)
        if len(result.details) > len(lines):
            hidden = len(result.details) - len(lines)
            more = ngettext("... {count} more line: use -v to see it", "... {count} more lines: use -v to see them", hidden)
            console.print("    " + escape(more.format(count=hidden)))
        if result.hint:
            label = _("Hint:")
            console.print(f"    [cyan]{escape(label)}[/] {escape(result.hint)}", highlight=False)


def write_json(report: RunReport, path: Path) -> None:
    """Write the report in the JSON form documented in the README."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {**report_to_dict(report), "next_step": next_step.decide(report).to_dict()}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def report_html(report: RunReport) -> str:
    """A compact HTML verdict for a notebook cell."""
    rows = []
    for backend in report.backends:
        for result in backend.exercises:
            colour = {"passed": "#1a7f37", "failed": "#cf222e"}.get(result.status.value, "#9a6700")
            details = "".join(f"<div><code>{html.escape(line)}</code></div>" for line in result.details[:8])
            label = _("Hint:")
            hint = f"<div><b>{html.escape(label)}</b> {html.escape(result.hint)}</div>" if result.hint else ""
            hint += learning_curve_html(result)
            rows.append(
                f"<tr><td>{html.escape(result.id)} {html.escape(result.title)}</td>"
                f"<td>{html.escape(backend.backend)}</td>"
                f"<td style='color:{colour};font-weight:bold'>{html.escape(status_label(result.status))}</td>"
                f"<td>{result.score:g}/{result.max_score:g}</td>"
                f"<td>{html.escape(result.message)}{details}{hint}</td></tr>"
            )
    header = "<tr>" + "".join(f"<th>{html.escape(name)}</th>" for name in (
        _("Exercise"), _("Backend"), _("Status"), _("Points"), _("Message"))) + "</tr>"
    return f"<table>{header}{''.join(rows)}</table><p>{html.escape(next_step.decide(report).sentence(in_notebook=True))}</p>"


def learning_curve_html(result: ExerciseResult) -> str:
    """The training curves beside the required held-out value, as an inline PNG ("" without history)."""
    if not result.history:
        return ""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ""
    required = next((k.removeprefix("required_") for k in result.metrics if k.startswith("required_")), "")
    names = [k for k in result.history if required and k.endswith(required)] or [k for k in result.history if "loss" in k]
    figure, axis = plt.subplots(figsize=(4.5, 2.6), dpi=90)
    for name in names:
        axis.plot(result.history[name], label=name)
    if f"required_{required}" in result.metrics and names[0].endswith(required):
        axis.axhline(result.metrics[f"required_{required}"], color="red", linestyle="--",
                     label=_("required (test {metric})").format(metric=required))
        axis.plot(len(result.history[names[0]]) - 1, result.metrics[f"test_{required}"], "k*",
                  label=_("your test {metric}").format(metric=required))
    axis.set_xlabel(_("epoch"))
    axis.legend(fontsize=7)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    alt = html.escape(_("learning curve"))
    return f"<div><img alt='{alt}' src='data:image/png;base64,{encoded}'></div>"


def report_text(report: RunReport) -> str:
    """The terminal rendering as plain text (for consoles without HTML)."""
    console = Console(record=True, width=120, file=io.StringIO(), force_terminal=False, force_jupyter=False)
    print_report(report, console, in_notebook=True)
    return console.export_text()


def chapters_json(chapters: list[Chapter]) -> list[dict[str, Any]]:
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
                 "entry_points": [e.entry], "hints": len(e.hints), **_bounds_json(e)}
                for e in chapter.spec.exercises
            ],
        }
        for chapter in chapters
    ]


def _bounds_json(exercise: ExerciseSpec) -> dict[str, Any]:
    """A training exercise's held-out bound, time budgets and baseline to beat, as calibrated."""
    threshold = exercise.threshold
    if exercise.kind != "training" or threshold is None:
        return {}
    bound = {"metric": threshold.metric, **({"min": threshold.minimum} if threshold.minimum is not None
                                             else {"max": threshold.maximum})}
    baseline = {"baseline": {"description": exercise.baseline.description, "min_error_reduction": exercise.baseline.min_error_reduction}
                } if exercise.baseline else {}
    return {"threshold": bound, "budget_s": dict(exercise.budget_s), **baseline}


def print_chapters(chapters: list[Chapter], console: Console) -> None:
    """One table of every chapter's exercises."""
    table = Table(title=_("Chapters and exercises"), title_justify="left")
    for column in (_("Exercise"), _("Title"), _("Kind"), _("Points"), _("You define")):
        table.add_column(column)
    for chapter in chapters:
        table.add_row(f"[bold]{chapter.name}[/]", escape(chapter_title(chapter)), "", "", "")
        for e in chapter.spec.exercises:
            table.add_row(e.id, Text(e.title), _(_KIND_LABELS[e.kind]), str(e.points), e.entry)
    console.print(table)
    console.print(_("Next: grader check chapterN (add --solutions to see the reference pass)"))


def chapter_title(chapter: Chapter) -> str:
    """The chapter's title with the article's Chinese section title: the Chinese first in a Chinese edition."""
    spec = chapter.spec
    return f"{spec.title_zh}（{spec.title}）" if chapter.lang == "zh" else f"{spec.title} ({spec.title_zh})"


def print_progress(chapters: list[Chapter], state: dict[str, Any], console: Console) -> None:
    """Each exercise's latest result on each backend, and each chapter's score per backend."""
    backends = ("jax", "tensorflow", "torch")
    table = Table(title=_("Your progress"), title_justify="left")
    for column in (_("Exercise"), _("Points"), *backends):
        table.add_column(column)
    for chapter in chapters:
        saved = state["results"].get(chapter.name, {})
        scores = {b: sum(saved.get(e.id, {}).get(b, {}).get("score", 0) for e in chapter.spec.exercises) for b in backends}
        table.add_row(f"[bold]{chapter.name}[/] {escape(chapter.spec.title)}", f"{chapter.spec.max_score}",
                      *(f"[bold]{scores[b]:g}/{chapter.spec.max_score}[/]" for b in backends))
        for exercise in chapter.spec.exercises:
            cells = []
            for backend in backends:
                result = saved.get(exercise.id, {}).get(backend)
                status = Status(result["status"]) if result else None
                cells.append(Text(f"{_ICON[status]} {status_label(status)}", style=_STYLE[status]) if status else Text("-", style="dim"))
            table.add_row(Text(f"  {exercise.id} {exercise.title}"), str(exercise.points), *cells)
    console.print(table)
    console.print(_("Next: grader check chapterN to grade a chapter; grader progress --reset to start over"))
