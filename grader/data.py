"""Load the small real datasets that ship with the course, checked against their checksums.

The files live in the repository's ``datasets/`` folder and are described by
``datasets/manifest.toml`` (source, licence, citation, sha256). Nothing is
downloaded: a missing or altered file raises :class:`DatasetError` naming the
command that rebuilds it.

Example:
    >>> from grader.data import load_pima
    >>> features, labels = load_pima()
    >>> features.shape, labels.shape
    ((768, 8), (768,))
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import sys
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

DATASETS_DIR: Path = Path(__file__).resolve().parents[1] / "datasets"
MANIFEST_NAME = "manifest.toml"

PIMA_FEATURES: tuple[str, ...] = (
    "pregnancies",
    "glucose",
    "blood_pressure",
    "skin_thickness",
    "insulin",
    "bmi",
    "diabetes_pedigree",
    "age",
)
PIMA_LABEL = "outcome"
SUNSPOTS_COLUMNS = ("year", "month", "sunspots")


class DatasetError(RuntimeError):
    """A shipped dataset file is missing, altered, or not in the expected layout."""


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset's entry in ``datasets/manifest.toml``, with ``file`` made absolute."""

    name: str
    title: str
    file: Path
    sha256: str
    bytes: int
    rows: int
    description: str
    licence: str
    citation: str
    source_package: str
    source_version: str
    source_path: str
    rebuild: str
    used_by: tuple[str, ...]


@functools.cache
def _read_manifest(datasets_dir: Path) -> dict[str, dict]:
    # Keyed on the folder so that tests pointing DATASETS_DIR elsewhere get their own copy.
    manifest_path = datasets_dir / MANIFEST_NAME
    try:
        return tomllib.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(
            f"Dataset manifest not found at {manifest_path}. "
            "Restore it with `git checkout -- datasets/manifest.toml`."
        ) from None


def dataset_info(name: str) -> DatasetInfo:
    """Return the manifest entry of one dataset.

    Args:
        name: the dataset's name in the manifest, e.g. "pima".

    Returns:
        Its :class:`DatasetInfo`, with ``file`` an absolute path.

    Raises:
        ValueError: no dataset has that name; the message lists the known names.

    Example:
        >>> dataset_info("pima").rows
        768
    """
    manifest = _read_manifest(DATASETS_DIR)
    if name not in manifest:
        close_matches = difflib.get_close_matches(str(name), list(manifest), n=1)
        suggestion = f" Did you mean {close_matches[0]!r}?" if close_matches else ""
        raise ValueError(
            f"Unknown dataset {name!r}.{suggestion} Known datasets: {', '.join(sorted(manifest))}."
        )
    entry = {**manifest[name], "name": name}
    field_names = [field.name for field in fields(DatasetInfo)]
    missing = [field_name for field_name in field_names if field_name not in entry]
    if missing:
        raise DatasetError(f"{MANIFEST_NAME} entry [{name}] lacks the keys {missing}.")
    entry["file"] = DATASETS_DIR / entry["file"]
    entry["used_by"] = tuple(entry["used_by"])
    return DatasetInfo(**{field_name: entry[field_name] for field_name in field_names})


def all_datasets() -> tuple[DatasetInfo, ...]:
    """Return the manifest entries of every shipped dataset, sorted by name.

    Returns:
        One :class:`DatasetInfo` per dataset.

    Example:
        >>> [info.name for info in all_datasets()]
        ['mnist_5k', 'pima', 'sunspots']
    """
    return tuple(dataset_info(name) for name in sorted(_read_manifest(DATASETS_DIR)))


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@functools.cache
def _hash_unchanged_file(path: Path, size: int, mtime_ns: int) -> str:
    # Hashing MNIST takes milliseconds, but loaders run many times per grading
    # run. Size and mtime are part of the key so a rewritten file is hashed again.
    return _sha256_of(path)


def verify(name: str) -> Path:
    """Check that a dataset's file exists and matches the checksum in the manifest.

    Args:
        name: the dataset's name in the manifest, e.g. "mnist_5k".

    Returns:
        The absolute path of the verified file.

    Raises:
        DatasetError: the file is missing or its sha256 differs from the manifest;
            the message gives both checksums and the command that rebuilds the file.

    Example:
        >>> verify("sunspots").name
        'sunspots_monthly.csv'
    """
    info = dataset_info(name)
    how_to_fix = (
        f"Restore it with `git checkout -- {info.file}` or rebuild it with "
        f"`{info.rebuild}` (see datasets/README.md)."
    )
    if not info.file.is_file():
        raise DatasetError(f"Dataset {name!r}: file {info.file} does not exist. {how_to_fix}")
    status = info.file.stat()
    received_sha256 = _hash_unchanged_file(info.file, status.st_size, status.st_mtime_ns)
    if received_sha256 != info.sha256:
        raise DatasetError(
            f"Dataset {name!r}: file {info.file} is corrupted or was changed. "
            f"Expected sha256 {info.sha256} ({info.bytes} bytes), "
            f"received sha256 {received_sha256} ({status.st_size} bytes). {how_to_fix}"
        )
    return info.file


def _read_csv_with_header(path: Path, expected_header: tuple[str, ...]) -> np.ndarray:
    # Checking the header guards against a file that passes the checksum only
    # because someone updated the manifest along with a reshuffled file.
    with path.open(encoding="ascii") as stream:
        header = tuple(stream.readline().strip().split(","))
        if header != expected_header:
            raise DatasetError(f"{path}: expected columns {expected_header}, received {header}.")
        return np.loadtxt(stream, delimiter=",", dtype=np.float64, ndmin=2)


def load_pima() -> tuple[np.ndarray, np.ndarray]:
    """Load the Pima Indians Diabetes data (768 women, 268 tested positive).

    Zeros in glucose, blood_pressure, skin_thickness, insulin and bmi mean
    "not measured", as in the original data. Feature order is PIMA_FEATURES.

    Returns:
        ``(features, labels)``: float32 array (768, 8) and int64 array (768,)
        with 1 = tested positive for diabetes, 0 = negative. New arrays on every call.

    Example:
        >>> features, labels = load_pima()
        >>> int(labels.sum())
        268
    """
    table = _read_csv_with_header(verify("pima"), PIMA_FEATURES + (PIMA_LABEL,))
    return table[:, :-1].astype(np.float32), table[:, -1].astype(np.int64)


def load_mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """Load 5000 MNIST digits, 500 per class, SORTED BY LABEL (shuffle before splitting).

    Returns:
        ``(images, labels)``: float32 array (5000, 28, 28) scaled to [0, 1]
        (0 = background) and int64 array (5000,) of digits 0-9. New arrays on every call.

    Example:
        >>> images, labels = load_mnist_5k()
        >>> images.shape, float(images.max())
        ((5000, 28, 28), 1.0)
    """
    with np.load(verify("mnist_5k"), allow_pickle=False) as archive:
        images = archive["images"].astype(np.float32) / np.float32(255)
        labels = archive["labels"].astype(np.int64)
    return images, labels


def load_sunspots() -> tuple[np.ndarray, np.ndarray]:
    """Load the monthly mean sunspot numbers from January 1749 to June 2009, in time order.

    Each month is dated at its middle as a fractional year: January 1749 is
    1749 + 0.5 / 12 = 1749.0417.

    Returns:
        ``(dates, sunspots)``: float64 array (3126,) of fractional years and
        float32 array (3126,) of monthly mean sunspot numbers. New arrays on every call.

    Example:
        >>> dates, sunspots = load_sunspots()
        >>> round(float(dates[0]), 2), float(sunspots[0])
        (1749.04, 58.0)
    """
    table = _read_csv_with_header(verify("sunspots"), SUNSPOTS_COLUMNS)
    years, months, sunspots = table.T
    dates = years + (months - 0.5) / 12
    return dates, sunspots.astype(np.float32)
