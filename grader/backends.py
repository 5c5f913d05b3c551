"""Which Keras backends are installed, and which one Keras would pick.

Nothing here imports a framework: `find_spec` only looks for it.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
from pathlib import Path

from .spec import BACKENDS

_MODULES = {"jax": "jax", "tensorflow": "tensorflow", "torch": "torch"}


def installed_backends() -> list[str]:
    """The backends whose framework can be imported here."""
    return [name for name in BACKENDS if importlib.util.find_spec(_MODULES[name]) is not None]


def installed_versions(backend: str) -> dict[str, str]:
    """Keras's and the backend's versions as a worker reports them (`keras.__version__`), read from the
    installed packages' metadata: for a report where no worker had to start."""
    return {"keras_version": _version("keras"), "backend_version": _version(_MODULES[backend], f"{_MODULES[backend]}-cpu")}


def _version(*distributions: str) -> str:
    for distribution in distributions:
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    return ""


def keras_config_path() -> Path:
    """Where Keras keeps `keras.json` (`$KERAS_HOME`, else `~/.keras`)."""
    home = os.environ.get("KERAS_HOME") or str(Path.home() / ".keras")
    return Path(home) / "keras.json"


def default_backend() -> str:
    """`KERAS_BACKEND`, else the backend in `keras.json`, else Keras's own default."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    try:
        config = json.loads(keras_config_path().read_text())
        return str(config.get("backend", "tensorflow"))
    except (OSError, ValueError):
        return "tensorflow"


def resolve_backends(choice: str | None) -> list[str]:
    """The backends to grade on for `--backend` (`None` means Keras's default).

    Raises:
        ValueError: an unknown or uninstalled backend, saying how to install it.
    """
    installed = installed_backends()
    if choice == "all":
        if not installed:
            raise ValueError("No Keras backend is installed. Install one: pip install -e '.[jax]'")
        return installed
    backend = choice or default_backend()
    if backend not in BACKENDS:
        raise ValueError(f"Unknown backend {backend!r}: expected one of {', '.join(BACKENDS)} or all.")
    if backend not in installed:
        raise ValueError(
            f"The {backend} backend is not installed here (installed: {', '.join(installed) or 'none'}). "
            f"Install it with: pip install -e '.[{backend}]' -c constraints/cpu.txt"
        )
    return [backend]
