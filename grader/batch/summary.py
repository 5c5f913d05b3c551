"""What the instructor sees while a class is graded and after: a progress bar and one summary."""

from __future__ import annotations

import statistics
from collections import Counter
from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .store import GRADED, Grading


@contextmanager
def class_progress(console: Console, total: int) -> Iterator[Callable[[Grading], None]]:
    """A bar over `total` units with the not-graded count and the rate; yields `advance(grading)`."""
    columns = (TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[not_graded]} not graded"),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("grading", total=total, not_graded=0, rate="")
        not_graded = 0

        def advance(grading: Grading) -> None:
            nonlocal not_graded
            not_graded += grading.outcome != GRADED
            elapsed = bar.tasks[0].elapsed or 0.0
            done = bar.tasks[0].completed + 1
            bar.update(task, advance=1, not_graded=not_graded, rate=f"{60 * done / elapsed:.1f}/min" if elapsed else "")

        yield advance


def print_summary(gradings: list[Grading], console: Console) -> None:
    """The score distribution, each exercise's pass rate, the slowest gradings and any grader faults."""
    if not gradings:
        console.print("Nothing graded yet.")
        return
    scores = [g.score for g in gradings if g.outcome == GRADED]
    possible = max(g.max_score for g in gradings)
    outcomes = Counter(g.outcome for g in gradings)
    console.print(f"{len(gradings)} gradings: " + ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items())))
    if scores:
        console.print(f"Scores out of {possible:g}: median {statistics.median(scores):g}, "
                      f"lowest {min(scores):g}, highest {max(scores):g}; "
                      f"{sum(s == possible for s in scores)} full marks")
    console.print(_pass_rates(gradings))
    slowest = sorted(gradings, key=lambda g: g.duration_s, reverse=True)[:3]
    console.print("Slowest: " + ", ".join(f"{g.student} on {g.backend} {g.duration_s:.1f} s" for g in slowest))
    for grading in gradings:
        if grading.outcome != GRADED:
            console.print(f"  {grading.student} on {grading.backend}: {grading.outcome}: {grading.message}",
                          markup=False, highlight=False)


def _pass_rates(gradings: list[Grading]) -> Table:
    table = Table(title="Per exercise", title_justify="left")
    for column in ("Exercise", "Backend", "Passed", "Not implemented", "Other"):
        table.add_column(column)
    counts: dict[tuple[str, str], Counter[str]] = {}
    for grading in gradings:
        for result in grading.results:
            counts.setdefault((result.id, grading.backend), Counter())[result.status.value] += 1
    for (exercise, backend), count in sorted(counts.items()):
        total = sum(count.values())
        other = total - count["passed"] - count["not implemented"]
        table.add_row(exercise, backend, f"{count['passed']}/{total}", str(count["not implemented"]), str(other))
    return table
