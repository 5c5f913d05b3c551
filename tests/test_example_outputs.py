"""The docs site shows what the worked examples print and draw, never what a solution computes."""

from __future__ import annotations

import json
from dataclasses import replace

import nbformat

from grader import example_outputs
from grader.build import learner_notebook, read_source
from grader.chapters import discover, resolve


def cells(*sources: str) -> list:
    return [nbformat.v4.new_code_cell(source) for source in sources]


def test_a_helper_that_calls_an_exercise_is_the_exercise_too():
    reached = example_outputs._names_that_reach(cells(
        "def solve(x):\n    return x + 1",
        "def helper(x):\n    return solve(x) * 2",
        "def wrapper(x):\n    return helper(x)",
        "def unrelated(x):\n    return x",
    ), {"solve"})
    assert reached == {"solve", "helper", "wrapper"}


def test_a_name_bound_from_a_solution_is_tainted_until_bound_again():
    tainted = example_outputs._after("data = solve(3)\nrng = make_rng()", {"solve"})
    assert tainted == {"solve", "data"}
    assert example_outputs._after("for row in data:\n    total = row", tainted) >= {"row", "total"}
    assert "data" not in example_outputs._after("data = load()", tainted)


def test_chapter_4_shows_the_articles_overfitting_and_hides_every_solutions_output():
    chapter = resolve("chapter4")
    source = read_source(chapter).cells
    shown = {source[position].source for position in example_outputs.shown_cells(chapter)}
    assert any("epochs=150, batch_size=10" in code for code in shown), "the article's recipe and its curves"
    entries = [e.entry for e in chapter.spec.exercises]
    assert not any(f"{entry}(" in code for code in shown for entry in entries)
    assert not any("def " + entry in code for code in shown for entry in entries)


def test_recorded_outputs_are_current_and_belong_to_shown_cells_only():
    for chapter in discover():
        saved = example_outputs.recorded(chapter)
        assert saved is not None, f"{chapter.name}: run grader build --outputs"
        allowed = set(example_outputs.shown_cells(chapter).values())
        assert set(saved["outputs"]) <= allowed, chapter.name
        for outputs in saved["outputs"].values():
            assert all(o["output_type"] in ("stream", "display_data") for o in outputs)
            assert not any(o.get("name") == "stderr" for o in outputs)


def test_both_editions_get_the_same_outputs_in_the_same_cells():
    chapter = resolve("chapter4")
    saved = example_outputs.recorded(chapter)
    for edition in ("en", "zh"):
        notebook = learner_notebook(replace(chapter, lang=edition))
        shown = example_outputs.with_outputs(chapter, notebook)
        with_output = {cell.id for cell in shown.cells if cell.cell_type == "code" and cell.outputs}
        assert with_output == set(saved["outputs"]), edition
        assert not any(cell.outputs for cell in notebook.cells if cell.cell_type == "code"), "the course file stays clean"


def test_the_record_is_small_enough_to_keep_in_the_repository():
    sizes = {path.name: path.stat().st_size for path in example_outputs.OUTPUTS_DIR.glob("*.json")}
    assert sum(sizes.values()) < 4_000_000, sizes
    assert all(json.loads(path.read_text())["backend"] == "jax" for path in example_outputs.OUTPUTS_DIR.glob("*.json"))
