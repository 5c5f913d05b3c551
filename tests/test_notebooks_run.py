"""The solved notebooks run top to bottom under nbval (lax) on JAX."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from grader.build import write_solved
from grader.chapters import PROJECT_ROOT, discover

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("chapter", discover(), ids=lambda c: c.name)
def test_solved_notebook_runs_under_nbval(chapter, tmp_path):
    [notebook] = write_solved([chapter], tmp_path)
    environment = {**os.environ, "KERAS_BACKEND": "jax", "MPLBACKEND": "Agg"}
    finished = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-q", str(notebook),
         "--rootdir", str(tmp_path)],
        capture_output=True, text=True, cwd=PROJECT_ROOT, env=environment, timeout=1200,
    )
    assert finished.returncode == 0, finished.stdout[-4000:]
