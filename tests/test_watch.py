"""`grader watch` re-grades on save and reports what changed."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from grader.chapters import PROJECT_ROOT
from helpers import learner_notebook_with, solution_cell

pytestmark = pytest.mark.slow


def read_until(lines: queue.Queue, needle: str, timeout_s: float = 180) -> str:
    seen, deadline = [], time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        seen.append(line)
        if needle in line:
            return "".join(seen)
    raise AssertionError(f"{needle!r} not seen in:\n{''.join(seen)}")


def test_saving_a_fixed_exercise_flips_it_to_passed(chapter4, tmp_path):
    notebook = learner_notebook_with(chapter4, {}, tmp_path / "learner.ipynb")
    environment = {**os.environ, "GRADER_STATE": str(tmp_path / "state.json"), "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-m", "grader", "watch", "chapter4", "-e", "4.4", "--backend", "jax", "--notebook", str(notebook)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=PROJECT_ROOT, env=environment,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        read_until(lines, "Score: 0/2")
        time.sleep(1)  # the watcher is armed once the first report is out
        learner_notebook_with(chapter4, {"evaluation_report": solution_cell(chapter4, "evaluation_report")}, notebook)
        changed = read_until(lines, "Watching for the next save")
        assert "4.4 Evaluation report" in changed and "passed (was not implemented)" in changed
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
        assert "Stopped watching." in read_until(lines, "Stopped watching.", timeout_s=10)
    finally:
        process.kill()
