"""The course in another language, from the same single source: one gettext catalogue per chapter.

A chapter's learner-facing text is its markdown cells (the narrative, the maths, each exercise's
contract) and its manifest's exercise titles, hints, known-mistake messages and baselines' descriptions. Each is a message in
`solutions/locale/<lang>/<stem>.po`, whose `msgid` is the English text and `msgstr` the translation.
The English source stays as it is; the catalogue sits beside it, and any translator's tool (Poedit,
Weblate, Crowdin, Transifex) reads and writes it.

The catalogue follows the English with gettext's own rules (Babel's `Catalog.update`, as `msgmerge`
does): a new English text arrives untranslated; a changed one keeps its old translation marked
`#, fuzzy`, with the old English beside it as `#| msgid`; a removed one is dropped. A fuzzy or missing
translation is not used (the English shows instead) and fails `grader build --check`, until a
translator updates it and removes the flag.

    grader translate update        # bring every catalogue in line with the English
    grader translate status        # what is untranslated or fuzzy, per chapter
"""

from __future__ import annotations

import ast
import io
import re
from dataclasses import dataclass, replace
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from .build import REFERENCE_ONLY, learner_notebook, read_source
from .chapters import Chapter
from .i18n import ENGLISH, GRADER_CATALOGUES, LANGUAGES, REPORTED, chapter_catalogue, chapter_translations

# Header fields that change on every write or hold placeholders: left out, so a catalogue changes only with its texts.
_VOLATILE_HEADER = re.compile(r'^"(Project-Id-Version|Report-Msgid-Bugs-To|POT-Creation-Date|PO-Revision-Date|'
                              r'Last-Translator|Language-Team|Generated-By): [^"]*"\n', re.M)
_HEADER = "The Chinese (Simplified) texts of {name}. Each msgid is the English text; msgstr its translation."


@dataclass(frozen=True)
class SourceText:
    """One English text a learner reads, and where it comes from (for the translator)."""

    text: str | tuple[str, ...]  # a (singular, plural) pair where the count decides
    where: str


@dataclass(frozen=True)
class Untranslated:
    """A text whose translation is missing or out of date."""

    where: str
    text: str | tuple[str, ...]
    reason: str  # "untranslated", "fuzzy: the English changed" or "not in the catalogue"


def catalogue_path(chapter: Chapter, lang: str) -> Path:
    return chapter_catalogue(chapter.solutions_dir, chapter.stem, lang)


def source_texts(chapter: Chapter) -> list[SourceText]:
    """The chapter's learner-facing English texts, in reading order, each once: its markdown cells, its
    exercises' titles, hints and known-mistake messages, and what its probes raise."""
    english = learner_notebook(replace(chapter, lang=ENGLISH))
    texts = [SourceText(cell.source, f"markdown cell {index}")
             for index, cell in enumerate(english.cells) if cell.cell_type == "markdown"]
    for cell in read_source(chapter).cells:
        if REFERENCE_ONLY in cell.metadata.get("tags", []):
            texts += raised_messages(cell.source)
    for exercise in replace(chapter, lang=ENGLISH).spec.exercises:
        texts.append(SourceText(exercise.title, f"exercise {exercise.id}: title"))
        texts += [SourceText(hint, f"exercise {exercise.id}: hint {k}") for k, hint in enumerate(exercise.hints, 1)]
        texts += [SourceText(m.message, f"exercise {exercise.id}: known mistake {m.function}") for m in exercise.mistakes]
        if exercise.baseline:
            texts.append(SourceText(exercise.baseline.description, f"exercise {exercise.id}: baseline"))
    seen: set[str] = set()
    unique = []
    for t in texts:
        if isinstance(t.text, str) and t.text.strip() and t.text not in seen:
            seen.add(t.text)
            unique.append(t)
    return unique


def raised_messages(code: str) -> list[SourceText]:
    """The messages that `raise SomeError("...")` statements in `code` give a learner, as templates: an
    f-string's expressions become `{fields}` (`{type(history).__name__}`), which i18n.reworded fills in
    from the English text the probe raised."""
    found = []
    for function in ast.walk(ast.parse(code)):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                template = _template(node.exc.args[0])
                if template:
                    found.append(SourceText(template, f"{REPORTED}{function.name}"))
    return found


def _template(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.replace("{", "{{").replace("}", "}}")
    if not isinstance(node, ast.JoinedStr):
        return None
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value).replace("{", "{{").replace("}", "}}"))
        elif isinstance(value, ast.FormattedValue):
            conversion = f"!{chr(value.conversion)}" if value.conversion != -1 else ""
            spec = f":{ast.unparse(value.format_spec)[2:-1]}" if value.format_spec is not None else ""
            parts.append("{" + ast.unparse(value.value) + conversion + spec + "}")
    return "".join(parts)


def template(texts: list[SourceText], lang: str, name: str) -> Catalog:
    """A catalogue of English texts with empty translations."""
    catalog = Catalog(locale=LANGUAGES[lang], project=name, header_comment=f"# {_HEADER.format(name=name)}", fuzzy=False)
    for text in texts:
        catalog.add(text.text, auto_comments=[text.where])
    return catalog


def read_catalogue(path: Path, lang: str) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=LANGUAGES[lang])


def catalogue_text(catalog: Catalog) -> str:
    """The exact text written to disk: unwrapped lines, no line numbers, so diffs follow the English."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=0, omit_header=False, ignore_obsolete=True, include_previous=True,
             sort_output=False)
    return _VOLATILE_HEADER.sub("", buffer.getvalue().decode("utf-8"))


def _update(path: Path, texts: list[SourceText], lang: str, name: str, *, formats: bool = False) -> Path:
    """Write the catalogue at `path` brought in line with `texts` (new, changed and removed ones).

    Babel flags a text that looks like a format string (`20% of`, `d_{in}`); only the grader's messages
    are formats (`{field}`), so a chapter's markdown keeps no such flag for a translator's tool to check.
    """
    catalog = template(texts, lang, name)
    if path.exists():
        catalog, fresh = read_catalogue(path, lang), catalog
        catalog.update(fresh, no_fuzzy_matching=False, update_header_comment=False)
    for message in catalog if not formats else ():
        message.flags -= {"python-format", "python-brace-format"}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(catalogue_text(catalog), encoding="utf-8")
    return path


def update(chapter: Chapter, lang: str) -> Path:
    """Bring the chapter's catalogue in line with its English; return its path."""
    return _update(catalogue_path(chapter, lang), source_texts(chapter), lang, chapter.name)


def problems(chapter: Chapter, lang: str) -> list[Untranslated]:
    """The chapter's texts that have no current translation in the catalogue on disk."""
    return _problems(catalogue_path(chapter, lang), source_texts(chapter), lang)


def _problems(path: Path, texts: list[SourceText], lang: str) -> list[Untranslated]:
    catalog = read_catalogue(path, lang) if path.exists() else Catalog(locale=LANGUAGES[lang])
    found = []
    for text in texts:
        message = catalog.get(text.text)
        if message is None:
            found.append(Untranslated(text.where, text.text, "not in the catalogue"))
        elif message.fuzzy:
            found.append(Untranslated(text.where, text.text, "fuzzy: the English changed"))
        elif not (all(message.string) if isinstance(message.string, tuple) else message.string):
            found.append(Untranslated(text.where, text.text, "untranslated"))
    return found


def translations(chapter: Chapter, lang: str) -> dict[str, str]:
    """English -> current translation, for the texts that have one (a fuzzy one is not current)."""
    return chapter_translations(chapter.solutions_dir, chapter.stem, lang)


# The grader's own messages: every string the code marks `_("...")`, extracted as Babel extracts them.

def grader_texts() -> list[SourceText]:
    """Each message the grader's code (and the docs site's hooks, in a checkout) marks for translation, once,
    in the order the files list them."""
    from babel.messages.extract import extract_from_dir

    package = Path(__file__).parent
    folders = [package, *(folder for folder in [package.parent / "docs" / "hooks"] if folder.is_dir())]
    texts, seen = [], set()
    for folder in folders:
        found = extract_from_dir(str(folder), method_map=[("_course/**", "ignore"), ("**.py", "python")],
                                 keywords={"_": None, "N_": None, "ngettext": (1, 2)})
        for filename, _line, message, _comments, _context in found:
            if message not in seen:
                seen.add(message)
                texts.append(SourceText(message, f"{folder.relative_to(package.parent)}/{filename}"))
    return texts


def grader_catalogue_path(lang: str) -> Path:
    return GRADER_CATALOGUES / lang / "grader.po"


def update_grader(lang: str) -> Path:
    """Bring the grader's catalogue in line with the messages its code marks; return its path."""
    return _update(grader_catalogue_path(lang), grader_texts(), lang, "the grader", formats=True)


def grader_problems(lang: str) -> list[Untranslated]:
    return _problems(grader_catalogue_path(lang), grader_texts(), lang)
