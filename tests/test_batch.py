"""Grading a class: finding submissions, the resumable store, the exports, and a real Dask scheduler."""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import xmlschema

from conftest import SEED, _clean_env
from grader.batch.classroom import ClassPlan, stored_grading, units_to_grade
from grader.batch.engine import run_units
from grader.batch.exports import write_feedback, write_gradebook, write_junit
from grader.batch.store import FAULT, GRADED, UNREADABLE, GradeStore
from grader.batch.submissions import SubmissionsError, find_submissions
from grader.batch.task import Unit
from grader.chapters import PROJECT_ROOT, resolve
from grader.results import ExerciseResult, RunReport, BackendReport, Status, report_to_dict
from helpers import learner_notebook_with, solution_cell

JUNIT_SCHEMA = Path(__file__).parent / "data" / "junit-10.xsd"


@pytest.fixture
def chapter1():
    return resolve("chapter1")


def _notebook(path: Path, text: str = "{}") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_ids_come_from_file_names_and_student_folders(tmp_path: Path) -> None:
    _notebook(tmp_path / "class" / "alice.ipynb")
    _notebook(tmp_path / "class" / "bob" / "chapter1_background.ipynb")
    _notebook(tmp_path / "class" / "bob" / "scratch.ipynb")
    _notebook(tmp_path / "class" / "carol" / "a.ipynb")
    _notebook(tmp_path / "class" / "carol" / "b.ipynb")
    _notebook(tmp_path / "class" / "dave" / ".ipynb_checkpoints" / "x-checkpoint.ipynb")
    _notebook(tmp_path / "erin.ipynb")
    found = find_submissions([tmp_path / "class", tmp_path / "erin.ipynb"], "chapter1", tmp_path)
    by_id = {s.student: s for s in found}
    assert list(by_id) == ["alice", "bob", "carol", "erin"]
    assert by_id["bob"].path.name == "chapter1_background.ipynb"
    assert by_id["carol"].path is None and "several notebooks" in by_id["carol"].problem


def test_a_zip_is_read_from_inside_its_one_top_folder_and_never_writes_outside(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("export/alice/chapter1.ipynb", "{}")
        bundle.writestr("export/bob/chapter1.ipynb", "{}")
        bundle.writestr("export/bob/submission_metadata.yml", "x: 1")
    found = find_submissions([archive], "chapter1", tmp_path / "unpacked")
    assert [s.student for s in found] == ["alice", "bob"]
    assert found[0].origin == f"{archive}:alice/chapter1.ipynb"
    hostile = tmp_path / "hostile.zip"
    with zipfile.ZipFile(hostile, "w") as bundle:
        bundle.writestr("../../escaped.ipynb", "{}")
    with pytest.raises(SubmissionsError, match="points outside the archive"):
        find_submissions([hostile], "chapter1", tmp_path / "unpacked")
    assert not list(tmp_path.parent.glob("escaped.ipynb"))


def test_an_id_pattern_replaces_the_rule_and_two_notebooks_for_one_id_are_refused(tmp_path: Path) -> None:
    _notebook(tmp_path / "lms" / "smithjane_1234_5678_chapter1.ipynb")
    _notebook(tmp_path / "lms" / "doejohn_4321_8765_chapter1.ipynb")
    found = find_submissions([tmp_path / "lms"], "chapter1", tmp_path, id_pattern=r"^(?P<id>[a-z]+)_\d+")
    assert [s.student for s in found] == ["doejohn", "smithjane"]
    with pytest.raises(SubmissionsError, match="two submissions for 'chapter1'"):
        find_submissions([tmp_path / "lms"], "chapter1", tmp_path, id_pattern=r"_(chapter1)")
    with pytest.raises(SubmissionsError, match="does not match this path"):
        find_submissions([tmp_path / "lms"], "chapter1", tmp_path, id_pattern=r"^smith(?P<id>\w+)")
    with pytest.raises(SubmissionsError, match="no such file"):
        find_submissions([tmp_path / "absent"], "chapter1", tmp_path)


def _report(chapter, status: Status) -> dict:
    results = tuple(ExerciseResult(e.id, e.title, status, e.points if status is Status.PASSED else 0.0, e.points,
                                   message=f"{e.id} {status}", hint="try again" if status is not Status.PASSED else "")
                    for e in chapter.spec.exercises)
    return report_to_dict(RunReport(chapter.name, 7, "x.ipynb", (BackendReport("jax", "3", "0", (), results),)))


def _stored(tmp_path: Path, chapter) -> tuple[GradeStore, ClassPlan]:
    """A store holding four students: passed, failed, unreadable, grader fault."""
    for name in ("alice", "bob", "carol", "dave"):
        _notebook(tmp_path / "class" / f"{name}.ipynb", name)
    store = GradeStore(tmp_path / "grades.db")
    plan = ClassPlan(chapter, tuple(e.id for e in chapter.spec.exercises), ("jax",), store.batch_seed(chapter.name, None, 7))
    units, _ = units_to_grade(plan, find_submissions([tmp_path / "class"], chapter.name, tmp_path), store)
    outcomes = [{"outcome": GRADED, "report": _report(chapter, Status.PASSED)},
                {"outcome": GRADED, "report": _report(chapter, Status.FAILED)},
                {"outcome": UNREADABLE, "message": "not a readable notebook"},
                {"outcome": FAULT, "message": "the jax worker could not start"}]
    for unit, outcome in zip(units, outcomes):
        store.save(stored_grading(plan, unit, outcome))
    return store, plan


def test_a_rerun_grades_only_what_changed_and_what_faulted(tmp_path: Path, chapter1) -> None:
    store, plan = _stored(tmp_path, chapter1)
    assert store.batch_seed(chapter1.name, None, 99) == 7  # the batch keeps its seed
    (tmp_path / "class" / "bob.ipynb").write_text("bob, revised")
    units, current = units_to_grade(plan, find_submissions([tmp_path / "class"], "chapter1", tmp_path), store)
    assert sorted(u.student for u in units) == ["bob", "dave"] and current == 2
    reseeded = ClassPlan(chapter1, plan.exercises, plan.backends, seed=8)
    assert len(units_to_grade(reseeded, find_submissions([tmp_path / "class"], "chapter1", tmp_path), store)[0]) == 4


def test_the_gradebook_is_a_csv_an_lms_imports_and_a_fault_is_never_a_zero(tmp_path: Path, chapter1) -> None:
    store, _ = _stored(tmp_path, chapter1)
    write_gradebook(chapter1.spec, store.gradings("chapter1"), tmp_path / "gradebook.csv")
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "gradebook.csv").open())}
    ids = [e.id for e in chapter1.spec.exercises]
    assert list(rows["alice"])[1:-3] == ids
    assert rows["alice"]["total"] == rows["alice"]["max_score"] == "5"
    assert rows["bob"]["total"] == "0" and rows["carol"]["comment"].startswith("unreadable")
    assert rows["dave"]["total"] == "" and all(rows["dave"][i] == "" for i in ids)
    assert "grader fault" in rows["dave"]["comment"]


def test_the_junit_export_is_valid_against_the_junit_schema(tmp_path: Path, chapter1) -> None:
    store, _ = _stored(tmp_path, chapter1)
    cases = write_junit("chapter1", store.gradings("chapter1"), tmp_path / "grades.xml")
    schema = xmlschema.XMLSchema(JUNIT_SCHEMA)
    schema.validate(tmp_path / "grades.xml")
    suites = schema.to_dict(tmp_path / "grades.xml")["testsuite"]
    assert cases == 3 + 3 + 1 + 1
    assert [s["@failures"] for s in suites] == ["0", "3", "0", "0"]
    assert [s["@errors"] for s in suites] == ["0", "0", "1", "1"]


def test_feedback_pages_escape_what_the_student_wrote(tmp_path: Path, chapter1) -> None:
    store, _ = _stored(tmp_path, chapter1)
    gradings = store.gradings("chapter1")
    hostile = gradings[1].__class__(**{**gradings[1].__dict__, "student": "../<script>bob"})
    assert write_feedback("chapter1", [gradings[0], hostile], tmp_path / "feedback") == 2
    pages = sorted(p.name for p in (tmp_path / "feedback").iterdir())
    assert pages == ["__script_bob.html", "__script_bob.md", "alice.html", "alice.md"]
    text = (tmp_path / "feedback" / "alice.md").read_text()
    assert "| 1.1" in text and "5/5" in text
    assert all("<script>" not in (tmp_path / "feedback" / p).read_text() for p in pages if p.endswith(".html"))
    assert all((tmp_path / "feedback" / p).resolve().parent == (tmp_path / "feedback").resolve() for p in pages)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_a_class_graded_through_a_dask_scheduler_with_two_workers(tmp_path: Path, chapter1) -> None:
    """Solved, untouched, unreadable and hostile submissions, each costing only its own row."""
    entries = [e.entry for e in chapter1.spec.exercises]
    folder = tmp_path / "class"
    folder.mkdir()
    learner_notebook_with(chapter1, {e: solution_cell(chapter1, e) for e in entries}, folder / "alice.ipynb")
    shutil.copy(chapter1.notebook, folder / "bob.ipynb")
    (folder / "carol.ipynb").write_text("not a notebook")
    attack = ("import os, signal\ndef standardize(x):\n    os.kill(os.getppid(), signal.SIGKILL)\n"
              "    os.kill(1, signal.SIGKILL)\n    return x\n")
    learner_notebook_with(chapter1, {entries[0]: attack}, folder / "dave.ipynb")
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = {**_clean_env(), "COLUMNS": "200", "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    dask = [str(Path(sys.executable).parent / "dask")]
    engine = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                "--no-dashboard"], env=env, stderr=subprocess.DEVNULL)]
    try:
        time.sleep(3)
        engine += [subprocess.Popen([*dask, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                                     "--memory-limit", "0", "--name", f"w{i}"], env=env, cwd=PROJECT_ROOT,
                                    stderr=subprocess.DEVNULL) for i in range(2)]
        command = [sys.executable, "-m", "grader", "grade", "chapter1", str(folder), "--backend", "jax",
                   "--cluster", address, "--seed", SEED, "--db", str(tmp_path / "grades.db"), "--out", str(tmp_path / "out")]
        finished = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)
        rerun = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)
    finally:
        for process in engine:
            process.terminate()
        for process in engine:
            process.wait(timeout=30)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "4 to grade, 0 already graded" in finished.stdout
    assert "0 to grade, 4 already graded" in rerun.stdout
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "out" / "gradebook.csv").open())}
    assert {s: r["total"] for s, r in rows.items()} == {"alice": "5", "bob": "0", "carol": "0", "dave": "0"}
    assert rows["carol"]["comment"].startswith("unreadable")
    with GradeStore(tmp_path / "grades.db") as store:
        dave = next(g for g in store.gradings("chapter1") if g.student == "dave")
    # Its signals reach neither the grader nor the engine's workers: its answer is simply judged wrong.
    assert dave.outcome == GRADED and dave.results[0].status is Status.FAILED
    assert os.path.exists(tmp_path / "out" / "feedback" / "alice.html")


def test_every_unit_comes_back_once_however_few_workers_there_are() -> None:
    """More units than the in-flight window: none lost, none run twice (units that need no Keras)."""
    from distributed import Client, LocalCluster

    units = [Unit("chapter1", f"s{i}", "jax", "x", "d", b"", ("1.1",), 7, problem="several notebooks")
             for i in range(7)]
    done: list[str] = []
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as local, \
            Client(local) as client:
        run_units(client, units, lambda unit, outcome: done.append(f"{unit.student} {outcome['outcome']}"))
    assert sorted(done) == sorted(f"s{i} unreadable" for i in range(7))
