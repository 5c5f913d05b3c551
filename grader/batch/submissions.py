"""Finding a class's submissions: notebooks, folders of them, or a `.zip` as an LMS exports it.

The student's id comes from where the notebook lies, relative to the argument it was found under:

- a notebook given by itself: its file name without `.ipynb` (`alice.ipynb` is `alice`);
- a notebook directly in a given folder (or zip): the same (`class/alice.ipynb` is `alice`);
- a notebook in a subfolder: the subfolder's name (`class/alice/chapter4.ipynb` is `alice`),
  as Moodle and Gradescope lay out their exports. A subfolder with several notebooks is graded
  through the one named after the chapter (`chapter4*.ipynb`), else it is reported, not guessed;
- a zip whose entries all lie in one top folder is read from inside that folder.

`--id-pattern REGEX` replaces the rule: it is searched in each notebook's relative path
(`/`-separated) and its group `id` (else its first group, else the whole match) is the id.
Checkpoints, hidden files and `__MACOSX` folders are never submissions.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_NOTEBOOK_BYTES = 50 * 2**20  # a notebook with its outputs; a larger file is not graded
MAX_ZIP_BYTES = 4 * 2**30  # all entries together, uncompressed


class SubmissionsError(ValueError):
    """Submissions that cannot be listed as given (a usage error: nothing has been graded)."""


@dataclass(frozen=True)
class Submission:
    """One student's notebook, or the reason there is none to grade."""

    student: str
    path: Path | None  # None when `problem` says why
    origin: str  # where it came from, for messages: a path, or `class.zip:alice/chapter4.ipynb`
    problem: str = ""

    def digest(self) -> str:
        """The notebook's SHA-256: a re-run re-grades a submission only when this changes."""
        if self.path is None:
            return hashlib.sha256(self.problem.encode()).hexdigest()
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def find_submissions(
    arguments: list[Path], chapter_prefix: str, unpack_dir: Path, id_pattern: str | None = None
) -> list[Submission]:
    """Every submission under `arguments`, in student order.

    Args:
        arguments: notebooks, folders and zips, as the instructor named them.
        chapter_prefix: how the chapter's notebook is named (`chapter4`), to choose in a folder.
        unpack_dir: where zips are unpacked; it must outlive the grading.
        id_pattern: a regular expression that replaces the id rule above.

    Raises:
        SubmissionsError: a missing path, a bad zip or pattern, two notebooks with one id.
    """
    pattern = _compile(id_pattern)
    found: list[Submission] = []
    for argument in arguments:
        if not argument.exists():
            raise SubmissionsError(f"{argument}: no such file or folder.")
        if argument.suffix == ".zip":
            unpack_dir.mkdir(parents=True, exist_ok=True)
            root = _unpack(argument, Path(tempfile.mkdtemp(prefix=argument.stem + "-", dir=unpack_dir)))
            found += _in_folder(root, chapter_prefix, pattern, label=f"{argument}:")
        elif argument.is_dir():
            found += _in_folder(argument, chapter_prefix, pattern, label=f"{argument}/")
        else:
            found.append(_single(argument, pattern))
    _refuse_duplicates(found)
    return sorted(found, key=lambda submission: submission.student)


def notebook_in(folder: Path, chapter_prefix: str, student: str = "submission") -> Submission:
    """The one notebook a student handed in as a folder (Gradescope's `/autograder/submission`)."""
    notebooks = _notebooks(folder)
    if not notebooks:
        files = sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
        what = f"only {', '.join(files[:5])}" if files else "nothing"
        return Submission(student, None, str(folder), problem=f"no notebook (.ipynb) was handed in ({what})")
    return _choose(student, notebooks, folder, chapter_prefix, label="")


def _notebooks(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.ipynb") if p.is_file() and _is_submission(p.relative_to(root)))


def _compile(id_pattern: str | None) -> re.Pattern[str] | None:
    if id_pattern is None:
        return None
    try:
        return re.compile(id_pattern)
    except re.error as error:
        raise SubmissionsError(f"--id-pattern {id_pattern!r} is not a regular expression: {error}.") from None


def _single(path: Path, pattern: re.Pattern[str] | None) -> Submission:
    student = _matched_id(path.name, pattern) if pattern else path.stem
    if student is None:
        raise SubmissionsError(f"{path}: --id-pattern does not match its name.")
    return _checked(Submission(student, path, str(path)))


def _in_folder(root: Path, chapter_prefix: str, pattern: re.Pattern[str] | None, label: str) -> list[Submission]:
    notebooks = _notebooks(root)
    if pattern:
        return [_by_pattern(root, path, pattern, label) for path in notebooks]
    by_student: dict[str, list[Path]] = defaultdict(list)
    for path in notebooks:
        relative = path.relative_to(root)
        by_student[relative.parts[0] if len(relative.parts) > 1 else path.stem].append(path)
    return [_choose(student, paths, root, chapter_prefix, label) for student, paths in by_student.items()]


def _is_submission(relative: Path) -> bool:
    return not any(part.startswith((".", "__MACOSX")) for part in relative.parts)


def _by_pattern(root: Path, path: Path, pattern: re.Pattern[str], label: str) -> Submission:
    relative = path.relative_to(root).as_posix()
    student = _matched_id(relative, pattern)
    if student is None:
        raise SubmissionsError(f"{label}{relative}: --id-pattern {pattern.pattern!r} does not match this path.")
    return _checked(Submission(student, path, label + relative))


def _matched_id(text: str, pattern: re.Pattern[str]) -> str | None:
    match = pattern.search(text)
    if not match:
        return None
    if "id" in pattern.groupindex:
        return match.group("id")
    return match.group(1) if pattern.groups else match.group(0)


def _choose(student: str, paths: list[Path], root: Path, chapter_prefix: str, label: str) -> Submission:
    """A student's notebook: the only one, or the one named after the chapter."""
    named = [p for p in paths if p.name.startswith(chapter_prefix + "_") or p.stem == chapter_prefix]
    chosen = paths if len(paths) == 1 else named
    if len(chosen) == 1:
        return _checked(Submission(student, chosen[0], label + chosen[0].relative_to(root).as_posix()))
    names = ", ".join(p.relative_to(root).as_posix() for p in paths)
    return Submission(student, None, label + student,
                      problem=f"several notebooks ({names}) and not exactly one named {chapter_prefix}*.ipynb")


def _checked(submission: Submission) -> Submission:
    assert submission.path is not None
    size = submission.path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        return Submission(submission.student, None, submission.origin,
                          problem=f"the notebook is {size / 2**20:.0f} MiB; at most {MAX_NOTEBOOK_BYTES // 2**20} MiB is graded")
    return submission


def _refuse_duplicates(found: list[Submission]) -> None:
    origins: dict[str, list[str]] = defaultdict(list)
    for submission in found:
        origins[submission.student].append(submission.origin)
    clashes = {student: where for student, where in origins.items() if len(where) > 1}
    if clashes:
        student, where = next(iter(clashes.items()))
        raise SubmissionsError(f"two submissions for {student!r}: {' and '.join(where)}. "
                               f"Give one of them, or an --id-pattern that tells them apart.")


def _unpack(archive: Path, into: Path) -> Path:
    """Unpack `archive` safely (no paths outside `into`, no links, bounded size); the folder to read."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = [m for m in bundle.infolist() if not m.is_dir()]
            if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
                raise SubmissionsError(f"{archive}: unpacks to more than {MAX_ZIP_BYTES // 2**30} GiB.")
            for member in members:
                _extract(bundle, member, into, archive)
    except zipfile.BadZipFile as error:
        raise SubmissionsError(f"{archive}: not a zip file ({error}).") from None
    return _class_folder(into)


def _class_folder(root: Path) -> Path:
    """`root`, or the one folder in it that holds the class (`export/alice/...`, `export/bob.ipynb`)."""
    entries = list(root.iterdir())
    if len(entries) != 1 or not entries[0].is_dir():
        return root
    inside = list(entries[0].iterdir())
    holds_class = any(p.is_dir() for p in inside) or len([p for p in inside if p.suffix == ".ipynb"]) > 1
    return entries[0] if holds_class else root


def _extract(bundle: zipfile.ZipFile, member: zipfile.ZipInfo, into: Path, archive: Path) -> None:
    name = PurePosixPath(member.filename.replace("\\", "/"))
    if name.is_absolute() or ".." in name.parts:
        raise SubmissionsError(f"{archive}: the entry {member.filename!r} points outside the archive.")
    is_link = (member.external_attr >> 16) & 0o170000 == 0o120000
    if is_link or name.suffix != ".ipynb":
        return  # only notebooks are graded; a link could lead anywhere on this machine
    target = into.joinpath(*name.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    with bundle.open(member) as source, open(target, "wb") as sink:
        sink.write(source.read(MAX_NOTEBOOK_BYTES + 1))  # one byte over is enough to refuse it
