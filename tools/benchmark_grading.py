"""Grading's cost against running the solved notebook, per chapter and backend, in paired runs.

    .venv/bin/python tools/benchmark_grading.py --chapters 3 4 --backends jax --rounds 1

For each pair it times, one right after the other on the same machine state:
- `grader check chapterN --solutions --backend B --seed S` (the sandbox as `--sandbox` says), and
- the whole solved notebook executed by nbclient with KERAS_BACKEND=B (what a learner's Run All costs),
and prints the ratio grading / notebook. A benchmark, not a test: run it with nothing else busy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from grader.build import write_solved
from grader.chapters import PROJECT_ROOT, resolve


def time_grading(chapter: str, backend: str, seed: int, sandbox: str) -> float:
    command = [sys.executable, "-m", "grader", "check", chapter, "--solutions", "--backend", backend,
               "--seed", str(seed), "--sandbox", sandbox]
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if finished.returncode != 0:
        sys.exit(f"grading {chapter} on {backend} failed:\n{finished.stdout[-2000:]}{finished.stderr[-2000:]}")
    return elapsed


def time_notebook(path: Path, backend: str) -> float:
    notebook = nbformat.read(path, as_version=4)
    os.environ["KERAS_BACKEND"] = backend  # the kernel inherits it
    client = NotebookClient(notebook, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(PROJECT_ROOT)}})
    started = time.perf_counter()
    client.execute()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", nargs="+", type=int, default=list(range(1, 9)))
    parser.add_argument("--backends", nargs="+", default=["jax", "tensorflow", "torch"])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sandbox", default="require")
    options = parser.parse_args()
    chapters = [resolve(str(number)) for number in options.chapters]
    with tempfile.TemporaryDirectory() as tmp:
        solved = dict(zip((c.name for c in chapters), write_solved(chapters, Path(tmp))))
        print("| chapter | backend | grading (s) | notebook (s) | ratio |")
        print("|---|---|---|---|---|")
        for chapter in chapters:
            for backend in options.backends:
                pairs = [(time_grading(chapter.name, backend, options.seed + r, options.sandbox),
                          time_notebook(solved[chapter.name], backend)) for r in range(options.rounds)]
                grading = statistics.median(p[0] for p in pairs)
                notebook = statistics.median(p[1] for p in pairs)
                print(f"| {chapter.name} | {backend} | {grading:.1f} | {notebook:.1f} | {grading / notebook:.2f}x |",
                      flush=True)


if __name__ == "__main__":
    main()
