"""Where the course's own files are: beside the package in a checkout, inside it in an installed wheel.

A checkout (and an editable install) keeps `solutions/`, `course/` and `datasets/` in the repository,
beside `grader/`. A wheel (`pip install .`) carries copies of the first two in `grader/_course/` and of
the datasets in `course_data/_datasets/` (see `force-include` in pyproject.toml); the sandbox hides both
folders from learner code (grader/sandbox.py).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGED_COURSE = PACKAGE_DIR / "_course"
INSTALLED = PACKAGED_COURSE.is_dir()
PROJECT_ROOT = PACKAGED_COURSE if INSTALLED else PACKAGE_DIR.parent
