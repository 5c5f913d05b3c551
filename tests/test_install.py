"""A wheel install, not editable: the course travels inside the package, and the sandbox still hides it.

`pip install .` puts the grader in site-packages with its solutions and notebooks in `grader/_course/`
(grader/locations.py), and the course's data package beside it with the datasets in `course_data/_datasets/`. These tests build the real wheel, install it into a folder
of its own (no dependencies: this environment's Keras and backends serve), and grade from a folder
that is not the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]

PEEK_AT_THE_COURSE = '''
# %%
import pathlib

import course_data
import grader


# %%
def prepare_data(features, labels, seed):
    folders = (pathlib.Path(grader.__file__).parent / "_course", pathlib.Path(course_data.__file__).parent / "_datasets")
    found = sorted(str(p.relative_to(folder)) for folder in folders for p in folder.rglob("*"))
    raise RuntimeError(f"found {len(found)} course files: {found[:2]}")
'''


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from this checkout, installed into a folder of its own."""
    folder = tmp_path_factory.mktemp("install")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", folder / "dist", ROOT], check=True,
                   timeout=300)
    (wheel,) = (folder / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "grader/_course/solutions/chapter4_worked_example.py" in names
    assert "course_data/_datasets/pima/pima.csv" in names and not any(n.startswith("tests/") for n in names)
    assert "course_data/splits.py" in names and "grader/locale/zh/grader.po" in names
    subprocess.run([*pip, "install", "--no-deps", "--target", folder / "site", wheel], check=True, timeout=300)
    return folder


def grader_from(installed: Path, *args: str) -> subprocess.CompletedProcess:
    """`grader ARGS` run from a folder outside the repository, on the installed package, sandbox required."""
    elsewhere = installed / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    environment = {**os.environ, "PYTHONPATH": str(installed / "site"), "GRADER_SANDBOX": "require",
                   "GRADER_STATE": str(installed / "state.json")}
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=elsewhere, env=environment,
                          capture_output=True, text=True, timeout=600)


def test_the_installed_package_grades_the_solutions_from_another_folder(installed):
    where = grader_from(installed, "list", "--json")
    assert where.returncode == 0, where.stderr
    checked = grader_from(installed, "check", "chapter4", "--solutions", "--backend", "jax", "--json", "report.json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads((installed / "elsewhere" / "report.json").read_text())
    assert {e["id"]: e["status"] for b in report["backends"] for e in b["exercises"]} == dict.fromkeys(
        ["4.1", "4.2", "4.3", "4.4", "4.5"], "passed")


def test_the_imported_grader_is_the_installed_one(installed):
    probe = "import grader.locations as l; print(l.INSTALLED, l.PROJECT_ROOT)"
    ran = subprocess.run([sys.executable, "-c", probe], cwd=installed, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(installed / "site")})
    assert ran.stdout.split() == ["True", str(installed / "site" / "grader" / "_course")]


def test_learner_code_finds_the_installed_course_empty(installed):
    (installed / "elsewhere").mkdir(exist_ok=True)
    (installed / "elsewhere" / "peek.py").write_text(PEEK_AT_THE_COURSE)
    grader_from(installed, "check", "chapter4", "--notebook", "peek.py", "-e", "4.1", "--backend", "jax",
                "--json", "peek.json")
    report = json.loads((installed / "elsewhere" / "peek.json").read_text())
    (result,) = [e for b in report["backends"] for e in b["exercises"]]
    assert result["status"] == "error" and "found 0 course files: []" in result["message"]


def test_authors_commands_ask_for_a_checkout(installed):
    for command in (["build"], ["calibrate", "chapter4", "--write"], ["export", "gradescope", "chapter4"]):
        refused = grader_from(installed, *command)
        assert refused.returncode == 2, (command, refused.stdout, refused.stderr)
        assert refused.stderr.strip().endswith("run it in a checkout of the course repository, not on an installed package.")
