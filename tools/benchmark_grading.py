"""Grading's cost against running the solved notebook, per chapter and backend, in paired runs.

    .venv/bin/python tools/benchmark_grading.py --chapters chapter3a chapter4 --backends jax --rounds 1

For each chapter and backend it times, one right after the other on the same machine state:
- `grader check chapterN --solutions --backend B --seed S` with an empty reference cache (cold),
- the same command again, same seed, the reference's answers now in the cache (warm), and
- the whole solved notebook executed by nbclient with KERAS_BACKEND=B (what a learner's Run All costs),
and prints the ratios cold / notebook and warm / notebook. A benchmark, not a test: run it with
nothing else busy.
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
from grader.chapters import PROJECT_ROOT, discover, resolve


def time_grading(chapter: str, backend: str, seed: int, sandbox: str, cache: Path) -> float:
    command = [sys.executable, "-m", "grader", "check", chapter, "--solutions", "--backend", backend,
               "--seed", str(seed), "--sandbox", sandbox]
    environment = {**os.environ, "GRADER_CACHE_DIR": str(cache)}
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, env=environment)
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
    parser.add_argument("--chapters", nargs="+", default=[c.name for c in discover()], help="e.g. chapter3a chapter4")
    parser.add_argument("--backends", nargs="+", default=["jax", "tensorflow", "torch"])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sandbox", default="require")
    options = parser.parse_args()
    chapters = [resolve(name) for name in options.chapters]
    with tempfile.TemporaryDirectory() as tmp:
        solved = dict(zip((c.name for c in chapters), write_solved(chapters, Path(tmp))))
        print("| chapter | backend | cold (s) | warm (s) | notebook (s) | cold / notebook | warm / notebook |")
        print("|---|---|---|---|---|---|---|")
        for chapter in chapters:
            for backend in options.backends:
                rounds = [time_round(chapter.name, backend, options.seed + r, options.sandbox,
                                     solved[chapter.name], Path(tmp) / f"cache-{chapter.name}-{backend}-{r}")
                          for r in range(options.rounds)]
                cold, warm, notebook = (statistics.median(r[i] for r in rounds) for i in range(3))
                print(f"| {chapter.name} | {backend} | {cold:.1f} | {warm:.1f} | {notebook:.1f} "
                      f"| {cold / notebook:.2f}x | {warm / notebook:.2f}x |", flush=True)


def time_round(chapter: str, backend: str, seed: int, sandbox: str, solved: Path, cache: Path) -> tuple[float, float, float]:
    """Cold grading, warm grading (same seed, same cache), then the notebook: one paired round."""
    cold = time_grading(chapter, backend, seed, sandbox, cache)
    warm = time_grading(chapter, backend, seed, sandbox, cache)
    return cold, warm, time_notebook(solved, backend)

if __name__ == "__main__":
    main()
