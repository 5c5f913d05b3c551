"""Chapter 4's comparison, one change at a time, over many splits instead of one.

The chapter's table (`one_change_at_a_time` in solutions/chapter4_worked_example.py) trains the
article's recipe and then makes one change per row, on one split. One split of 768 rows cannot tell
a real gain from luck, so this runs the same function, taken from the chapter's source as the grader
takes a learner's, on `--seeds` splits and reports each row's ROC AUC (mean, sd) and its paired
difference from the row above (mean, and how many sd of the mean it lies from 0):

    KERAS_BACKEND=jax .venv/bin/python tools/one_change_at_a_time.py --seeds 10
"""

from __future__ import annotations

import argparse
import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("MPLBACKEND", "Agg")

from reference_code import reference_function  # noqa: E402  (tools/reference_code.py)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    compare = reference_function("chapter4", "one_change_at_a_time")
    rows = []
    for seed in range(args.seeds):
        table = compare(seed)
        rows.append([auc for _, auc, _, _ in table])
        print(f"split {seed:2}: " + "  ".join(f"{auc:.3f}" for auc in rows[-1]), flush=True)
    scores = np.array(rows)
    print(f"\n{os.environ['KERAS_BACKEND']}, {args.seeds} splits: ROC AUC per row; paired difference from the row above")
    for i, (description, *_) in enumerate(table):
        line = f"{description:<52} {scores[:, i].mean():.3f} (sd {scores[:, i].std(ddof=1):.3f})"
        if i:
            change = scores[:, i] - scores[:, i - 1]
            z = change.mean() / (change.std(ddof=1) / np.sqrt(len(change)))
            line += f"   {change.mean():+.3f} ({z:+.1f} sd of the mean)"
        print(line)


if __name__ == "__main__":
    main()
