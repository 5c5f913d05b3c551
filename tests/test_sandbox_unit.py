"""The sandbox's pieces, without starting Keras: modes, sizes, binds and limits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grader import sandbox
from grader.chapters import PROJECT_ROOT


def test_memory_sizes_read_as_people_write_them():
    assert sandbox.parse_memory("4G") == 4 * 1024**3
    assert sandbox.parse_memory("512M") == 512 * 1024**2
    assert sandbox.parse_memory("1.5GiB") == int(1.5 * 1024**3)
    with pytest.raises(ValueError, match="Received: 'lots'"):
        sandbox.parse_memory("lots")
    with pytest.raises(ValueError, match="at least 64M"):
        sandbox.parse_memory("10M")


def unavailable() -> sandbox.State:
    return sandbox.State(False, "bwrap (bubblewrap) is not installed", "RLIMIT_DATA", "RLIMIT_NPROC")


def test_require_refuses_with_the_fix_where_bwrap_cannot_run(monkeypatch):
    monkeypatch.setattr(sandbox, "probe", unavailable)
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        sandbox.resolve_mode("require")
    assert sandbox.resolve_mode("auto") is False
    assert "runs unsandboxed" in sandbox.unsandboxed_notice()


def test_off_never_probes_and_an_unknown_mode_is_refused(monkeypatch):
    monkeypatch.setattr(sandbox, "probe", lambda: pytest.fail("probed"))
    assert sandbox.resolve_mode("off") is False
    with pytest.raises(ValueError, match="require, auto, off|auto, require, off"):
        sandbox.resolve_mode("strict")


def test_the_jail_binds_python_and_the_grader_but_not_the_course_files(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: "/usr/bin/bwrap")
    environment = {"PYTHONPATH": f"{PROJECT_ROOT}:{PROJECT_ROOT / 'tests' / 'gpu_strict'}"}
    command = sandbox.sandboxed_command(["python"], tmp_path, environment)
    bound = {command[i + 1] for i, word in enumerate(command) if word in ("--ro-bind", "--bind")}
    assert str(PROJECT_ROOT / "grader") in bound
    assert str(PROJECT_ROOT / "tests" / "gpu_strict") in bound  # a PYTHONPATH entry that shows nothing else
    assert str(tmp_path) in bound
    for hidden in (PROJECT_ROOT, PROJECT_ROOT / "solutions", PROJECT_ROOT / "datasets", PROJECT_ROOT / "tests"):
        assert str(hidden) not in bound
    assert "--unshare-all" in command and "--die-with-parent" in command
    assert command[command.index("--chdir") + 1] == str(tmp_path)


def test_limits_are_set_soft_and_hard_before_learner_code_runs():
    wanted = json.dumps({"file_bytes": 1024**2, "open_files": 256, "cpu_s": 100})
    script = ("import resource, sys; from grader.sandbox import apply_limits; apply_limits(sys.argv[1]);"
              "print(resource.getrlimit(resource.RLIMIT_FSIZE), resource.getrlimit(resource.RLIMIT_NOFILE));"
              "resource.setrlimit(resource.RLIMIT_FSIZE, (2 * 1024**2, 2 * 1024**2))")
    finished = subprocess.run([sys.executable, "-c", script, wanted], capture_output=True, text=True)
    assert finished.stdout.split("\n")[0] == f"{(1024**2, 1024**2)} {(256, 256)}"
    assert "ValueError" in finished.stderr  # the hard limit cannot be raised again


def test_where_a_cgroup_holds_memory_and_processes_the_worker_sets_neither_itself():
    class Held:
        active = True

    class NotHeld:
        active = False

    assert set(json.loads(sandbox.limits_for_worker(sandbox.Limits(), Held()))) == {"cpu_s", "file_bytes", "open_files"}
    assert "memory_bytes" in json.loads(sandbox.limits_for_worker(sandbox.Limits(), NotHeld()))


def test_inside_the_jail_pythonpath_finds_the_grader_and_keeps_entries_that_show_nothing_else(tmp_path):
    outside = tmp_path / "helpers"
    environment = sandbox.sandbox_environment({"PYTHONPATH": f"{PROJECT_ROOT / 'solutions'}:{outside}"})
    # The grader's own folder leads (beneath it only grader/ is bound, as the test above checks), so a
    # checkout run without installing starts its workers; an entry inside the project is dropped.
    assert environment["PYTHONPATH"].split(":") == [str(PROJECT_ROOT), str(outside)]
    assert environment["HOME"] == sandbox.SANDBOX_HOME


def test_doctor_says_whether_the_sandbox_holds_and_how(monkeypatch):
    from rich.console import Console

    from grader import doctor

    available = sandbox.State(True, "", "cgroup v2", "cgroup v2")
    for state, expected in ((available, "memory 6.0 GiB (cgroup v2), processes 512 (cgroup v2)"),
                            (unavailable(), "not available (bwrap (bubblewrap) is not installed)")):
        monkeypatch.setattr(doctor, "probe", lambda state=state: state)
        console = Console(record=True, width=300)
        doctor.print_sandbox(console)
        assert expected in console.export_text()


def test_every_link_between_the_venvs_python_and_python_itself_is_bound(tmp_path):
    # Found by the quick start on Debian's python3: .venv/bin/python3 -> a link elsewhere -> /usr/bin/python3.
    # The middle link was not bound, so every worker failed with "execvp ...: No such file or directory".
    from grader.sandbox import _symlink_chain

    (tmp_path / "venv").mkdir(), (tmp_path / "links").mkdir()
    (tmp_path / "links" / "python3").symlink_to(sys.executable)
    (tmp_path / "venv" / "python3").symlink_to("../links/python3")
    folders = {path.parent for path in _symlink_chain(tmp_path / "venv" / "python3")}
    assert {tmp_path / "venv", tmp_path / "links", Path(sys.executable).resolve().parent} <= folders
