"""Every training threshold and budget is backed by committed measurements."""

from __future__ import annotations

import json

import pytest

from grader.calibrate import PASS_RATE_REQUIRED
from grader.chapters import discover

TRAINING = [(c, e) for c in discover() for e in c.spec.exercises if e.kind == "training"]
MIN_SEEDS = 20


@pytest.mark.parametrize(("chapter", "exercise"), TRAINING, ids=[e.id for _, e in TRAINING])
def test_committed_measurements_support_the_threshold_on_every_backend(chapter, exercise):
    assert chapter.calibration.exists(), f"run: grader calibrate {chapter.name} --backend all --write"
    measured = json.loads(chapter.calibration.read_text())["exercises"][exercise.id]
    assert measured["metric"] == exercise.threshold.metric
    for backend in exercise.backends:
        runs = measured["backends"][backend]
        assert len(runs["values"]) >= MIN_SEEDS
        gaps = runs.get("gaps") or [None] * len(runs["values"])  # measured where the gap is bounded
        if exercise.threshold.max_gap is not None:
            assert len(gaps) == len(runs["values"]), f"{exercise.id} bounds the gap to training: recalibrate"
        passes = [
            exercise.threshold.passes(value) and exercise.threshold.gap_within(gap)
            and seconds <= exercise.budget_s[backend]
            for value, seconds, gap in zip(runs["values"], runs["times_s"], gaps)
        ]
        assert sum(passes) / len(passes) >= PASS_RATE_REQUIRED, (backend, runs)


@pytest.mark.slow
def test_calibrate_runs_end_to_end(run_grader):
    finished, _ = run_grader("calibrate", "chapter4", "-e", "4.3", "--backend", "jax", "--seeds", "1")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "Calibration of the reference" in finished.stdout
