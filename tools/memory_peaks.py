"""The memory each chapter's reference uses in the sandboxed learner worker, per backend: what the default limit must fit.

    .venv/bin/python tools/memory_peaks.py --chapters chapter1 chapter4 --backends jax torch

Grades each chapter's solutions with the sandbox required (the reference's code in the learner's jailed
worker, exactly as a learner's would run) and prints the worker's peak memory as its cgroup measured it
(`peak_memory_bytes` in the JSON report), against the default limit. Needs a cgroup the grader can make
(`grader doctor` says); the peak spans the whole chapter on one backend, so it bounds every exercise's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.chapters import discover  # noqa: E402
from grader.sandbox import Limits, format_bytes  # noqa: E402

BACKENDS = ("jax", "tensorflow", "torch")


def peaks(chapter: str, backends: list[str], seed: int) -> dict[str, int | None]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([sys.executable, "-m", "grader", "check", chapter, "--solutions", "--backend", ",".join(backends),
                        "--seed", str(seed), "--sandbox", "require", "--json", str(report)],
                       cwd=ROOT, capture_output=True, check=False)
        if not report.exists():
            raise SystemExit(f"{chapter}: no report (is bubblewrap installed? grader doctor says)")
        return {b["backend"]: b.get("peak_memory_bytes") for b in json.loads(report.read_text())["backends"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapters", nargs="*", default=[chapter.name for chapter in discover()])
    parser.add_argument("--backends", nargs="*", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    limit = Limits().memory_bytes
    print(f"| chapter | {' | '.join(options.backends)} |")
    print(f"|---|{'---|' * len(options.backends)}")
    highest = 0
    for chapter in options.chapters:
        measured: dict[str, int | None] = {}
        for backend in options.backends:  # one backend per grading: each its own worker, measured alone
            measured.update(peaks(chapter, [backend], options.seed))
        cells = [format_bytes(value) if value else "not measured" for value in measured.values()]
        highest = max([highest, *(value or 0 for value in measured.values())])
        print(f"| {chapter} | {' | '.join(cells)} |")
    print(f"highest: {format_bytes(highest)}, default limit {format_bytes(limit)} ({limit / max(highest, 1):.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
