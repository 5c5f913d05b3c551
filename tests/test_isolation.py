"""A broken, hanging or hostile submission never passes and never takes the grader down.

Each test grades chapter 4 with one exercise replaced by the code under test,
through the real CLI, on JAX (the fastest backend to start).
"""

from __future__ import annotations

import hashlib
import subprocess
import textwrap
import time

import pytest

from helpers import learner_notebook_with, messages, solution_cell, statuses

pytestmark = pytest.mark.slow

WRONG_REPORT = '{"accuracy": 0.0, "precision": 0.0, "recall": 0.0, "roc_auc": 0.0}'


def report_function(body: str) -> str:
    """An `evaluation_report` cell whose body is `body`."""
    return "def evaluation_report(y_true, y_prob, threshold=0.5):\n" + textwrap.indent(textwrap.dedent(body), "    ")


def grade_44(chapter4, tmp_path, run_grader, body: str, *extra: str):
    notebook = learner_notebook_with(chapter4, {"evaluation_report": report_function(body)}, tmp_path / "learner.ipynb")
    finished, report = run_grader("check", "chapter4", "-e", "4.4", "--backend", "jax", "--seed", "7",
                                  "--notebook", str(notebook), *extra)
    assert report is not None, finished.stderr
    return finished, report


HOSTILE = {
    "patches numpy and the grader in its own process": f"""
        import numpy
        numpy.isclose = lambda *a, **k: True
        numpy.allclose = lambda *a, **k: True
        import grader.compare, grader.verdict
        grader.compare.compare_outputs = lambda *a, **k: grader.compare.Comparison(True)
        grader.verdict.judge_function = lambda *a, **k: None
        return {WRONG_REPORT}
    """,
    "prints forged results and writes forged replies to every descriptor": f"""
        import os, json
        forged = json.dumps({{"status": "ok", "id": "4.4", "passed": True, "score": 2}}) + "\\n"
        print(forged)
        print("4.4 Evaluation report | passed | 2/2")
        for fd in range(0, 64):
            try:
                os.write(fd, forged.encode())
            except OSError:
                pass
        return {WRONG_REPORT}
    """,
    "writes a forged JSON report where the grader will write its own": f"""
        import os, json
        args = open(f"/proc/{{os.getppid()}}/cmdline", "rb").read().split(b"\\0")
        path = args[args.index(b"--json") + 1].decode()
        with open(path, "w") as f:
            json.dump({{"score": 2, "max_score": 2, "backends": []}}, f)
        return {WRONG_REPORT}
    """,
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_code_cannot_turn_a_fail_into_a_pass(chapter4, tmp_path, run_grader, body):
    finished, report = grade_44(chapter4, tmp_path, run_grader, body)
    assert finished.returncode == 1, finished.stdout
    # Sandboxed, the forged report's attack cannot even see the grader's command line: an error, not a fail.
    assert statuses(report) in ({"4.4": "failed"}, {"4.4": "error"})
    assert report["score"] == 0


def test_an_object_that_equals_everything_is_refused(chapter4, tmp_path, run_grader):
    body = """
        class Anything:
            def __eq__(self, other):
                return True
            __array_priority__ = 1000
        return {"accuracy": Anything(), "precision": Anything(), "recall": Anything(), "roc_auc": Anything()}
    """
    finished, report = grade_44(chapter4, tmp_path, run_grader, body)
    assert statuses(report) == {"4.4": "error"}
    assert "expected arrays, tensors, numbers or strings" in messages(report)["4.4"]
    assert "Anything" in messages(report)["4.4"]


CRASHES = {
    "sys.exit": "import sys\nsys.exit(0)",
    "os._exit": "import os\nos._exit(0)",
    "segfault": "import ctypes\nctypes.string_at(0)",
    "KeyboardInterrupt": "raise KeyboardInterrupt",
    "an exception": "return 1 / 0",
}


@pytest.mark.parametrize("body", CRASHES.values(), ids=CRASHES.keys())
def test_a_crash_is_an_error_never_a_pass(chapter4, tmp_path, run_grader, body):
    finished, report = grade_44(chapter4, tmp_path, run_grader, body)
    assert finished.returncode == 1
    assert statuses(report) == {"4.4": "error"}


def test_an_exception_shows_the_learners_line_not_the_graders(chapter4, tmp_path, run_grader):
    finished, report = grade_44(chapter4, tmp_path, run_grader, "ratio = 1 / 0\nreturn ratio")
    result = report["backends"][0]["exercises"][0]
    assert result["message"] == "ZeroDivisionError: division by zero"
    traceback = "\n".join(result["details"])
    assert "ratio = 1 / 0" in traceback and "grader" not in traceback
    _, everything = grade_44(chapter4, tmp_path, run_grader, "ratio = 1 / 0\nreturn ratio", "--full-traceback")
    frames = "\n".join(everything["backends"][0]["exercises"][0]["details"])
    assert "ratio = 1 / 0" in frames and "grader/worker/tasks.py" in frames  # the request asked for every frame


def test_a_hanging_exercise_times_out_and_the_others_still_pass(chapter4, tmp_path, run_grader):
    replacements = {"prepare_data": "def prepare_data(features, labels, seed, test_fraction=0.2, val_fraction=0.2):\n    while True:\n        pass"}
    replacements |= {entry: solution_cell(chapter4, entry) for entry in ("build_model", "evaluation_report")}
    notebook = learner_notebook_with(chapter4, replacements, tmp_path / "learner.ipynb")
    before = hashlib.sha256(notebook.read_bytes()).hexdigest()
    finished, report = run_grader("check", "chapter4", "-e", "4.1", "-e", "4.2", "-e", "4.4", "--backend", "jax",
                                  "--timeout", "5", "--notebook", str(notebook))
    assert finished.returncode == 1
    assert statuses(report) == {"4.1": "timeout", "4.2": "passed", "4.4": "passed"}
    assert hashlib.sha256(notebook.read_bytes()).hexdigest() == before


def test_processes_started_by_learner_code_do_not_outlive_the_grader(chapter4, tmp_path, run_grader):
    marker = f"grader-orphan-{time.time_ns()}"
    body = f"""
        import subprocess
        subprocess.Popen(["sleep", "300", "{marker}"])
        return {WRONG_REPORT}
    """
    grade_44(chapter4, tmp_path, run_grader, body)
    survivors = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout
    assert survivors == ""
