"""A jail for every process that runs learner code, built on bubblewrap (`bwrap`).

Inside, a worker sees a read-only view of the system, the Python environment and
the grader's own package; one writable scratch folder (its inputs and outputs),
a private `/tmp` and an empty HOME. It sees no `solutions/`, `tests/`,
`datasets/`, no instructor folders and none of the learner's other files. It has
no network, its own PID namespace (it cannot signal the grader or another worker),
and it dies with the grader. Resource limits hold per worker: memory and processes
through a cgroup where this user may create one (v2, or v1 as root), else
RLIMIT_DATA; CPU time, file size and open files through rlimits that the worker
sets on itself, soft and hard, before any learner code runs.

Where bwrap cannot run (macOS, Windows, a container without user namespaces),
`auto` mode grades unsandboxed and says so once; `require` refuses with the fix.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import course_data

from . import locations
from .i18n import N_, _

_COURSE_DATA = Path(course_data.__file__).resolve().parent  # bound for the notebooks' imports; its files masked

MODES = ("auto", "require", "off")
LIMITS_VARIABLE = "GRADER_LIMITS"  # read by the worker at start-up (grader/worker/__main__.py)
GIB = 1024**3
INSTALL_FIX = N_("install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap; Arch: sudo pacman -S bubblewrap)")


class SandboxUnavailable(RuntimeError):
    """`--sandbox require` on a machine where bwrap cannot run."""


@dataclass(frozen=True)
class Limits:
    """What one worker may use; the references' measured peaks (tools/memory_peaks.py) are in README."""

    memory_bytes: int = 6 * GIB
    processes: int = 512
    cpu_s: int = 3600
    file_bytes: int = 2 * GIB
    open_files: int = 4096

    def with_memory(self, memory_bytes: int | None) -> Limits:
        return self if memory_bytes is None else replace(self, memory_bytes=memory_bytes)

    def describe_memory(self) -> str:
        return format_bytes(self.memory_bytes)


def format_bytes(count: float) -> str:
    """`1.5 GiB`, `300 MiB`: memory as a person reads it."""
    if count >= GIB:
        return f"{count / GIB:.1f} GiB"
    return f"{count / 1024**2:.0f} MiB"


def parse_memory(text: str) -> int:
    """`6G`, `512M`, `1.5GiB` or a plain number of bytes, as `--memory` takes it.

    >>> parse_memory("1.5G")
    1610612736
    """
    cleaned = text.strip().upper().removesuffix("IB").removesuffix("B")
    units = {"K": 1024, "M": 1024**2, "G": GIB, "T": 1024**4}
    factor = units.get(cleaned[-1:], 1)
    number = cleaned[:-1] if cleaned[-1:] in units else cleaned
    try:
        value = int(float(number) * factor)
    except ValueError:
        unreadable = _("expected a memory size such as 4G or 512M. Received: {value}")
        raise ValueError(unreadable.format(value=repr(text))) from None
    if value < 64 * 1024**2:
        raise ValueError(_("a worker needs at least 64M of memory. Received: {value}").format(value=repr(text)))
    return value


@dataclass(frozen=True)
class State:
    """Whether this machine can sandbox, and how its limits hold."""

    available: bool
    reason: str  # why not, when not available
    memory_by: str  # "cgroup v2", "cgroup v1" or "RLIMIT_DATA"
    processes_by: str  # "cgroup v2", "cgroup v1", "RLIMIT_NPROC" or "not limited (running as root)"


@functools.lru_cache(maxsize=1)
def probe() -> State:
    """Try bwrap once with the options a worker gets, and find where limits can be set."""
    memory_by, processes_by = _cgroup_kind() or ("RLIMIT_DATA", _nproc_kind())
    executable = shutil.which("bwrap")
    if executable is None:
        return State(False, _("bwrap (bubblewrap) is not installed"), memory_by, processes_by)
    trial = [executable, *_isolation_options(), *_system_binds(), "--", "/bin/true"]
    try:
        finished = subprocess.run(trial, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as error:
        return State(False, _("bwrap could not start: {reason}").format(reason=error), memory_by, processes_by)
    if finished.returncode != 0:
        why = finished.stderr.strip().splitlines()[-1:] or [_("exit code {code}").format(code=finished.returncode)]
        reason = _("bwrap cannot create namespaces here ({reason})").format(reason=why[0])
        return State(False, reason, memory_by, processes_by)
    return State(True, "", memory_by, processes_by)


def resolve_mode(mode: str) -> bool:
    """Whether to sandbox, for a `--sandbox` mode.

    Raises:
        SandboxUnavailable: `require` where bwrap cannot run, with the fix.
        ValueError: an unknown mode.
    """
    if mode not in MODES:
        unknown = _("--sandbox takes {modes}. Received: {value}")
        raise ValueError(unknown.format(modes=", ".join(MODES), value=repr(mode)))
    if mode == "off":
        return False
    state = probe()
    if state.available:
        return True
    if mode == "require":
        required = _("the sandbox is required but {reason}: {fix}")
        raise SandboxUnavailable(required.format(reason=state.reason, fix=_(INSTALL_FIX)))
    return False


def unsandboxed_notice() -> str:
    """The one sentence a learner reads when grading runs without the sandbox."""
    notice = _("Note: your code runs unsandboxed on this machine ({reason}); that is fine for checking "
               "your own work. To sandbox it, {fix}.")
    return notice.format(reason=probe().reason, fix=_(INSTALL_FIX))


def sandboxed_command(command: list[str], scratch: Path, environment: dict[str, str]) -> list[str]:
    """`command` inside bwrap, seeing `scratch` (read-write) and what Python needs (read-only)."""
    executable = shutil.which("bwrap")
    assert executable is not None, "probe() first"
    # The private /tmp first: the Python environment or the scratch folder may live under /tmp.
    options = [*_isolation_options(), *_system_binds(), "--tmpfs", "/tmp", *_python_binds(environment), *_course_mask()]
    options += ["--dir", SANDBOX_HOME, "--bind", str(scratch), str(scratch)]
    options += [*_gpu_binds(), "--chdir", str(scratch)]
    return [executable, *options, "--", *command]


SANDBOX_HOME = "/home/learner"


def sandbox_environment(environment: dict[str, str]) -> dict[str, str]:
    """The worker's environment with a fresh HOME and TMPDIR inside the jail."""
    import grader

    entries = [str(Path(e).resolve()) for e in environment.get("PYTHONPATH", "").split(os.pathsep) if e]
    kept = [e for e in entries if not _reveals_the_project(Path(e))]  # the rest are not bound
    # The folder that holds this grader package, so that a checkout run with PYTHONPATH=. (not
    # installed) starts its workers too: only the package itself is bound beneath it.
    package_parent = str(Path(grader.__file__).resolve().parent.parent)
    environment = {**environment, "PYTHONPATH": os.pathsep.join(dict.fromkeys([package_parent, *kept]))}
    return {**environment, "HOME": SANDBOX_HOME, "TMPDIR": "/tmp", "KERAS_HOME": f"{SANDBOX_HOME}/.keras",
            "MPLCONFIGDIR": f"{SANDBOX_HOME}/.matplotlib", "XDG_CACHE_HOME": f"{SANDBOX_HOME}/.cache"}


def _isolation_options() -> list[str]:
    # --unshare-all: user, ipc, pid, net, uts and cgroup namespaces (no network at all).
    # --new-session: learner code cannot push keystrokes into the grader's terminal (TIOCSTI).
    return ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--dev", "/dev", "--proc", "/proc"]


def _system_binds() -> list[str]:
    """The OS's programs and libraries, read-only; secrets under /etc masked."""
    options: list[str] = []
    for top in ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / top
        if path.is_symlink():
            options += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            options += ["--ro-bind", str(path), str(path)]
    options += ["--ro-bind", "/etc", "/etc", "--ro-bind-try", "/sys", "/sys"]
    for secret in ("/etc/shadow", "/etc/gshadow", "/etc/ssh", "/etc/sudoers"):
        if os.path.lexists(secret):
            options += ["--tmpfs", secret] if os.path.isdir(secret) else ["--ro-bind", "/dev/null", secret]
    return options


def _python_binds(environment: dict[str, str]) -> list[str]:
    """Python, its environment, the grader package and PYTHONPATH entries, read-only, at their own paths."""
    options: list[str] = []
    for root in sorted(_outermost(_python_roots(environment))):
        options += ["--ro-bind", str(root), str(root)]
    return options


def _python_roots(environment: dict[str, str]) -> set[Path]:
    import grader

    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(grader.__file__).resolve().parent, _COURSE_DATA}
    roots |= {link.parent for link in _symlink_chain(Path(sys.executable))}
    roots |= {Path(entry) for entry in environment.get("PYTHONPATH", "").split(os.pathsep) if entry}
    roots |= {Path(p) for p in sys.path if p and Path(p).is_dir() and "site-packages" in p}
    return {root for root in roots if not _reveals_the_project(root.resolve())}


def _symlink_chain(path: Path) -> list[Path]:
    """`path` and every file its links pass through: a venv's python may point at a link that points at Python."""
    chain = [path]
    while chain[-1].is_symlink() and len(chain) < 40:
        target = Path(os.readlink(chain[-1]))
        chain.append(target if target.is_absolute() else chain[-1].parent / target)
    return [Path(os.path.abspath(link)) for link in chain] + [path.resolve()]


def visible_inside(path: Path) -> bool:
    """Whether `path` would be readable from inside the jail (it lies under something bound)."""
    environment = sandbox_environment(dict(os.environ))
    system = {Path("/") / top for top in ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "sys")}
    roots = {root.resolve() for root in system | _python_roots(environment) if root.exists()}
    target = path.resolve()
    if any(target == hidden or hidden in target.parents for hidden in _packaged_files()):
        return False
    return any(target == root or root in target.parents for root in roots)


def _reveals_the_project(root: Path) -> bool:
    """Whether binding `root` would show the solutions or datasets: the repository or a folder above it, or inside them.

    An installed wheel's copy of them sits inside the package, which must be bound: it is masked instead.
    """
    if locations.INSTALLED:
        return False
    project = locations.PROJECT_ROOT.resolve()
    hidden = [project / "solutions", project / "datasets"]
    return root == project or root in project.parents or any(root == h or h in root.parents for h in hidden)


def _course_mask() -> list[str]:
    """An installed wheel's solutions, notebooks and datasets, behind empty folders."""
    return [option for folder in _packaged_files() for option in ("--tmpfs", str(folder))]


def _packaged_files() -> list[Path]:
    """Where an installed wheel keeps the course's files: the solutions and notebooks, and the datasets."""
    return [folder for folder in (locations.PACKAGED_COURSE, _COURSE_DATA / "_datasets") if folder.is_dir()]


def _outermost(paths: set[Path]) -> set[Path]:
    """The paths not inside another one (binding a folder binds what is under it)."""
    existing = {p.resolve() for p in paths if p.exists()}
    system = {Path("/usr"), Path("/bin"), Path("/lib"), Path("/lib64"), Path("/etc")}
    kept = {p for p in existing if not any(p != other and other in p.parents for other in existing)}
    return {p for p in kept if not any(p == s or s in p.parents for s in system)}


def _gpu_binds() -> list[str]:
    """NVIDIA and AMD device nodes, when present, so a GPU user's grading is sandboxed too.

    The driver's libraries live under /usr (already bound read-only).
    """
    devices = sorted(Path("/dev").glob("nvidia*")) + [Path("/dev/kfd"), Path("/dev/dri")]
    options: list[str] = []
    for device in devices:
        if device.exists():
            options += ["--dev-bind", str(device), str(device)]
    return options


# Limits -----------------------------------------------------------------------------------------------


def _cgroup_kind() -> tuple[str, str] | None:
    base = _cgroup_base()
    if base is None:
        return None
    kind = "cgroup v2" if base[0] == "v2" else "cgroup v1"
    return kind, kind


@functools.lru_cache(maxsize=1)
def _cgroup_base() -> tuple[str, Path, Path] | None:
    """Where this process may create cgroups: ("v2", dir, dir) or ("v1", memory dir, pids dir)."""
    root = Path("/sys/fs/cgroup")
    if (root / "cgroup.controllers").exists():
        parent = root / (_own_cgroup("0") or "").lstrip("/")
        delegated = _read_words(parent / "cgroup.subtree_control")
        return ("v2", parent, parent) if {"memory", "pids"} <= delegated and _can_create(parent) else None
    memory = root / "memory" / (_own_cgroup("memory") or "").lstrip("/")
    pids = root / "pids" / (_own_cgroup("pids") or "").lstrip("/")
    if _can_create(memory) and _can_create(pids):
        return "v1", memory, pids
    return None


def _read_words(path: Path) -> set[str]:
    try:
        return set(path.read_text().split())
    except OSError:
        return set()


def _own_cgroup(controller: str) -> str | None:
    """This process's cgroup path for a v1 controller, or for v2 with controller "0"."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        number, controllers, path = line.split(":", 2)
        if (controller == "0" and number == "0") or controller in controllers.split(","):
            return path
    return None


def _can_create(parent: Path) -> bool:
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        return False
    trial = parent / f"grader-probe-{uuid.uuid4().hex[:8]}"
    try:
        trial.mkdir()
        trial.rmdir()
        return True
    except OSError:
        return False


def _nproc_kind() -> str:
    return "not limited (running as root)" if os.geteuid() == 0 else "RLIMIT_NPROC"


class Cgroup:
    """One worker's cgroup (memory and processes); removed when the worker stops."""

    def __init__(self, limits: Limits) -> None:
        base = _cgroup_base()
        self.kind = base[0] if base else ""
        self.folders: list[Path] = []
        if base is None:
            return
        name = f"grader-worker-{uuid.uuid4().hex[:12]}"
        memory, pids = base[1] / name, base[2] / name
        self.folders = [memory] if memory == pids else [memory, pids]
        for folder in self.folders:
            folder.mkdir()
        if self.kind == "v2":
            (memory / "memory.max").write_text(str(limits.memory_bytes))
            if (memory / "memory.swap.max").exists():
                (memory / "memory.swap.max").write_text("0")
            (pids / "pids.max").write_text(str(limits.processes))
        else:
            (memory / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
            swap = memory / "memory.memsw.limit_in_bytes"
            if swap.exists():
                try:
                    swap.write_text(str(limits.memory_bytes))
                except OSError:
                    pass
            (pids / "pids.max").write_text(str(limits.processes))

    @property
    def active(self) -> bool:
        return bool(self.folders)

    def join_command(self) -> list[str]:
        """A shell prefix that moves itself into the cgroup, then execs the rest."""
        if not self.active:
            return []
        moves = " && ".join(f"echo $$ > {folder / 'cgroup.procs'}" for folder in self.folders)
        return ["/bin/sh", "-c", f'{moves} && exec "$@"', "sh"]  # never start unlimited

    def peak_memory(self) -> int | None:
        if not self.active:
            return None
        name = "memory.peak" if self.kind == "v2" else "memory.max_usage_in_bytes"
        try:
            return int((self.folders[0] / name).read_text())
        except (OSError, ValueError):
            return None

    def out_of_memory(self) -> bool:
        """Whether the kernel refused or killed for memory since the cgroup was made."""
        if not self.active:
            return False
        try:
            if self.kind == "v2":
                events = dict(line.split() for line in (self.folders[0] / "memory.events").read_text().splitlines())
                return int(events.get("oom_kill", 0)) > 0 or int(events.get("max", 0)) > 0
            control = dict(line.split() for line in (self.folders[0] / "memory.oom_control").read_text().splitlines())
            peak = int((self.folders[0] / "memory.max_usage_in_bytes").read_text())
            limit = int((self.folders[0] / "memory.limit_in_bytes").read_text())
            return int(control.get("oom_kill", 0)) > 0 or peak >= limit
        except (OSError, ValueError):
            return False

    def remove(self) -> None:
        """Kill what is left inside and remove the folders (the kernel frees a cgroup only once it is empty)."""
        for folder in self.folders:
            for _attempt in range(100):  # processes in the jail's PID namespace die asynchronously
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    _kill_members(folder)
                    time.sleep(0.02)
        self.folders = []


def _kill_members(folder: Path) -> None:
    try:
        members = (folder / "cgroup.procs").read_text().split()
    except OSError:
        return
    for pid in members:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass


def limits_for_worker(limits: Limits, cgroup: Cgroup) -> str:
    """The rlimits the worker sets on itself (memory too when no cgroup holds it), as JSON."""
    wanted = asdict(limits)
    if cgroup.active:
        wanted.pop("memory_bytes")
        wanted.pop("processes")
    elif os.geteuid() == 0:
        wanted.pop("processes")  # root ignores RLIMIT_NPROC
    return json.dumps(wanted)


def apply_limits(text: str) -> None:
    """Set soft and hard rlimits from `limits_for_worker`'s JSON (in the worker, before learner code)."""
    wanted = json.loads(text)
    names = {"memory_bytes": resource.RLIMIT_DATA, "processes": resource.RLIMIT_NPROC,
             "cpu_s": resource.RLIMIT_CPU, "file_bytes": resource.RLIMIT_FSIZE, "open_files": resource.RLIMIT_NOFILE}
    for key, value in wanted.items():
        limit = names[key]
        _soft, hard = resource.getrlimit(limit)
        value = int(value) if hard == resource.RLIM_INFINITY else min(int(value), hard)
        resource.setrlimit(limit, (value, value))
