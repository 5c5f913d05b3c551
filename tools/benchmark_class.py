"""Grade a generated class two ways, paired in one run: a serial loop of `grader check`, then `grader grade`.

    .venv/bin/python tools/benchmark_class.py --students 300 --chapter chapter4 --backend jax

The class is a mix, generated here and never committed: solved notebooks, untouched stubs, each of
the chapter's known mistakes, a hostile one (it signals its parent and pid 1) and an unreadable file.
Prints each way's wall time, per-submission cost and the ratio; `--skip-serial` times only `grade`.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from grader.chapters import resolve  # noqa: E402
from helpers import learner_notebook_with, solution_cell  # noqa: E402  (tests/helpers.py)

HOSTILE = "import os, signal\ndef {entry}(*args, **kwargs):\n    os.kill(os.getppid(), signal.SIGKILL)\n    os.kill(1, signal.SIGKILL)\n"


def generate(chapter_name: str, students: int, folder: Path) -> None:
    chapter = resolve(chapter_name)
    entries = [e.entry for e in chapter.spec.exercises]
    solved = {e: solution_cell(chapter, e) for e in entries}
    kinds = itertools.cycle(["solved", "solved", "stub", "mistake", "hostile", "unreadable"])
    mistakes = itertools.cycle([(e.entry, m.function) for e in chapter.spec.exercises for m in e.mistakes] or [(None, None)])
    source = chapter.source.read_text()
    for number, kind in zip(range(students), kinds):
        path = folder / f"student{number:04d}.ipynb"
        if kind == "solved":
            learner_notebook_with(chapter, solved, path)
        elif kind == "stub":
            shutil.copy(chapter.notebook, path)
        elif kind == "hostile":
            learner_notebook_with(chapter, {**solved, entries[0]: HOSTILE.format(entry=entries[0])}, path)
        elif kind == "mistake":
            entry, function = next(mistakes)
            wrong = _renamed(source, function, entry) if function else None
            learner_notebook_with(chapter, {**solved, **({entry: wrong} if wrong else {})}, path)
        else:
            path.write_text("this is not a notebook")


def _renamed(source: str, function: str, entry: str) -> str | None:
    """A known mistake's function, from the solutions, renamed to the exercise's entry point."""
    import ast

    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return ast.get_source_segment(source, node).replace(f"def {function}(", f"def {entry}(", 1)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--chapter", default="chapter4")
    parser.add_argument("--backend", default="jax")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--skip-serial", action="store_true")
    options = parser.parse_args()
    grader = [sys.executable, "-m", "grader"]
    with tempfile.TemporaryDirectory(prefix="class-benchmark-") as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        generate(options.chapter, options.students, folder)
        serial = None
        if not options.skip_serial:
            started = time.monotonic()
            for notebook in sorted(folder.glob("*.ipynb")):
                subprocess.run([*grader, "check", options.chapter, "--notebook", str(notebook), "--backend", options.backend,
                                "--seed", "7", "--sandbox", "require", "--json", str(Path(tmp) / f"{notebook.stem}.json")],
                               capture_output=True, cwd=ROOT)
            serial = time.monotonic() - started
        started = time.monotonic()
        finished = subprocess.run([*grader, "grade", options.chapter, str(folder), "--backend", options.backend, "--seed", "7",
                                   "--jobs", str(options.jobs), "--db", str(Path(tmp) / "grades.db")],
                                  capture_output=True, text=True, cwd=ROOT)
        batch = time.monotonic() - started
    print(finished.stdout[-1500:])
    n = options.students
    if serial is not None:
        print(f"serial loop of grader check: {serial:.0f} s ({serial / n:.2f} s per submission)")
    print(f"grader grade --jobs {options.jobs}: {batch:.0f} s ({batch / n:.2f} s per submission)")
    if serial is not None:
        print(f"speed-up: {serial / batch:.2f}x on {os.cpu_count()} cores, {n} {options.chapter} submissions on {options.backend}")


if __name__ == "__main__":
    main()
