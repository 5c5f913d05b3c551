"""Progress is kept outside the notebook and survives a check that crashes half-way."""

from __future__ import annotations

import json
import textwrap

import pytest

from helpers import learner_notebook_with, solution_cell

KILL_THE_GRADER_ON_TENSORFLOW = textwrap.dedent('''
    import os, signal
    import keras

    def evaluation_report(y_true, y_prob, threshold=0.5):
        if keras.backend.backend() == "tensorflow":
            os.kill(os.getppid(), signal.SIGKILL)  # the grader itself dies mid-check
        return _reference(y_true, y_prob, threshold)
''')


@pytest.mark.slow
def test_progress_shows_a_check_and_survives_a_crash_in_the_middle(chapter4, tmp_path, run_grader):
    reference = solution_cell(chapter4, "evaluation_report").replace("def evaluation_report(", "def _reference(")
    notebook = learner_notebook_with(
        chapter4, {"evaluation_report": "import numpy as np\n" + reference + KILL_THE_GRADER_ON_TENSORFLOW},
        tmp_path / "learner.ipynb",
    )
    # Unsandboxed: the learner's code stands in for a grader that dies mid-run (the sandbox would stop it;
    # tests/test_sandbox.py shows that it does).
    finished, _ = run_grader("check", "chapter4", "-e", "4.4", "--backend", "all", "--sandbox", "off",
                             "--notebook", str(notebook))
    assert finished.returncode < 0  # killed while grading tensorflow
    shown, _ = run_grader("progress")
    row = next(line for line in shown.stdout.splitlines() if "4.4" in line)
    assert "passed" in row  # the JAX result, recorded before the crash
    state = json.loads((tmp_path / "state.json").read_text())
    assert set(state["results"]["chapter4"]["4.4"]) == {"jax"}


def test_hints_come_one_at_a_time_and_reset_forgets_them(run_grader):
    first, _ = run_grader("hint", "4.1")
    second, _ = run_grader("hint", "4.1")
    assert "hint 1 of 3" in first.stdout and "hint 2 of 3" in second.stdout
    run_grader("progress", "--reset")
    again, _ = run_grader("hint", "4.1")
    assert "hint 1 of 3" in again.stdout


def test_hint_for_an_unknown_exercise_is_a_usage_error(run_grader):
    finished, _ = run_grader("hint", "4.9")
    assert finished.returncode == 2 and "no exercise '4.9'" in finished.stderr
