"""How clearly 8.5's correct model overfits one batch: the largest last/first loss ratio over many draws.

8.5's probe (`probe_one_batch` in solutions/chapter8_faq.py) hands the learner's `overfits_one_batch` a
correct model, built by `_suspect`, and buggy ones whose loss cannot move (ratio exactly 1); the verdict
is "overfits" when the ratio is below 0.1. This takes `_suspect` from the chapter's source, trains it
full-batch on draws shaped like the probe's (32 rows, 4 to 9 features, random labels), and prints the
worst ratio, which must stay well below 0.1 on every backend:

    KERAS_BACKEND=tensorflow .venv/bin/python tools/one_batch_margin.py --draws 30 --steps 60
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")

from reference_code import reference_function  # noqa: E402  (tools/reference_code.py)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=30)
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    suspect = reference_function("chapter8", "_suspect")
    ratios, started = [], time.perf_counter()
    for draw in range(args.draws):
        rng = np.random.default_rng(1000 + draw)
        n_features = int(rng.integers(4, 10))
        x = rng.normal(size=(32, n_features)).astype("float32")
        y = rng.integers(0, 2, 32).astype("float32")
        losses = suspect(n_features, draw).fit(x, y, epochs=args.steps, batch_size=32, shuffle=False, verbose=0).history["loss"]
        ratios.append(losses[-1] / losses[0])
    print(f"{os.environ['KERAS_BACKEND']}: {args.draws} draws, {args.steps} steps: last/first loss "
          f"median {np.median(ratios):.4f}, worst {max(ratios):.4f} ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
