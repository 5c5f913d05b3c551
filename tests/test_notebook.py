"""Reading notebooks and taking only what defines the entry points."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.notebook import Cell, NotebookError, extract, percent_code_cells, read_code_cells, without_magics


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
    assert extraction.skipped_cells == ("cell 3",)


def test_decorators_are_kept_with_their_function():
    extraction = extract(cells("import functools", "@functools.cache\ndef solve():\n    return 1"), ["solve"])
    assert extraction.snippets[-1].code.startswith("@functools.cache")
    assert extraction.snippets[-1].line == 1


def test_without_magics_keeps_line_numbers():
    assert without_magics("x = 1\n%time y = 2\nz = 3").splitlines() == ["x = 1", "", "z = 3"]
    assert without_magics("%%bash\necho hi") is None


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
