"""Plausible wrong answers fail, with a message that points at the mistake."""

from __future__ import annotations

import re

import pytest

from grader.build import read_source
from grader.chapters import discover, resolve
from helpers import learner_notebook_with, messages, solution_cell, statuses

pytestmark = pytest.mark.slow

CHAPTER4 = resolve("chapter4")


def reference_only_cells(chapter) -> str:
    return "\n\n".join(c.source for c in read_source(chapter).cells if "reference-only" in c.metadata.get("tags", []))


KNOWN_MISTAKES = [(c, e, m) for c in discover() for e in c.spec.exercises for m in e.mistakes]


def mistake_as_answer(chapter, exercise, mistake) -> str:
    """The mistake, submitted under the entry point's name.

    Mistakes are often written from the reference (calling it, or subclassing
    it), so the reference is kept under another name that the mistakes use.
    """
    entry = re.compile(rf"\b{re.escape(exercise.entry)}\b")
    kept = f"_reference_{exercise.entry}"
    reference = entry.sub(kept, solution_cell(chapter, exercise.entry))
    mistakes = entry.sub(kept, reference_only_cells(chapter))
    return f"{reference}\n\n{mistakes}\n\n{exercise.entry} = {mistake.function}\n"


@pytest.mark.parametrize(("chapter", "exercise", "mistake"), KNOWN_MISTAKES, ids=[m.function for _, _, m in KNOWN_MISTAKES])
def test_every_known_mistake_is_named(tmp_path, run_grader, chapter, exercise, mistake):
    """Each mistake in a manifest, submitted as the learner's answer, fails with its own message."""
    code = mistake_as_answer(chapter, exercise, mistake)
    notebook = learner_notebook_with(chapter, {exercise.entry: code}, tmp_path / "learner.ipynb")
    _, report = run_grader("check", chapter.name, "-e", exercise.id, "--backend", "jax", "--notebook", str(notebook))
    assert statuses(report) == {exercise.id: "failed"}, messages(report)
    assert mistake.message in messages(report)[exercise.id]


ARTICLE_MODEL = """
def build_model(n_features):
    model = keras.Sequential()
    model.add(keras.layers.Dense(10, input_shape=(n_features,), activation="relu"))
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    return model
"""

FORGOT_ACTIVATION = """
def build_model(n_features):
    return keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(12, activation="relu"),
        keras.layers.Dense(8),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
"""

RETURNS_HISTORY = """
def train_model(x_train, y_train, x_val, y_val):
    model = build_model(x_train.shape[1])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model.fit(x_train, y_train, epochs=1, verbose=0)
"""


@pytest.mark.parametrize(
    ("exercise", "entry", "code", "expected"),
    [
        ("4.2", "build_model", ARTICLE_MODEL, "expected 3 layers after the input, got 2"),
        ("4.2", "build_model", FORGOT_ACTIVATION, "layer 2: expected Dense(8, activation='relu'), got Dense(8, activation='linear')"),
        ("4.3", "train_model", RETURNS_HISTORY, "train_model should return a keras.Model. Received: History"),
    ],
    ids=["article's one hidden layer", "forgot an activation", "returned the History"],
)
def test_model_mistakes_are_explained(tmp_path, run_grader, exercise, entry, code, expected):
    replacements = {entry: code}
    if entry == "train_model":
        replacements["build_model"] = solution_cell(CHAPTER4, "build_model")
    notebook = learner_notebook_with(CHAPTER4, replacements, tmp_path / "learner.ipynb")
    _, report = run_grader("check", "chapter4", "-e", exercise, "--backend", "jax", "--notebook", str(notebook))
    assert statuses(report)[exercise] in ("failed", "error")
    assert expected in messages(report)[exercise]
