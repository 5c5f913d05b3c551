"""The reference's answers kept on disk, so that a re-check with the same seed skips the reference.

An entry is keyed by everything that decides it: the chapter's solutions (their bytes), the
grader's own code, the backend, the installed Keras and framework versions, the machine, the
run's seed, the exercise (entry point, known mistakes, probe) and the inputs themselves (their
bytes). Change any of them and the key changes; nothing is ever invalidated by hand.

The cache is used only when learner code runs sandboxed: the sandbox cannot see it (it is
refused if it lies under anything the sandbox binds), so a submission can neither read the
expected answers nor poison them for the next learner. Unsandboxed, learner code runs with the
grader's own rights and could write here, so the reference is recomputed every time.

Each entry is written into a temporary folder and renamed into place: a reader sees a whole
entry or none, even when gradings run side by side or one is killed half-way.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any, Callable, TypeVar

import numpy as np

from .reference import ReferenceWorker
from .spec import ExerciseSpec

CACHE_VARIABLE = "GRADER_CACHE_DIR"
_FORMAT = 2  # bump when what an entry holds changes
_FRAMEWORKS = {"jax": ("jax", "jaxlib"), "tensorflow": ("tensorflow", "tensorflow-cpu"), "torch": ("torch",)}

T = TypeVar("T")


def default_root() -> Path:
    """`$GRADER_CACHE_DIR`, else the user's cache folder (`$XDG_CACHE_HOME` or ~/.cache)."""
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "keras-course-grader" / "reference"


class ReferenceCache:
    """The cached answers of one chapter's reference on one backend, for one run seed."""

    def __init__(self, root: Path, chapter_source: Path, backend: str, seed: int) -> None:
        self.root = root
        self.context = {
            "format": _FORMAT,
            "solutions": _file_digest(chapter_source),
            "grader": _grader_digest(),
            "backend": backend,
            "versions": _versions(backend),
            "machine": _machine(),
            "seed": seed,
        }

    def key(self, task: str, exercise: ExerciseSpec, arrays: list[dict[str, np.ndarray]]) -> str:
        """The entry's name: a digest of the context, the task, the exercise and the inputs' bytes."""
        digest = hashlib.sha256()
        described = {
            **self.context, "task": task, "exercise": exercise.id, "entry": exercise.entry,
            "mistakes": [m.function for m in exercise.mistakes], "probe": exercise.probe,
            "baseline": exercise.baseline.function if exercise.baseline else "",
            "repeats": exercise.speed.repeats if exercise.speed else 0,
        }
        digest.update(json.dumps(described, sort_keys=True).encode())
        for trial in arrays:
            for name in sorted(trial):
                array = np.ascontiguousarray(trial[name])
                digest.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
                digest.update(array.tobytes())
        return digest.hexdigest()

    def entry(self, key: str) -> Path:
        return self.root / key[:2] / key

    def lookup(self, key: str) -> Path | None:
        """The entry's folder, if it is there whole."""
        folder = self.entry(key)
        return folder if (folder / "entry.json").is_file() else None

    def store(self, key: str, write: Callable[[Path], None]) -> Path:
        """Let `write` fill a fresh folder, then move it into place (first writer wins)."""
        final = self.entry(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=final.parent))
        try:
            write(staging)
            os.rename(staging, final)
        except OSError:
            if self.lookup(key) is None:
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return final


class CachedReference:
    """A ReferenceWorker's answers, from the cache where it has them.

    The worker starts only on the first miss (a worker starts on its first request), so a
    re-check whose every answer is cached never starts the reference at all.
    """

    def __init__(self, reference: ReferenceWorker, cache: ReferenceCache) -> None:
        self.reference, self.cache = reference, cache
        self.hits = self.misses = 0

    def outputs(self, exercise: ExerciseSpec, trials: list[dict[str, np.ndarray]], timeout_s: float) -> list[Path]:
        key = self.cache.key("outputs", exercise, trials)
        if (folder := self._hit(key)) is None:
            files = self._miss(lambda: self.reference.outputs(exercise, trials, timeout_s))
            folder = self.cache.store(key, lambda staging: _write_files(staging, files))
        return _read_files(folder)

    def mistakes(self, exercise: ExerciseSpec, trial: int, arguments: dict[str, np.ndarray], timeout_s: float) -> list[Path]:
        key = self.cache.key(f"mistakes of trial {trial}", exercise, [arguments])
        if (folder := self._hit(key)) is None:
            files = self._miss(lambda: self.reference.mistakes(exercise, trial, arguments, timeout_s))
            folder = self.cache.store(key, lambda staging: _write_files(staging, files))
        return _read_files(folder)

    def architecture(self, exercise: ExerciseSpec, arguments: dict[str, np.ndarray], timeout_s: float) -> dict[str, Any]:
        key = self.cache.key("architecture", exercise, [arguments])
        if (folder := self._hit(key)) is None:
            description = self._miss(lambda: self.reference.architecture(exercise, arguments, timeout_s))
            folder = self.cache.store(key, lambda staging: _write_json(staging, {"architecture": description}))
        stored: dict[str, Any] = json.loads((folder / "entry.json").read_text())["architecture"]
        return stored

    def timing(self, exercise: ExerciseSpec, arguments: dict[str, np.ndarray], timeout_s: float) -> float:
        key = self.cache.key("timing", exercise, [arguments])
        if (folder := self._hit(key)) is None:
            seconds = self._miss(lambda: self.reference.timing(exercise, arguments, timeout_s))
            folder = self.cache.store(key, lambda staging: _write_json(staging, {"seconds": seconds}))
        return float(json.loads((folder / "entry.json").read_text())["seconds"])

    def baseline(self, exercise: ExerciseSpec, arguments: dict[str, np.ndarray], timeout_s: float) -> Path:
        key = self.cache.key("baseline", exercise, [arguments])
        if (folder := self._hit(key)) is None:
            model = self._miss(lambda: self.reference.baseline(exercise, arguments, timeout_s))
            folder = self.cache.store(key, lambda staging: _write_named_file(staging, model))
        return _read_files(folder)[0]

    def has_answers(self, exercise: ExerciseSpec, trials: list[dict[str, np.ndarray]],
                    speed_inputs: dict[str, np.ndarray]) -> bool:
        """Whether everything a correct attempt needs from the reference is cached (its mistakes are not)."""
        keys = []
        if exercise.kind == "function":
            keys.append(self.cache.key("outputs", exercise, trials))
        if exercise.kind == "model":
            keys.append(self.cache.key("architecture", exercise, trials[:1]))
        if exercise.speed:
            keys.append(self.cache.key("timing", exercise, [speed_inputs]))
        return all(self.cache.lookup(key) is not None for key in keys)

    def _hit(self, key: str) -> Path | None:
        folder = self.cache.lookup(key)
        self.hits += folder is not None
        return folder

    def _miss(self, compute: Callable[[], T]) -> T:
        self.misses += 1
        return compute()  # a ReferenceFailure propagates and nothing is stored


def _write_files(staging: Path, files: list[Path]) -> None:
    names = [f"{index}.npz" for index in range(len(files))]
    for source, name in zip(files, names):
        shutil.copyfile(source, staging / name)
    _write_json(staging, {"files": names})


def _write_named_file(staging: Path, file: Path) -> None:
    """One file under its own name (a saved model's suffix tells Keras its format)."""
    shutil.copyfile(file, staging / file.name)
    _write_json(staging, {"files": [file.name]})


def _read_files(folder: Path) -> list[Path]:
    return [folder / name for name in json.loads((folder / "entry.json").read_text())["files"]]


def _write_json(staging: Path, content: dict[str, Any]) -> None:
    (staging / "entry.json").write_text(json.dumps(content), encoding="utf-8")


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@functools.cache  # the package's source does not change while a grading runs
def _grader_digest() -> str:
    """The grader's own source: the worker, the extraction and the comparison all shape an answer."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _versions(backend: str) -> dict[str, str]:
    versions = {}
    for distribution in ("keras", "numpy", *_FRAMEWORKS.get(backend, ())):
        try:
            versions[distribution] = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def _machine() -> dict[str, Any]:
    """What a reference's numbers and timings depend on beyond the software: the host and its devices."""
    gpus = sorted(p.name for p in Path("/dev").glob("nvidia[0-9]*")) + (["kfd"] if Path("/dev/kfd").exists() else [])
    return {"host": socket.gethostname(), "arch": platform.machine(), "cpus": os.cpu_count(), "gpus": gpus}
