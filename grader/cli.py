"""The `grader` command line: thin wrappers over keyword-only functions.

Exit codes: 0 everything selected passed, 1 something did not, 2 a usage or
setup error (an unknown chapter, an unreadable notebook, a missing backend).
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from . import backends as backend_lookup
from . import build as builder
from .chapters import COURSE_DIR, Chapter, UnknownChapter, discover, resolve
from .grading import Plan, grade
from .notebook import NotebookError
from .render import chapters_json, print_chapters, print_report, write_json
from .spec import ExerciseSpec, SpecError

app = typer.Typer(
    help="Grade the Keras 3 course's exercises on TensorFlow, PyTorch and JAX.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

USAGE_ERROR = 2


def fail_usage(message: str) -> typer.Exit:
    """Print a one-line reason and return the exit for a usage or setup error."""
    errors.print(f"[bold red]error:[/] {message}")
    return typer.Exit(USAGE_ERROR)


def select_exercises(chapter: Chapter, ids: list[str] | None) -> tuple[ExerciseSpec, ...]:
    """The exercises named by `-e` (all when none), or a usage error naming the known ones."""
    if not ids:
        return chapter.spec.exercises
    try:
        return tuple(chapter.spec.exercise(i if "." in i else f"{chapter.number}.{i}") for i in ids)
    except SpecError as error:
        raise fail_usage(str(error)) from None


def find_chapter(name: str) -> Chapter:
    try:
        return resolve(name)
    except UnknownChapter as error:
        raise fail_usage(str(error)) from None


ChapterArg = Annotated[str, typer.Argument(help="chapter4, ch4 or 4.", show_default=False)]
ExerciseOpt = Annotated[Optional[list[str]], typer.Option("--exercise", "-e", help="Only this exercise (repeatable), e.g. 4.2.")]
BackendOpt = Annotated[Optional[str], typer.Option("--backend", "-b", help="jax, tensorflow, torch or all. Default: the one Keras would pick.")]


@app.command("list")
def list_command(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List chapters and their exercises: id, title, points, kind, entry point."""
    chapters = discover()
    if as_json:
        typer.echo(json.dumps(chapters_json(chapters), indent=2, ensure_ascii=False))
    else:
        print_chapters(chapters, console)


@app.command()
def check(
    chapter_name: ChapterArg,
    exercise: ExerciseOpt = None,
    backend: BackendOpt = None,
    notebook: Annotated[Optional[Path], typer.Option(help="The notebook to grade. Default: course/<chapter>.ipynb.")] = None,
    solutions: Annotated[bool, typer.Option("--solutions", help="Grade the reference solutions instead.")] = False,
    seed: Annotated[Optional[int], typer.Option(help="Seed for the hidden inputs; reproduces a run.")] = None,
    timeout: Annotated[Optional[float], typer.Option(help="Time limit per exercise in seconds (overrides the manifest).")] = None,
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Also write the report as JSON here.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show every detail line.")] = False,
) -> None:
    """Grade a chapter's exercises on one backend or all of them."""
    chapter = find_chapter(chapter_name)
    exercises = select_exercises(chapter, exercise)
    if solutions and notebook:
        raise fail_usage("give either --solutions or --notebook, not both.")
    target = chapter.source if solutions else (notebook or chapter.notebook)
    try:
        chosen = backend_lookup.resolve_backends(backend)
    except ValueError as error:
        raise fail_usage(str(error)) from None
    run_seed = seed if seed is not None else secrets.randbelow(2**31 - 1)
    plan = Plan(chapter, exercises, target, run_seed, timeout)
    console.print(f"Grading {chapter.name} ({_relative(target)}) on {', '.join(chosen)} with seed {run_seed}")
    try:
        with console.status("starting...") as status:
            report = grade(plan, chosen, progress=lambda message: status.update(message))
    except NotebookError as error:
        raise fail_usage(f"cannot read the notebook: {error}") from None
    except KeyboardInterrupt:
        errors.print("Interrupted: no worker is left running.")
        raise typer.Exit(130) from None
    print_report(report, console, verbose=verbose)
    if json_path:
        write_json(report, json_path)
    raise typer.Exit(0 if report.passed else 1)


@app.command("build")
def build_command(
    check_only: Annotated[bool, typer.Option("--check", help="Only report course notebooks that are stale.")] = False,
    solved: Annotated[Optional[Path], typer.Option(help="Also write the solved notebooks (for nbval) here.")] = None,
) -> None:
    """Generate course/ from solutions/ (the only way course/ changes)."""
    chapters = discover()
    try:
        if check_only:
            problems = builder.stale(chapters, COURSE_DIR)
            for problem in problems:
                errors.print(f"[red]stale:[/] {_relative(problem.path)} {problem.reason}")
            if problems:
                errors.print("Run: grader build")
                raise typer.Exit(1)
            console.print(f"course/ is up to date ({len(chapters)} chapters).")
            return
        for path in builder.build(chapters):
            console.print(f"wrote {_relative(path)}")
        if solved:
            for path in builder.write_solved(chapters, solved):
                console.print(f"wrote {_relative(path)}")
    except (builder.BuildError, SpecError) as error:
        raise fail_usage(str(error)) from None


@app.command()
def calibrate(
    chapter_name: ChapterArg,
    exercise: ExerciseOpt = None,
    backend: Annotated[str, typer.Option("--backend", "-b", help="jax, tensorflow, torch or all.")] = "all",
    seeds: Annotated[int, typer.Option(help="How many seeds per backend.")] = 20,
    first_seed: Annotated[int, typer.Option(help="The first seed; seeds are consecutive.")] = 0,
    write: Annotated[bool, typer.Option("--write", help="Save the measurements next to the manifest.")] = False,
) -> None:
    """Train the reference over many seeds and measure its metric, time and pass rate."""
    from .calibrate import calibrate_chapter, print_calibration, save_calibration

    chapter = find_chapter(chapter_name)
    exercises = [e for e in select_exercises(chapter, exercise) if e.kind == "training"]
    if not exercises:
        raise fail_usage(f"{chapter.name} has no training exercise to calibrate (with those -e options).")
    try:
        chosen = backend_lookup.resolve_backends(backend)
    except ValueError as error:
        raise fail_usage(str(error)) from None
    seed_list = list(range(first_seed, first_seed + seeds))
    with console.status("calibrating...") as status:
        measured = calibrate_chapter(chapter, exercises, chosen, seed_list, progress=status.update)
    ok = print_calibration(measured, console)
    if write:
        save_calibration(chapter, measured)
        console.print(f"wrote {_relative(chapter.calibration)}")
    raise typer.Exit(0 if ok else 1)


@app.command()
def doctor() -> None:
    """Python, Keras and backend versions, devices, and where the Keras config lives."""
    from .doctor import print_doctor

    print_doctor(console)


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main() -> None:
    """The console script's entry point."""
    app(prog_name="grader")


if __name__ == "__main__":
    sys.exit(main())
