"""What may import what: the grader's own process never loads a deep-learning framework, and the core
(specs, comparison, metrics, results, calibration files) depends on nothing that runs or shows a grading."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

GRADER = Path(__file__).resolve().parents[1] / "grader"
FRAMEWORKS = ("keras", "tensorflow", "torch", "jax")
# The core, and the foundation it may use: the language its messages are worded in. (The course's data, the
# names of datasets and corpora a manifest may use, is a package of its own: course_data.)
CORE = {"spec", "compare", "metrics", "results", "calibration", "verdict"}
CORE_MAY_IMPORT = CORE | {"i18n", "protocol"}


def grader_modules() -> list[str]:
    """Every module of the grader the parent process may import: all but the worker's, which run in the worker."""
    modules = []
    for path in sorted(GRADER.rglob("*.py")):
        parts = path.relative_to(GRADER.parent).with_suffix("").parts
        if "worker" not in parts and parts[-1] != "__main__":
            modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def test_the_grader_process_imports_no_deep_learning_framework():
    # Learner code and Keras run in workers, one backend per process; the grader must stay free to start them.
    probe = f"import sys\nfor m in {grader_modules()!r}: __import__(m)\nprint(sorted(set({FRAMEWORKS!r}) & set(sys.modules)))"
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                         cwd=GRADER.parent)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "[]"


def _grader_imports(path: Path) -> set[str]:
    """The grader modules that `path` imports, at any depth of the file (top level or inside a function)."""
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                imported.add(node.module.split(".")[0])
            else:
                imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("grader."):
            imported.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            imported.update(a.name.split(".")[1] for a in node.names if a.name.startswith("grader."))
    return imported


@pytest.mark.parametrize("module", ["i18n", "protocol"])
def test_the_foundation_imports_nothing_of_the_grader(module):
    # i18n words messages everywhere; protocol is shared by the grader and its workers.
    assert _grader_imports(GRADER / f"{module}.py") == set()


def test_the_course_data_package_imports_numpy_and_the_standard_library_only():
    # The notebooks import it; it must never pull the grader (or a framework) into a learner's kernel.
    imported = set()
    for path in (GRADER.parent / "course_data").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add((node.module or "").split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"__future__"}
    assert third_party == {"numpy"}, third_party


@pytest.mark.parametrize("module", sorted(CORE))
def test_the_core_imports_nothing_that_runs_or_shows_a_grading(module):
    imported = _grader_imports(GRADER / f"{module}.py")
    assert imported <= CORE_MAY_IMPORT, f"grader/{module}.py imports {sorted(imported - CORE_MAY_IMPORT)}"


def test_the_import_reader_sees_relative_and_absolute_imports(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("from . import runner\nfrom .spec import X\ndef f():\n    from grader.render import y\n")
    assert _grader_imports(source) == {"runner", "spec", "render"}
