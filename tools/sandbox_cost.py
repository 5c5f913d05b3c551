"""What the sandbox adds to a worker's start: `python -c pass`, plain and jailed, paired runs.

    .venv/bin/python tools/sandbox_cost.py --runs 30

Prints the median of each and of the paired differences, in milliseconds. The cgroup's
creation and removal are included (they happen once per worker start).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader import sandbox


def timed(command: list[str], environment: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=environment, check=True)
    return time.perf_counter() - started


def jailed_start(scratch: Path, environment: dict[str, str]) -> float:
    started = time.perf_counter()
    cgroup = sandbox.Cgroup(sandbox.Limits())
    command = cgroup.join_command() + sandbox.sandboxed_command([sys.executable, "-c", "pass"], scratch, environment)
    subprocess.run(command, env=environment, check=True)
    cgroup.remove()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    if not sandbox.probe().available:
        sys.exit(f"no sandbox here: {sandbox.probe().reason}")
    environment = sandbox.sandbox_environment({"PATH": "/usr/bin:/bin"})
    plain, jailed = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            plain.append(timed([sys.executable, "-c", "pass"], environment))
            jailed.append(jailed_start(Path(tmp), environment))
    differences = [j - p for j, p in zip(jailed, plain)]
    print(f"runs: {runs}; limits by {sandbox.probe().memory_by}")
    for name, values in (("plain", plain), ("sandboxed", jailed), ("difference", differences)):
        print(f"{name:>10}: median {statistics.median(values) * 1000:.1f} ms, "
              f"min {min(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
