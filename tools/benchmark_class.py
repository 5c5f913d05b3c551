"""Grade a generated class four ways, in one run, and check that they agree.

    .venv/bin/python tools/benchmark_class.py --students 300 --chapter chapter4 --backend jax

1. throughput: a serial loop of `grader check` as a teacher's shell loop runs it (each check its own seed,
   so the reference runs for every student; `--serial-seed fixed` gives every check the batch's seed, so the
   loop too takes the reference from the cache), then `grader grade` on the embedded cluster, on the same class;
2. resume: `grader grade` killed (SIGKILL to its whole process group) once half the class is stored,
   then run again: nothing stored is lost or graded again, and the rest is graded;
3. a cluster: a `dask scheduler` and two `dask worker`s on 127.0.0.1 grade the class again;
4. the grades of 2 and 3 are compared with 1, submission for submission and exercise for exercise.

The class is a mix, generated here and never committed: solved notebooks, untouched stubs, each of
the chapter's known mistakes, a hostile one (it signals its parent and pid 1) and an unreadable file.
`--skip-serial`, `--skip-resume`, `--skip-cluster` leave parts out. Exit 1 if any check fails.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import signal
import socket
import sqlite3
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
GRADER = [sys.executable, "-m", "grader"]
SEED = "7"


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


def serial_loop(options: argparse.Namespace, folder: Path, reports: Path) -> float:
    seed = ["--seed", SEED] if options.serial_seed == "fixed" else []
    started = time.monotonic()
    for notebook in sorted(folder.glob("*.ipynb")):
        subprocess.run([*GRADER, "check", options.chapter, "--notebook", str(notebook), "--backend", options.backend,
                        *seed, "--sandbox", "require", "--json", str(reports / f"{notebook.stem}.json")],
                       capture_output=True, cwd=ROOT)
    return time.monotonic() - started


def grade_command(options: argparse.Namespace, folder: Path, db: Path, *extra: str) -> list[str]:
    return [*GRADER, "grade", options.chapter, str(folder), "--backend", options.backend, "--seed", SEED,
            "--db", str(db), *extra]


def grade(options: argparse.Namespace, folder: Path, db: Path, *extra: str) -> tuple[float, str]:
    started = time.monotonic()
    finished = subprocess.run(grade_command(options, folder, db, *extra), capture_output=True, text=True, cwd=ROOT)
    return time.monotonic() - started, finished.stdout + finished.stderr


def stored(db: Path) -> dict[tuple[str, str], tuple[int, str, float, tuple]]:
    """Each stored grading: its rowid (new on every save), outcome, score and exercise verdicts."""
    if not db.exists():
        return {}
    with sqlite3.connect(db, timeout=30) as connection:
        rows = connection.execute("SELECT rowid, student, backend, outcome, score FROM gradings").fetchall()
        exercises = connection.execute(
            "SELECT student, backend, exercise, status, score FROM exercise_results ORDER BY exercise").fetchall()
    verdicts: dict[tuple[str, str], list] = {}
    for student, backend, exercise, status, score in exercises:
        verdicts.setdefault((student, backend), []).append((exercise, status, score))
    return {(s, b): (rowid, outcome, score, tuple(verdicts.get((s, b), ()))) for rowid, s, b, outcome, score in rows}


def killed_and_resumed(options: argparse.Namespace, folder: Path, db: Path) -> list[str]:
    """Kill a run once half the class is stored, run it again; the problems found (none is good)."""
    run = subprocess.Popen(grade_command(options, folder, db, "--jobs", str(options.jobs)), cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    while len(stored(db)) < options.students // 2 and run.poll() is None:
        time.sleep(0.5)
    os.killpg(run.pid, signal.SIGKILL)  # the grader, its Dask workers and their sandboxed workers
    run.wait()
    time.sleep(2)
    before = stored(db)
    seconds, output = grade(options, folder, db, "--jobs", str(options.jobs))
    after = stored(db)
    print(f"resume: killed with {len(before)} of {options.students} stored; the re-run took {seconds:.0f} s")
    print("  " + next((line for line in output.splitlines() if "to grade" in line), output[-300:]))
    problems = [f"{key} was lost" for key in before if key not in after]
    problems += [f"{key} was graded again" for key, row in before.items() if key in after and after[key][0] != row[0]]
    problems += [f"{options.students - len(after)} submissions missing after the re-run"] * (len(after) != options.students)
    expected = f"{options.students - len(before)} to grade, {len(before)} already graded"
    problems += [f"the re-run did not say '{expected}'"] * (expected not in output)
    return problems


def through_scheduler(options: argparse.Namespace, folder: Path, db: Path) -> float:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dask = str(Path(sys.executable).parent / "dask")
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    engine = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                               env=env, stderr=subprocess.DEVNULL)]
    try:
        time.sleep(3)
        engine += [subprocess.Popen([dask, "worker", f"tcp://127.0.0.1:{port}", "--nworkers", "1", "--nthreads", "1",
                                     "--no-dashboard", "--memory-limit", "0", "--name", f"w{i}"], env=env, cwd=ROOT,
                                    stderr=subprocess.DEVNULL) for i in range(2)]
        seconds, _ = grade(options, folder, db, "--cluster", f"tcp://127.0.0.1:{port}")
    finally:
        for process in engine:
            process.terminate()
        for process in engine:
            process.wait(timeout=60)
    return seconds


def differences(reference: Path, other: Path, label: str) -> list[str]:
    """Submissions whose outcome, score or any exercise's verdict differ between two databases."""
    ours, theirs = stored(reference), stored(other)
    problems = [f"{label}: {key} only in one of them" for key in ours.keys() ^ theirs.keys()]
    problems += [f"{label}: {key} {ours[key][1:]} != {theirs[key][1:]}"
                 for key in sorted(ours.keys() & theirs.keys()) if ours[key][1:] != theirs[key][1:]]
    print(f"{label}: {len(ours.keys() & theirs.keys()) - len(problems)} of {len(ours)} submissions graded the same")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--chapter", default="chapter4")
    parser.add_argument("--backend", default="jax", choices=["jax", "tensorflow", "torch"])
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--serial-seed", default="fresh", choices=["fresh", "fixed"])
    parser.add_argument("--skip-serial", action="store_true")
    parser.add_argument("--skip-resume", action="store_true")
    parser.add_argument("--skip-cluster", action="store_true")
    options = parser.parse_args()
    n = options.students
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="class-benchmark-") as tmp:
        work = Path(tmp)
        folder = work / "class"
        folder.mkdir()
        (work / "reports").mkdir()
        generate(options.chapter, n, folder)
        print(f"{n} {options.chapter} submissions on {options.backend}, {os.cpu_count()} cores")
        serial = None if options.skip_serial else serial_loop(options, folder, work / "reports")
        batch, output = grade(options, folder, work / "embedded.db", "--jobs", str(options.jobs))
        print("\n".join(line for line in output.splitlines() if not line.startswith("  ")))  # the summary, not each row
        if serial is not None:
            print(f"serial loop of grader check ({options.serial_seed} seed): {serial:.0f} s ({serial / n:.2f} s per submission)")
        print(f"grader grade --jobs {options.jobs}: {batch:.0f} s ({batch / n:.2f} s per submission)")
        if serial is not None:
            print(f"speed-up: {serial / batch:.2f}x")
        if not options.skip_resume:
            problems += killed_and_resumed(options, folder, work / "resumed.db")
            problems += differences(work / "embedded.db", work / "resumed.db", "killed and resumed vs embedded")
        if not options.skip_cluster:
            seconds = through_scheduler(options, folder, work / "cluster.db")
            print(f"through a localhost scheduler with two workers: {seconds:.0f} s ({seconds / n:.2f} s per submission)")
            problems += differences(work / "embedded.db", work / "cluster.db", "scheduler vs embedded")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print("all checks held" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
