"""`grader watch`: re-grade each time the notebook is saved, and say only what changed."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.markup import escape
from watchfiles import watch

from .render import print_report
from .results import RunReport


def watch_notebook(notebook: Path, grade_once: Callable[[], RunReport], console: Console) -> None:
    """Grade now, then after every save of `notebook`, until Ctrl-C.

    The folder is watched rather than the file, because editors and Jupyter
    often save by writing a new file and renaming it over the old one.
    """
    previous = grade_once()
    print_report(previous, console)
    target = notebook.resolve()
    for _ in watch(target.parent, watch_filter=lambda _, path: Path(path).resolve() == target,
                   debounce=400, raise_interrupt=True):
        if not target.exists():
            continue  # mid-rename: the next event brings the new file
        console.rule(f"{notebook.name} changed")
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
                was = f" (was {old.status})" if old is not None and old.status != result.status else ""
                console.print(f"{backend.backend} {result.id} {escape(result.title)}: [bold]{result.status}[/]{was} {escape(result.message)}",
                              highlight=False)
                if result.hint and not result.passed:
                    console.print(f"    [cyan]Hint:[/] {escape(result.hint)}", highlight=False)
    if not changed:
        console.print("No change.")
    console.print(f"Score: {current.score:g}/{current.max_score:g}. Watching for the next save...")
