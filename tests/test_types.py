"""The grader type-checks under `mypy --strict`, as pyproject.toml's [tool.mypy] configures it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_grader_passes_strict_type_checking():
    ran = subprocess.run([sys.executable, "-m", "mypy"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert ran.returncode == 0, ran.stdout + ran.stderr
