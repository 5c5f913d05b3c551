"""`grader watch`: re-grade each time the notebook is saved, and say only what changed."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.markup import escape
from watchfiles import watch

from .i18n import _, status_label
from .render import print_report
from .results import ExerciseResult, RunReport


def watch_notebook(notebook: Path, grade_once: Callable[[], RunReport], console: Console) -> None:
    """Grade now, then after every save of `notebook`, until Ctrl-C.

    The folder is watched rather than the file, because editors and Jupyter
    often save by writing a new file and renaming it over the old one.
    """
    previous = grade_once()
    print_report(previous, console)
    target = notebook.resolve()
    for _changes in watch(target.parent, watch_filter=lambda _change, path: Path(path).resolve() == target,
                          debounce=400, raise_interrupt=True):
        if not target.exists():
            continue  # mid-rename: the next event brings the new file
        console.rule(_("{notebook} changed").format(notebook=notebook.name))
        current = grade_once()
        print_changes(previous, current, console)
        previous = current


def print_changes(previous: RunReport, current: RunReport, console: Console) -> None:
    """One line per exercise whose status or message changed since the last run."""
    before = {(b.backend, r.id): r for b in previous.backends for r in b.exercises}
    changed = 0
    for backend in current.backends:
        for result in backend.exercises:
            old = before.get((backend.backend, result.id))
            if old is None or (old.status, old.message) != (result.status, result.message):
                changed += 1
                status = _status_change(result, old)
                console.print(f"{backend.backend} {result.id} {escape(result.title)}: {status} {escape(result.message)}",
                              highlight=False)
                if result.hint and not result.passed:
                    label = _("Hint:")
                    console.print(f"    [cyan]{escape(label)}[/] {escape(result.hint)}", highlight=False)
    if not changed:
        console.print(escape(_("No change.")))
    watching = _("Score: {score:g}/{max_score:g}. Watching for the next save...")
    console.print(escape(watching.format(score=current.score, max_score=current.max_score)))


def _status_change(result: ExerciseResult, old: ExerciseResult | None) -> str:
    """The new status in bold, and the old one where it differs: `passed (was failed)`, as rich markup."""
    status = f"[bold]{escape(status_label(result.status))}[/]"
    if old is None or old.status == result.status:
        return status
    return _("{status} (was {previous})").format(status=status, previous=escape(status_label(old.status)))
