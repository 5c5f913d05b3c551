"""The language the grader speaks to a learner: English, or Chinese (`--lang zh`, or a `zh` locale).

Two kinds of catalogue, both gettext `.po` files read with Babel and compiled in memory (no `.mo`
files to keep in step):

- the grader's own messages (verdicts, mismatch summaries, next steps, errors), marked `_("...")`
  in the code as gettext has it: `grader/locale/<lang>/grader.po`;
- each chapter's texts (its notebook's markdown, its exercises' titles, hints and known-mistake
  messages): `solutions/locale/<lang>/<stem>.po` (`grader/translation.py` keeps them in step).

A fuzzy or empty translation is not used: the English shows instead. The language is the process's,
like the locale it comes from: chosen once by the CLI before it does anything (`use`), so that every
message of one run is in one language. Technical tokens (shapes, numbers, code) are never translated:
they are the `{fields}` of a message.
"""

from __future__ import annotations

import gettext
import io
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Mapping

ENGLISH = "en"
LANGUAGES = {"en": "en", "zh": "zh_Hans_CN"}  # the course's code for a language -> its CLDR locale
LANGUAGE_VARIABLE = "GRADER_LANG"
GRADER_CATALOGUES = Path(__file__).parent / "locale"
_language = ENGLISH


def language_from_environment(environ: Mapping[str, str] = os.environ) -> str:
    """The language the environment asks for: GRADER_LANG, else the POSIX locale, else English.

    >>> language_from_environment({"LANG": "zh_CN.UTF-8"})
    'zh'
    >>> language_from_environment({"LANG": "zh_CN.UTF-8", "LC_ALL": "C.UTF-8"})
    'en'
    >>> language_from_environment({"GRADER_LANG": "en", "LANG": "zh_TW.UTF-8"})
    'en'
    """
    if environ.get(LANGUAGE_VARIABLE):
        return supported(environ[LANGUAGE_VARIABLE])
    # POSIX: LC_ALL overrides LC_MESSAGES, which overrides LANG; GNU's LANGUAGE is a list of preferences.
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for value in environ.get(variable, "").split(":"):
            if value:
                return "zh" if value.lower().startswith("zh") else ENGLISH
    return ENGLISH


def supported(lang: str) -> str:
    """`lang` if the course has it (`zh_CN` and `zh-Hans` are `zh`); a ValueError names the ones it has."""
    code = lang.replace("-", "_").split("_")[0].split(".")[0].lower()
    if code not in LANGUAGES:
        raise ValueError(f"the grader speaks {', '.join(LANGUAGES)}. Received: {lang!r}")
    return code


def use(lang: str) -> None:
    """Speak `lang` from now on, in this process."""
    global _language
    _language = supported(lang)


def current() -> str:
    return _language


def _(message: str) -> str:
    """`message` in the current language (gettext's name for it, so that Babel extracts it)."""
    return _grader_catalogue(_language).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for `count`, in the current language (Chinese has one form)."""
    return _grader_catalogue(_language).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark `message` for extraction where it is defined; translate it with `_` where it is shown."""
    return message


def status_label(status: str) -> str:
    """A verdict's status (`passed`, `memory limit`) as the learner reads it."""
    return _(_STATUS_LABELS.get(str(status), str(status)))


_STATUS_LABELS = {label: label for label in (
    N_("passed"), N_("failed"), N_("error"), N_("timeout"), N_("memory limit"), N_("not implemented"), N_("missing"),
    N_("skipped"))}


@lru_cache(maxsize=None)
def _grader_catalogue(lang: str) -> gettext.NullTranslations:
    return compiled(GRADER_CATALOGUES / lang / "grader.po", lang) if lang != ENGLISH else gettext.NullTranslations()


def compiled(path: Path, lang: str) -> gettext.NullTranslations:
    """A `.po` file as standard gettext translations (empty where there is no file)."""
    if not path.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as file:
        catalog = read_po(file, locale=LANGUAGES[lang])
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def chapter_catalogue(solutions_dir: Path, stem: str, lang: str) -> Path:
    return solutions_dir / "locale" / lang / f"{stem}.po"


def chapter_translations(solutions_dir: Path, stem: str, lang: str) -> dict[str, str]:
    """A chapter's texts, English -> current translation (none for English or without a catalogue)."""
    if lang == ENGLISH:
        return {}
    path = chapter_catalogue(solutions_dir, stem, lang)
    return _read_translations(path, lang, path.stat().st_mtime) if path.is_file() else {}


@lru_cache(maxsize=64)
def _read_translations(path: Path, lang: str, modified: float, where: str = "") -> dict[str, str]:
    """A catalogue's current translations; with `where`, only those whose comment names a source starting so."""
    from babel.messages.pofile import read_po

    with path.open("rb") as file:
        catalog = read_po(file, locale=LANGUAGES[lang])
    return {m.id: m.string for m in catalog
            if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string and not m.fuzzy
            and (not where or any(comment.startswith(where) for comment in m.auto_comments))}


# Messages worded elsewhere: a worker's (`{function} should return a keras.Model. Received: {received}`) or
# a chapter's probe's (`raise TypeError(f"fine_tune should return ... Received: {type(history).__name__}")`)
# reach the grader as English text. Their templates are in the catalogues, fields and all; the text is
# matched against them here and worded again in the current language with the same field values.

_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]+)\}")
_EXCEPTION_PREFIX = re.compile(r"^([A-Z][A-Za-z]*(?:Error|Exception)): ")


def reworded(message: str, translations: Mapping[str, str]) -> str:
    """`message` in the current language, where it is one of `translations`' English texts or templates with
    their fields filled in (an exception's name before it, `TypeError: `, stays); else `message` itself.

    >>> reworded("TypeError: f should return a dict. Received: list",
    ...          {"f should return a dict. Received: {type(x).__name__}": "f 应返回 dict。收到的是：{type(x).__name__}"})
    'TypeError: f 应返回 dict。收到的是：list'
    """
    prefix = _EXCEPTION_PREFIX.match(message)
    head, body = (prefix.group(0), message[prefix.end():]) if prefix else ("", message)
    if body in translations:
        return head + translations[body]
    for template, translated in translations.items():
        values = _fields_of(template, body)
        if values is not None:
            return head + _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)) if m.group(1) else m.group(0)[0],
                                     translated)
    return message


def _fields_of(template: str, text: str) -> dict[str, str] | None:
    """The values of the template's `{fields}` in `text`, or None when `text` is not made from it."""
    compiled = _template_pattern(template) if "{" in template else None
    if compiled is None:
        return None
    pattern, names = compiled
    match = pattern.fullmatch(text)
    return {name: match.group(f"f{k}") for k, name in enumerate(names)} if match else None


@lru_cache(maxsize=None)
def _template_pattern(template: str) -> tuple[re.Pattern[str], list[str]] | None:
    """A pattern that matches the template's texts, its k-th distinct field the group `f<k>`."""
    names: list[str] = []
    parts, last = [], 0
    for match in _FIELD.finditer(template):
        parts.append(re.escape(template[last:match.start()]))
        field = match.group(1)
        if field is None:  # {{ or }}: a brace of the text itself
            parts.append(re.escape(match.group(0)[0]))
        elif field in names:  # the same field twice: the same text twice
            parts.append(f"(?P=f{names.index(field)})")
        else:
            names.append(field)
            parts.append(f"(?P<f{len(names) - 1}>.+?)")
        last = match.end()
    parts.append(re.escape(template[last:]))
    return (re.compile("".join(parts), re.S), names) if names else None


REPORTED = "raised by "  # how a chapter's catalogue marks the messages its probes raise


def reported_translations(solutions_dir: Path, stem: str, lang: str) -> dict[str, str]:
    """The texts a worker or a chapter's probe may report, English -> current language."""
    if lang == ENGLISH:
        return {}
    found: dict[str, str] = {}
    for path, where in ((GRADER_CATALOGUES / lang / "grader.po", "grader/worker/"),
                        (chapter_catalogue(solutions_dir, stem, lang), REPORTED)):
        if path.is_file():
            found.update(_read_translations(path, lang, path.stat().st_mtime, where))
    return found
