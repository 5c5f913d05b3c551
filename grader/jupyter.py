"""`check("4.2")` inside a notebook: the same verdict as `grader check`, inline.

The kernel's definitions are taken from the cells it has executed (IPython's
`In` history, in execution order, so the latest version of a function wins),
written to a temporary file, and graded by `grader check` in a separate
process on the kernel's backend. Nothing is judged inside the kernel, and the
notebook file on disk is never touched.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from . import i18n
from .backends import default_backend
from .chapters import chapter_of_exercise
from .i18n import _
from .render import report_html, report_text
from .results import RunReport, report_from_dict


class CheckError(RuntimeError):
    """`check()` could not grade (outside a notebook, unknown exercise, ...)."""


def kernel_backend() -> str:
    """The backend this kernel's Keras runs on (or would, once imported)."""
    keras = sys.modules.get("keras")
    return keras.backend.backend() if keras is not None else default_backend()


def executed_cells() -> list[str]:
    """The sources of the cells this kernel has run, oldest first, as typed.

    As typed, not as `In` holds them: IPython keeps `In` after its input transformation, where a
    `%%time` cell's body is a string; the grader reads cells as the kernel does, once.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        get_ipython = None
    shell = get_ipython() if get_ipython else None
    if shell is None:
        raise CheckError(_("check() grades a running notebook. In a terminal, use: grader check chapterN"))
    history = getattr(shell, "history_manager", None)
    typed = history.input_hist_raw if history is not None else shell.user_ns.get("In", [])
    return [str(source) for source in typed[1:]]


class Verdict:
    """What `check()` returns: shown as HTML in Jupyter and as text elsewhere."""

    def __init__(self, report: RunReport) -> None:
        self.report = report

    @property
    def passed(self) -> bool:
        return self.report.passed

    def _repr_html_(self) -> str:
        return report_html(self.report)

    def __repr__(self) -> str:
        return report_text(self.report)


def check(
    exercise_id: str,
    *,
    backend: str | None = None,
    seed: int | None = None,
    timeout: float | None = None,
    lang: str | None = None,
) -> Verdict:
    """Grade one exercise from this kernel's definitions.

    Args:
        exercise_id: the exercise, e.g. "4.2".
        backend: defaults to the kernel's backend.
        seed: reproduces a run's hidden inputs.
        timeout: time limit in seconds, overriding the exercise's.
        lang: the language of the verdict, "en" or "zh" (the Chinese notebooks pass "zh"); defaults to
            the kernel's environment (GRADER_LANG, else its locale).

    Returns:
        The verdict, which Jupyter shows as a table.

    Example, in a notebook cell after the one that defines `prepare_data`::

        check("4.1")
    """
    chapter = chapter_of_exercise(exercise_id)
    with tempfile.TemporaryDirectory(prefix="grader-check-") as tmp:
        source = Path(tmp) / "kernel_history.py"
        source.write_text("".join(f"# %%\n{cell}\n\n" for cell in executed_cells()), encoding="utf-8")
        report_path = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "grader", "check", chapter.name, "-e", exercise_id,
                   "--backend", backend or kernel_backend(), "--notebook", str(source), "--json", str(report_path)]
        command += ["--seed", str(seed)] if seed is not None else []
        command += ["--timeout", str(timeout)] if timeout is not None else []
        language = lang or i18n.language_from_environment()
        command += ["--lang", language]
        finished = subprocess.run(command, capture_output=True, text=True)
        if not report_path.exists():
            raise CheckError((finished.stderr or finished.stdout).strip() or _("the grader did not run"))
        i18n.use(language)  # the verdict's table is drawn here, in the kernel, in the language it was worded in
        return Verdict(report_from_dict(json.loads(report_path.read_text())))
