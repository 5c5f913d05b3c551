"""Jupyter is the oracle: what a notebook defines when the kernel runs it is what the grader must find.

Each layout is a notebook the way learners write them. Jupyter (nbclient, the engine behind
`jupyter execute`) runs it top to bottom and evaluates a call; the grader extracts the entry point
from the same cells, runs what it took, and must get the same value, or find nothing where Jupyter
defines nothing. A last test grades a chapter notebook written in these layouts end to end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import SEED, _clean_env
from grader.chapters import resolve
from grader.notebook import Cell, extract
from helpers import learner_notebook_with, solution_cell, statuses

LAYOUTS: dict[str, tuple[list[str], str]] = {
    "a %%time cell": (["%%time\nimport math\ndef solve(r):\n    return round(math.pi * r * r, 6)\nsolve(1)"], "solve(2)"),
    "a %%capture cell": (["%%capture log\nSCALE = 3\nprint('hidden')", "def solve(x):\n    return x * SCALE"], "solve(2)"),
    "a docstring line ending in ?": (['def solve(x):\n    """Is this the square?\n    Yes."""\n    return x * x'], "solve(3)"),
    "a continuation line starting with !=": (["def solve(x):\n    return (x\n            != 2)"], "solve(3)"),
    "line magics, shell and help beside a definition": (
        ["%matplotlib inline\nimport math\n!echo hello\nmath.sqrt?\ndef solve(x):\n    return math.sqrt(x)"], "solve(16)"),
    "a dict built in steps": (["ACTS = {}", "ACTS['double'] = lambda x: 2 * x\nACTS.update(square=lambda x: x * x)",
                               "def solve(x):\n    return ACTS['square'](ACTS['double'](x))"], "solve(3)"),
    "a list appended in a loop and a counter": (["VOCAB = []\nfor w in 'abc':\n    VOCAB.append(w)",
                                                 "COUNT = 1\nCOUNT += len(VOCAB)",
                                                 "def solve(x):\n    return VOCAB[x], COUNT"], "solve(1)"),
    "a helper in a later cell": (["def solve(x):\n    return helper(x) + 1", "def helper(x):\n    return 10 * x"], "solve(2)"),
    "a re-definition": (["def solve(x):\n    return 'first'", "print(solve(1))", "def solve(x):\n    return 'second'"],
                        "solve(1)"),
    "a redefined global drops the earlier changes": (["T = {'a': 1}", "T['b'] = 2", "T = {'c': 3}",
                                                      "def solve():\n    return sorted(T)"], "solve()"),
    "exploration and a broken cell between": (["import numpy as np\ndata = np.arange(5)\nprint(data.mean())",
                                               "print(solve(1)", "def solve(x):\n    return float(np.square(x))"],
                                              "solve(3)"),
    "a %%bash cell that looks like Python": (["%%bash\ndef solve(x):\n    echo hi"], "solve(1)"),
    "a %%timeit cell, whose body runs in a function": (["%%timeit -n1 -r1\ndef solve(x):\n    return x"], "solve(1)"),
}


def _jupyter_value(sources: list[str], call: str) -> str | None:
    """repr(call) after the kernel runs the cells, or None when the name is not defined."""
    probe = (f"import json as _json\ntry:\n    _value = repr({call})\nexcept NameError:\n    _value = None\n"
             "print('ORACLE' + _json.dumps(_value))")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in [*sources, probe]])
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True).execute()
    text = "".join(o.get("text", "") for o in notebook.cells[-1].outputs if o.output_type == "stream")
    return json.loads(text.split("ORACLE", 1)[1])


def _grader_value(sources: list[str], call: str) -> str | None:
    """repr(call) after running what the grader takes from the cells, or None when it finds nothing."""
    extraction = extract([Cell(i, s, f"cell {i + 1}") for i, s in enumerate(sources)], [call.split("(")[0]])
    if extraction.missing:
        return None
    namespace: dict = {}
    for snippet in extraction.snippets:
        exec(compile(snippet.code, snippet.label, "exec"), namespace)
    return repr(eval(call, namespace))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_grader_finds_what_jupyter_defines(layout: str) -> None:
    sources, call = LAYOUTS[layout]
    assert _grader_value(sources, call) == _jupyter_value(sources, call)


@pytest.mark.slow
def test_a_chapter_written_in_these_layouts_passes(tmp_path: Path) -> None:
    chapter = resolve("chapter1")
    solved = {e.entry: solution_cell(chapter, e.entry) for e in chapter.spec.exercises}
    pairwise = solved["pairwise_distances"].replace("    a, b = ops.convert_to_tensor(a), ops.convert_to_tensor(b)",
                                                    "    a, b = CONVERT['tensor'](a), CONVERT['tensor'](b)")
    layouts = {
        "standardize": "%%time\n" + solved["standardize"].replace("Standardise each column", "Standardise each column?"),
        "stable_softmax": "%matplotlib inline\n!echo softmax\n" + solved["stable_softmax"].replace(
            "    logits = ops.convert_to_tensor(logits)",
            "    logits = ops.convert_to_tensor(logits)\n    assert (logits.ndim\n            != 0)"),
        "pairwise_distances": "CONVERT = {}\nCONVERT['tensor'] = ops.convert_to_tensor\n" + pairwise,
    }
    notebook = learner_notebook_with(chapter, layouts, tmp_path / "layouts.ipynb")
    report = tmp_path / "report.json"
    finished = subprocess.run([sys.executable, "-m", "grader", "check", "chapter1", "--notebook", str(notebook),
                               "--backend", "jax", "--seed", SEED, "--json", str(report)],
                              capture_output=True, text=True, timeout=600, env=_clean_env())
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert statuses(json.loads(report.read_text())) == {"1.1": "passed", "1.2": "passed", "1.3": "passed"}
    assert _in_notebook_verdicts(notebook, ["1.1", "1.2", "1.3"]) == statuses(json.loads(report.read_text()))


def _in_notebook_verdicts(path: Path, ids: list[str]) -> dict[str, str]:
    """Run the notebook in Jupyter, then `check()` each exercise from the kernel, as a learner would."""
    notebook = nbformat.read(path, as_version=4)
    notebook.cells = [c for c in notebook.cells if not (c.cell_type == "code" and 'check("' in c.source)]
    verdicts = (f"import json\nfrom grader import check\nverdicts = {{i: check(i, backend='jax', seed={SEED}) for i in {ids!r}}}\n"
                "print('VERDICTS' + json.dumps({i: v.report.backends[0].exercises[0].status.value "
                "for i, v in verdicts.items()}))")
    notebook.cells.insert(0, nbformat.v4.new_code_cell("import os\nos.environ['KERAS_BACKEND'] = 'jax'"))
    notebook.cells.append(nbformat.v4.new_code_cell(verdicts))
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    text = "".join(o.get("text", "") for o in notebook.cells[-1].outputs if o.output_type == "stream")
    return json.loads(text.split("VERDICTS", 1)[1])


@pytest.mark.slow
def test_a_statement_left_out_is_named_when_the_exercise_then_fails(tmp_path: Path) -> None:
    chapter = resolve("chapter1")
    shifted = solution_cell(chapter, "standardize").replace("return (x - mean) / std", "return (x - mean) / std + SHIFT")
    notebook = learner_notebook_with(chapter, {"standardize": "SHIFT = np.ones(1)\nSHIFT.fill(0)\n" + shifted},
                                     tmp_path / "shifted.ipynb")
    report = tmp_path / "report.json"
    subprocess.run([sys.executable, "-m", "grader", "check", "chapter1", "--notebook", str(notebook), "-e", "1.1",
                    "--backend", "jax", "--seed", SEED, "--json", str(report)],
                   capture_output=True, text=True, timeout=600, env=_clean_env())
    result = json.loads(report.read_text())["backends"][0]["exercises"][0]
    assert result["status"] == "failed"
    assert any("it left out cell" in line and "line 2: SHIFT.fill(0)" in line for line in result["details"]), result
