"""Hostile submissions, graded through the real CLI with the sandbox required.

Each attack sits in 4.1 (`prepare_data`), the first exercise, and 4.4 holds the
reference's answer: the attack is graded not passed with a clear status, 4.4 is
still graded after it, the grader exits 1 with a complete report, and nothing
outside the worker's scratch space changed.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from grader.chapters import PROJECT_ROOT
from grader.sandbox import probe
from helpers import learner_notebook_with, messages, solution_cell, statuses

pytestmark = pytest.mark.slow

SITE_PACKAGES = Path(next(p for p in sys.path if p.endswith("site-packages")))
GRADER_WORKER = PROJECT_ROOT / "grader" / "worker" / "tasks.py"


def attack(body: str) -> str:
    """A `prepare_data` that runs `body`, then returns a wrong answer (it takes whatever the reference takes)."""
    return ("def prepare_data(features, labels, *args, **options):\n"
            + textwrap.indent(textwrap.dedent(body), "    ") + "\n    return {'x_train': features[:1]}\n")


def worker_cgroups() -> set[Path]:
    """The workers' cgroups that exist now (none should outlive a grading)."""
    return set(Path("/sys/fs/cgroup").glob("**/grader-worker-*"))


def fingerprint() -> str:
    """Contents of the grader, solutions and datasets; names, sizes and times of site-packages; HOME's files."""
    digest = hashlib.sha256()
    for root in ("grader", "solutions", "datasets", "tests"):
        for path in sorted((PROJECT_ROOT / root).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path).encode() + path.read_bytes())
    for folder in (SITE_PACKAGES, Path.home()):
        for path in sorted(folder.iterdir()):
            stat = path.lstat()
            digest.update(f"{path} {stat.st_size} {stat.st_mtime_ns}".encode())
    return digest.hexdigest()


@pytest.fixture
def grade_attack(chapter4, tmp_path, run_grader):
    if not probe().available:
        pytest.fail(f"these tests need the sandbox: {probe().reason}")

    def grade(body: str, *options: str):
        cells = {"prepare_data": attack(body), "evaluation_report": solution_cell(chapter4, "evaluation_report")}
        notebook = learner_notebook_with(chapter4, cells, tmp_path / "learner.ipynb")
        notebook_bytes = notebook.read_bytes()
        before, cgroups = fingerprint(), worker_cgroups()
        finished, report = run_grader("check", "chapter4", "-e", "4.1", "-e", "4.4", "--backend", "jax",
                                      "--sandbox", "require", "--seed", "5", "--notebook", str(notebook), *options)
        assert report is not None, finished.stderr
        assert finished.returncode == 1, finished.stdout
        assert statuses(report)["4.4"] == "passed", messages(report)
        assert statuses(report)["4.1"] != "passed"
        assert fingerprint() == before, "something outside the scratch space changed"
        assert worker_cgroups() == cgroups, "a worker's cgroup outlived it"
        assert notebook.read_bytes() == notebook_bytes
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("stolen")) == []
        return report

    return grade


WRITES = {
    "the grader's worker code": f"open({str(GRADER_WORKER)!r}, 'a').write('\\nimport os\\n')",
    "a .pth file in site-packages": f"open({str(SITE_PACKAGES / 'zz_evil.pth')!r}, 'w').write('import os\\n')",
    "the home folder": f"open({str(Path.home() / 'grader-sandbox-probe')!r}, 'w').write('x')",
    "the solutions": f"open({str(PROJECT_ROOT / 'solutions' / 'chapter4_worked_example.py')!r}, 'a').write('#')",
}


@pytest.mark.parametrize("target", WRITES.values(), ids=WRITES.keys())
def test_learner_code_cannot_write_outside_its_scratch_folder(grade_attack, target):
    report = grade_attack(f"try:\n    {target}\nexcept OSError as error:\n    print(error)")
    assert statuses(report)["4.1"] == "failed"


def test_learner_code_cannot_write_beside_the_notebook(grade_attack, tmp_path):
    grade_attack(f"try:\n    open({str(tmp_path / 'stolen.txt')!r}, 'w').write('x')\nexcept OSError:\n    pass")


def test_learner_code_cannot_read_the_solutions_or_the_datasets(grade_attack):
    body = f"""
        import glob
        found = glob.glob({str(PROJECT_ROOT / 'solutions' / '*')!r}) + glob.glob({str(PROJECT_ROOT / 'datasets' / '*')!r})
        assert not found, found
        code = open({str(PROJECT_ROOT / 'solutions' / 'chapter4_worked_example.py')!r}).read()
    """
    report = grade_attack(body)
    assert statuses(report)["4.1"] == "error"
    assert "FileNotFoundError" in messages(report)["4.1"]


def test_learner_code_cannot_kill_the_grader(grade_attack):
    body = """
        import os, signal
        for pid in (os.getppid(), 1, -1):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    """
    report = grade_attack(body)
    assert statuses(report)["4.1"] == "failed"  # every kill failed: the grader is not in the worker's PID namespace


def test_a_fork_bomb_times_out_and_takes_nothing_down(grade_attack):
    body = """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """
    report = grade_attack(body, "--timeout", "5")
    assert statuses(report)["4.1"] == "timeout"


def test_a_memory_bomb_meets_the_memory_limit(grade_attack):
    body = """
        hoard = []
        while True:
            hoard.append(bytearray(256 * 1024**2))
            hoard[-1][::4096] = b"x" * len(hoard[-1][::4096])
    """
    report = grade_attack(body, "--memory", "1500M")
    assert statuses(report)["4.1"] == "memory limit"
    assert "1.5 GiB" in messages(report)["4.1"]
    peak = report["backends"][0]["peak_memory_bytes"]  # kept past the killed worker's restart for 4.4
    if probe().memory_by.startswith("cgroup"):
        assert 1024**3 < peak <= 1500 * 1024**2, peak
    else:
        assert peak is None  # RLIMIT_DATA limits but does not measure


def test_a_file_that_would_fill_the_disk_is_stopped_at_the_file_size_limit(grade_attack):
    body = """
        import signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        block = b"x" * 64 * 1024**2
        with open("filler", "wb") as f:
            while True:
                f.write(block)
    """
    report = grade_attack(body)
    assert statuses(report)["4.1"] == "error"
    assert "File too large" in messages(report)["4.1"]


def test_learner_code_cannot_reach_a_server_on_loopback(grade_attack):
    accepted: list[object] = []
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(0.2)
        port = server.getsockname()[1]
        stop = threading.Event()

        def serve() -> None:
            while not stop.is_set():
                try:
                    accepted.append(server.accept())
                except OSError:
                    pass

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            report = grade_attack(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=5)")
        finally:
            stop.set()
            thread.join()
    assert accepted == []
    assert statuses(report)["4.1"] == "error"


def test_without_bubblewrap_grading_works_with_one_notice_and_require_says_how_to_fix_it(tmp_path, run_grader):
    empty = tmp_path / "bin-without-bwrap"
    empty.mkdir()
    hidden = {"PATH": str(empty)}
    finished, report = run_grader("check", "chapter4", "-e", "4.4", "--solutions", "--backend", "jax",
                                  "--sandbox", "auto", env=hidden)
    assert finished.returncode == 0, finished.stderr
    assert finished.stderr.count("runs unsandboxed") == 1
    assert "install bubblewrap" in finished.stderr
    finished, report = run_grader("check", "chapter4", "-e", "4.4", "--solutions", "--backend", "jax",
                                  "--sandbox", "require", env=hidden)
    assert finished.returncode == 2
    assert report is None
    assert "the sandbox is required but bwrap (bubblewrap) is not installed" in finished.stderr
    assert "apt-get install bubblewrap" in finished.stderr


def test_learner_code_cannot_see_the_reference_cache(grade_attack):
    cache = Path(os.environ["GRADER_CACHE_DIR"])  # set for the session by conftest.py; the grader keeps answers there
    sentinel = cache / "sentinel-from-the-host"
    cache.mkdir(parents=True, exist_ok=True)
    sentinel.touch()
    poison = cache / "poisoned-by-the-learner"  # not a shard name: shards are two hex digits
    body = f"""
        import os
        if os.path.exists({str(sentinel)!r}):
            raise RuntimeError("the cache is visible: " + str(os.listdir({str(cache)!r})))
        try:
            os.makedirs({str(poison)!r}, exist_ok=True)  # called once per hidden input
        except OSError:
            pass
    """
    report = grade_attack(body)
    assert statuses(report)["4.1"] == "failed", messages(report)
    assert not poison.exists()


def reference_counts(report: dict) -> tuple[int, int]:
    backend = report["backends"][0]
    return backend["reference_cached"], backend["reference_computed"]


def test_a_recheck_with_the_same_seed_takes_the_reference_from_the_cache(run_grader, tmp_path):
    check = ("check", "chapter4", "-e", "4.1", "-e", "4.2", "--solutions", "--backend", "jax", "--sandbox", "require")
    cache = {"GRADER_CACHE_DIR": str(tmp_path / "cache")}
    first = run_grader(*check, "--seed", "11", env=cache)[1]
    second = run_grader(*check, "--seed", "11", env=cache)[1]
    other_seed = run_grader(*check, "--seed", "12", env=cache)[1]
    without = run_grader(*check, "--seed", "11", "--no-cache", env=cache)[1]
    assert [reference_counts(r) for r in (first, second, other_seed, without)] == [(0, 2), (2, 0), (0, 2), (0, 0)]
    assert all(statuses(r) == {"4.1": "passed", "4.2": "passed"} for r in (first, second, other_seed, without))


def test_unsandboxed_or_where_the_sandbox_could_read_it_there_is_no_cache(run_grader, tmp_path):
    check = ("check", "chapter4", "-e", "4.1", "--solutions", "--backend", "jax", "--seed", "11")
    unsandboxed = run_grader(*check, "--sandbox", "off", env={"GRADER_CACHE_DIR": str(tmp_path / "cache")})[1]
    assert reference_counts(unsandboxed) == (0, 0) and not (tmp_path / "cache").exists()
    visible = SITE_PACKAGES / "grader-cache-probe"
    finished, report = run_grader(*check, "--sandbox", "require", env={"GRADER_CACHE_DIR": str(visible)})
    assert reference_counts(report) == (0, 0) and not visible.exists()
    assert "lies where sandboxed code can read it" in " ".join(finished.stderr.split())
