"""The calibration file: one typed, versioned reader and writer, and a clear refusal of anything else."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from grader import calibration
from grader.chapters import discover

SHIPPED = [c for c in discover() if c.calibration.exists()]


@pytest.mark.parametrize("chapter", SHIPPED, ids=[c.name for c in SHIPPED])
def test_every_shipped_file_reads_and_writes_back_unchanged(chapter, tmp_path):
    read = calibration.read(chapter.calibration, chapter.name)
    assert read.version == calibration.VERSION and (read.exercises or read.tolerances)
    copy = tmp_path / chapter.calibration.name
    calibration.write(copy, read)
    assert copy.read_text() == chapter.calibration.read_text()


def test_a_missing_file_is_an_empty_calibration(tmp_path):
    assert calibration.read(tmp_path / "none.json", "chapter9") == calibration.Calibration("chapter9")


def test_runs_that_did_not_finish_read_as_none_and_empty_lists_are_left_out(tmp_path):
    runs = calibration.Runs(seeds=(0, 1), values=(0.8, None), times_s=(2.0, None))
    written = calibration.Calibration("chapter9", exercises={"9.1": calibration.ThresholdRuns("accuracy", "c", {"jax": runs})})
    path = tmp_path / "c.json"
    calibration.write(path, written)
    assert "gaps" not in json.loads(path.read_text())["exercises"]["9.1"]["backends"]["jax"]
    assert calibration.read(path, "chapter9") == written


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("version"), "expected version 1. Received: version=None. Rewrite it: grader calibrate"),
        (lambda d: d.update(version=2), "expected version 1. Received: version=2."),
        (lambda d: d["exercises"]["4.3"].pop("metric"), "a required field is missing: 'metric'."),
        (lambda d: d["exercises"]["4.3"]["backends"]["jax"]["values"].__setitem__(0, "0.8"),
         "values holds '0.8', not a number."),
        (lambda d: d["tolerances"]["4.1"].update(seeds=True), "expected int, received True."),
    ],
    ids=["no version", "a newer version", "a missing field", "a string for a number", "a boolean for a count"],
)
def test_a_file_in_another_layout_is_refused_with_the_reason(tmp_path, change, message):
    chapter4 = next(c for c in SHIPPED if c.number == 4)
    data = json.loads(chapter4.calibration.read_text())
    change(data)
    path = tmp_path / chapter4.calibration.name
    path.write_text(json.dumps(data))
    with pytest.raises(calibration.CalibrationError) as caught:
        calibration.read(path, "chapter4")
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)


def test_the_writers_merge_into_what_is_there(tmp_path):
    from grader.calibrate import Measurement, save_calibration
    from grader.chapters import Chapter
    from grader.tolerances import Spread, save_spreads

    chapter4 = next(c for c in SHIPPED if c.number == 4)
    copy = Chapter(chapter4.number, chapter4.stem, tmp_path, tmp_path)
    copy.calibration.write_text(chapter4.calibration.read_text())
    exercise = chapter4.spec.exercise("4.3")
    measured = Measurement(exercise, "jax", (0,), (0.8123456789,), (1.23456,), (), (), (0.6612345678,), (), (True,), "3.0", "0.1")
    save_calibration(copy, [measured])
    save_spreads(copy, [Spread(chapter4.spec.exercise("4.4"), 3, 1e-7, 2e-6)])
    merged = calibration.read(copy.calibration, "chapter4")
    before = calibration.read(chapter4.calibration, "chapter4")
    assert merged.exercises["4.3"].backends["jax"] == calibration.Runs((0,), (0.812346,), (1.235,), random_label_losses=(0.661235,),
                                                                       keras_version="3.0", backend_version="0.1")
    assert merged.exercises["4.3"].backends["torch"] == before.exercises["4.3"].backends["torch"]
    assert merged.tolerances["4.4"] == calibration.Spread(
        3, 1e-7, 2e-6, "grader calibrate chapter4 --tolerances --backend all --seeds 3 --write")
    assert merged.tolerances["4.1"] == before.tolerances["4.1"]
    assert replace(merged, measured_on={}).chapter == "chapter4"
