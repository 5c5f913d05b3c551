"""What the learner does next, decided once for the terminal, the JSON report and the notebook.

The decision: write the first exercise still a stub, else fix the first one that did not pass, else go
on to the chapter's next exercise that was not graded, else to the next chapter. Each medium only words
it: the terminal and the JSON report name a `grader check` command, the notebook a `check()` call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .chapters import discover, resolve
from .i18n import _
from .results import RunReport, Status

Action = Literal["write", "fix", "continue", "next_chapter", "finished"]


@dataclass(frozen=True)
class NextStep:
    """One thing to do, and where: an exercise (`write`, `fix`, `continue`) or a chapter."""

    action: Action
    chapter: str = ""  # the chapter to grade next (empty when the course is finished)
    exercise: str = ""  # its exercise id, for write, fix and continue
    title: str = ""

    def command(self, *, in_notebook: bool = False) -> str:
        """The exact command: `grader check chapter4 -e 4.2`, or `check("4.2")` in a notebook."""
        if self.action == "finished":
            return "grader progress"
        if in_notebook:
            return f'check("{self.exercise}")' if self.exercise else f"grader check {self.chapter}"
        return f"grader check {self.chapter}" + (f" -e {self.exercise}" if self.exercise else "")

    def sentence(self, *, in_notebook: bool = False) -> str:
        """The step as the learner reads it, ending with the command."""
        fields = {"exercise": self.exercise, "title": self.title, "command": self.command(in_notebook=in_notebook)}
        write = (_('Next: write {exercise} "{title}" in its cell, run that cell, then: {command}') if in_notebook
                 else _('Next: open the notebook, write {exercise} "{title}", then run: {command}'))
        return {
            "write": write,
            "fix": _('Next: fix {exercise} "{title}" and run: {command}'),
            "continue": _('All passed. Next: {exercise} "{title}": {command}'),
            "next_chapter": _("All passed. Next chapter: {command}"),
            "finished": _("All passed: that was the last exercise of the course. See what is left with: {command}"),
        }[self.action].format(**fields)

    def to_dict(self) -> dict[str, str]:
        """The JSON report's `next_step`."""
        return {"action": self.action, "chapter": self.chapter, "exercise": self.exercise, "title": self.title,
                "command": self.command()}


def decide(report: RunReport) -> NextStep:
    """The next step after `report`: what failed comes first, then what comes after what was graded."""
    results = [result for backend in report.backends for result in backend.exercises]
    failing = [r for r in results if not r.ok]
    if failing:
        first = failing[0]
        return NextStep("write" if first.status is Status.NOT_IMPLEMENTED else "fix", report.chapter, first.id, first.title)
    chapter = resolve(report.chapter)
    graded = {r.id for r in results}
    last = max((i for i, e in enumerate(chapter.spec.exercises) if e.id in graded), default=-1)
    rest = [e for e in chapter.spec.exercises[last + 1:] if e.id not in graded]
    if rest:
        return NextStep("continue", chapter.name, rest[0].id, rest[0].title)
    chapters = discover()
    later = [c.name for c in chapters if (c.number, c.part) > (chapter.number, chapter.part)]
    return NextStep("next_chapter", later[0]) if later else NextStep("finished")
