"""`grader doctor`: what this machine offers the course."""

from __future__ import annotations

import importlib.metadata
import platform
import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .backends import default_backend, installed_backends, keras_config_path
from .runner import Worker, WorkerError
from .sandbox import INSTALL_FIX, Limits, probe


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def print_doctor(console: Console) -> None:
    """Versions, devices per backend (each probed in its own process), and the Keras config."""
    import tempfile
    from pathlib import Path

    console.print(f"Python {platform.python_version()} ({sys.executable})")
    console.print(f"Keras {_version('keras')}")
    config = keras_config_path()
    console.print(f"Keras config: {config} ({'exists' if config.exists() else 'not created yet'})")
    console.print(f"Default backend: {default_backend()} (KERAS_BACKEND, else keras.json, else tensorflow)")
    table = Table(title="Backends", title_justify="left")
    for column in ("Backend", "Version", "Devices"):
        table.add_column(column)
    installed = installed_backends()
    for backend in ("jax", "tensorflow", "torch"):
        if backend not in installed:
            table.add_row(backend, "not installed", escape(f"pip install -e '.[{backend}]' -c constraints/cpu.txt"))
            continue
        with tempfile.TemporaryDirectory() as tmp, Worker(backend, Path(tmp)) as worker:
            try:
                info = worker.start()
                table.add_row(backend, str(info["backend_version"]), ", ".join(info["devices"]))
            except WorkerError as error:
                table.add_row(backend, "broken", escape(str(error)[:200]))
    console.print(table)
    print_sandbox(console)
    console.print("Next: grader list, then grader check chapter4 --solutions")


def print_sandbox(console: Console) -> None:
    """Whether learner code can be jailed here, and how each limit holds."""
    state, limits = probe(), Limits()
    if not state.available:
        console.print(f"Sandbox: not available ({escape(state.reason)}). Grading runs unsandboxed; "
                      f"--sandbox require exits 2. Fix: {escape(INSTALL_FIX)}")
        return
    console.print("Sandbox: available (bubblewrap): no network, own PID namespace, read-only Python and grader, "
                  "private scratch, /tmp and HOME")
    console.print(f"  memory {limits.describe_memory()} ({state.memory_by}), processes {limits.processes} "
                  f"({state.processes_by}), CPU {limits.cpu_s} s, file size {limits.file_bytes // 1024**3} GiB, "
                  f"open files {limits.open_files} (rlimits)")
