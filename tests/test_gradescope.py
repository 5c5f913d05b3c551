"""The Gradescope bundle: built by `grader export gradescope`, run as Gradescope runs it, results in its schema."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import jsonschema
import pytest

from conftest import SEED, _clean_env
from grader.batch.gradescope import BundleConfig, results_json
from grader.batch.store import GRADED, Grading
from grader.chapters import resolve
from grader.results import BackendReport, ExerciseResult, RunReport, Status
from helpers import learner_notebook_with, solution_cell

SCHEMA = json.loads((Path(__file__).parent / "data" / "gradescope-results.schema.json").read_text())


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "gradescope-chapter1.zip"
    built = subprocess.run([sys.executable, "-m", "grader", "export", "gradescope", "chapter1", "--backend", "jax",
                            "--seed", SEED, "--out", str(out)], capture_output=True, text=True, env=_clean_env())
    assert built.returncode == 0, built.stdout + built.stderr
    return out


def _autograder(bundle: Path, root: Path) -> Path:
    """The folders Gradescope makes, and a venv standing in for the one setup.sh installs.

    The venv's path holds the bundle's own project (as setup.sh's editable install does) and borrows
    this test run's installed packages rather than downloading them.
    """
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    venv.EnvBuilder(with_pip=False).create(root / "venv")
    site = Path(sysconfig.get_path("purelib", vars={"base": str(root / "venv"), "platbase": str(root / "venv")}))
    (site / "bundle.pth").write_text(f"{root / 'source' / 'project'}\n{sysconfig.get_path('purelib')}\n")
    return root


def _run(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([shutil.which("bash") or "/bin/bash", str(root / "run_autograder")], capture_output=True, text=True, timeout=600,
                          cwd=root.parent, env={**_clean_env(), **env})


def test_the_bundle_holds_what_gradescope_runs_and_nothing_of_the_course_staff(bundle: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        entries = {entry.filename: entry for entry in archive.infolist()}
        config = BundleConfig.from_json(archive.read("gradescope.json").decode())
        scripts = {name: archive.read(name).decode() for name in ("setup.sh", "run_autograder")}
    for name, text in scripts.items():
        assert entries[name].external_attr >> 16 & stat.S_IXUSR, f"{name} is not executable"
        parsed = subprocess.run([shutil.which("bash") or "/bin/bash", "-n"], input=text, capture_output=True, text=True)
        assert parsed.returncode == 0, f"{name}: {parsed.stderr}"
    assert "bubblewrap" in scripts["setup.sh"] and '-e "project[jax]"' in scripts["setup.sh"]
    assert config == BundleConfig("chapter1", ("1.1", "1.2", "1.3"), ("jax",), int(SEED))
    assert "project/solutions/chapter1_background.py" in entries and "project/grader/sandbox.py" in entries
    assert "project/course_data/datasets.py" in entries  # the grader imports it
    assert not [name for name in entries if name.startswith(("project/tests/", "project/.git", "project/course/"))]
    assert not [name for name in entries if "/solutions/" in name and "chapter1" not in name]
    assert not [name for name in entries if "__pycache__" in name]


@pytest.mark.slow
def test_run_autograder_grades_a_submission_where_gradescope_puts_it(bundle: Path, tmp_path: Path) -> None:
    root = _autograder(bundle, tmp_path / "autograder")
    chapter = resolve("chapter1")
    solved = {e.entry: solution_cell(chapter, e.entry) for e in chapter.spec.exercises}
    learner_notebook_with(chapter, solved, root / "submission" / "chapter1_background.ipynb")
    (root / "submission" / "notes.txt").write_text("handed in beside the notebook")
    finished = _run(root)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    assert results["score"] == 5 and [t["number"] for t in results["tests"]] == ["1.1", "1.2", "1.3"]
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in results["tests"])


def test_a_hand_in_without_a_notebook_gets_zero_and_says_why(bundle: Path, tmp_path: Path) -> None:
    root = _autograder(bundle, tmp_path / "autograder")
    (root / "submission" / "chapter1.py").write_text("def standardize(x): return x\n")
    finished = _run(root)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    assert results["score"] == 0 and results["tests"] == []
    assert "no notebook (.ipynb) was handed in (only chapter1.py)" in results["output"]
    assert "chapter1_background.ipynb" in results["output"]


def test_a_grader_fault_writes_no_results_so_gradescope_records_no_zero(bundle: Path, tmp_path: Path) -> None:
    root = _autograder(bundle, tmp_path / "autograder")
    chapter = resolve("chapter1")
    shutil.copy(chapter.notebook, root / "submission" / "chapter1_background.ipynb")
    finished = _run(root, PATH=str(tmp_path / "no-bwrap-here"))  # the bundle requires the sandbox
    assert finished.returncode == 1
    assert "Grader fault on jax" in finished.stdout and "bubblewrap" in finished.stdout
    assert not (root / "results" / "results.json").exists()


def test_results_take_each_exercise_at_its_worst_backend_with_every_message_and_hint() -> None:
    chapter = resolve("chapter1")
    config = BundleConfig("chapter1", ("1.1", "1.2", "1.3"), ("jax", "torch"), 7, visibility="after_published")

    def grading(backend: str, failing: str) -> Grading:
        results = tuple(ExerciseResult(e.id, e.title, Status.FAILED if e.id == failing else Status.PASSED,
                                       0.0 if e.id == failing else e.points, e.points, message=f"{e.id} on {backend}",
                                       details=("expected 1.0, got 2.0",), hint="look at the axis")
                        for e in chapter.spec.exercises)
        report = RunReport("chapter1", 7, "x.ipynb", (BackendReport(backend, "3.15", "1", (), results),))
        return Grading("chapter1", "s", backend, "x", "d", 7, config.exercises, GRADED, "", report.score,
                       report.max_score, 3.0, keras_version="3.15", report=report)

    results = results_json(chapter, [grading("jax", "1.2"), grading("torch", "1.3")], config)
    jsonschema.validate(results, SCHEMA)
    assert [t["score"] for t in results["tests"]] == [1, 0, 0] and results["score"] == 1
    assert [t["status"] for t in results["tests"]] == ["passed", "failed", "failed"]
    second = results["tests"][1]["output"]
    assert "jax: failed. 1.2 on jax" in second and "torch: passed" in second
    assert "expected 1.0, got 2.0" in second and "Hint: look at the axis" in second
    assert results["visibility"] == "after_published" and results["execution_time"] == 6
