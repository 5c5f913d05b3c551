"""The `grader` command line: thin wrappers over keyword-only functions.

Exit codes: 0 everything selected passed, 1 something did not, 2 a usage or
setup error (an unknown chapter, an unreadable notebook, a missing backend).
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from . import backends as backend_lookup
from . import i18n, locations, progress
from .i18n import _
from . import reference_cache, sandbox
from .calibration import CalibrationError
from .chapters import COURSE_DIR, Chapter, UnknownChapter, chapter_of_exercise, discover, resolve
from .grading import Plan, grade
from .notebook import NotebookError
from .render import chapters_json, live_progress, print_chapters, print_progress, print_report, write_json
from .results import BackendReport, RunReport
from .spec import ExerciseSpec, SpecError

app = typer.Typer(
    help="Grade the Keras 3 course's exercises on TensorFlow, PyTorch and JAX.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Logs and CI are not terminals; rich would wrap them at 80 columns.
_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 120
console = Console(highlight=False, width=_WIDTH)
errors = Console(stderr=True, highlight=False, width=_WIDTH)

USAGE_ERROR = 2
NEEDS_A_CHECKOUT = "{what}: run it in a checkout of the course repository, not on an installed package."


def fail_usage(message: str) -> typer.Exit:
    """Print a one-line reason and return the exit for a usage or setup error."""
    errors.print(f"[bold red]{escape(_('error:'))}[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(USAGE_ERROR)


def speak(lang: str | None) -> None:
    """Word everything from here on in `lang` (the environment's language when None)."""
    if lang is not None:
        try:
            i18n.use(lang)
        except ValueError as error:
            raise fail_usage(str(error)) from None


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
SandboxOpt = Annotated[str, typer.Option("--sandbox", envvar="GRADER_SANDBOX", help="require, auto (sandbox where bubblewrap can run) or off.")]
MemoryOpt = Annotated[Optional[str], typer.Option("--memory", help="Memory limit per sandboxed worker, e.g. 4G (overrides the manifest).")]
CacheOpt = Annotated[bool, typer.Option("--cache/--no-cache", help="Keep the reference's answers on disk for re-checks with the same seed (sandboxed runs only).")]
LangOpt = Annotated[Optional[str], typer.Option("--lang", help="en or zh (中文). Default: GRADER_LANG, else the locale (LANG).", show_default=False)]
BackendOpt = Annotated[Optional[str], typer.Option("--backend", "-b", help="jax, tensorflow, torch or all. Default: the one Keras would pick.")]


@app.command("list")
def list_command(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False, lang: LangOpt = None) -> None:
    """List chapters and their exercises: id, title, points, kind, entry point."""
    speak(lang)
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
    full_traceback: Annotated[bool, typer.Option("--full-traceback", help="Show the grader's and Keras's frames too.")] = False,
    sandbox_mode: SandboxOpt = "auto",
    memory: MemoryOpt = None,
    cache: CacheOpt = True,
    lang: LangOpt = None,
) -> None:
    """Grade a chapter's exercises on one backend or all of them."""
    speak(lang)
    chapter = find_chapter(chapter_name)
    exercises = select_exercises(chapter, exercise)
    if solutions and notebook:
        raise fail_usage(_("give either --solutions or --notebook, not both."))
    target = chapter.source if solutions else (notebook or chapter.notebook)
    try:
        chosen = backend_lookup.resolve_backends(backend)
    except ValueError as error:
        raise fail_usage(str(error)) from None
    run_seed = seed if seed is not None else secrets.randbelow(2**31 - 1)
    sandboxed, memory_bytes = choose_sandbox(sandbox_mode, memory)
    plan = Plan(chapter, exercises, target, run_seed, timeout, sandboxed, memory_bytes, choose_cache(cache, sandboxed),
                full_traceback=full_traceback)
    console.print(_("Grading {chapter} ({notebook}) on {backends} with seed {seed}").format(
        chapter=chapter.name, notebook=_relative(target), backends=", ".join(chosen), seed=run_seed), markup=False)
    report = run_check(plan, chosen, record_progress=not solutions)
    print_report(report, console, verbose=verbose)
    if json_path:
        write_json(report, json_path)
    raise typer.Exit(0 if report.passed else 1)


def choose_sandbox(mode: str, memory: str | None) -> tuple[bool, int | None]:
    """Whether to sandbox and the memory limit, or a usage error with the fix; the notice when unsandboxed."""
    try:
        memory_bytes = sandbox.parse_memory(memory) if memory is not None else None
        sandboxed = sandbox.resolve_mode(mode)
    except (ValueError, sandbox.SandboxUnavailable) as error:
        raise fail_usage(str(error)) from None
    if not sandboxed and mode == "auto":
        errors.print(escape(sandbox.unsandboxed_notice()))
    return sandboxed, memory_bytes


def choose_cache(wanted: bool, sandboxed: bool) -> Path | None:
    """Where the reference's answers are kept: nowhere unsandboxed, nor where the jail could read them."""
    if not (wanted and sandboxed):
        return None
    root = reference_cache.default_root()
    if sandbox.visible_inside(root):
        unsafe = _("The reference cache {folder} lies where sandboxed code can read it: grading without it. "
                   "Point {variable} elsewhere.")
        errors.print(escape(unsafe.format(folder=root, variable=reference_cache.CACHE_VARIABLE)))
        return None
    return root


def run_check(plan: Plan, backends: list[str], *, record_progress: bool) -> RunReport:
    """Grade with a progress bar; keep each backend's results in the learner's progress as they come."""
    def keep(report: BackendReport) -> None:
        if record_progress:
            progress.record(plan.chapter.name, report)

    try:
        with live_progress(console, total=len(plan.exercises) * len(backends)) as status:
            return grade(plan, backends, status=status, on_backend_done=keep)
    except NotebookError as error:
        raise fail_usage(_("cannot read the notebook: {reason}").format(reason=error)) from None
    except KeyboardInterrupt:
        errors.print(_("Interrupted: no worker is left running."))
        raise typer.Exit(130) from None


@app.command()
def watch(
    chapter_name: ChapterArg,
    exercise: ExerciseOpt = None,
    backend: BackendOpt = None,
    notebook: Annotated[Optional[Path], typer.Option(help="The notebook to watch. Default: course/<chapter>.ipynb.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Seed for the hidden inputs. Default: one random seed for the session.")] = None,
    sandbox_mode: SandboxOpt = "auto",
    memory: MemoryOpt = None,
    cache: CacheOpt = True,
    lang: LangOpt = None,
) -> None:
    """Re-grade whenever the notebook is saved, showing only what changed (Ctrl-C to stop).

    One seed serves the whole session, so every re-check after the first finds the
    reference's answers in the cache and runs only your code.
    """
    from .watch import watch_notebook

    speak(lang)
    chapter = find_chapter(chapter_name)
    exercises = select_exercises(chapter, exercise)
    try:
        chosen = backend_lookup.resolve_backends(backend)
    except ValueError as error:
        raise fail_usage(str(error)) from None
    target = notebook or chapter.notebook
    sandboxed, memory_bytes = choose_sandbox(sandbox_mode, memory)
    session_seed = seed if seed is not None else secrets.randbelow(2**31 - 1)
    cache_root = choose_cache(cache, sandboxed)
    console.print(_("Watching {notebook}: save it to re-grade {chapter} on {backends} with seed {seed}. Ctrl-C stops.").format(
        notebook=_relative(target), chapter=chapter.name, backends=", ".join(chosen), seed=session_seed), markup=False)

    def grade_once() -> RunReport:
        plan = Plan(chapter, exercises, target, session_seed, None, sandboxed, memory_bytes, cache_root)
        return run_check(plan, chosen, record_progress=True)

    try:
        watch_notebook(target, grade_once, console)
    except KeyboardInterrupt:
        pass
    console.print(_("Stopped watching."))


@app.command()
def hint(exercise_id: Annotated[str, typer.Argument(help="The exercise, e.g. 4.1.", show_default=False)],
         lang: LangOpt = None) -> None:
    """Show the next hint for an exercise (each call reveals one more)."""
    speak(lang)
    try:
        chapter = chapter_of_exercise(exercise_id)
        exercise = chapter.spec.exercise(exercise_id)
    except (UnknownChapter, SpecError) as error:
        raise fail_usage(str(error)) from None
    number, text = progress.next_hint(exercise.id, exercise.hints)
    which = _("hint {number} of {count}").format(number=number, count=len(exercise.hints))
    console.print(f"[bold]{exercise.id} {escape(exercise.title)}[/] - {escape(which)}")
    console.print(f"  {text}", highlight=False, markup=False)
    more = _("Run the same command for the next hint.") if number < len(exercise.hints) else _("That was the last hint.")
    then = _("Then: {command}").format(command=f"grader check {chapter.name} -e {exercise.id}")
    console.print(f"{more} {then}", markup=False)


@app.command("progress")
def progress_command(
    reset: Annotated[bool, typer.Option("--reset", help="Forget every saved result and hint.")] = False,
    lang: LangOpt = None,
) -> None:
    """Chapters and exercises with what passed, on which backends, and the score."""
    speak(lang)
    if reset:
        progress.reset()
        console.print(_("Progress cleared ({path}).").format(path=_relative(progress.state_path())), markup=False)
        return
    print_progress(discover(), progress.load_state(), console)


@app.command("build")
def build_command(
    check_only: Annotated[bool, typer.Option("--check", help="Only report course notebooks that are stale.")] = False,
    solved: Annotated[Optional[Path], typer.Option(help="Also write the solved notebooks (for nbval) here.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite course notebooks even if they hold a learner's work.")] = False,
    outputs: Annotated[bool, typer.Option("--outputs", help="Run the worked examples on JAX and record what they show on the docs site (docs/outputs/; chapters whose code changed).")] = False,
) -> None:
    """Generate course/ from solutions/ (the only way course/ changes)."""
    from . import build as builder  # jupytext and nbformat: only for authors, not at every grading

    if locations.INSTALLED and not check_only:
        raise fail_usage(NEEDS_A_CHECKOUT.format(what="grader build writes course/ from solutions/"))
    chapters = discover()
    if outputs and not check_only:
        _record_example_outputs(chapters)
    try:
        if check_only:
            problems = builder.stale(chapters, COURSE_DIR)
            for problem in problems:
                errors.print(f"[red]stale:[/] {escape(_relative(problem.path))} {escape(problem.reason)}")
            outdated = _stale_outputs(chapters)
            for chapter in outdated:
                errors.print(f"[red]stale:[/] the recorded outputs of {chapter.name}'s examples were made from other code")
            untranslated = _untranslated(chapters)
            for name, count in untranslated.items():
                which = "" if name == "grader" else f" {name}"
                errors.print(f"[red]untranslated:[/] {name}: {count} texts with no current translation "
                             f"(see them with: grader translate status{which} -v)")
            if problems or outdated:
                errors.print("Run: grader build" + (" --outputs" if outdated else ""))
            if untranslated:
                errors.print("Run: grader translate update, then translate what it marks new or fuzzy")
            if problems or outdated or untranslated:
                raise typer.Exit(1)
            console.print(f"course/ is up to date ({len(chapters)} chapters, their translations and their examples' outputs).")
            return
        for path in builder.build(chapters, force=force):
            console.print(f"wrote {_relative(path)}")
        if solved:
            for path in builder.write_solved(chapters, solved):
                console.print(f"wrote {_relative(path)}")
    except (builder.BuildError, SpecError) as error:
        raise fail_usage(str(error)) from None


translate_app = typer.Typer(help="Keep each chapter's translation catalogue (solutions/locale/<lang>/*.po) in line with the English.",
                            no_args_is_help=True)
app.add_typer(translate_app, name="translate")
CatalogueLangOpt = Annotated[str, typer.Option("--lang", help="The language of the catalogues: zh.")]


@translate_app.command("update")
def translate_update(
    chapter_names: Annotated[Optional[list[str]], typer.Argument(help="Chapters (default: all, and the grader's own messages).", show_default=False)] = None,
    lang: CatalogueLangOpt = "zh",
) -> None:
    """Add new English texts, mark changed ones fuzzy (keeping the old translation), drop removed ones."""
    from . import translation

    if locations.INSTALLED:
        raise fail_usage(NEEDS_A_CHECKOUT.format(what="grader translate update writes solutions/locale/ and grader/locale/"))
    lang = _catalogue_language(lang)
    for chapter in _chapters_named(chapter_names):
        path = translation.update(chapter, lang)
        console.print(f"wrote {_relative(path)}: {len(translation.problems(chapter, lang))} to translate")
    if not chapter_names:
        path = translation.update_grader(lang)
        console.print(f"wrote {_relative(path)}: {len(translation.grader_problems(lang))} to translate")


@translate_app.command("status")
def translate_status(
    chapter_names: Annotated[Optional[list[str]], typer.Argument(help="Chapters (default: all, and the grader's own messages).", show_default=False)] = None,
    lang: CatalogueLangOpt = "zh",
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every text left to translate.")] = False,
) -> None:
    """What each catalogue still lacks: exit 1 when anything is untranslated or fuzzy."""
    from . import translation

    lang = _catalogue_language(lang)
    found = {chapter.name: translation.problems(chapter, lang) for chapter in _chapters_named(chapter_names)}
    if not chapter_names:
        found["grader"] = translation.grader_problems(lang)
    for name, left in found.items():
        console.print(f"{name}: {len(left) or 'nothing'} to translate")
        for item in left if verbose else []:
            console.print(f"  {item.where} ({item.reason}): {item.text[:70]!r}", highlight=False, markup=False)
    raise typer.Exit(1 if any(found.values()) else 0)


def _chapters_named(names: list[str] | None) -> list[Chapter]:
    return [find_chapter(name) for name in names] if names else discover()


def _catalogue_language(lang: str) -> str:
    """A language the course is translated into (not English, the source's own)."""
    try:
        code = i18n.supported(lang)
    except ValueError as error:
        raise fail_usage(str(error)) from None
    if code == i18n.ENGLISH:
        raise fail_usage("English is the source's own language: it has no catalogue. Name a translation, e.g. --lang zh.")
    return code


def _stale_outputs(chapters: list[Chapter]) -> list[Chapter]:
    from . import example_outputs

    return [chapter for chapter in chapters if example_outputs.recorded(chapter) is None]


def _record_example_outputs(chapters: list[Chapter]) -> None:
    """Run each chapter whose code changed since its outputs were recorded (minutes: trainings among them)."""
    from . import example_outputs

    for chapter in chapters:
        if example_outputs.recorded(chapter) is not None:
            console.print(f"{chapter.name}: the recorded outputs are current")
            continue
        with console.status(f"{chapter.name}: running its worked examples on {example_outputs.BACKEND}"):
            path = example_outputs.write(chapter, example_outputs.execute(chapter))
        console.print(f"wrote {_relative(path)}")


def _untranslated(chapters: list[Chapter]) -> dict[str, int]:
    """How many texts each catalogue lacks a current translation for: chapters with one, and the grader's own."""
    from . import translation

    counts = {}
    for lang in (code for code in i18n.LANGUAGES if code != i18n.ENGLISH):
        for chapter in chapters:
            if translation.catalogue_path(chapter, lang).is_file():
                counts[chapter.name] = len(translation.problems(chapter, lang))
        counts["grader"] = len(translation.grader_problems(lang))
    return {name: count for name, count in counts.items() if count}


@app.command()
def calibrate(
    chapter_name: ChapterArg,
    exercise: ExerciseOpt = None,
    backend: Annotated[str, typer.Option("--backend", "-b", help="jax, tensorflow, torch or all.")] = "all",
    seeds: Annotated[int, typer.Option(help="How many seeds per backend.")] = 20,
    first_seed: Annotated[int, typer.Option(help="The first seed; seeds are consecutive.")] = 0,
    tolerances: Annotated[bool, typer.Option("--tolerances", help="Measure how far the backends' reference outputs differ, for the function exercises' tolerances.")] = False,
    write: Annotated[bool, typer.Option("--write", help="Save the measurements next to the manifest.")] = False,
) -> None:
    """Train the reference over many seeds and measure its metric, time and pass rate (or, with --tolerances, the cross-backend spread)."""
    from .calibrate import calibrate_chapter, print_calibration, save_calibration
    from .tolerances import measure_spreads, print_spreads, save_spreads

    if locations.INSTALLED and write:
        raise fail_usage(NEEDS_A_CHECKOUT.format(what="grader calibrate --write records the measurements beside the manifest"))
    chapter = find_chapter(chapter_name)
    kind = "function" if tolerances else "training"
    exercises = [e for e in select_exercises(chapter, exercise) if e.kind == kind]
    if not exercises:
        raise fail_usage(f"{chapter.name} has no {kind} exercise to calibrate (with those -e options).")
    try:
        chosen = backend_lookup.resolve_backends(backend)
    except ValueError as error:
        raise fail_usage(str(error)) from None
    seed_list = list(range(first_seed, first_seed + seeds))
    total = len(chosen) if tolerances else len(exercises) * len(chosen) * len(seed_list)
    with live_progress(console, total=total) as status:
        try:
            if tolerances:
                spreads = measure_spreads(chapter, exercises, chosen, seeds, progress=status)
            else:
                measured = calibrate_chapter(chapter, exercises, chosen, seed_list, progress=status)
        except KeyboardInterrupt:
            errors.print("Interrupted: nothing was written, and no worker is left running.")
            raise typer.Exit(130) from None
    ok = print_spreads(spreads, console) if tolerances else print_calibration(measured, console)
    if write:
        (save_spreads(chapter, spreads) if tolerances else save_calibration(chapter, measured))
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


from .batch import commands as _instructor_commands  # noqa: E402  registers `grade` and `export` on app


def main() -> None:
    """The console script's entry point: the environment's language (a --lang option may change it), then the command."""
    try:
        i18n.use(i18n.language_from_environment())
    except ValueError as error:
        errors.print(f"[bold red]error:[/] {i18n.LANGUAGE_VARIABLE}: {escape(str(error))}", soft_wrap=True)
        sys.exit(USAGE_ERROR)
    try:
        app(prog_name="grader")
    except (SpecError, CalibrationError) as error:
        # A course author's mistake in a manifest or a calibration file, found wherever it is first read.
        errors.print(f"[bold red]error:[/] {escape(str(error))}", soft_wrap=True)
        sys.exit(USAGE_ERROR)


if __name__ == "__main__":
    main()
