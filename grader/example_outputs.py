"""What the worked examples print and draw, shown on the docs site beside their code.

`grader build --outputs` runs each chapter's solved notebook once, on JAX, and keeps the outputs of the
cells a learner's notebook shows as they are: the narrative's examples (the data table, the article's
150 epochs overfitting, the attention maps). Never an exercise cell, and never a cell that calls an
exercise's function, directly or through a helper: what those print is what the learner's own code
should produce, and the reference's would give it away.

The outputs are kept in `docs/outputs/<stem>.json` with a fingerprint of the chapter's code cells, so
they are computed again only when code changes (not when the text does), and a test fails when they
are stale. The site's hook copies them into the notebooks it renders, in English and in Chinese
alike: both editions have the same code cells, in the same places.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from .build import REFERENCE_ONLY, learner_notebook, read_source, solved_notebook
from .chapters import Chapter
from .i18n import ENGLISH
from .locations import PROJECT_ROOT

OUTPUTS_DIR = PROJECT_ROOT / "docs" / "outputs"
VERSION = 1
BACKEND = "jax"  # the lightest and fastest on a CPU; every example runs on every backend (tests/test_notebooks_run.py)
_KEPT_TYPES = {"text/plain", "text/html", "text/markdown", "image/png", "image/svg+xml"}


def outputs_path(chapter: Chapter) -> Path:
    return OUTPUTS_DIR / f"{chapter.stem}.json"


def fingerprint(chapter: Chapter) -> str:
    """A hash of the chapter's code cells, solutions included: what decides the examples' outputs."""
    code = [cell.source for cell in read_source(chapter).cells if cell.cell_type == "code"]
    return hashlib.sha256(json.dumps(code).encode()).hexdigest()[:16]


def shown_cells(chapter: Chapter) -> dict[int, str]:
    """The learner notebook's code cells whose outputs may be shown, by position in the chapter's source:
    `{source index: learner cell id}`."""
    english = replace(chapter, lang=ENGLISH)
    learner = [cell for cell in learner_notebook(english).cells if "check" not in cell.metadata.get("tags", [])]
    kept = [(i, cell) for i, cell in enumerate(read_source(english).cells)
            if not {REFERENCE_ONLY, "check"} & set(cell.metadata.get("tags", []))]  # a placed check cell is no example
    positions, source = [i for i, _ in kept], [cell for _, cell in kept]
    tainted = _names_that_reach(source, {exercise.entry for exercise in english.spec.exercises})
    shown = {}
    for position, source_cell, learner_cell in zip(positions, source, learner, strict=True):
        if learner_cell.cell_type != "code":
            continue
        used = _names(source_cell.source)
        tainted = _after(source_cell.source, tainted)  # `data = prepare_data(...)`: data holds a solution's output
        if "exercise" not in learner_cell.metadata.get("tags", []) and not used & tainted:
            shown[position] = learner_cell.id
    return shown


def _names(code: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:  # a cell with IPython syntax: shown, it names nothing parsable
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} | {
        node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}


def _after(code: str, tainted: set[str]) -> set[str]:
    """The tainted names once the cell has run: a name bound from a tainted value becomes tainted, one bound
    from anything else is clean again (`x = rng.normal(...)` after `x = dense_forward(...)`)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return tainted
    tainted = set(tainted)
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue  # definitions: _names_that_reach decides them
        sources = {ast.Assign: "value", ast.AnnAssign: "value", ast.AugAssign: "value", ast.For: "iter"}
        source = getattr(statement, sources.get(type(statement), ""), None)
        if isinstance(statement, ast.With):
            value_names = set().union(*(_names(ast.unparse(item.context_expr)) for item in statement.items))
        else:
            value_names = _names(ast.unparse(source)) if source is not None else _names(ast.unparse(statement))
        bound = {node.id for node in ast.walk(statement) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
        tainted = (tainted | bound) if value_names & tainted else (tainted - bound)
    return tainted


def _names_that_reach(cells: list[NotebookNode], entries: set[str]) -> set[str]:
    """The exercises' entry points, and every top-level function or class that uses one, at any depth."""
    defined: dict[str, set[str]] = {}
    for cell in cells:
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                defined[node.name] = _names(ast.unparse(node)) - {node.name}
    reached = set(entries)
    while True:
        more = {name for name, uses in defined.items() if name not in reached and uses & reached}
        if not more:
            return reached
        reached |= more


def execute(chapter: Chapter, timeout_s: float = 900) -> dict[str, Any]:
    """Run the solved notebook on JAX; the outputs of the cells that may be shown, by learner cell id."""
    from nbclient import NotebookClient

    notebook = solved_notebook(chapter)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(
        f"import os\nos.environ['KERAS_BACKEND'] = '{BACKEND}'\nos.environ['MPLBACKEND'] = 'module://matplotlib_inline.backend_inline'"))
    NotebookClient(notebook, timeout=timeout_s, kernel_name="python3",
                   resources={"metadata": {"path": str(PROJECT_ROOT)}}).execute()
    ran = notebook.cells[1:]
    outputs = {cell_id: _kept(ran[position].outputs) for position, cell_id in shown_cells(chapter).items()}
    return {"version": VERSION, "chapter": chapter.name, "fingerprint": fingerprint(chapter), "backend": BACKEND,
            "outputs": {cell_id: kept for cell_id, kept in outputs.items() if kept}}


def _kept(outputs: list[NotebookNode]) -> list[dict[str, Any]]:
    """What a reader should see: printed text and displayed results, not warnings, logs or counters."""
    kept = []
    for output in outputs:
        if output.output_type == "stream" and output.name == "stdout":
            kept.append({"output_type": "stream", "name": "stdout", "text": output.text})
        elif output.output_type in ("display_data", "execute_result"):
            data = {kind: value for kind, value in output.data.items() if kind in _KEPT_TYPES}
            if data:
                kept.append({"output_type": "display_data", "data": data, "metadata": {}})
    return kept


def write(chapter: Chapter, recorded: dict[str, Any]) -> Path:
    path = outputs_path(chapter)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(recorded, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def recorded(chapter: Chapter) -> dict[str, Any] | None:
    """The chapter's recorded outputs, or None when there are none or they were made from other code."""
    path = outputs_path(chapter)
    if not path.is_file():
        return None
    saved: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if saved.get("version") != VERSION or saved.get("fingerprint") != fingerprint(chapter):
        return None
    return saved


def with_outputs(chapter: Chapter, notebook: NotebookNode) -> NotebookNode:
    """A copy of the learner notebook (either edition) with the recorded outputs of its examples."""
    saved = recorded(chapter)
    shown = copy.deepcopy(notebook)
    for cell in shown.cells:
        if saved and cell.cell_type == "code" and cell.id in saved["outputs"]:
            cell.outputs = [nbformat.from_dict(output) for output in saved["outputs"][cell.id]]
    return shown
