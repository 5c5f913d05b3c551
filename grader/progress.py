"""The learner's progress: results and hints seen, in a small local state file.

The file is `.grader/state.json` at the project root (override with
`GRADER_STATE`), never inside a notebook. Each result is saved as soon as it
is known, by writing a new file and renaming it over the old one, so a check
that crashes half-way loses nothing recorded before the crash.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from .locations import INSTALLED, PROJECT_ROOT
from .results import BackendReport

STATE_VERSION = 1


def state_path() -> Path:
    """Where the state lives: `$GRADER_STATE`, else `.grader/` in the checkout, else the user's state folder
    (an installed package's folder is no place for a learner's progress)."""
    if os.environ.get("GRADER_STATE"):
        return Path(os.environ["GRADER_STATE"])
    if INSTALLED:
        return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "grader" / "state.json"
    return PROJECT_ROOT / ".grader" / "state.json"


def load_state() -> dict[str, Any]:
    """The saved state, or an empty one (an unreadable file is set aside, not trusted)."""
    path = state_path()
    try:
        state: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))  # any other JSON fails .get
        if state.get("version") == STATE_VERSION:
            return state
    except FileNotFoundError:
        pass
    except (OSError, ValueError, AttributeError):
        path.replace(path.with_suffix(".unreadable.json"))
    return {"version": STATE_VERSION, "results": {}, "hints": {}}


def save_state(state: dict[str, Any]) -> None:
    """Write atomically: the old file stays whole until the new one is complete."""
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".state-", suffix=".json")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        json.dump(state, file, indent=1, sort_keys=True)
    os.replace(temporary, path)


def record(chapter: str, report: BackendReport) -> None:
    """Remember every result of one backend of one check."""
    state = load_state()
    chapter_results = state["results"].setdefault(chapter, {})
    for result in report.exercises:
        chapter_results.setdefault(result.id, {})[report.backend] = {
            "status": result.status.value,
            "score": result.score,
            "max_score": result.max_score,
            "message": result.message,
            "at": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
    save_state(state)


def next_hint(exercise_id: str, hints: tuple[str, ...]) -> tuple[int, str]:
    """The next hint not yet seen (1-based number and text); the last one again once all are seen."""
    state = load_state()
    seen = int(state["hints"].get(exercise_id, 0))
    number = min(seen + 1, len(hints))
    state["hints"][exercise_id] = number
    save_state(state)
    return number, hints[number - 1]


def reset() -> None:
    """Forget every result and hint."""
    path = state_path()
    if path.exists():
        path.unlink()
