"""Hidden inputs: fresh for each seed, reproducible from it, and held-out data kept apart."""

from __future__ import annotations

import numpy as np

from grader.inputs import exercise_seed, generate_inputs, series_windows, split_dataset
from grader.spec import DataSplit, ExerciseSpec


def spec(**inputs) -> ExerciseSpec:
    return ExerciseSpec(id="1.1", title="t", kind="function", entry="f", points=1, hints=("h",),
                        inputs=inputs, dims={"n": [5, 50]})


def test_the_same_seed_gives_the_same_inputs_and_another_seed_others():
    exercise = spec(x={"normal": ["n", 3], "loc": [-10.0, 10.0]}, y={"integers": ["n"], "high": 2})
    first, again, other = (generate_inputs(exercise, s) for s in (1, 1, 2))
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert not np.array_equal(first["x"], other["x"])
    assert first["x"].shape[0] == first["y"].shape[0]  # a shared dimension
    assert first["x"].dtype == np.float32 and first["y"].dtype == np.int64


def test_seeds_differ_per_exercise_and_trial():
    assert len({exercise_seed(3, "4.1"), exercise_seed(3, "4.2"), exercise_seed(3, "4.1", trial=1)}) == 3


def test_a_speed_trial_can_resize_dimensions():
    exercise = spec(x={"normal": ["n", 2]})
    assert generate_inputs(exercise, 0, dims={"n": 1000})["x"].shape == (1000, 2)


def test_a_shuffled_split_is_a_partition_and_standardised_on_training_rows():
    learner, held_out = split_dataset(DataSplit("pima", 0.2, 0.2, standardize=True), seed=5)
    assert len(learner["x_train"]) + len(learner["x_val"]) + len(held_out["x_test"]) == 768
    assert np.allclose(learner["x_train"].mean(axis=0), 0, atol=1e-5)
    assert not np.allclose(held_out["x_test"].mean(axis=0), 0, atol=1e-3)
    assert set(learner) == {"x_train", "y_train", "x_val", "y_val"}


def test_a_time_series_split_keeps_time_order_with_the_test_months_last():
    learner, held_out = split_dataset(DataSplit("sunspots", 0.2, 0.1, shuffle=False, window=12), seed=0)
    assert learner["x_train"].shape[1:] == (12, 1)
    # the last training target is the first value of the first validation window's successor chain
    assert np.isclose(learner["x_val"][0, -1, 0], learner["y_train"][-1])
    assert np.isclose(held_out["x_test"][0, -1, 0], learner["y_val"][-1])


def test_series_windows_pair_each_window_with_the_next_value():
    x, y = series_windows(np.arange(6.0), 3)
    assert x[:, :, 0].tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]] and y.tolist() == [3, 4, 5]
