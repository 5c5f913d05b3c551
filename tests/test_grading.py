"""The grading pipeline end to end on a fake worker: inputs, the learner's run, the reference's, known mistakes, the
verdict and the report, in milliseconds and without Keras (the real workers are the other tests' business)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.chapters import Chapter
from grader.compare import STRUCTURE_KEY
from grader.grading import Plan, grade
from grader.runner import Reply
from grader.sandbox import Limits

MANIFEST = """
schema = 1

[chapter]
number = 9
title = "A chapter for tests"
title_zh = "测试用的一章"

[[exercises]]
id = "9.1"
title = "Double"
kind = "function"
entry = "double"
points = 2
hints = ["What is x plus itself?"]
inputs.x = { normal = [3, 4] }
mistakes = [{ function = "mistake_squares", message = "you squared x: double it" }]

[[exercises]]
id = "9.2"
title = "Length"
kind = "function"
entry = "length"
points = 1
hints = ["The square root of the sum of squares."]
inputs.x = { normal = [5] }
"""

SOURCE = '''# %% [markdown]
# # Chapter 9

# %%
import numpy as np

from grader import check

# %%
def double(x):
    ### BEGIN SOLUTION
    return x * 2
    ### END SOLUTION

# %% tags=["reference-only"]
def mistake_squares(x):
    return x * x

# %%
def length(x):
    ### BEGIN SOLUTION
    return np.sqrt(np.sum(x ** 2))
    ### END SOLUTION
'''


class FakeWorker:
    """A worker that runs the code it is sent in this process, on NumPy only, and keeps what it was asked."""

    def __init__(self, backend: str, workdir: Path, sandboxed: bool, limits: Limits, asked: list[dict[str, Any]]) -> None:
        self.backend, self.workdir, self.sandboxed, self.asked = backend, workdir, sandboxed, asked
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.running = False

    def launch(self) -> None:
        self.running = True

    def start(self) -> dict[str, Any]:
        self.running = True
        return {"keras_version": "fake", "backend_version": "fake", "devices": []}

    def stop(self) -> None:
        self.running = False

    def peak_memory(self) -> int | None:
        return None  # no cgroup here

    def request(self, payload: dict[str, Any], timeout_s: float) -> Reply:
        self.start()
        namespace: dict[str, Any] = {}
        for snippet in json.loads(Path(payload["source"]).read_text(encoding="utf-8")):
            exec(snippet["code"], namespace)
        with np.load(payload["inputs"]) as inputs:
            arguments = {name: inputs[name] for name in inputs.files}
        self.asked.append({**payload, "worker": self.workdir.name, "arguments": arguments})
        started = time.perf_counter()
        try:
            result = namespace[payload["entry"]](**arguments)
        except NotImplementedError as error:
            return Reply("not implemented", {"error": str(error)}, time.perf_counter() - started)
        except Exception as error:  # as the real worker: the code under test may raise anything
            return Reply("error", {"error": f"{type(error).__name__}: {error}"}, time.perf_counter() - started)
        np.savez(payload["output"], result=np.asarray(result), **{STRUCTURE_KEY: np.asarray("array")})
        return Reply("ok", {}, time.perf_counter() - started)


@pytest.fixture
def chapter(tmp_path: Path) -> Chapter:
    (tmp_path / "chapter9_fake.toml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "chapter9_fake.py").write_text(SOURCE, encoding="utf-8")
    return Chapter(9, "chapter9_fake", tmp_path, tmp_path, lang="en")


def grade_learner(chapter: Chapter, tmp_path: Path, code: str, asked: list[dict[str, Any]]):
    notebook = tmp_path / "learner.py"
    notebook.write_text("# %%\nimport numpy as np\n\n# %%\n" + code, encoding="utf-8")

    def workers(backend: str, folder: Path, sandboxed: bool, limits: Limits) -> FakeWorker:
        return FakeWorker(backend, folder, sandboxed, limits, asked)

    plan = Plan(chapter, chapter.spec.exercises, notebook, seed=7, workers=workers)
    report = grade(plan, ["jax"])
    return {e.id: e for e in report.backends[0].exercises}, report


def test_correct_answers_written_differently_pass(chapter, tmp_path):
    asked: list[dict[str, Any]] = []
    code = "def double(x):\n    return x + x\n\n# %%\ndef length(x):\n    return float(np.linalg.norm(x))\n"
    results, report = grade_learner(chapter, tmp_path, code, asked)
    assert {i: r.status.value for i, r in results.items()} == {"9.1": "passed", "9.2": "passed"}
    assert report.score == 3 and report.max_score == 3
    # The learner's worker ran each exercise once, the reference each once; no known mistake was needed.
    assert sorted((a["worker"], a["entry"]) for a in asked) == [
        ("learner", "double"), ("learner", "length"), ("reference", "double"), ("reference", "length")]


def test_a_known_mistake_is_named_and_computed_only_then(chapter, tmp_path):
    asked: list[dict[str, Any]] = []
    code = 'def double(x):\n    return x * x\n\n# %%\ndef length(x):\n    raise NotImplementedError("Exercise 9.2")\n'
    results, report = grade_learner(chapter, tmp_path, code, asked)
    assert results["9.1"].status.value == "failed" and results["9.1"].message == "you squared x: double it"
    assert results["9.1"].hint == "", "a named mistake says what to do: no generic hint"
    assert "inputs: x float32 (3, 4)" in results["9.1"].details, results["9.1"].details
    assert results["9.2"].status.value == "not implemented"
    assert "length still raises NotImplementedError" in results["9.2"].message
    assert ("reference", "mistake_squares") in {(a["worker"], a["entry"]) for a in asked}
    assert ("reference", "length") not in {(a["worker"], a["entry"]) for a in asked}, "an unsolved exercise costs the reference nothing"
    assert report.score == 0


def test_the_inputs_are_drawn_from_the_seed_and_sent_to_both_sides_alike(chapter, tmp_path):
    asked: list[dict[str, Any]] = []
    grade_learner(chapter, tmp_path, "def double(x):\n    return 2 * x\n\n# %%\ndef length(x):\n    return 0.0\n", asked)
    sent = {(request["worker"], request["entry"]): request["arguments"]["x"] for request in asked}
    assert np.array_equal(sent[("learner", "double")], sent[("reference", "double")])
    assert sent[("learner", "double")].shape == (3, 4) and sent[("learner", "length")].shape == (5,)


def test_an_error_in_the_learners_code_is_its_own_status_and_the_rest_is_graded(chapter, tmp_path):
    asked: list[dict[str, Any]] = []
    code = "def double(x):\n    return x.reshape(-1)[99]\n\n# %%\ndef length(x):\n    return np.sqrt((x ** 2).sum())\n"
    results, _ = grade_learner(chapter, tmp_path, code, asked)
    assert results["9.1"].status.value == "error" and results["9.1"].message.startswith("IndexError: ")
    assert results["9.2"].status.value == "passed"


def test_a_missing_function_is_reported_without_a_worker_call(chapter, tmp_path):
    asked: list[dict[str, Any]] = []
    results, _ = grade_learner(chapter, tmp_path, "def length(x):\n    return np.sqrt((x ** 2).sum())\n", asked)
    assert results["9.1"].status.value == "missing" and "double is not defined in your notebook" in results["9.1"].message
    assert "double" not in {a["entry"] for a in asked}
