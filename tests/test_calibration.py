"""Every training threshold and budget is backed by committed measurements."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from grader import calibration
from grader.calibrate import MARGIN_REQUIRED_SDS, PASS_RATE_REQUIRED, error_reductions, margins
from grader.chapters import discover

TRAINING = [(c, e) for c in discover() for e in c.spec.exercises if e.kind == "training"]
MIN_SEEDS = 20


@pytest.mark.parametrize(("chapter", "exercise"), TRAINING, ids=[e.id for _, e in TRAINING])
def test_committed_measurements_support_the_threshold_on_every_backend(chapter, exercise):
    assert chapter.calibration.exists(), f"run: grader calibrate {chapter.name} --backend all --write"
    measured = calibration.read(chapter.calibration, chapter.name).exercises[exercise.id]
    assert measured.metric == exercise.threshold.metric
    for backend in exercise.backends:
        runs = measured.backends[backend]
        assert len(runs.values) >= MIN_SEEDS and None not in runs.values + runs.times_s
        threshold = exercise.threshold
        unread = (None,) * len(runs.values)
        gaps, training = runs.gaps or unread, runs.training_values or unread
        random_losses = runs.random_label_losses or unread
        if threshold.reads_training_rows:  # measured where the training rows are read
            assert None not in gaps + training, f"{exercise.id} reads the training rows: recalibrate"
        if exercise.random_labels:  # measured where there is a run on random labels
            assert None not in random_losses, f"{exercise.id} has a run on random labels: recalibrate"
        gained = (None,) * len(runs.values)
        if exercise.baseline:  # measured where there is a baseline to beat
            assert None not in runs.baseline_values and len(runs.baseline_values) == len(runs.values), \
                f"{exercise.id} has a baseline: recalibrate"
            gained = tuple(error_reductions(threshold, runs.values, runs.baseline_values))
        passes = [
            threshold.passes(value) and threshold.gap_within(gap) and threshold.training_within(trained)
            and (exercise.random_labels is None or memorised <= exercise.random_labels.max_log_loss)
            and (exercise.baseline is None or gain >= exercise.baseline.min_error_reduction)
            and seconds <= exercise.budget_s[backend]
            for value, seconds, gap, trained, memorised, gain
            in zip(runs.values, runs.times_s, gaps, training, random_losses, gained)
        ]
        assert sum(passes) / len(passes) >= PASS_RATE_REQUIRED, (backend, runs)


@pytest.mark.parametrize(("chapter", "exercise"), TRAINING, ids=[e.id for _, e in TRAINING])
def test_every_bound_sits_well_clear_of_the_references_runs(chapter, exercise):
    # A 99% pass rate over 20 seeds cannot see a 1-in-200 failure; CI and learners would.
    measured = calibration.read(chapter.calibration, chapter.name).exercises[exercise.id]
    for backend in exercise.backends:
        runs = measured.backends[backend]
        found = margins(exercise.threshold, runs.values, runs.gaps, runs.training_values, exercise.random_labels,
                        runs.random_label_losses, exercise.baseline, runs.baseline_values)
        assert min(found.values()) >= MARGIN_REQUIRED_SDS, (exercise.id, backend, found)


@pytest.mark.slow
def test_calibrate_runs_end_to_end(run_grader):
    finished, _ = run_grader("calibrate", "chapter4", "-e", "4.3", "--backend", "jax", "--seeds", "1")
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "Calibration of the reference" in finished.stdout


def test_the_split_noise_tool_shows_that_8_4s_training_bound_rejects_the_base_rate():
    tool = runpy.run_path(str(Path(__file__).parents[1] / "tools" / "pima_split_noise.py"))
    measured = tool["measure"](30)
    threshold = next(e for c in discover() for e in c.spec.exercises if e.id == "8.4").threshold
    assert (measured["base rate, training"] > threshold.training).all()
    assert (measured["logistic regression, training"] < threshold.training).all()
