"""Read a learner's notebook and take from it only what defines the entry points.

The grader never executes a notebook top to bottom: exploratory cells, plots and
half-written cells would make grading fragile and slow. Instead it reads every cell
as the Jupyter kernel does (IPython's own input transformation turns `%magics`,
`!shell` lines and `?` help into Python), keeps the last top-level definition of
each name (functions, classes, imports, assignments) with the statements after it
that change it in place (`ACTS["relu"] = relu`, `VOCAB.append(word)`, `N += 1`),
and follows the names the entry points use. Other statements that touch those
names (`model.fit(...)`) are left out and named when the exercise then fails.
Nothing here runs learner code: it only reads text.
"""

from __future__ import annotations

import ast
import functools
import json
import re
import symtable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .i18n import _

if TYPE_CHECKING:
    from IPython.core.inputtransformer2 import TransformerManager


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
    skipped_cells: tuple[str, ...]  # "cell 8, line 3: invalid syntax": cells Python cannot read
    left_out: tuple[str, ...] = ()  # "cell 9, line 1: model.fit(...)": statements on needed names not taken
    unimplemented: tuple[str, ...] = ()  # entries that can only raise NotImplementedError (`raises_at_once`)


def read_code_cells(path: Path) -> list[Cell]:
    """The code cells of an `.ipynb` notebook or a jupytext percent `.py` file.

    Raises:
        NotebookError: the file is missing or not a notebook, with the reason.
    """
    if not path.is_file():
        raise NotebookError(_("{path}: no such file.").format(path=path))
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        cells = _ipynb_cells(text, path)
    elif path.suffix == ".py":
        cells = percent_code_cells(text)
    else:
        raise NotebookError(_("{path}: expected an .ipynb notebook or a percent .py file.").format(path=path))
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
        invalid = _("{path}: not valid notebook JSON ({reason} at line {line}).")
        raise NotebookError(invalid.format(path=path, reason=error.msg, line=error.lineno)) from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotebookError(_("{path}: not a Jupyter notebook (no list of cells).").format(path=path))
    sources = []
    for cell in notebook["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            sources.append("".join(source) if isinstance(source, list) else str(source))
    return sources


# Cell magics that run their body as Python in the notebook's namespace, so that what the body
# defines exists afterwards. Any other cell magic (%%bash, %%writefile, %%html; %%timeit runs its
# body inside a function) leaves nothing for the grader to take.
_PYTHON_CELL_MAGICS = frozenset({"time", "capture", "prun"})


def cell_python(source: str) -> str | None:
    """The cell's Python as the Jupyter kernel runs it, line for line; None for a cell that is not Python.

    `%line magics`, `!shell` and `?` help become IPython calls (statements that define nothing), a
    `?` inside a string stays in the string, and a `%%time` or `%%capture` cell keeps its body.
    """
    lines = source.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return ""
    head = lines[first].lstrip()
    if head.startswith("%%"):
        if (head[2:].split() or [""])[0] not in _PYTHON_CELL_MAGICS:
            return None
        body = cell_python("\n".join(lines[first + 1 :]))
        return None if body is None else "\n" * (first + 1) + body
    return "\n" * first + _ipython_transform("\n".join(lines[first:]))


@functools.lru_cache(maxsize=1)
def _transformer() -> TransformerManager:  # IPython is imported only when a notebook is read (about 0.2 s)
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def _ipython_transform(source: str) -> str:
    try:
        return _transformer().transform_cell(source)
    except (SyntaxError, ValueError, IndexError):  # text IPython's tokenizer cannot read: Python reports why
        return source


def extract(cells: list[Cell], entries: list[str]) -> Extraction:
    """The statements needed to define `entries`, in an order that runs.

    The last top-level definition of a name wins, with the statements after it that change
    it in place. Cells that do not parse are skipped (and reported, with the line and the
    reason), so a broken exploratory cell costs nothing.
    """
    definitions: dict[str, _Definition] = {}
    changes: dict[str, list[_Definition]] = {}  # per name: in-place changes since its last definition
    others: list[tuple[_Definition, set[str]]] = []  # statements left out, with the names they touch
    star_imports: list[_Definition] = []
    skipped = []
    order = 0
    for cell in cells:
        python = cell_python(cell.source)
        if python is None:
            continue
        try:
            tree = ast.parse(python)
        except SyntaxError as error:
            unreadable = _("{cell}, line {line}: {reason}")
            skipped.append(unreadable.format(cell=cell.label, line=error.lineno, reason=error.msg))
            continue
        lines = python.splitlines()
        for statement in tree.body:
            order += 1
            definition = _Definition(cell, statement, order, *_segment(lines, statement))
            if _is_star_import(statement):
                star_imports.append(definition)
            changed = _changed_names(statement)
            for name in changed & definitions.keys():
                changes[name].append(definition)
            for name in _defined_names(statement):
                definitions[name] = definition
                changes[name] = []
            if not changed and not _defined_names(statement):
                others.append((definition, _touched_names(statement)))
    needed = _closure(entries, definitions, changes)
    missing = tuple(name for name in entries if name not in definitions)
    ordered = star_imports + _run_order(needed, definitions)
    snippets = tuple(Snippet(d.cell.label, d.line, d.code) for d in ordered)
    unimplemented = tuple(name for name in entries
                          if name in definitions and not changes[name] and raises_at_once(definitions[name].statement))
    return Extraction(snippets, missing, tuple(skipped), _left_out(others, needed, definitions), unimplemented)


def raises_at_once(statement: ast.stmt) -> bool:
    """Whether calling the function `statement` defines can only raise NotImplementedError, as a stub does.

    An undecorated, unannotated `def` whose defaults are literals and whose first statement, after the
    docstring, is `raise NotImplementedError` with literal arguments: nothing it could run comes before
    the raise, not even when it is defined.
    """
    if not isinstance(statement, ast.FunctionDef) or statement.decorator_list or statement.returns:
        return False
    arguments = statement.args
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
    if any(argument.annotation for argument in every if argument is not None):
        return False
    if not all(_literal(default) for default in [*arguments.defaults, *arguments.kw_defaults] if default is not None):
        return False
    body = statement.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    if not body or not isinstance(body[0], ast.Raise) or body[0].cause is not None:
        return False
    raised = body[0].exc
    if isinstance(raised, ast.Call):
        if raised.keywords or not all(_literal(argument) for argument in raised.args):
            return False
        raised = raised.func
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


def _literal(expression: ast.expr) -> bool:
    """A literal (`0.2`, `-1`, `()`, `("a", 1)`): evaluating it cannot fail or run anything."""
    try:
        ast.literal_eval(expression)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


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


def _closure(entries: list[str], definitions: dict[str, _Definition],
             changes: dict[str, list[_Definition]]) -> list[_Definition]:
    needed: dict[int, _Definition] = {}
    queue = [name for name in entries if name in definitions]
    seen: set[str] = set()
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        for statement in [definitions[name], *changes.get(name, [])]:
            needed[id(statement)] = statement
            queue += [used for used in _global_names(statement.code) if used in definitions]
    return list(needed.values())


# Methods that change a list, dict or set in place: a top-level call of one on a needed name is taken.
_CONTAINER_METHODS = frozenset({"append", "extend", "insert", "update", "setdefault", "add", "discard", "remove",
                                "pop", "popitem", "clear", "sort", "reverse"})


def _changed_names(statement: ast.stmt) -> set[str]:
    """The top-level names a statement changes in place without rebinding them from scratch.

    `X[k] = v`, `X.a = v`, `X += v`, `del X[k]`, `X.append(v)` (a container's own methods), and a
    `for` loop made only of such statements.
    """
    if isinstance(statement, ast.Expr):
        call = statement.value
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in _CONTAINER_METHODS:
            return _roots([call.func.value])
        return set()
    if isinstance(statement, ast.AugAssign):
        return _roots([statement.target])
    if isinstance(statement, (ast.Assign, ast.Delete)):
        return _roots([t for t in statement.targets if isinstance(t, (ast.Subscript, ast.Attribute))])
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, (ast.Subscript, ast.Attribute)):
        return _roots([statement.target])
    if isinstance(statement, ast.For) and not statement.orelse:
        inner = [_changed_names(s) for s in statement.body]
        if all(inner):
            return set().union(*inner) - _target_names(statement.target)
    return set()


def _roots(expressions: list[ast.expr]) -> set[str]:
    """The names at the bottom of `X.a[1].b`: the objects an assignment to them changes."""
    roots = set()
    for expression in expressions:
        while isinstance(expression, (ast.Subscript, ast.Attribute)):
            expression = expression.value
        if isinstance(expression, ast.Name):
            roots.add(expression.id)
    return roots


def _target_names(target: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def _touched_names(statement: ast.stmt) -> set[str]:
    """The names whose methods a left-out statement calls, or that a loop or block changes: what it may change."""
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        return _roots([statement.value.func]) if isinstance(statement.value.func, ast.Attribute) else set()
    if isinstance(statement, (ast.For, ast.While, ast.If, ast.With, ast.Try)):
        return set().union(set(), *(_changed_names(node) for node in ast.walk(statement)
                                    if isinstance(node, ast.stmt) and node is not statement))
    return set()


def _left_out(others: list[tuple[_Definition, set[str]]], needed: list[_Definition],
              definitions: dict[str, _Definition]) -> tuple[str, ...]:
    """The statements not taken that may change a needed name after its definition, as a learner finds them."""
    taken = {id(d) for d in needed}
    names = {name for name, d in definitions.items()  # a module's functions (keras.utils...) change no value
             if id(d) in taken and not isinstance(d.statement, (ast.Import, ast.ImportFrom))}
    notes = []
    for statement, touched in others:
        if any(name in names and definitions[name].order < statement.order for name in touched):
            first_line = statement.code.strip().splitlines()[0]
            where = _("{cell}, line {line}: {statement}")
            notes.append(where.format(cell=statement.cell.label, line=statement.line, statement=first_line))
    return tuple(notes)


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
