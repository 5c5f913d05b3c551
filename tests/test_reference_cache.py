"""The reference cache: keys that change with everything that decides an answer, whole entries, no stale hits.

The reference worker is replaced by a fake that counts its calls: these tests start no Keras process.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.reference import ReferenceFailure
from grader.reference_cache import CachedReference, ReferenceCache
from grader.spec import ExerciseSpec


def exercise(**changes) -> ExerciseSpec:
    fields = dict(id="9.1", title="t", kind="function", entry="scale", points=1, hints=("h",))
    return ExerciseSpec(**{**fields, **changes})


class FakeReference:
    """Answers like a ReferenceWorker, writing real files, and counts what it was asked."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.calls = folder, []

    def outputs(self, exercise, trials, timeout_s):
        self.calls.append("outputs")
        return [self._save(f"{trial}-answer.npz", result=arguments["x"] * 2) for trial, arguments in enumerate(trials)]

    def mistakes(self, exercise, trial, arguments, timeout_s):
        self.calls.append(f"mistakes {trial}")
        return [self._save(f"{trial}-wrong.npz", result=arguments["x"] * 3)]

    def architecture(self, exercise, arguments, timeout_s):
        self.calls.append("architecture")
        return {"params": 221, "layers": [{"type": "Dense", "units": 12}]}

    def timing(self, exercise, arguments, timeout_s):
        self.calls.append("timing")
        return 0.125

    def _save(self, name, **arrays):
        path = self.folder / name
        np.savez(path, **arrays)
        return path


@pytest.fixture
def solutions(tmp_path: Path) -> Path:
    path = tmp_path / "chapter9.py"
    path.write_text("def scale(x):\n    return x * 2\n")
    return path


def cached(tmp_path: Path, solutions: Path, seed: int = 1, backend: str = "jax") -> tuple[CachedReference, FakeReference]:
    fake_folder = tmp_path / f"worker-{len(list(tmp_path.glob('worker-*')))}"
    fake_folder.mkdir()
    fake = FakeReference(fake_folder)
    return CachedReference(fake, ReferenceCache(tmp_path / "cache", solutions, backend, seed)), fake


TRIALS = [{"x": np.arange(4.0)}, {"x": np.ones((2, 3), dtype=np.float32)}]


def test_a_second_grading_with_the_same_seed_asks_the_reference_nothing(tmp_path, solutions):
    first, first_worker = cached(tmp_path, solutions)
    expected = first.outputs(exercise(), TRIALS, 10)
    first.mistakes(exercise(), 1, TRIALS[1], 10)
    first.architecture(exercise(kind="model"), TRIALS[0], 10)
    first.timing(exercise(), TRIALS[0], 10)
    assert first_worker.calls == ["outputs", "mistakes 1", "architecture", "timing"]
    assert (first.hits, first.misses) == (0, 4)

    second, second_worker = cached(tmp_path, solutions)
    again = second.outputs(exercise(), TRIALS, 10)
    assert np.array_equal(np.load(second.mistakes(exercise(), 1, TRIALS[1], 10)[0])["result"], TRIALS[1]["x"] * 3)
    assert second.architecture(exercise(kind="model"), TRIALS[0], 10)["params"] == 221
    assert second.timing(exercise(), TRIALS[0], 10) == 0.125
    assert second_worker.calls == []
    assert (second.hits, second.misses) == (4, 0)
    for trial in range(len(TRIALS)):
        assert np.array_equal(np.load(again[trial])["result"], np.load(expected[trial])["result"])
    second.mistakes(exercise(), 0, TRIALS[0], 10)  # another trial's mistakes: not asked before
    assert second_worker.calls == ["mistakes 0"]


CHANGES = {
    "another seed": dict(seed=2),
    "another backend": dict(backend="torch"),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_another_seed_or_backend_is_another_entry(tmp_path, solutions, change):
    cached(tmp_path, solutions)[0].outputs(exercise(), TRIALS, 10)
    other, worker = cached(tmp_path, solutions, **change)
    other.outputs(exercise(), TRIALS, 10)
    assert worker.calls == ["outputs"]


def test_edited_solutions_are_never_answered_from_the_cache(tmp_path, solutions):
    cached(tmp_path, solutions)[0].outputs(exercise(), TRIALS, 10)
    solutions.write_text("def scale(x):\n    return x * 2.5\n")
    other, worker = cached(tmp_path, solutions)
    other.outputs(exercise(), TRIALS, 10)
    assert worker.calls == ["outputs"]


EXERCISE_CHANGES = {
    "other inputs": ({}, [{"x": np.arange(4.0) + 1e-9}]),
    "other dtype, same values": ({}, [{"x": np.arange(4.0).astype(np.float32)}]),
    "other shape, same bytes": ({}, [{"x": np.arange(4.0).reshape(2, 2)}]),
    "another entry point": ({"entry": "scale_twice"}, TRIALS[:1]),
    "another exercise": ({"id": "9.2"}, TRIALS[:1]),
}


@pytest.mark.parametrize("changes, trials", EXERCISE_CHANGES.values(), ids=EXERCISE_CHANGES.keys())
def test_the_key_holds_the_inputs_bytes_and_the_exercise(tmp_path, solutions, changes, trials):
    reference = cached(tmp_path, solutions)[0]
    assert reference.cache.key("outputs", exercise(), TRIALS[:1]) != reference.cache.key("outputs", exercise(**changes), trials)


def test_a_reference_failure_is_not_kept(tmp_path, solutions):
    reference, worker = cached(tmp_path, solutions)

    def fail(*_):
        worker.calls.append("outputs")
        raise ReferenceFailure("the grader's reference could not run scale")

    worker.outputs = fail
    for _ in range(2):
        with pytest.raises(ReferenceFailure):
            reference.outputs(exercise(), TRIALS, 10)
    assert worker.calls == ["outputs", "outputs"]


def test_a_half_written_entry_is_a_miss_and_leaves_no_trace(tmp_path, solutions):
    reference = cached(tmp_path, solutions)[0]
    key = reference.cache.key("timing", exercise(), [TRIALS[0]])

    def interrupted(staging: Path) -> None:
        (staging / "partial.npz").write_bytes(b"PK")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reference.cache.store(key, interrupted)
    assert reference.cache.lookup(key) is None
    assert list(reference.cache.entry(key).parent.iterdir()) == []
    assert reference.timing(exercise(), TRIALS[0], 10) == 0.125
