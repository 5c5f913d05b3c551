"""The instructor's commands: `grader grade` a class, then `grader export` its grades."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from .. import backends as backend_lookup
from .. import locations, sandbox
from ..chapters import Chapter
from ..spec import BACKENDS
from ..cli import (NEEDS_A_CHECKOUT, BackendOpt, ChapterArg, ExerciseOpt, MemoryOpt, app, choose_sandbox, console, errors, fail_usage,
                   find_chapter, select_exercises)
from .classroom import ClassPlan, grade_class, units_to_grade
from .engine import EngineError, dask_client, run_units
from .exports import write_feedback, write_gradebook, write_junit
from .gradescope import SANDBOX_MODES, VISIBILITIES, BundleConfig, write_bundle
from .store import FAULT, GradeStore, Grading, StoreError
from .submissions import SubmissionsError, find_submissions
from .summary import class_progress, print_summary
from .task import Unit

DbOpt = Annotated[Path, typer.Option("--db", help="The grades database (SQLite), created if missing.")]
export_app = typer.Typer(help="Write a class's grades in the formats course staff use.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@app.command("grade")
def grade_command(
    chapter_name: ChapterArg,
    submissions: Annotated[list[Path], typer.Argument(help="Notebooks, folders of them, or .zip exports.", show_default=False)],
    backend: BackendOpt = None,
    exercise: ExerciseOpt = None,
    jobs: Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, help="Gradings side by side on this machine. Default: the cores.")] = None,
    cluster: Annotated[Optional[str], typer.Option(help="A running Dask scheduler, e.g. tcp://host:8786, instead of this machine.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="The batch's seed. Default: the one recorded in --db, else a new one.")] = None,
    db: DbOpt = Path("grades.db"),
    out: Annotated[Optional[Path], typer.Option(help="Also write the gradebook, JUnit XML and feedback here.")] = None,
    regrade: Annotated[bool, typer.Option("--regrade", help="Grade again what is stored already.")] = False,
    id_pattern: Annotated[Optional[str], typer.Option(help="A regular expression whose group 'id' is the student's id.")] = None,
    timeout: Annotated[Optional[float], typer.Option(help="Time limit per exercise in seconds (overrides the manifest).")] = None,
    sandbox_mode: Annotated[str, typer.Option("--sandbox", help="require (the default here) or off, for submissions you trust.")] = "require",
    memory: MemoryOpt = None,
) -> None:
    """Grade a whole class's submissions of a chapter, in parallel, into a resumable database."""
    chapter = find_chapter(chapter_name)
    exercises = tuple(e.id for e in select_exercises(chapter, exercise))
    try:
        chosen = tuple(backend_lookup.resolve_backends(backend))
    except ValueError as error:
        raise fail_usage(str(error)) from None
    if sandbox_mode == "auto":
        raise fail_usage("grading a class takes --sandbox require or off: every submission is untrusted.")
    sandboxed, memory_bytes = choose_sandbox(sandbox_mode, memory)
    with tempfile.TemporaryDirectory(prefix="grader-class-") as unpacked, _open_store(db) as store:
        try:
            found = find_submissions(submissions, chapter.name, Path(unpacked), id_pattern)
        except SubmissionsError as error:
            raise fail_usage(str(error)) from None
        batch_seed = store.batch_seed(chapter.name, seed, secrets.randbelow(2**31 - 1))
        plan = ClassPlan(chapter, exercises, chosen, batch_seed, sandboxed, memory_bytes, timeout, regrade=regrade)
        units, current = units_to_grade(plan, found, store)
        console.print(f"{len(found)} submissions of {chapter.name} on {', '.join(chosen)}, seed {batch_seed}: "
                      f"{len(units)} to grade, {current} already graded ({_relative(db)})")
        _run(plan, units, store, jobs or os.cpu_count() or 1, cluster)
        gradings = store.gradings(chapter.name)
        print_summary(gradings, console)
        if out:
            _export_all(chapter, store, out)
    faults = sum(g.outcome == FAULT for g in gradings)
    if faults:
        errors.print(f"{faults} gradings hit a grader fault: run the same command again to retry them.")
    raise typer.Exit(1 if faults else 0)


def _run(plan: ClassPlan, units: list[Unit], store: GradeStore, jobs: int, cluster: str | None) -> None:
    if not units:
        return
    try:
        with dask_client(min(jobs, len(units)), cluster) as client, class_progress(console, len(units)) as advance:
            grade_class(plan, units, store, lambda todo, done: run_units(client, todo, done), on_saved=advance)
    except EngineError as error:
        raise fail_usage(str(error)) from None
    except KeyboardInterrupt:
        errors.print(f"Interrupted. What finished is saved in {_relative(store.path)}: "
                     "run the same command to grade the rest.")
        raise typer.Exit(130) from None


@export_app.command("gradebook")
def export_gradebook(chapter_name: ChapterArg, db: DbOpt = Path("grades.db"),
                     out: Annotated[Path, typer.Option(help="The CSV file to write.")] = Path("gradebook.csv")) -> None:
    """One row per student, a column per exercise, the total (CSV, as an LMS imports it)."""
    chapter = find_chapter(chapter_name)
    with _open_store(db, must_exist=True) as store:
        rows = write_gradebook(chapter.spec, _gradings(store, chapter.name), out)
    console.print(f"Wrote {_relative(out)}: {rows} students.")


@export_app.command("junit")
def export_junit(chapter_name: ChapterArg, db: DbOpt = Path("grades.db"),
                 out: Annotated[Path, typer.Option(help="The XML file to write.")] = Path("grades.xml")) -> None:
    """A JUnit XML report: a test suite per student and backend, a test case per exercise."""
    chapter = find_chapter(chapter_name)
    with _open_store(db, must_exist=True) as store:
        cases = write_junit(chapter.name, _gradings(store, chapter.name), out)
    console.print(f"Wrote {_relative(out)}: {cases} test cases.")


@export_app.command("feedback")
def export_feedback(chapter_name: ChapterArg, db: DbOpt = Path("grades.db"),
                    out: Annotated[Path, typer.Option(help="The folder to write <student>.md and .html into.")] = Path("feedback")) -> None:
    """Each student's verdicts, messages and hints, as Markdown and HTML."""
    chapter = find_chapter(chapter_name)
    with _open_store(db, must_exist=True) as store:
        count = write_feedback(chapter.name, _gradings(store, chapter.name), out)
    console.print(f"Wrote feedback for {count} students into {_relative(out)}/")


@export_app.command("gradescope")
def export_gradescope(
    chapter_name: ChapterArg,
    backend: Annotated[str, typer.Option("--backend", "-b", help="jax, tensorflow, torch or all.")] = "jax",
    exercise: ExerciseOpt = None,
    seed: Annotated[Optional[int], typer.Option(help="The seed every submission is graded with. Default: a new one.")] = None,
    sandbox_mode: Annotated[str, typer.Option("--sandbox", help="require (the default) or off, to rely on Gradescope's container alone.")] = "require",
    visibility: Annotated[str, typer.Option(help=f"When students see the results: {', '.join(VISIBILITIES)}.")] = "visible",
    memory: MemoryOpt = None,
    timeout: Annotated[Optional[float], typer.Option(help="Time limit per exercise in seconds (overrides the manifest).")] = None,
    out: Annotated[Optional[Path], typer.Option(help="The zip to write. Default: gradescope-CHAPTER.zip.")] = None,
) -> None:
    """A Gradescope autograder bundle (setup.sh, run_autograder) that grades each submission in Gradescope."""
    if locations.INSTALLED:
        raise fail_usage(NEEDS_A_CHECKOUT.format(what="a Gradescope bundle carries the project's pyproject.toml, "
                                                      "constraints and grader sources"))
    chapter = find_chapter(chapter_name)
    exercises = tuple(e.id for e in select_exercises(chapter, exercise))
    if sandbox_mode not in SANDBOX_MODES:
        raise fail_usage(f"--sandbox takes {' or '.join(SANDBOX_MODES)} in a bundle. Received: {sandbox_mode!r}")
    if visibility not in VISIBILITIES:
        raise fail_usage(f"--visibility takes {', '.join(VISIBILITIES)}. Received: {visibility!r}")
    if backend != "all" and backend not in BACKENDS:
        raise fail_usage(f"--backend takes {', '.join(BACKENDS)} or all. Received: {backend!r}")
    chosen = BACKENDS if backend == "all" else (backend,)  # installed in Gradescope's image, not here
    try:
        memory_bytes = sandbox.parse_memory(memory) if memory is not None else None
    except ValueError as error:
        raise fail_usage(str(error)) from None
    config = BundleConfig(chapter.name, exercises, chosen, secrets.randbelow(2**31 - 1) if seed is None else seed,
                          sandbox_mode, visibility, memory_bytes, timeout)
    out = out or Path(f"gradescope-{chapter.name}.zip")
    entries = write_bundle(chapter, config, out)
    console.print(f"Wrote {_relative(out)}: {entries} files, {', '.join(chosen)}, seed {config.seed}. "
                  "Upload it as the assignment's autograder (base image Ubuntu 24.04).")


def _export_all(chapter: Chapter, store: GradeStore, out: Path) -> None:
    gradings = store.gradings(chapter.name)
    write_gradebook(chapter.spec, gradings, out / "gradebook.csv")
    write_junit(chapter.name, gradings, out / "grades.xml")
    write_feedback(chapter.name, gradings, out / "feedback")
    console.print(f"Wrote {_relative(out)}/gradebook.csv, grades.xml and feedback/")


def _gradings(store: GradeStore, chapter: str) -> list[Grading]:
    gradings = store.gradings(chapter)
    if not gradings:
        raise fail_usage(f"{store.path} holds no grades for {chapter}. Known: {', '.join(store.chapters()) or 'none'}.")
    return gradings


def _open_store(db: Path, must_exist: bool = False) -> GradeStore:
    if must_exist and not db.is_file():
        raise fail_usage(f"{db}: no such grades database. Grade first: grader grade CHAPTER SUBMISSIONS --db {db}")
    try:
        return GradeStore(db)
    except StoreError as error:
        raise fail_usage(str(error)) from None


def _relative(path: Path) -> str:
    try:
        return escape(str(path.resolve().relative_to(Path.cwd())))
    except ValueError:
        return escape(str(path))

