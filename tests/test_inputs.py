"""Hidden inputs: fresh for each seed, reproducible from it, and held-out data kept apart."""

from __future__ import annotations

import numpy as np

from course_data import load_bible_pairs, series_windows, tokenize
from grader.inputs import exercise_seed, generate_inputs, split_dataset
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


def test_a_mask_has_zeros_and_ones_and_no_row_without_a_one():
    masks = [generate_inputs(spec(m={"mask": ["n", 4, 3], "p": 0.3}), seed)["m"] for seed in range(20)]
    assert all(m.any(axis=-1).all() for m in masks)
    assert {0, 1} == set(np.unique(np.concatenate([m.ravel() for m in masks])))


def test_sentences_are_real_texts_and_a_perturbed_copy_keeps_its_length_in_rows():
    exercise = spec(references={"sentences": "bible_es", "rows": "n"}, hypotheses={"perturb": "references", "drop": 0.5})
    inputs = generate_inputs(exercise, 3)
    references, hypotheses = inputs["references"], inputs["hypotheses"]
    assert references.dtype.kind == "U" and 5 <= len(references) <= 50 and len(hypotheses) == len(references)
    assert sum(len(h.split()) for h in hypotheses) < sum(len(r.split()) for r in references)
    assert all(set(h.split()) <= set(r.split()) for h, r in zip(hypotheses, references))


def test_texts_are_encoded_with_a_vocabulary_of_the_training_split_only():
    small, _ = split_dataset(DataSplit("rotten_tomatoes", 0.2, 0.1, vocabulary=500, length=12), seed=1)
    assert small["x_train"].shape[1] == 12 and small["x_train"].dtype == np.int32 and small["x_train"].max() == 499
    # A vocabulary larger than the training split's words: every training word is known, and the
    # test split's unknown words (1) are those it alone has.
    learner, held_out = split_dataset(DataSplit("rotten_tomatoes", 0.2, 0.1, vocabulary=100_000, length=12), seed=1)
    assert not np.any(learner["x_train"] == 1)
    assert np.any(held_out["x_test"] == 1) and np.any(learner["x_val"] == 1)


def test_padded_sequences_are_standardised_over_real_frames_and_the_test_split_padded_further():
    learner, held_out = split_dataset(DataSplit("spoken_digits", 0.2, 0.1, standardize=True, pad_test=40), seed=0)
    frames = learner["x_train"][np.any(learner["x_train"] != 0, axis=-1)]
    assert np.allclose(frames.mean(axis=0), 0, atol=1e-3) and np.allclose(frames.std(axis=0), 1, atol=1e-3)
    assert held_out["x_test"].shape[1] == learner["x_train"].shape[1] + 40
    assert not held_out["x_test"][:, -40:].any()  # the padding is still exactly zero


def test_translation_pairs_are_encoded_for_teacher_forcing_and_scored_against_the_text():
    split = DataSplit("bible_en_es", 0.05, 0.05, vocabulary=1200, length=16, translation=True)
    learner, held_out = split_dataset(split, seed=3)
    english, spanish = load_bible_pairs()
    assert learner["x_train"].shape == (5397, 16) and learner["y_train"].shape == (5397, 17)
    assert learner["x_val"].shape == (300, 16) and held_out["x_test"].shape == (300, 16)
    targets = learner["y_train"]
    assert targets.dtype == np.int32 and np.all(targets[:, 0] == 2)  # [START]
    lengths = (targets > 0).sum(axis=1)
    assert np.all(targets[np.arange(len(targets)), lengths - 1] == 3)  # [END] after the last word...
    assert np.all((targets == 3).sum(axis=1) == 1) and targets.max() == 1199  # ...once, in a 1,200-id vocabulary
    # The held-out targets are the Spanish verses as words (tokenised), in the order of the English ids,
    # and the vocabulary reads ids back: the training targets' words are the training verses'.
    vocabulary = held_out["target_vocabulary"]
    assert list(vocabulary[:4]) == ["", "[UNK]", "[START]", "[END]"]
    for source, reference in zip(held_out["source_text"][:20], held_out["y_test"][:20]):
        assert reference in {" ".join(tokenize(s)) for s in spanish[english == source]}
    words = set(" ".join(" ".join(vocabulary[i] for i in ids if i > 3) for ids in targets).split())
    assert words <= {word for text in spanish for word in tokenize(text)}
