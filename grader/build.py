"""Generate the learner notebooks in `course/` from the single source in `solutions/`.

Each chapter source is a jupytext percent `.py` file. In an exercise cell the
reference code sits between `### BEGIN SOLUTION` and `### END SOLUTION`; the
learner's copy gets a one-line stub there, the cell is tagged, and a cell that
runs `check("N.M")` follows it. An exercise that grades, a second way, a
function an earlier exercise asked for (7.7 grades 7.1's augmentation) has its
check cell where its source places one: a code cell tagged `check` that holds
only `check("N.M")` (emptied in the solved notebook). Cells tagged
`reference-only` (known mistakes the grader recognises) never reach learners.
Outputs are never written, and cell ids are derived from positions, so the
same source gives the same bytes.
"""

from __future__ import annotations

import ast
import copy
import re
from dataclasses import dataclass, replace
from pathlib import Path

import jupytext
import nbformat
from nbformat import NotebookNode

from .chapters import Chapter
from .i18n import ENGLISH, LANGUAGES, chapter_catalogue, chapter_translations
from .notebook import stub_line
from .spec import ExerciseSpec

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
REFERENCE_ONLY = "reference-only"
_KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


class BuildError(ValueError):
    """A chapter source that cannot become a learner notebook."""


@dataclass(frozen=True)
class Staleness:
    """A course notebook that differs from what its source generates."""

    path: Path
    reason: str


def read_source(chapter: Chapter) -> NotebookNode:
    """The chapter's source as a notebook."""
    notebook: NotebookNode = jupytext.reads(chapter.source.read_text(encoding="utf-8"), fmt="py:percent")
    return notebook


def learner_notebook(chapter: Chapter) -> NotebookNode:
    """The learner's notebook: stubs instead of solutions, checks after exercises, in the chapter's language
    (its markdown from the chapter's catalogue, the English where a text has no current translation)."""
    source = read_source(chapter)
    exercises: dict[str, ExerciseSpec] = {}  # by entry point: the first exercise that asks for it
    for spec in chapter.spec.exercises:
        exercises.setdefault(spec.entry, spec)
    regrading = {e.id: e for e in chapter.spec.exercises if exercises[e.entry] is not e}
    cells: list[NotebookNode] = []
    found: set[str] = set()  # entry points whose exercise cell was seen
    placed: set[str] = set()  # ids of the regrading exercises whose check cell was seen
    for cell in source.cells:
        if REFERENCE_ONLY in cell.metadata.get("tags", []):
            continue
        if _placed_check(cell):
            regraded = _regrading_exercise(cell, regrading, chapter)
            cells.append(_check_cell(regraded, chapter.lang))
            placed.add(regraded.id)
            continue
        exercise = _exercise_of(cell, exercises) if cell.cell_type == "code" else None
        if exercise is None:
            _refuse_stray_markers(cell, chapter)
            cells.append(_clean(cell))
            continue
        found.add(exercise.entry)
        cells += [_stubbed(cell, exercise, chapter), _check_cell(exercise, chapter.lang)]
    missing = [e.id for e in chapter.spec.exercises if e.entry not in found]
    unplaced = [i for i in regrading if i not in placed]
    if unplaced:
        raise BuildError(f"{chapter.source}: exercise {', '.join(unplaced)} grades a function an earlier exercise asks "
                         f"for: place its check with a code cell tagged check that holds only check(\"N.M\").")
    if missing:
        raise BuildError(f"{chapter.source}: no exercise cell defines the entry point of {', '.join(missing)}.")
    if not any("from grader import check" in c.source for c in cells if c.cell_type == "code"):
        raise BuildError(f"{chapter.source}: a setup cell must import check (from grader import check).")
    return _finish(_in_language(cells, chapter), chapter.stem)


def _in_language(cells: list[NotebookNode], chapter: Chapter) -> list[NotebookNode]:
    texts = chapter_translations(chapter.solutions_dir, chapter.stem, chapter.lang)
    for cell in cells:
        if cell.cell_type == "markdown":
            cell.source = texts.get(cell.source, cell.source)
    return cells


def solved_notebook(chapter: Chapter) -> NotebookNode:
    """The reference notebook with solutions, as nbval runs it. A placed check cell is emptied there (it would
    grade), not removed: cells keep the source's positions."""
    cells = [_clean(cell) for cell in read_source(chapter).cells]
    for cell in cells:
        if _placed_check(cell):
            cell.source = ""
    return _finish(cells, chapter.stem + "-solved")


def _placed_check(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and "check" in cell.metadata.get("tags", [])


def _regrading_exercise(cell: NotebookNode, regrading: dict[str, ExerciseSpec], chapter: Chapter) -> ExerciseSpec:
    """The exercise a placed check cell names: one that grades a function an earlier exercise asked for."""
    named = re.fullmatch(r'check\("([0-9]+\.[0-9]+)"\)', cell.source.strip())
    if not named or named.group(1) not in regrading:
        raise BuildError(f"{chapter.source}: a cell tagged check must hold only check(\"N.M\") for an exercise that "
                         f"grades a function an earlier exercise asks for ({', '.join(regrading) or 'none here'}). "
                         f"Received: {cell.source.strip()[:80]}")
    return regrading[named.group(1)]


def _exercise_of(cell: NotebookNode, exercises: dict[str, ExerciseSpec]) -> ExerciseSpec | None:
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:
        return None
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.ClassDef)) and statement.name in exercises:
            return exercises[statement.name]
    return None


def _refuse_stray_markers(cell: NotebookNode, chapter: Chapter) -> None:
    if BEGIN in cell.source:
        raise BuildError(
            f"{chapter.source}: a cell has {BEGIN} but defines no exercise entry point from the manifest:\n"
            + cell.source[:200]
        )
    if cell.cell_type == "code" and _calls_check(cell.source):
        raise BuildError(
            f"{chapter.source}: a cell calls check() itself, but the build adds one check cell after each "
            f"exercise (a second one would grade, and train, twice): remove it.\n" + cell.source[:200]
        )


def _calls_check(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "check"
               for node in ast.walk(tree))


def _stubbed(cell: NotebookNode, exercise: ExerciseSpec, chapter: Chapter) -> NotebookNode:
    if BEGIN not in cell.source:
        raise BuildError(f"{chapter.source}: the cell of exercise {exercise.id} has no {BEGIN} marker.")
    pattern = re.compile(rf"^([ \t]*){re.escape(BEGIN)}.*?^[ \t]*{re.escape(END)}[^\n]*$", re.S | re.M)
    stub = stub_line(exercise.id)
    source, count = pattern.subn(lambda m: m.group(1) + stub, cell.source)
    if count == 0:
        raise BuildError(f"{chapter.source}: exercise {exercise.id} has {BEGIN} without a matching {END}.")
    new = _clean(cell)
    new.source = source
    new.metadata["tags"] = sorted({*new.metadata.get("tags", []), "exercise"})
    new.metadata["grader"] = {"exercise": exercise.id, "entry": exercise.entry}
    return new


def _check_cell(exercise: ExerciseSpec, lang: str) -> NotebookNode:
    # Another language is named in the call: the verdict is worded where the grader runs, not in the kernel.
    language = f', lang="{lang}"' if lang != ENGLISH else ""
    cell: NotebookNode = nbformat.v4.new_code_cell(f'check("{exercise.id}"{language})')
    cell.metadata["tags"] = ["check"]
    cell.metadata["grader"] = {"check": exercise.id}
    return cell


def _clean(cell: NotebookNode) -> NotebookNode:
    new = copy.deepcopy(cell)
    if new.cell_type == "code":
        new.outputs, new.execution_count = [], None
    new.metadata = {k: v for k, v in new.metadata.items() if k in ("tags", "grader")}
    return new


def _finish(cells: list[NotebookNode], stem: str) -> NotebookNode:
    notebook: NotebookNode = nbformat.v4.new_notebook()
    notebook.metadata = {"kernelspec": _KERNELSPEC, "language_info": {"name": "python"}}
    for index, cell in enumerate(cells):
        cell.id = f"{stem.replace('_', '-')}-{index:03d}"
    notebook.cells = cells
    return notebook


def notebook_text(notebook: NotebookNode) -> str:
    """The exact bytes written to disk."""
    text: str = nbformat.writes(notebook)
    return text + "\n"


def editions(chapter: Chapter) -> list[Chapter]:
    """The chapter in English and in each language that has a catalogue for it."""
    others = [lang for lang in LANGUAGES if lang != ENGLISH and chapter_catalogue(chapter.solutions_dir, chapter.stem, lang).is_file()]
    return [replace(chapter, lang=lang) for lang in (ENGLISH, *others)]


def build(chapters: list[Chapter], *, force: bool = False) -> list[Path]:
    """Write every chapter's learner notebooks, in English and each translated language; return the paths written.

    Raises:
        BuildError: a course notebook holds a learner's work (an exercise
            without its stub); it is left untouched unless `force`.
    """
    notebooks = {edition: learner_notebook(edition) for chapter in chapters for edition in editions(chapter)}
    if not force:
        for edition in notebooks:
            worked = exercises_with_work(edition.notebook)
            if worked:
                raise BuildError(
                    f"{edition.notebook} holds your work in exercise {', '.join(worked)}; nothing was written. "
                    "Copy it elsewhere first, or rebuild anyway with: grader build --force"
                )
    for edition, notebook in notebooks.items():
        edition.notebook.parent.mkdir(parents=True, exist_ok=True)
        edition.notebook.write_text(notebook_text(notebook), encoding="utf-8")
    return [edition.notebook for edition in notebooks]


def exercises_with_work(path: Path) -> list[str]:
    """The exercises of an existing course notebook whose stub has been replaced."""
    if not path.exists():
        return []
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:  # an unreadable notebook still deserves not to be overwritten
        return ["(unreadable notebook)"]
    return [
        cell.metadata["grader"]["exercise"]
        for cell in notebook.cells
        if "exercise" in cell.metadata.get("tags", []) and stub_line(cell.metadata["grader"]["exercise"]) not in cell.source
    ]


def stale(chapters: list[Chapter], course_dir: Path) -> list[Staleness]:
    """Course notebooks, in every language, that are missing, outdated, or have no source."""
    problems = []
    expected = set()
    for edition in (edition for chapter in chapters for edition in editions(chapter)):
        expected.add(edition.notebook.resolve())
        if not edition.notebook.exists():
            problems.append(Staleness(edition.notebook, "missing"))
        elif edition.notebook.read_text(encoding="utf-8") != notebook_text(learner_notebook(edition)):
            problems.append(Staleness(edition.notebook, "differs from what its source generates"))
    for path in sorted([*course_dir.glob("*.ipynb"), *course_dir.glob("*/*.ipynb")]):
        if path.resolve() not in expected and ".ipynb_checkpoints" not in path.parts:
            problems.append(Staleness(path, "has no source in solutions/"))
    return problems


def write_solved(chapters: list[Chapter], folder: Path) -> list[Path]:
    """Write the solved notebooks (for nbval) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for chapter in chapters:
        path = folder / f"{chapter.stem}.ipynb"
        path.write_text(notebook_text(solved_notebook(chapter)), encoding="utf-8")
        paths.append(path)
    return paths
