"""Tests for course_data.datasets: the shipped datasets match their manifest and load as documented."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from course_data import datasets as data

DATASET_NAMES = ("bible_en_es", "mnist_5k", "pima", "rotten_tomatoes", "spoken_digits", "sunspots")


@pytest.fixture
def datasets_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point course_data at a private copy of datasets/ that a test may damage."""
    copy = tmp_path / "datasets"
    shutil.copytree(data.DATASETS_DIR, copy, ignore=shutil.ignore_patterns("build"))
    monkeypatch.setattr(data, "DATASETS_DIR", copy)
    return copy


def test_manifest_lists_the_six_datasets() -> None:
    assert tuple(info.name for info in data.all_datasets()) == DATASET_NAMES


@pytest.mark.parametrize("name", DATASET_NAMES)
def test_committed_file_matches_manifest_checksum_and_size(name: str) -> None:
    info = data.dataset_info(name)
    content = info.file.read_bytes()
    assert hashlib.sha256(content).hexdigest() == info.sha256
    assert len(content) == info.bytes
    assert data.verify(name) == info.file


@pytest.mark.parametrize("name", DATASET_NAMES)
def test_manifest_entry_records_provenance(name: str) -> None:
    info = data.dataset_info(name)
    for field in ("title", "description", "licence", "citation", "source_package",
                  "source_version", "source_path", "rebuild"):
        assert getattr(info, field).strip(), f"[{name}] {field} is empty"
    # bible_en_es needs Debian's python3-sword, so its command installs that first.
    assert re.search(rf"(^|&& )(python|/usr/bin/python3) datasets/build/{name}\.py$", info.rebuild)
    assert (data.DATASETS_DIR / "build" / f"{name}.py").is_file()
    assert isinstance(info.used_by, tuple)


def test_load_pima_shapes_dtypes_and_class_counts() -> None:
    features, labels = data.load_pima()
    assert features.shape == (768, 8) and features.dtype == np.float32
    assert labels.shape == (768,) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [500, 268]
    assert len(data.PIMA_FEATURES) == features.shape[1]
    # The classic file's column means, e.g. glucose 120.89 and bmi 31.99.
    np.testing.assert_allclose(features.mean(axis=0)[[1, 5]], [120.894531, 31.992578], rtol=1e-5)
    assert data.dataset_info("pima").rows == len(labels)


def test_load_mnist_5k_shapes_dtypes_range_and_class_counts() -> None:
    images, labels = data.load_mnist_5k()
    assert images.shape == (5000, 28, 28) and images.dtype == np.float32
    assert labels.shape == (5000,) and labels.dtype == np.int64
    assert images.min() == 0.0 and images.max() == 1.0
    assert np.bincount(labels).tolist() == [500] * 10
    assert np.all(np.diff(labels) >= 0), "documented as sorted by label"
    assert data.dataset_info("mnist_5k").rows == len(labels)


def test_load_sunspots_is_a_monthly_series_in_time_order() -> None:
    dates, sunspots = data.load_sunspots()
    assert dates.shape == sunspots.shape == (3126,)
    assert dates.dtype == np.float64 and sunspots.dtype == np.float32
    np.testing.assert_allclose(np.diff(dates), 1 / 12)
    assert round(float(dates[0]), 2) == 1749.04 and float(sunspots[0]) == 58.0
    assert float(sunspots.min()) >= 0.0
    assert data.dataset_info("sunspots").rows == len(dates)


def test_load_rotten_tomatoes_shapes_dtypes_and_class_counts() -> None:
    texts, labels = data.load_rotten_tomatoes()
    assert texts.shape == labels.shape == (12808,)
    assert texts.dtype.kind == "U" and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [5405, 7403]
    assert str(texts[0]) == "A three-hour cinema master class." and labels[0] == 1
    assert all(text == " ".join(text.split()) and text for text in texts.tolist())
    assert sum("," in text for text in texts.tolist()) > 5000, "quoted commas round-trip"
    assert data.dataset_info("rotten_tomatoes").used_by == ("chapter5",)
    assert data.dataset_info("rotten_tomatoes").rows == len(labels)


def test_load_spoken_digits_is_zero_padded_exactly_past_each_length() -> None:
    features, labels = data.load_spoken_digits()
    lengths = data.load_spoken_digit_lengths()
    assert features.shape == (3000, 92, 13) and features.dtype == np.float32
    assert labels.shape == lengths.shape == (3000,)
    assert labels.dtype == np.int64 and lengths.dtype == np.int64
    assert np.bincount(labels).tolist() == [300] * 10
    assert (int(lengths.min()), float(np.median(lengths)), int(lengths.max())) == (6, 17.0, 92)
    assert int(lengths.sum()) == 53999
    # What keras.layers.Masking(mask_value=0.0) masks: the time steps that are all 0.0.
    all_zero_steps = np.all(features == 0.0, axis=2)
    assert np.array_equal(all_zero_steps, np.arange(92) >= lengths[:, None])
    assert np.isfinite(features).all()
    assert data.dataset_info("spoken_digits").rows == len(labels)


def test_load_bible_pairs_are_short_aligned_and_plain_text() -> None:
    english, spanish = data.load_bible_pairs()
    assert english.shape == spanish.shape == (5997,)
    assert english.dtype.kind == "U" and spanish.dtype.kind == "U"
    assert str(english[0]) == "In the beginning, God created the heavens and the earth."
    assert str(spanish[0]) == "EN el principio crió Dios los cielos y la tierra."
    for text in english.tolist() + spanish.tolist():
        assert 1 <= len(text.split()) <= 15
        assert "<" not in text and ">" not in text and text == " ".join(text.split())
    info = data.dataset_info("bible_en_es")
    references = [line.split("\t", 1)[0] for line in info.file.read_text(encoding="utf-8").splitlines()]
    assert references[0] == "reference" and references[1:3] == ["Gen.1.1", "Gen.1.3"]
    assert references[-1] == "Rev.22.21" and len(set(references)) == len(references)
    assert info.rows == len(english)


@pytest.mark.parametrize(
    "loader",
    [data.load_pima, data.load_mnist_5k, data.load_sunspots, data.load_spoken_digits],
)
def test_loaders_return_fresh_arrays(loader) -> None:
    first_x, first_y = loader()
    first_x[...] = -1
    first_y[...] = -1
    second_x, second_y = loader()
    assert second_x.min() >= 0 or loader is data.load_spoken_digits
    assert second_y.min() >= 0
    assert not np.shares_memory(first_x, second_x)


@pytest.mark.parametrize("loader", [data.load_rotten_tomatoes, data.load_bible_pairs])
def test_text_loaders_return_fresh_arrays(loader) -> None:
    first_x, first_y = loader()
    expected = first_x[0]
    first_x[0] = "changed"
    first_y[...] = first_y[-1]
    second_x, second_y = loader()
    assert second_x[0] == expected and not np.shares_memory(first_y, second_y)


def test_spoken_digit_lengths_are_a_fresh_array() -> None:
    first = data.load_spoken_digit_lengths()
    first[...] = 0
    assert data.load_spoken_digit_lengths().min() == 6


@pytest.mark.parametrize(
    ("name", "relative_path", "loader"),
    [
        ("rotten_tomatoes", "rotten_tomatoes/rotten_tomatoes.csv", data.load_rotten_tomatoes),
        ("spoken_digits", "spoken_digits/spoken_digits.npz", data.load_spoken_digits),
        ("spoken_digits", "spoken_digits/spoken_digits.npz", data.load_spoken_digit_lengths),
        ("bible_en_es", "bible_en_es/bible_en_es.tsv", data.load_bible_pairs),
    ],
)
def test_chapter5_checksum_mismatch_raises(datasets_copy: Path, name: str, relative_path: str, loader) -> None:
    path = datasets_copy / relative_path
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 1
    path.write_bytes(bytes(content))
    with pytest.raises(data.DatasetError, match="corrupted or was changed") as raised:
        loader()
    assert data.dataset_info(name).sha256 in str(raised.value)
    assert f"datasets/build/{name}.py" in str(raised.value)


def test_corrupted_file_raises_dataset_error_with_checksums_and_fix(datasets_copy: Path) -> None:
    pima_file = datasets_copy / "pima" / "pima.csv"
    content = bytearray(pima_file.read_bytes())
    content[-3] ^= 1  # flip one bit in the last row
    pima_file.write_bytes(bytes(content))

    with pytest.raises(data.DatasetError) as raised:
        data.load_pima()
    message = str(raised.value)
    assert "'pima'" in message and str(pima_file) in message
    assert data.dataset_info("pima").sha256 in message
    assert hashlib.sha256(content).hexdigest() in message
    assert "python datasets/build/pima.py" in message
    assert isinstance(raised.value, RuntimeError)


def test_file_changed_after_a_successful_check_is_caught(datasets_copy: Path) -> None:
    sunspots_file = datasets_copy / "sunspots" / "sunspots_monthly.csv"
    data.verify("sunspots")
    with sunspots_file.open("a") as stream:
        stream.write("2009,7,3.0\n")
    with pytest.raises(data.DatasetError, match="corrupted or was changed"):
        data.verify("sunspots")


def test_missing_file_raises_dataset_error(datasets_copy: Path) -> None:
    (datasets_copy / "mnist_5k" / "mnist_5k.npz").unlink()
    with pytest.raises(data.DatasetError, match="does not exist.*python datasets/build/mnist_5k.py"):
        data.load_mnist_5k()


def test_unknown_name_suggests_the_close_match() -> None:
    with pytest.raises(ValueError, match=r"Unknown dataset 'pmia'\. Did you mean 'pima'\?") as raised:
        data.dataset_info("pmia")
    assert "bible_en_es, mnist_5k, pima, rotten_tomatoes, spoken_digits, sunspots" in str(raised.value)
    with pytest.raises(ValueError, match="Known datasets"):
        data.verify("cifar10")
