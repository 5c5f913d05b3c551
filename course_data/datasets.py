"""Load the small real datasets that ship with the course, checked against their checksums.

The files live in the repository's ``datasets/`` folder (an installed wheel carries them in
``course_data/_datasets/``) and are described by ``datasets/manifest.toml`` (source, licence,
citation, sha256). Nothing is downloaded: a missing or altered file raises :class:`DatasetError`
naming the command that rebuilds it.

Example:
    >>> from course_data import load_pima
    >>> features, labels = load_pima()
    >>> features.shape, labels.shape
    ((768, 8), (768,))
"""

from __future__ import annotations

import csv
import difflib
import functools
import hashlib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable

import numpy as np

import tomllib

# A wheel carries the files inside the package; a checkout keeps them beside it, in the repository.
_PACKAGED = Path(__file__).resolve().parent / "_datasets"
DATASETS_DIR: Path = _PACKAGED if _PACKAGED.is_dir() else Path(__file__).resolve().parent.parent / "datasets"
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
ROTTEN_TOMATOES_COLUMNS = ("text", "label")
BIBLE_COLUMNS = ("reference", "english", "spanish")


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
def _read_manifest(datasets_dir: Path) -> dict[str, dict[str, Any]]:
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
        ['bible_en_es', 'mnist_5k', 'pima', 'rotten_tomatoes', 'spoken_digits', 'sunspots']
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


def _read_text_table(path: Path, expected_header: tuple[str, ...], delimiter: str) -> list[list[str]]:
    # UTF-8 text with a header; csv handles the quoted commas in review snippets.
    with path.open(encoding="utf-8", newline="") as stream:
        if delimiter == "\t":  # the TSV has no quoting: fields never hold tabs or newlines
            reader = csv.reader(stream, delimiter="\t", quoting=csv.QUOTE_NONE)
        else:
            reader = csv.reader(stream)
        header = tuple(next(reader, ()))
        if header != expected_header:
            raise DatasetError(f"{path}: expected columns {expected_header}, received {header}.")
        rows = list(reader)
    if any(len(row) != len(expected_header) for row in rows):
        raise DatasetError(f"{path}: a row does not have {len(expected_header)} fields.")
    return rows


def load_rotten_tomatoes() -> tuple[np.ndarray, np.ndarray]:
    """Load 12808 Rotten Tomatoes review snippets labelled fresh (1) or rotten (0).

    The snippets are in source order, grouped by movie: shuffle before splitting.
    Text is as written (case, punctuation, curly quotes), whitespace normalised.

    Returns:
        ``(texts, labels)``: a NumPy str array (12808,) (dtype ``<U…``, not
        object) and an int64 array (12808,) with 1 = fresh (positive, 7403 of
        them) and 0 = rotten (negative, 5405). New arrays on every call.

    Example:
        >>> texts, labels = load_rotten_tomatoes()
        >>> str(texts[0]), int(labels[0])
        ('A three-hour cinema master class.', 1)
    """
    rows = _read_text_table(verify("rotten_tomatoes"), ROTTEN_TOMATOES_COLUMNS, ",")
    texts = np.array([text for text, _ in rows], dtype=str)
    labels = np.array([int(label) for _, label in rows], dtype=np.int64)
    return texts, labels


def load_spoken_digit_lengths() -> np.ndarray:
    """Load the true number of frames of each spoken-digit recording.

    Returns:
        An int64 array (3000,) in the order of :func:`load_spoken_digits`
        (min 6, median 17, max 92 frames). A new array on every call.

    Example:
        >>> lengths = load_spoken_digit_lengths()
        >>> int(lengths.min()), int(lengths.max())
        (6, 92)
    """
    with np.load(verify("spoken_digits"), allow_pickle=False) as archive:
        lengths: np.ndarray = archive["lengths"].astype(np.int64)
        return lengths


def load_spoken_digits() -> tuple[np.ndarray, np.ndarray]:
    """Load 3000 spoken digits 0-9 as MFCC sequences zero-padded to the longest recording.

    Each recording is a sequence of frames of 13 MFCCs; recordings last 6 to 92
    frames, so each is padded at the end with frames of 0.0 up to 92. No real
    frame is all zeros, so ``keras.layers.Masking(mask_value=0.0)`` masks exactly
    the padding; :func:`load_spoken_digit_lengths` gives the true lengths.
    The values were stored as float16 (relative error under 5e-4).

    Returns:
        ``(features, labels)``: float32 array (3000, 92, 13) and int64 array
        (3000,) of digits 0-9, 300 of each, in shuffled source order. New arrays
        on every call.

    Example:
        >>> features, labels = load_spoken_digits()
        >>> features.shape, np.bincount(labels).tolist() == [300] * 10
        ((3000, 92, 13), True)
    """
    with np.load(verify("spoken_digits"), allow_pickle=False) as archive:
        frames = archive["features"].astype(np.float32)
        lengths = archive["lengths"].astype(np.int64)
        labels = archive["labels"].astype(np.int64)
    if int(lengths.sum()) != len(frames):
        raise DatasetError("spoken_digits: the lengths do not add up to the number of frames.")
    features = np.zeros((len(lengths), int(lengths.max()), frames.shape[1]), dtype=np.float32)
    # Frame t of recording i is in the padded array where t < lengths[i].
    features[np.arange(features.shape[1]) < lengths[:, None]] = frames
    return features, labels


def load_bible_pairs() -> tuple[np.ndarray, np.ndarray]:
    """Load 5997 short verse-aligned Bible pairs, English (WEB) and Spanish (Reina-Valera 1909).

    Each side has at most 15 words; rows run Genesis to Revelation. The
    references (e.g. "Gen.1.1") are in ``datasets/bible_en_es/bible_en_es.tsv``.

    Returns:
        ``(english, spanish)``: two NumPy str arrays (5997,) (dtype ``<U…``),
        row i of one the translation of row i of the other. New arrays on every call.

    Example:
        >>> english, spanish = load_bible_pairs()
        >>> str(english[0])
        'In the beginning, God created the heavens and the earth.'
        >>> str(spanish[0])
        'EN el principio crió Dios los cielos y la tierra.'
    """
    rows = _read_text_table(verify("bible_en_es"), BIBLE_COLUMNS, "\t")
    english = np.array([row[1] for row in rows], dtype=str)
    spanish = np.array([row[2] for row in rows], dtype=str)
    return english, spanish


# What a manifest may name: `data = { dataset = ... }` splits one of these into training, validation and
# held-out rows (grader/inputs.py), and an input `sentences = ...` draws rows from one of these corpora.
TRAINING_SETS: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
    "pima": load_pima,
    "mnist_5k": load_mnist_5k,
    "sunspots": load_sunspots,  # (dates, values): windowed with `window`
    "rotten_tomatoes": load_rotten_tomatoes,  # (texts, labels): encoded with `vocabulary` and `length`
    "spoken_digits": load_spoken_digits,  # zero-padded sequences of MFCC frames
    "bible_en_es": load_bible_pairs,  # (English, Spanish) verses: encoded as pairs with `translation`
}
CORPORA: dict[str, Callable[[], np.ndarray]] = {
    "rotten_tomatoes": lambda: load_rotten_tomatoes()[0],
    "bible_en": lambda: load_bible_pairs()[0],
    "bible_es": lambda: load_bible_pairs()[1],
}
