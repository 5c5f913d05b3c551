"""Read a learner's notebook and take from it only what defines the entry points.

The grader never executes a notebook top to bottom: exploratory cells, plots,
`%magics`, `!shell` lines and half-written cells would make grading fragile and
slow. Instead it parses every cell, keeps the last top-level definition of each
name (functions, classes, imports, assignments), and follows the names the
entry points use. Nothing here runs learner code: it only reads text.
"""

from __future__ import annotations

import ast
import json
import re
import symtable
from dataclasses import dataclass
from pathlib import Path



class NotebookError(ValueError):
    """A notebook that cannot be read."""


@dataclass(frozen=True)
class Cell:
    """A code cell: its position, its text and a label for tracebacks."""

    index: int
    source: str
    label: str


@dataclass(frozen=True)
class Snippet:
    """One top-level statement taken from a cell, ready to compile."""

    label: str
    line: int
    code: str


@dataclass(frozen=True)
class Extraction:
    """What the grader takes from a notebook for a set of entry points."""

    snippets: tuple[Snippet, ...]
    missing: tuple[str, ...]
    skipped_cells: tuple[str, ...]


def read_code_cells(path: Path) -> list[Cell]:
    """The code cells of an `.ipynb` notebook or a jupytext percent `.py` file.

    Raises:
        NotebookError: the file is missing or not a notebook, with the reason.
    """
    if not path.is_file():
        raise NotebookError(f"{path}: no such file.")
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        cells = _ipynb_cells(text, path)
    elif path.suffix == ".py":
        cells = percent_code_cells(text)
    else:
        raise NotebookError(f"{path}: expected an .ipynb notebook or a percent .py file.")
    return [Cell(i, source, f"cell {i + 1}") for i, source in enumerate(cells)]


def stub_line(exercise_id: str) -> str:
    """The line that stands in for an exercise's solution in the learner's notebook."""
    return f'raise NotImplementedError("Exercise {exercise_id}: replace this line with your code.")'


_CELL_MARKER = re.compile(r"^# %%(?!%)(.*)$")


def percent_code_cells(text: str) -> list[str]:
    """The code cells of a jupytext percent script, as jupytext reads them.

    Read here rather than through jupytext, whose import (nbformat, jsonschema) costs every
    grader process about two seconds; a test holds the two readers to the same cells.
    """
    cells: list[tuple[str, list[str]]] = [("code", [])]  # what precedes the first marker
    for line in text.splitlines():
        marker = _CELL_MARKER.match(line)
        if marker:
            options = marker.group(1)
            kind = "markdown" if re.search(r"\[(markdown|md)\]", options) else "raw" if "[raw]" in options else "code"
            cells.append((kind, []))
        else:
            cells[-1][1].append(line)
    sources = ["\n".join(lines).strip("\n") for kind, lines in cells if kind == "code"]
    return sources[1:] if not sources[0].strip() else sources


def _ipynb_cells(text: str, path: Path) -> list[str]:
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(f"{path}: not valid notebook JSON ({error.msg} at line {error.lineno}).") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotebookError(f"{path}: not a Jupyter notebook (no list of cells).")
    sources = []
    for cell in notebook["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            sources.append("".join(source) if isinstance(source, list) else str(source))
    return sources


_MAGIC = re.compile(r"^\s*(%|!|\?)|\?\s*$")


def without_magics(source: str) -> str | None:
    """The cell's Python, with IPython-only lines blanked; None for a cell magic.

    Line numbers are kept so tracebacks still point at the right line.
    """
    if source.lstrip().startswith("%%"):
        return None
    lines = source.splitlines()
    return "\n".join("" if _MAGIC.search(line) else line for line in lines)


def extract(cells: list[Cell], entries: list[str]) -> Extraction:
    """The statements needed to define `entries`, in an order that runs.

    The last top-level definition of a name wins. Cells that do not parse are
    skipped (and reported), so a broken exploratory cell costs nothing.
    """
    definitions: dict[str, _Definition] = {}
    star_imports: list[_Definition] = []
    skipped = []
    order = 0
    for cell in cells:
        python = without_magics(cell.source)
        if python is None:
            continue
        try:
            tree = ast.parse(python)
        except SyntaxError:
            skipped.append(cell.label)
            continue
        lines = python.splitlines()
        for statement in tree.body:
            order += 1
            definition = _Definition(cell, statement, order, *_segment(lines, statement))
            if _is_star_import(statement):
                star_imports.append(definition)
            for name in _defined_names(statement):
                definitions[name] = definition
    needed = _closure(entries, definitions)
    missing = tuple(name for name in entries if name not in definitions)
    ordered = star_imports + _run_order(needed, definitions)
    snippets = tuple(Snippet(d.cell.label, d.line, d.code) for d in ordered)
    return Extraction(snippets, missing, tuple(skipped))


@dataclass(eq=False)
class _Definition:
    cell: Cell
    statement: ast.stmt
    order: int
    line: int
    code: str


def _segment(lines: list[str], statement: ast.stmt) -> tuple[int, str]:
    """The statement's first line (decorators included) and its whole lines of text."""
    decorators = getattr(statement, "decorator_list", [])
    first = min([statement.lineno, *(d.lineno for d in decorators)])
    last = statement.end_lineno or statement.lineno
    return first, "\n".join(lines[first - 1 : last])


def _is_star_import(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.ImportFrom) and any(a.name == "*" for a in statement.names)


def _defined_names(statement: ast.stmt) -> list[str]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return [
            (alias.asname or alias.name).split(".")[0]
            for alias in statement.names
            if alias.name != "*"
        ]
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        targets = [statement.target]
    names = []
    for target in targets:
        elements = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
        names += [element.id for element in elements if isinstance(element, ast.Name)]
    return names


def _used_names(node: ast.AST) -> set[str]:
    """Every name a piece of code loads (a superset: locals included)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _global_names(code: str) -> set[str]:
    """The module-level names a statement refers to, at once or when its functions run.

    Python's own scoping (symtable) tells a function's locals and parameters
    from the globals it reads, so a local `report` does not drag in a
    top-level `report = ...` cell.
    """
    try:
        table = symtable.symtable(code, "<cell>", "exec")
    except SyntaxError:
        return set()
    names = {symbol.get_name() for symbol in table.get_symbols() if symbol.is_referenced()}
    stack = list(table.get_children())
    while stack:
        child = stack.pop()
        names |= {symbol.get_name() for symbol in child.get_symbols() if symbol.is_global()}
        stack += child.get_children()
    return names


def _definition_time_names(statement: ast.stmt) -> set[str]:
    """Names a statement needs when it runs (not when its functions are called)."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
        parts: list[ast.AST] = [*statement.decorator_list, *statement.args.defaults]
        parts += [d for d in statement.args.kw_defaults if d is not None]
        return set().union(*(_used_names(part) for part in parts)) if parts else set()
    if isinstance(statement, ast.ClassDef):
        parts = [*statement.decorator_list, *statement.bases, *statement.keywords]
        names = set().union(*(_used_names(part) for part in parts)) if parts else set()
        for member in statement.body:
            names |= _definition_time_names(member) if isinstance(
                member, (ast.FunctionDef, ast.AsyncFunctionDef)
            ) else _used_names(member)
        return names
    return _used_names(statement)


def _closure(entries: list[str], definitions: dict[str, _Definition]) -> list[_Definition]:
    needed: dict[int, _Definition] = {}
    queue = [name for name in entries if name in definitions]
    seen: set[str] = set()
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        definition = definitions[name]
        needed[id(definition)] = definition
        queue += [used for used in _global_names(definition.code) if used in definitions]
    return list(needed.values())


def _run_order(needed: list[_Definition], definitions: dict[str, _Definition]) -> list[_Definition]:
    """Notebook order, except that a statement runs after what it needs at once.

    Imports go first; a cycle falls back to notebook order.
    """
    pending = sorted(needed, key=lambda d: (not isinstance(d.statement, (ast.Import, ast.ImportFrom)), d.order))
    ordered: list[_Definition] = []
    while pending:
        waiting = {id(d) for d in pending}
        ready = next((d for d in pending if not _requirements(d, definitions) & waiting), pending[0])
        pending.remove(ready)
        ordered.append(ready)
    return ordered


def _requirements(definition: _Definition, definitions: dict[str, _Definition]) -> set[int]:
    return {
        id(definitions[name])
        for name in _definition_time_names(definition.statement)
        if name in definitions and definitions[name] is not definition
    }


def snippets_to_json(snippets: tuple[Snippet, ...]) -> str:
    """The wire form of extracted code, read by the worker."""
    return json.dumps([{"label": s.label, "line": s.line, "code": s.code} for s in snippets])
