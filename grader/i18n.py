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
def _read_translations(path: Path, lang: str, modified: float) -> dict[str, str]:
    from babel.messages.pofile import read_po

    with path.open("rb") as file:
        catalog = read_po(file, locale=LANGUAGES[lang])
    return {m.id: m.string for m in catalog if m.id and isinstance(m.string, str) and m.string and not m.fuzzy}
