"""A Gradescope autograder bundle that grades each submission as `grader grade` would, inside Gradescope.

Gradescope unpacks the bundle into `/autograder/source` and runs `setup.sh` there once, as root,
when it builds the autograder's image. For each submission it copies the student's files into
`/autograder/submission`, runs `/autograder/run_autograder` (a copy of ours) and reads
`/autograder/results/results.json`, in the schema of
https://gradescope-autograders.readthedocs.io/en/latest/specs/ (checked in tests/data).

The bundle holds the grader, the chapter's solutions and manifest, the datasets and
`gradescope.json`: the chapter, exercises, backends and the batch's one seed, fixed when the
bundle is built, so every student of the assignment gets the same hidden inputs, as in a class
graded with `grader grade`. Learner code runs in the sandbox (bubblewrap, installed by
`setup.sh`); where Gradescope's container cannot create namespaces, `setup.sh` says so in the
build log and each submission is reported as an autograder failure until the bundle is rebuilt
with `--sandbox off`, which leaves Gradescope's one-submission container as the only wall.

Outcomes map onto Gradescope's: a graded notebook gets a test per exercise (its fewest points
over the backends, as in the gradebook); a hand-in that is not a readable notebook gets 0 with
the reason, which the student can fix and resubmit; a grader fault writes no results.json, so
Gradescope shows "the autograder failed" and never records a zero.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..chapters import Chapter, resolve
from ..locations import PROJECT_ROOT
from ..results import Status
from ..spec import ExerciseSpec
from .classroom import ClassPlan, stored_grading
from .exports import fewest_points
from .store import FAULT, GRADED, Grading
from .submissions import notebook_in
from .task import Unit, grade_unit

CONFIG_NAME = "gradescope.json"
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's own words
SANDBOX_MODES = ("require", "off")
_EXTRAS = {"jax": "jax", "tensorflow": "tensorflow", "torch": "torch"}
_TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"  # PyPI's torch is the 4 GB CUDA build
_SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints"}


@dataclass(frozen=True)
class BundleConfig:
    """What a bundle grades, fixed when it is built."""

    chapter: str
    exercises: tuple[str, ...]
    backends: tuple[str, ...]
    seed: int
    sandbox: str = "require"
    visibility: str = "visible"
    memory_bytes: int | None = None
    timeout_s: float | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> BundleConfig:
        fields = json.loads(text)
        return cls(**{**fields, "exercises": tuple(fields["exercises"]), "backends": tuple(fields["backends"])})


def write_bundle(chapter: Chapter, config: BundleConfig, out: Path) -> int:
    """Write the bundle's zip (setup.sh and run_autograder at its top, as Gradescope wants); its entries."""
    files = {f"project/{name}": path for name, path in _project_files(chapter).items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        _write_text(bundle, "setup.sh", _setup_script(config), mode=0o755)
        _write_text(bundle, "run_autograder", _RUN_AUTOGRADER, mode=0o755)
        _write_text(bundle, CONFIG_NAME, config.to_json(), mode=0o644)
        for name, path in sorted(files.items()):
            bundle.write(path, name)
    return len(files) + 3


def _project_files(chapter: Chapter) -> dict[str, Path]:
    """What grading needs: the grader, course_data, the datasets, this chapter's solutions; no tests, no git."""
    files = {name: PROJECT_ROOT / name for name in ("pyproject.toml", "README.md", "constraints/cpu.txt")}
    for folder in ("grader", "course_data", "datasets"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*")):
            if path.is_file() and not _SKIPPED_PARTS & set(path.parts) and path.suffix != ".pyc":
                files[path.relative_to(PROJECT_ROOT).as_posix()] = path
    for path in sorted(chapter.solutions_dir.glob(f"{chapter.stem}.*")):
        files[f"solutions/{path.name}"] = path
    return files


def _write_text(bundle: zipfile.ZipFile, name: str, text: str, mode: int) -> None:
    entry = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    entry.external_attr = (stat.S_IFREG | mode) << 16  # the scripts stay executable once Gradescope unpacks them
    entry.compress_type = zipfile.ZIP_DEFLATED
    bundle.writestr(entry, text)


def _setup_script(config: BundleConfig) -> str:
    extras = ",".join(_EXTRAS[backend] for backend in config.backends)
    torch_index = f" --extra-index-url {_TORCH_CPU_INDEX}" if "torch" in config.backends else ""
    return _SETUP.format(extras=extras, torch_index=torch_index, sandbox=config.sandbox)


_SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root in /autograder/source, when it builds the autograder's image.
# Choose a base image with Python 3.11 or newer (Ubuntu 24.04 has 3.12).
set -euo pipefail
cd "$(dirname "$0")"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3 python3-venv bubblewrap
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "The course needs Python 3.11 or newer; this image has $(python3 --version). Choose Ubuntu 24.04." >&2
    exit 1
fi
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install -q --upgrade pip
/autograder/venv/bin/pip install -q -c project/constraints/cpu.txt{torch_index} -e "project[{extras}]"
/autograder/venv/bin/python -m grader.batch.gradescope --probe {sandbox}
"""

_RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission: it grades /autograder/submission into
# /autograder/results/results.json. GRADER_PYTHON names another Python (to try the bundle elsewhere).
set -euo pipefail
here="${BASH_SOURCE[0]%/*}"
root="$(cd "$here" && pwd)"
cd "$root/source/project"
exec "${GRADER_PYTHON:-$root/venv/bin/python}" -m grader.batch.gradescope "$root"
"""


def run_autograder(root: Path) -> int:
    """Grade `root/submission` into `root/results/results.json`; 0, or 1 on a grader fault (no results)."""
    config = BundleConfig.from_json((root / "source" / CONFIG_NAME).read_text(encoding="utf-8"))
    chapter = resolve(config.chapter)
    submission = notebook_in(root / "submission", chapter.name)
    plan = ClassPlan(chapter, config.exercises, config.backends, config.seed, config.sandbox == "require",
                     config.memory_bytes, config.timeout_s)
    notebook = submission.path.read_bytes() if submission.path else b""
    gradings = []
    for backend in config.backends:
        unit = Unit(chapter.name, submission.student, backend, submission.origin, "", notebook, config.exercises,
                    config.seed, plan.sandboxed, plan.memory_bytes, plan.timeout_s, problem=submission.problem)
        outcome = grade_unit(unit)
        if outcome["outcome"] == FAULT:
            print(f"Grader fault on {backend}: {outcome['message']}\n{outcome.get('traceback', '')}")
            print("No results were written, so Gradescope records no score: fix the autograder and regrade.")
            return 1
        gradings.append(stored_grading(plan, unit, outcome))
    results = results_json(chapter, gradings, config)
    path = root / "results" / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"Wrote {path}: {results['score']:g} points.")
    return 0


def results_json(chapter: Chapter, gradings: list[Grading], config: BundleConfig) -> dict[str, Any]:
    """Gradescope's results for one student: a test per exercise, or 0 and the reason it was not graded."""
    seconds = round(sum(g.duration_s for g in gradings))
    common = {"execution_time": seconds, "visibility": config.visibility, "stdout_visibility": "hidden",
              "output_format": "text", "test_output_format": "text"}
    problem = next((g for g in gradings if g.outcome != GRADED), None)
    if problem is not None:
        advice = f"Upload your {chapter.stem}.ipynb (only that notebook) and submit again."
        return {**common, "score": 0, "output": f"Your submission could not be graded: {problem.message}. {advice}",
                "tests": []}
    tests = [_exercise_test(exercise, gradings, config.visibility)
             for exercise in chapter.spec.exercises if exercise.id in config.exercises]
    on = ", ".join(config.backends)
    return {**common, "score": sum(test["score"] for test in tests),
            "output": f"Graded on {on} (Keras {gradings[0].keras_version}), seed {config.seed}.", "tests": tests}


def _exercise_test(exercise: ExerciseSpec, gradings: list[Grading], visibility: str) -> dict[str, Any]:
    outcomes = [(g.backend, r) for g in gradings for r in g.results if r.id == exercise.id]
    counted = [result for _, result in outcomes if result.status is not Status.SKIPPED]
    lines = []
    for backend, result in outcomes:
        lines.append(f"{backend}: {result.status}. {result.message}".rstrip())
        lines += [f"    {line}" for line in result.details[:8]]
        if result.hint and not result.ok:
            lines.append(f"    Hint: {result.hint}")
    return {"name": f"{exercise.id} {exercise.title}", "number": exercise.id,
            "score": fewest_points(gradings, exercise.id), "max_score": exercise.points,
            "status": "passed" if counted and all(r.ok for r in counted) else "failed",
            "output": "\n".join(lines), "visibility": visibility}


def probe(mode: str) -> int:
    """For setup.sh's build log: whether learner code can be sandboxed in this image."""
    from .. import sandbox

    state = sandbox.probe()
    if state.available:
        print(f"The sandbox runs in this image (memory limited by {state.memory_by}).")
    elif mode == "require":
        print(f"WARNING: the sandbox cannot run in this image: {state.reason}. Every submission will be "
              "reported as an autograder failure. Rebuild the bundle with --sandbox off to rely on "
              "Gradescope's container alone (a submission could then read the solutions).")
    else:
        print(f"The sandbox is off in this bundle ({state.reason or 'by choice'}).")
    return 0


def main(arguments: list[str]) -> int:
    if arguments[:1] == ["--probe"]:
        return probe(arguments[1] if len(arguments) > 1 else "require")
    return run_autograder(Path(arguments[0]) if arguments else Path("/autograder"))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main(sys.argv[1:]))
