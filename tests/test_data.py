"""Tests for grader.data: the shipped datasets match their manifest and load as documented."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from grader import data

DATASET_NAMES = ("mnist_5k", "pima", "sunspots")


@pytest.fixture
def datasets_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point grader.data at a private copy of datasets/ that a test may damage."""
    copy = tmp_path / "datasets"
    shutil.copytree(data.DATASETS_DIR, copy, ignore=shutil.ignore_patterns("build"))
    monkeypatch.setattr(data, "DATASETS_DIR", copy)
    return copy


def test_manifest_lists_the_three_datasets() -> None:
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
    assert info.rebuild.startswith(f"python datasets/build/{name}.py")
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


@pytest.mark.parametrize("loader", [data.load_pima, data.load_mnist_5k, data.load_sunspots])
def test_loaders_return_fresh_arrays(loader) -> None:
    first_x, first_y = loader()
    first_x[...] = -1
    first_y[...] = -1
    second_x, second_y = loader()
    assert second_x.min() >= 0 and second_y.min() >= 0


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
    assert "mnist_5k, pima, sunspots" in str(raised.value)
    with pytest.raises(ValueError, match="Known datasets"):
        data.verify("cifar10")
