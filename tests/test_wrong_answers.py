"""Plausible wrong answers fail, with a message that points at the mistake."""

from __future__ import annotations

import os
import re

import pytest

from grader.build import read_source
from grader.chapters import discover, resolve
from helpers import in_rounds, messages, solution_cell, solution_with, statuses, wrong_answer_test

pytestmark = pytest.mark.slow

CHAPTER4 = resolve("chapter4")
# A fixed seed keeps CI deterministic. Probes are built so that every draw exposes every mistake;
# to look for a draw that does not, sweep it: WRONG_ANSWERS_SEED=7 pytest tests/test_wrong_answers.py
SEED = os.environ.get("WRONG_ANSWERS_SEED", "1")


def reference_only_cells(chapter) -> str:
    return "\n\n".join(c.source for c in read_source(chapter).cells if "reference-only" in c.metadata.get("tags", []))


def rounds_of_mistakes(chapter) -> list[list]:
    """Round k submits the k-th known mistake of every exercise that has one, all in one notebook:
    a chapter is graded max(mistakes per exercise) times instead of once per mistake."""
    exercises = [e for e in chapter.spec.exercises if e.mistakes]
    count = max((len(e.mistakes) for e in exercises), default=0)
    return [[(e, e.mistakes[k]) for e in exercises if k < len(e.mistakes)] for k in range(count)]


ROUNDS = [(c, k, mistakes) for c in discover() for k, mistakes in enumerate(rounds_of_mistakes(c))]


def mistakes_as_answers(chapter, mistakes: list) -> str:
    """The mistakes, each submitted under its entry point's name.

    Mistakes are often written from the reference (calling it, or subclassing it), so each
    reference is kept under another name (`_reference_<entry>`) that the mistakes use.
    """
    entries = [exercise.entry for exercise, _ in mistakes]
    renamed = re.compile(r"\b(" + "|".join(re.escape(entry) for entry in entries) + r")\b")
    references = [renamed.sub(r"_reference_\1", solution_cell(chapter, entry)) for entry in entries]
    helpers = renamed.sub(r"_reference_\1", reference_only_cells(chapter))
    answers = [f"{exercise.entry} = {mistake.function}" for exercise, mistake in mistakes]
    return "\n\n".join([*references, helpers, *answers]) + "\n"


@pytest.mark.parametrize(("chapter", "round_", "mistakes"), ROUNDS,
                         ids=[f"{c.name}-round{k + 1}" for c, k, _ in ROUNDS])
def test_every_known_mistake_is_named(grade_answers, chapter, round_, mistakes):
    """Each mistake in a manifest, submitted as the learner's answer, fails with its own message."""
    code = mistakes_as_answers(chapter, mistakes)
    # Every replaced cell holds the same code, so no definition depends on the order of cells.
    _, report = grade_answers(chapter, {e.entry: code for e, _ in mistakes}, *(e.id for e, _ in mistakes),
                              options=("--seed", SEED))
    assert statuses(report) == {e.id: "failed" for e, _ in mistakes}, messages(report)
    missing = {e.id: (m.function, messages(report)[e.id]) for e, m in mistakes if m.message not in messages(report)[e.id]}
    assert not missing, missing


def test_every_known_mistake_is_in_some_round():
    submitted = sorted(m.function for _, _, mistakes in ROUNDS for _, m in mistakes)
    assert submitted == sorted(m.function for c in discover() for e in c.spec.exercises for m in e.mistakes)


ARTICLE_MODEL = """
def build_model(n_features):
    model = keras.Sequential()
    model.add(keras.layers.Dense(10, input_shape=(n_features,), activation="relu"))
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    return model
"""

FORGOT_ACTIVATION = solution_with(CHAPTER4, "build_model", ('keras.layers.Dense(8, activation="relu")', "keras.layers.Dense(8)"))

RETURNS_HISTORY = """
def train_model(x_train, y_train, x_val, y_val):
    model = build_model(x_train.shape[1])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model.fit(x_train, y_train, epochs=1, verbose=0)
"""

# The article's recipe: 150 epochs in batches of 10, whatever the validation loss does. (Each answer builds
# its own network: a round may leave build_model a stub.)
NETWORK = """keras.Sequential([keras.Input(shape=(x_train.shape[1],)), keras.layers.Dense(12, activation="relu"),
                               keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="sigmoid")])"""
ARTICLE_RECIPE = f"""
def train_model(x_train, y_train, x_val, y_val):
    model = {NETWORK}
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=150, batch_size=10, verbose=0)
    return model
"""

# Early stopping that watches the training loss, which keeps falling: it never stops.
STOPS_ON_TRAINING_LOSS = f"""
def train_model(x_train, y_train, x_val, y_val):
    model = {NETWORK}
    model.compile(optimizer=keras.optimizers.Adam(0.003), loss="binary_crossentropy")
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=15, restore_best_weights=True)
    model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=150, batch_size=32, callbacks=[stop], verbose=0)
    return model
"""

MODEL_MISTAKES = [
    ("4.2", "build_model", ARTICLE_MODEL, "expected 3 layers after the input, got 2"),
    ("4.2", "build_model", FORGOT_ACTIVATION, "layer 2: expected Dense(8, activation='relu'), got Dense(8, activation='linear')"),
    ("4.3", "train_model", RETURNS_HISTORY, "train_model should return a keras.Model. Received: History", "error"),
    ("4.3", "train_model", ARTICLE_RECIPE, "it memorised its training rows"),
    ("4.3", "train_model", STOPS_ON_TRAINING_LOSS, "it memorised its training rows"),
]
test_model_mistakes_are_explained = wrong_answer_test(
    CHAPTER4, MODEL_MISTAKES, in_rounds(MODEL_MISTAKES),
    ids=["article's one hidden layer", "forgot an activation", "returned the History", "the article's 150 epochs",
         "early stopping on the training loss"],
)
