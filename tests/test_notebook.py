"""Reading notebooks and taking only what defines the entry points."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from grader.notebook import Cell, NotebookError, cell_python, extract, percent_code_cells, read_code_cells


def cells(*sources: str) -> list[Cell]:
    return [Cell(i, source, f"cell {i + 1}") for i, source in enumerate(sources)]


def code_of(extraction) -> str:
    return "\n".join(snippet.code for snippet in extraction.snippets)


def test_takes_the_entry_point_its_helpers_and_imports_only():
    extraction = extract(
        cells(
            "import numpy as np\nimport json",
            "print('exploring')\nresult = np.ones(3)",
            "def helper(x):\n    return np.asarray(x) * SCALE",
            "SCALE = 2",
            "def solve(x):\n    return helper(x)",
        ),
        ["solve"],
    )
    code = code_of(extraction)
    assert "def solve" in code and "def helper" in code and "SCALE = 2" in code
    assert "import numpy as np" in code
    assert "print('exploring')" not in code and "result =" not in code and "import json" not in code
    assert extraction.missing == ()


def test_local_variables_do_not_drag_in_top_level_cells_of_the_same_name():
    extraction = extract(
        cells(
            "def solve(x):\n    report = x + 1\n    return report",
            "report = train_for_ten_minutes()",
        ),
        ["solve"],
    )
    assert "train_for_ten_minutes" not in code_of(extraction)


def test_last_definition_wins_and_reordered_cells_still_run_in_a_working_order():
    extraction = extract(
        cells(
            "def solve():\n    return 1",
            "class Model(Base):\n    pass",
            "def solve():\n    return Model()",
            "class Base:\n    pass",
        ),
        ["solve"],
    )
    code = code_of(extraction)
    assert "return 1" not in code
    assert code.index("class Base") < code.index("class Model(Base)")


def test_magics_shell_lines_and_broken_cells_are_skipped():
    extraction = extract(
        cells("%matplotlib inline\nimport math", "!pip install nothing", "def broken(:\n", "%%timeit\nx = 1",
              "def solve():\n    return math.pi"),
        ["solve", "absent"],
    )
    assert "import math" in code_of(extraction)
    assert extraction.missing == ("absent",)
    assert extraction.skipped_cells == ("cell 3, line 1: invalid syntax",)


def test_cells_are_read_as_the_kernel_reads_them():
    extraction = extract(cells(
        "%%time\nimport math\ndef area(r):\n    return math.pi * r ** 2\narea(1)",  # the cell magic's body runs
        'def ask(x):\n    """Is this right?\n    It is."""\n    return x',  # a ? inside a string
        "ok = (1\n      != 2)",  # a continuation line that starts with an operator
        "%%capture output\nSCALE = 3",
        "%%bash\nSCALE = 4",  # not Python: defines nothing
        "def solve(r):\n    return ask(area(r)) * SCALE if ok else 0",
    ), ["solve"])
    assert extraction.skipped_cells == () and extraction.missing == ()
    namespace: dict = {}
    for snippet in extraction.snippets:
        exec(snippet.code, namespace)
    assert namespace["solve"](1) == pytest.approx(3 * 3.141592653589793)


def test_cell_python_keeps_line_numbers():
    assert cell_python("x = 1\n%time y = 2\nz = 3").splitlines()[::2] == ["x = 1", "z = 3"]
    assert cell_python("\n\n%%time\ndef f():\n    pass").splitlines()[3] == "def f():"
    assert cell_python("%%bash\necho hi") is None and cell_python("%%timeit\nx = 1") is None
    assert "np.mean?" not in cell_python("np.mean?\nx = 'why?'") and "'why?'" in cell_python("x = 'why?'")


def test_in_place_changes_after_a_definition_are_taken_in_notebook_order():
    extraction = extract(cells(
        "ACTS = {}\nVOCAB = ['<pad>']",
        "ACTS['relu'] = lambda x: max(x, 0)\nVOCAB.append('<unk>')\nCOUNT = 0\nCOUNT += 2",
        "for word in ['a', 'b']:\n    VOCAB.append(word)",
        "ACTS.update(linear=linear)",
        "def linear(x):\n    return x",
        "def solve(name, x):\n    return ACTS[name](x), VOCAB, COUNT",
    ), ["solve"])
    namespace: dict = {}
    for snippet in extraction.snippets:
        exec(snippet.code, namespace)
    assert namespace["solve"]("linear", -2) == (-2, ["<pad>", "<unk>", "a", "b"], 2)
    assert namespace["solve"]("relu", -2)[0] == 0


def test_a_redefinition_drops_the_changes_made_before_it():
    extraction = extract(cells("ACTS = {}", "ACTS['old'] = 1", "ACTS = {'new': 2}", "def solve():\n    return ACTS"),
                         ["solve"])
    assert "ACTS['old']" not in code_of(extraction)


def test_statements_left_out_on_a_needed_name_are_named_and_exploration_is_not():
    extraction = extract(cells(
        "import keras\nmodel = keras.Sequential()",
        "model.fit(x, y, epochs=150)\nprint(model)\nother.fit(x)\nkeras.utils.set_random_seed(0)",
        "def solve():\n    return model",
    ), ["solve"])
    assert "fit" not in code_of(extraction)
    assert extraction.left_out == ("cell 2, line 1: model.fit(x, y, epochs=150)",)


def test_decorators_are_kept_with_their_function():
    extraction = extract(cells("import functools", "@functools.cache\ndef solve():\n    return 1"), ["solve"])
    assert extraction.snippets[-1].code.startswith("@functools.cache")
    assert extraction.snippets[-1].line == 1


def test_reads_ipynb_and_percent_files(tmp_path: Path):
    notebook = tmp_path / "n.ipynb"
    notebook.write_text(json.dumps({"cells": [
        {"cell_type": "markdown", "source": "# title"},
        {"cell_type": "code", "source": ["x = 1\n", "y = 2"]},
    ]}))
    assert [c.source for c in read_code_cells(notebook)] == ["x = 1\ny = 2"]
    percent = tmp_path / "n.py"
    percent.write_text("# %% [markdown]\n# hello\n\n# %%\nx = 1\n")
    assert [c.source for c in read_code_cells(percent)] == ["x = 1"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [("{not json", "not valid notebook JSON"), ('{"cells": 3}', "not a Jupyter notebook")],
)
def test_unreadable_notebooks_say_why(tmp_path: Path, content: str, reason: str):
    path = tmp_path / "bad.ipynb"
    path.write_text(content)
    with pytest.raises(NotebookError, match=reason):
        read_code_cells(path)


def test_a_missing_file_is_a_notebook_error(tmp_path: Path):
    with pytest.raises(NotebookError, match="no such file"):
        read_code_cells(tmp_path / "absent.ipynb")


@pytest.mark.parametrize("solutions", sorted(Path(__file__).parents[1].glob("solutions/chapter*.py")), ids=lambda p: p.stem)
def test_percent_reader_sees_the_cells_jupytext_sees(solutions: Path):
    # The grader reads the solutions without jupytext (its import costs every process ~2 s);
    # `grader build` writes the learner's notebooks with jupytext: both must agree on the code.
    import jupytext

    text = solutions.read_text(encoding="utf-8")
    expected = [cell.source for cell in jupytext.reads(text, fmt="py:percent").cells if cell.cell_type == "code"]
    assert percent_code_cells(text) == expected


def test_percent_reader_handles_a_preamble_raw_cells_and_trailing_blank_lines():
    import jupytext

    text = "import os\n\n# %% [markdown]\n# Title\n\n# %%\nx = 1\n\n\n# %% [raw]\nnot code\n# %% tags=[\"a\"]\ny = 2\n"
    expected = [cell.source for cell in jupytext.reads(text, fmt="py:percent").cells if cell.cell_type == "code"]
    assert percent_code_cells(text) == expected == ["import os", "x = 1", "y = 2"]


STUB = 'raise NotImplementedError("Exercise 4.1: replace this line with your code.")'


@pytest.mark.parametrize(("code", "unimplemented"), [
    (f'def solve(x, axes=(), scale=-1.0):\n    """Docs."""\n    {STUB}', True),
    ("def solve(x):\n    raise NotImplementedError", True),
    (f"def solve(x):\n    print(x)\n    {STUB}", False),  # it runs something first
    (f"def solve(x):\n    if x:\n        return 1\n    {STUB}", False),
    (f"@decorate\ndef solve(x):\n    {STUB}", False),
    (f"def solve(x=make()):\n    {STUB}", False),  # the default is computed when the cell runs
    (f"def solve(x: np.ndarray):\n    {STUB}", False),
    ("def solve(x):\n    raise NotImplementedError(f'{x}')", False),
    ("def solve(x):\n    raise ValueError('no')", False),
    (f"def solve(x):\n    {STUB}\nsolve = other", False),  # rebound afterwards
    (f"def solve(x):\n    {STUB}\nsolve.__code__ = other.__code__", False),  # changed afterwards
    (f"class solve:\n    def __init__(self):\n        {STUB}", False),
])
def test_a_function_that_can_only_raise_not_implemented_is_told_apart(code, unimplemented):
    assert extract(cells(code), ["solve"]).unimplemented == (("solve",) if unimplemented else ())


def test_every_generated_stub_of_a_function_is_recognised_without_running_it():
    from grader.chapters import discover

    for chapter in discover():
        learner = read_code_cells(chapter.notebook)
        for exercise in chapter.spec.exercises:
            statement = _definition(chapter.source, exercise.entry)
            is_function = isinstance(statement, ast.FunctionDef)
            assert (exercise.entry in extract(learner, [exercise.entry]).unimplemented) == is_function, exercise.id


def test_no_probe_of_a_function_swallows_its_not_implemented_error():
    """A stub is judged 'not implemented' without being run: that holds only where the probe that calls the
    function would let its NotImplementedError out, as the worker reports it."""
    from grader.chapters import discover

    catching = {"Exception", "BaseException", "RuntimeError", "NotImplementedError"}
    for chapter in discover():
        for exercise in chapter.spec.exercises:
            if not exercise.probe or not isinstance(_definition(chapter.source, exercise.entry), ast.FunctionDef):
                continue
            handlers = [node for node in ast.walk(_definition(chapter.source, exercise.probe))
                        if isinstance(node, ast.ExceptHandler)]
            caught = {name.id for handler in handlers for name in ast.walk(handler.type or ast.Name("BaseException"))
                      if isinstance(name, ast.Name)}
            assert not caught & catching, (exercise.id, exercise.probe, caught)


def _definition(source: Path, name: str) -> ast.stmt:
    found = [s for cell in read_code_cells(source) for s in ast.parse(cell_python(cell.source) or "").body
             if isinstance(s, (ast.FunctionDef, ast.ClassDef)) and s.name == name]
    return found[-1]
