"""Rebuild datasets/bible_en_es/bible_en_es.tsv: short verse-aligned English-Spanish Bible pairs.

Usage (Debian or Ubuntu; the SWORD bindings exist only for the system Python):

    sudo apt-get install -y python3-sword sword-text-web sword-text-sparv
    /usr/bin/python3 datasets/build/bible_en_es.py

English is the World English Bible (SWORD module engWEB2015eb, Debian package
sword-text-web 426.0-1), Spanish the Reina-Valera 1909 (module spaRV1909eb,
package sword-text-sparv 2.60-1); both are public domain. The script walks
the 66 books of the Spanish module (KJV versification) in canonical order,
reads the English verse with the same book, chapter and verse number, strips
the OSIS markup (Strong's numbers, footnotes, cross-references, headings,
speaker labels) and keeps the pairs where both sides are non-empty and at most
MAX_WORDS words long. It needs only the standard library and the SWORD module.
"""

import hashlib
import html
import re
import sys
from pathlib import Path

from _source import DATASETS_DIR, parse_wheel_argument, report

try:
    import Sword
except ImportError:
    sys.exit(
        "The SWORD Python bindings are missing. On Debian or Ubuntu run "
        "`sudo apt-get install -y python3-sword sword-text-web sword-text-sparv` and "
        "rebuild with /usr/bin/python3 (the system interpreter), not a virtual environment."
    )

MAX_WORDS = 15

# name, versification, expected module version, sha256 of its data files (see module_sha256).
ENGLISH = ("engWEB2015eb", "NRSVA", "426.0", "73d410325beae9d38b85e6b76f98233ca9484c165c7aa5f0834bc7d6f75eb3cd")
SPANISH = ("spaRV1909eb", "KJV", "2.60", "4a895aa5566e8b9a8bbe79e686809f3245e95822202c629383ef7802424fb23b")

NOTE = re.compile(r"<note\b[^>]*>.*?</note>", re.DOTALL)
# Removed with their content: speaker labels (Song of Songs) and headings that
# are not part of the text. Canonical titles (psalm superscriptions) are kept,
# as the Reina-Valera prints them inside verse 1.
DROPPED_ELEMENTS = re.compile(
    r"<speaker\b[^>]*>.*?</speaker>|<title\b(?![^>]*canonical=\"true\")[^>]*>.*?</title>",
    re.DOTALL,
)
# The end of the book: in the WEB, Revelation 22:21 is followed by the glossary.
BOOK_END = re.compile(r"<div\b(?=[^>]*\beID=)(?=[^>]*type=\"book\")[^>]*/>")
# Tags that separate words (lines, line groups, paragraphs, list items) become a space;
# all other tags (w, q, seg, transChange, name, canonical title) are removed.
SEPARATING_TAG = re.compile(r"</?(?:l|lg|lb|div|p|item|list|chapter|milestone|title)\b[^>]*>")
TRANS_CHANGE_TAG = re.compile(r"</?transChange\b[^>]*>")
ANY_TAG = re.compile(r"<[^>]*>")
NOTE_MARK = "\x00"
SWORD_DIR = Path("/usr/share/sword")  # where the Debian packages install the modules


def module_sha256(module_name: str) -> str:
    """Hash the module's data files (names and bytes), to pin the exact text read."""
    data_dir = SWORD_DIR / "modules" / "texts" / "ztext" / module_name
    digest = hashlib.sha256()
    for path in sorted(data_dir.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def plain_text(raw: str) -> str:
    """Strip OSIS markup from one verse and normalise its whitespace."""
    raw = BOOK_END.split(raw, 1)[0]
    raw = NOTE.sub(NOTE_MARK, raw)
    # The Reina-Valera marks words added in translation with <transChange>, often
    # with no space on either side ("allí<transChange>también</transChange><w>bdelio"):
    # its tag boundaries are treated like a footnote.
    raw = TRANS_CHANGE_TAG.sub(NOTE_MARK, raw)
    raw = DROPPED_ELEMENTS.sub(" ", raw)
    raw = SEPARATING_TAG.sub(" ", raw)
    raw = ANY_TAG.sub("", raw)
    # A footnote (or transChange) may sit between two words without spaces ("God<note>...</note>created"):
    # there it becomes a space; before punctuation or a space it just goes.
    raw = re.sub(rf"(?<=\w){NOTE_MARK}+(?=\w)", " ", raw).replace(NOTE_MARK, "")
    text = " ".join(html.unescape(raw).split())
    assert "<" not in text and ">" not in text, f"markup left in {text!r}"
    return text


def open_module(manager, name: str, versification: str, version: str, sha256: str):
    module = manager.getModule(name)
    if module is None:
        sys.exit(f"SWORD module {name} is not installed: apt-get install sword-text-web sword-text-sparv")
    assert module.getConfigEntry("Versification") == versification
    received = (module.getConfigEntry("Version"), module_sha256(name))
    if received != (version, sha256):
        sys.exit(f"{name}: version {received[0]}, data sha256 {received[1]}; expected {version}, {sha256}")
    return module


def verse_key(versification: str, reference: str):
    key = Sword.VerseKey()
    key.setVersificationSystem(versification)
    key.setText(reference)
    return key


def aligned_verses(english, spanish):
    """Yield (OSIS reference, English text, Spanish text) for every Spanish verse, Genesis to Revelation."""
    key = verse_key(SPANISH[1], "Gen.1.1")
    key.popError()
    while ord(key.popError()) == 0:
        reference = key.getOSISRef()
        spanish.setKey(key)
        english_key = verse_key(ENGLISH[1], reference)
        if english_key.getOSISRef() == reference:  # else the English numbering lacks this verse
            english.setKey(english_key)
            yield reference, plain_text(english.getRawEntry()), plain_text(spanish.getRawEntry())
        else:
            yield reference, "", plain_text(spanish.getRawEntry())
        key.increment()


def chapter_of(reference: str) -> tuple[str, int]:
    book, chapter, _ = reference.split(".")
    return book, int(chapter)


def main() -> None:
    parse_wheel_argument(__doc__.split("\n\n")[0])  # only for --help; there is no wheel
    manager = Sword.SWMgr()
    english = open_module(manager, *ENGLISH)
    spanish = open_module(manager, *SPANISH)

    verses = list(aligned_verses(english, spanish))
    assert len(verses) == 31102, f"expected the 31102 verses of the KJV versification, got {len(verses)}"
    assert verses[0][0] == "Gen.1.1" and verses[-1][0] == "Rev.22.21"
    # Where the Spanish module leaves a verse empty, the Reina-Valera numbers the
    # chapter boundary differently (e.g. its Jonah 2:1 is the English Jonah 1:17):
    # that verse's text sits in the next chapter or was merged into the one
    # before, so same-numbered verses no longer match. Drop the whole chapter
    # and the next one (Num 12-13, Job 38-41, Jonah 1-2, ...).
    shifted = set()
    for reference, _, spanish_text in verses:
        if not spanish_text:
            book, chapter = chapter_of(reference)
            shifted.update({(book, chapter), (book, chapter + 1)})
    pairs = [
        verse for verse in verses
        if chapter_of(verse[0]) not in shifted
        and verse[1] and verse[2]
        and len(verse[1].split()) <= MAX_WORDS and len(verse[2].split()) <= MAX_WORDS
    ]
    for verse in pairs:
        assert all("\t" not in field and "\n" not in field for field in verse)

    output_path = DATASETS_DIR / "bible_en_es" / "bible_en_es.tsv"
    output_path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["reference\tenglish\tspanish"] + ["\t".join(verse) for verse in pairs]
    output_path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    empty = sum(1 for verse in verses if not (verse[1] and verse[2]))
    print(f"verses: {len(verses)}, with an empty side: {empty}, kept (both <= {MAX_WORDS} words): {len(pairs)}")
    print(f"chapters dropped as numbered differently: {', '.join(f'{b} {c}' for b, c in sorted(shifted))}")
    for verse in pairs[:3] + pairs[-2:]:
        print("  " + " | ".join(verse))
    report("bible_en_es", output_path, rows=len(pairs))


if __name__ == "__main__":
    main()
