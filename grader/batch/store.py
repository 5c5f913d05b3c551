"""A class's grades in one SQLite file: what `grader grade` writes and every export reads.

One row per submission, backend and chapter, written with its exercises in one transaction as
soon as that grading is done: a run killed half-way keeps everything finished before it, and a
re-run grades only what is missing, changed (the notebook's SHA-256) or graded with another
seed or another set of exercises. Each chapter's batch has one seed, chosen once and recorded,
so that the reference's answers are computed once per backend and shared by every student.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..results import ExerciseResult, RunReport, report_from_dict, report_to_dict

SCHEMA_VERSION = 1

GRADED = "graded"  # the grader ran; the exercises' statuses say how the student did
UNREADABLE = "unreadable"  # not a notebook, several notebooks, too large: the student's to fix
FAULT = "grader fault"  # the grader failed: never a student's zero; re-run to grade again

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    chapter TEXT PRIMARY KEY,
    seed INTEGER NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS gradings (
    chapter TEXT NOT NULL,
    student TEXT NOT NULL,
    backend TEXT NOT NULL,
    origin TEXT NOT NULL,
    notebook_sha256 TEXT NOT NULL,
    seed INTEGER NOT NULL,
    exercises TEXT NOT NULL,          -- the graded exercise ids, comma-separated
    outcome TEXT NOT NULL,            -- graded, unreadable or grader fault
    message TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    duration_s REAL NOT NULL,
    grader_version TEXT NOT NULL,
    keras_version TEXT NOT NULL,
    backend_version TEXT NOT NULL,
    report TEXT,                      -- the report's JSON (as `grader check --json` writes it)
    graded_at TEXT NOT NULL,
    PRIMARY KEY (chapter, student, backend)
);
CREATE TABLE IF NOT EXISTS exercise_results (
    chapter TEXT NOT NULL,
    student TEXT NOT NULL,
    backend TEXT NOT NULL,
    exercise TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    message TEXT NOT NULL,
    hint TEXT NOT NULL,
    metrics TEXT NOT NULL,            -- JSON object
    duration_s REAL NOT NULL,
    PRIMARY KEY (chapter, student, backend, exercise),
    FOREIGN KEY (chapter, student, backend) REFERENCES gradings ON DELETE CASCADE
);
"""


class StoreError(RuntimeError):
    """A database that is not a grades database, or of a newer grader."""


@dataclass(frozen=True)
class Grading:
    """One submission on one backend, as stored."""

    chapter: str
    student: str
    backend: str
    origin: str
    notebook_sha256: str
    seed: int
    exercises: tuple[str, ...]
    outcome: str
    message: str
    score: float
    max_score: float
    duration_s: float
    grader_version: str = ""
    keras_version: str = ""
    backend_version: str = ""
    report: RunReport | None = None

    @property
    def results(self) -> tuple[ExerciseResult, ...]:
        if self.report is None:
            return ()
        return tuple(result for backend in self.report.backends for result in backend.exercises)


class GradeStore:
    """The grades database; use as a context manager."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=30)
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.execute("PRAGMA journal_mode = WAL")  # readers (an export) never wait for the grading run
        self._migrate()

    def __enter__(self) -> GradeStore:
        return self

    def __exit__(self, *_: object) -> None:
        self._db.close()

    def _migrate(self) -> None:
        try:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise StoreError(f"{self.path} is not a grades database ({error}).") from None
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer grader (schema {version}); upgrade the grader.")
        with self._db:
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def batch_seed(self, chapter: str, wanted: int | None, choose: int) -> int:
        """The chapter's seed: `wanted` if given (recorded), else the recorded one, else `choose`."""
        row = self._db.execute("SELECT seed FROM batches WHERE chapter = ?", (chapter,)).fetchone()
        seed = wanted if wanted is not None else (row[0] if row else choose)
        if row is None or row[0] != seed:
            with self._db:
                self._db.execute("INSERT OR REPLACE INTO batches VALUES (?, ?, ?)", (chapter, seed, _now()))
        return seed

    def is_current(self, chapter: str, student: str, backend: str, digest: str, seed: int, exercises: tuple[str, ...]) -> bool:
        """Whether this exact grading is stored already (a fault never counts: it is graded again)."""
        row = self._db.execute(
            "SELECT notebook_sha256, seed, exercises, outcome FROM gradings WHERE chapter = ? AND student = ? AND backend = ?",
            (chapter, student, backend)).fetchone()
        return row is not None and row[3] != FAULT and tuple(row[:3]) == (digest, seed, ",".join(exercises))

    def save(self, grading: Grading) -> None:
        """Store one grading with its exercises, replacing any earlier one, in one transaction."""
        report = json.dumps(report_to_dict(grading.report)) if grading.report else None
        key = (grading.chapter, grading.student, grading.backend)
        with self._db:
            self._db.execute("DELETE FROM gradings WHERE chapter = ? AND student = ? AND backend = ?", key)
            self._db.execute(
                "INSERT INTO gradings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*key, grading.origin, grading.notebook_sha256, grading.seed, ",".join(grading.exercises),
                 grading.outcome, grading.message, grading.score, grading.max_score, grading.duration_s,
                 grading.grader_version, grading.keras_version, grading.backend_version, report, _now()))
            self._db.executemany(
                "INSERT INTO exercise_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(*key, r.id, r.title, r.status.value, r.score, r.max_score, r.message, r.hint,
                  json.dumps(r.metrics), r.duration_s) for r in grading.results])

    def gradings(self, chapter: str) -> list[Grading]:
        """Every stored grading of `chapter`, by student then backend."""
        rows = self._db.execute(
            "SELECT chapter, student, backend, origin, notebook_sha256, seed, exercises, outcome, message, score, "
            "max_score, duration_s, grader_version, keras_version, backend_version, report "
            "FROM gradings WHERE chapter = ? ORDER BY student, backend", (chapter,))
        return [_grading(row) for row in rows]

    def chapters(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT DISTINCT chapter FROM gradings ORDER BY chapter")]

    def count(self, chapter: str) -> int:
        count: int = self._db.execute("SELECT COUNT(*) FROM gradings WHERE chapter = ?", (chapter,)).fetchone()[0]
        return count


def _grading(row: tuple[Any, ...]) -> Grading:
    *fields, report = row
    fields[6] = tuple(fields[6].split(",")) if fields[6] else ()
    fields.append(report_from_dict(json.loads(report)) if report else None)  # the last field, as the last column
    return Grading(*fields)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def students(gradings: list[Grading]) -> Iterator[tuple[str, list[Grading]]]:
    """The gradings grouped by student, in order."""
    current: list[Grading] = []
    for grading in gradings:
        if current and current[0].student != grading.student:
            yield current[0].student, current
            current = []
        current.append(grading)
    if current:
        yield current[0].student, current

