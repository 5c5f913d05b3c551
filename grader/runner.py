"""Worker processes: start one per backend and role, send requests, survive anything.

A worker runs in its own session (process group), so killing it also kills
whatever the code under test started. A request that outlives its time limit
gets the worker killed and reported as a timeout; a worker that dies (an
exception escaping, `sys.exit`, `os._exit`, a segfault) is reported as crashed.
The next request starts a fresh worker.
"""

from __future__ import annotations

import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any, Callable

from . import protocol, sandbox
from .protocol import Reply as Reply  # the record a request comes back as, re-exported for the pipeline
from .i18n import _

STARTUP_TIMEOUT_S = 240.0
_HOST_DEVICES_FLAG = "--xla_force_host_platform_device_count"
_LOG_TAIL_LINES = 15


def fastest_reply(worker: Worker, request: dict[str, Any], repeats: int, timeout_s: float) -> Reply:
    """The fastest of `repeats` timed runs of `request`, after one untimed warm-up run.

    The warm-up absorbs one-off costs that are not the code's speed: JAX compiles every operation
    for each new input shape on its first call (hundreds of milliseconds, against a few for the
    call itself). The fastest run is the one least disturbed by other processes. Each run is timed
    here, around its own request. A run that does not succeed is returned at once.
    """
    warm_up = worker.request(request, timeout_s)
    if not warm_up.ok:
        return warm_up
    fastest: Reply | None = None
    for _repeat in range(max(1, repeats)):
        reply = worker.request(request, timeout_s)
        if not reply.ok:
            return reply
        if fastest is None or reply.duration_s < fastest.duration_s:
            fastest = reply
    assert fastest is not None
    return fastest


class WorkerError(RuntimeError):
    """A worker that could not start."""


def worker_environment(backend: str) -> dict[str, str]:
    """The environment of a worker on `backend`."""
    env = dict(os.environ)
    env.update(
        KERAS_BACKEND=backend,
        TF_CPP_MIN_LOG_LEVEL="2",
        XLA_PYTHON_CLIENT_PREALLOCATE="false",  # share a GPU with other processes
        PYTHONUNBUFFERED="1",
    )
    if backend == "jax" and _HOST_DEVICES_FLAG not in env.get("XLA_FLAGS", ""):
        # Eight virtual CPU devices for keras.distribution exercises; read only when JAX starts.
        env["XLA_FLAGS"] = f"{env.get('XLA_FLAGS', '')} {_HOST_DEVICES_FLAG}=8".strip()
    return env


class Worker:
    """A `python -m grader.worker` process on one backend, restarted on demand.

    Example (the request's fields are the worker's protocol, grader/worker/__main__.py)::

        with Worker("jax", Path("/tmp/work")) as worker:
            reply = worker.request({"task": "describe", ...}, timeout_s=30)
    """

    def __init__(self, backend: str, workdir: Path, *, sandboxed: bool = False,
                 limits: sandbox.Limits = sandbox.Limits()) -> None:
        self.backend = backend
        self.workdir = workdir
        self.sandboxed = sandboxed
        self.limits = limits
        self._cgroup: sandbox.Cgroup | None = None
        self._peak_memory: int | None = None  # the most any of this worker's cgroups measured, kept past their removal
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / f"worker-{backend}.log"
        self.environment: dict[str, Any] = {}
        self._process: subprocess.Popen[str] | None = None
        self._replies: queue.Queue[str | None] = queue.Queue()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the process was launched and has not exited."""
        return self._process is not None and self._process.poll() is None

    def launch(self) -> None:
        """Start the process without waiting for it to be ready (its imports take seconds).

        Call it from the thread that will stop the worker: the sandbox's --die-with-parent
        ends the process when the thread that started it exits.
        """
        if self.running:
            return
        command, environment = self._command()
        log = self.log_path.open("a", encoding="utf-8")
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=self.workdir,
            env=environment,
            text=True,
            start_new_session=True,
        )
        log.close()
        self._replies = queue.Queue()
        self.environment = {}
        threading.Thread(target=_pump, args=(self._process.stdout, self._replies), daemon=True).start()

    def start(self) -> dict[str, Any]:
        """Start the process if needed, wait until it is ready and return its environment (versions, devices)."""
        if self.running and self.environment:
            return self.environment
        self.launch()
        hello = self._next_reply(STARTUP_TIMEOUT_S, protocol.read_hello)
        if not isinstance(hello, dict):  # output ended, or "timeout"
            self.stop()
            did_not_start = _("the {backend} worker did not start: {log}")
            raise WorkerError(did_not_start.format(backend=self.backend, log=self.log_tail() or _("no output")))
        self.environment = hello
        return self.environment

    def _command(self) -> tuple[list[str], dict[str, str]]:
        """How to start the worker: plainly, or jailed with its limits."""
        command = [sys.executable, "-m", "grader.worker"]
        environment = worker_environment(self.backend)
        if not self.sandboxed:
            return command, environment
        self._cgroup = sandbox.Cgroup(self.limits)
        environment = sandbox.sandbox_environment(environment)
        environment[sandbox.LIMITS_VARIABLE] = sandbox.limits_for_worker(self.limits, self._cgroup)
        jailed = sandbox.sandboxed_command(command, self.workdir, environment)
        return self._cgroup.join_command() + jailed, environment

    def peak_memory(self) -> int | None:
        """The most memory the worker has used so far (over its restarts too), where a cgroup measures it."""
        self._note_peak()
        return self._peak_memory

    def _note_peak(self) -> None:
        measured = self._cgroup.peak_memory() if self._cgroup else None
        if measured is not None:
            self._peak_memory = max(measured, self._peak_memory or 0)

    def request(self, payload: dict[str, Any], timeout_s: float) -> Reply:
        """Send one request; a timeout or a crash is a Reply too, never an exception."""
        self.start()
        assert self._process is not None and self._process.stdin is not None
        nonce = secrets.token_hex(8)
        started = time.perf_counter()
        try:
            self._process.stdin.write(protocol.request_line(payload, nonce))
            self._process.stdin.flush()
        except BrokenPipeError:
            pass  # the worker died; _next_reply sees the end of its output
        answer = self._next_reply(timeout_s, lambda line: protocol.read_reply(line, nonce))
        duration = time.perf_counter() - started
        if isinstance(answer, str):  # "timeout"
            self.stop()
            return Reply("timeout", {"error": _("no answer within {seconds:g} s").format(seconds=timeout_s)}, duration)
        if answer is None:
            if self._cgroup is not None and self._cgroup.out_of_memory():
                self.stop()
                return Reply("memory limit", {"error": self._memory_notice()}, duration)
            return Reply("crashed", {"error": self._death_notice()}, duration)
        status = str(answer.pop("status", "error"))
        if status == "error" and str(answer.get("error", "")).startswith("MemoryError") and self.sandboxed:
            self.stop()  # a worker that ran out may be in no state to go on
            return Reply("memory limit", {**answer, "error": self._memory_notice()}, duration)
        return Reply(status, answer, duration)

    def _memory_notice(self) -> str:
        notice = _("your code needed more than the {memory} of memory a worker may use")
        return notice.format(memory=self.limits.describe_memory())

    def stop(self) -> None:
        """Kill the worker and everything it started."""
        if self._process is None:
            return
        try:
            os.killpg(self._process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self._process = None
        if self._cgroup is not None:
            self._note_peak()
            self._cgroup.remove()
            self._cgroup = None

    def log_tail(self) -> str:
        """The last lines the worker (and the code it ran) wrote to stderr."""
        if not self.log_path.exists():
            return ""
        lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(lines[-_LOG_TAIL_LINES:])

    def _next_reply(self, timeout_s: float, read: Callable[[str], dict[str, Any] | None]) -> dict[str, Any] | str | None:
        """The first line that `read` accepts (protocol.read_reply: the one with our nonce), "timeout", or None
        when the worker's output ended. Anything else the code under test managed to write there is ignored."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                line = self._replies.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return "timeout"
            if line is None:
                return None
            reply = read(line)
            if reply is not None:
                return reply

    def _death_notice(self) -> str:
        assert self._process is not None
        code = self._process.wait()
        self.stop()
        if code < 0:
            killed = _("the process running your code died (killed by signal {signal})")
            return killed.format(signal=signal.Signals(-code).name)
        return _("the process running your code died (exit code {code})").format(code=code)


def _pump(stream: IO[str] | None, replies: queue.Queue[str | None]) -> None:
    """Move lines from the worker's reply channel into a queue (None at the end)."""
    assert stream is not None
    try:
        for line in stream:
            replies.put(line)
    except (OSError, ValueError):
        pass
    replies.put(None)
