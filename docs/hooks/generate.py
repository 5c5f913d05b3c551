"""MkDocs hook: the pages that are generated at build time, so that they cannot drift.

Two editions share it: `mkdocs.yml` (English, `site/`) and `mkdocs.zh.yml` (Chinese, `site/zh/`), told
apart by `extra.course_language`. In the Chinese one, `<page>.zh.md` is served as `<page>.md`.

- chapters: the learner notebooks `course/<stem>.ipynb` (`course/zh/<stem>.ipynb`), rendered by
  mkdocs-jupyter (never `solutions/`) at `course/<stem>/`, with the recorded outputs of their worked
  examples (grader/example_outputs.py), a download link to the notebook as the learner gets it, and a
  nav entry each;
- `reference/cli.md`: every `grader` command and option, from the typer app;
- `reference/datasets/`: one page per dataset in `datasets/manifest.toml`;
- `reference/thresholds.md`: each training exercise's threshold beside its calibration.

`mkdocs.yml` keeps empty nav sections (`Chapters: []`, `Datasets: []`) that this hook fills.
"""

from __future__ import annotations

import html as html_module
import re
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import nbformat

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

PROJECT_ROOT = Path(__file__).resolve().parents[2]
if str(PROJECT_ROOT) not in sys.path:  # `mkdocs` may run from anywhere; the grader lives here
    sys.path.insert(0, str(PROJECT_ROOT))

from grader import example_outputs, i18n  # noqa: E402
from grader.build import notebook_text  # noqa: E402
from grader.chapters import Chapter, discover  # noqa: E402
from course_data import all_datasets  # noqa: E402

import reference_pages  # noqa: E402  (beside this file; MkDocs puts its folder on sys.path)
import threshold_pages  # noqa: E402

CHAPTERS_DIR = "course"  # the notebooks keep their repository path: course/<stem>.ipynb
DATASETS_DIR = "reference/datasets"
# nbconvert inserts a MathJax 2 loader from a CDN into every notebook; the site typesets with KaTeX.
_NBCONVERT_MATHJAX = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)
# nbconvert's heading ids differ from the ids the page's table of contents links to (it keeps case and
# punctuation, and gives a heading without ASCII letters, like the Chinese titles, an empty id).
_HEADING = re.compile(r'<h([1-6]) id="([^"]*)">(.*?)<a class="anchor-link" href="#[^"]*">', re.S)


_STAGED: list[Path] = []  # this build's folder of rendered notebooks


def chapter_page(chapter: Chapter) -> str:
    """The docs path of a chapter's notebook page."""
    return f"{CHAPTERS_DIR}/{chapter.notebook.name}"


def published_chapters() -> list[Chapter]:
    """Chapters whose learner notebook exists in the edition's language, in chapter order."""
    return [chapter for chapter in (replace(c, lang=i18n.current()) for c in discover()) if chapter.notebook.is_file()]


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    i18n.use(config.extra.get("course_language", i18n.ENGLISH))  # the generated pages' words and notebooks
    chapters = published_chapters()
    chapter_entries = [f"{CHAPTERS_DIR}/index.md"] + [
        {reference_pages.chapter_title(chapter): chapter_page(chapter)} for chapter in chapters
    ]
    dataset_entries = [f"{DATASETS_DIR}/index.md"] + [
        {info.title: f"{DATASETS_DIR}/{info.name}.md"} for info in all_datasets()
    ]
    _fill_section(config.nav, (config.extra.get("chapters_section", "Chapters"),), chapter_entries)
    _fill_section(config.nav, tuple(config.extra.get("datasets_section", ("Reference", "Datasets"))), dataset_entries)
    return config


def _fill_section(nav: list | None, titles: tuple[str, ...], entries: list) -> None:
    """Replace the empty section at `titles` in the nav (e.g. `Chapters: []`) by `entries`."""
    items = nav or []
    for depth, title in enumerate(titles):
        section = next((item for item in items if isinstance(item, dict) and title in item), None)
        if section is None or not isinstance(section[title], list):
            path = " > ".join(titles[: depth + 1])
            raise PluginError(f"mkdocs.yml: the nav needs a section {path!r} (use `{title}: []` for the hook to fill).")
        if depth == len(titles) - 1:
            section[title] = entries
        items = section[title]


@event_priority(50)  # before mkdocs-jupyter's on_files, so that it wraps the notebooks added here
def on_files(files: Files, config: MkDocsConfig) -> Files:
    chapters = published_chapters()
    datasets = all_datasets()
    staged = Path(tempfile.mkdtemp(prefix="course-pages-"))  # removed in on_post_build
    _STAGED.append(staged)
    for chapter in chapters:
        # The notebook with its examples' outputs, in a folder laid out like the site; a real File rooted
        # there (not File.generated), since mkdocs-jupyter's wrapper needs src_dir.
        shown = example_outputs.with_outputs(chapter, nbformat.read(chapter.notebook, as_version=4))
        (staged / chapter_page(chapter)).parent.mkdir(parents=True, exist_ok=True)
        (staged / chapter_page(chapter)).write_text(notebook_text(shown), encoding="utf-8")
        files.append(File(chapter_page(chapter), str(staged), config.site_dir, config.use_directory_urls))
    if i18n.current() != i18n.ENGLISH:
        _serve_translated_pages(files, config)
    pages = {
        f"{CHAPTERS_DIR}/index.md": reference_pages.chapters_index(chapters, chapter_page),
        "reference/cli.md": reference_pages.cli_reference(),
        "reference/thresholds.md": threshold_pages.thresholds_page(
            discover(), {chapter.name: chapter_page(chapter) for chapter in chapters}
        ),
        f"{DATASETS_DIR}/index.md": reference_pages.datasets_index(datasets),
    }
    for info in datasets:
        pages[f"{DATASETS_DIR}/{info.name}.md"] = reference_pages.dataset_page(info, chapters, chapter_page)
    for src_uri, content in pages.items():
        files.append(File.generated(config, src_uri, content=content))
    return files


def _serve_translated_pages(files: Files, config: MkDocsConfig) -> None:
    """In another edition, each `docs/<page>.<lang>.md` is the page `<page>.md` (its English one excluded)."""
    suffix = f".{i18n.current()}.md"
    for translated in [f for f in files if f.src_uri.endswith(suffix)]:
        src_uri = translated.src_uri.removesuffix(suffix) + ".md"
        english = files.get_file_from_path(src_uri)
        if english is not None:
            files.remove(english)
        files.remove(translated)
        files.append(File.generated(config, src_uri, abs_src_path=translated.abs_src_path))


def on_post_build(config: MkDocsConfig) -> None:
    """The download beside each chapter page is the notebook as the learner gets it: without outputs."""
    for chapter in published_chapters():
        page = chapter_page(chapter)
        shutil.copyfile(chapter.notebook, Path(config.site_dir) / page.removesuffix(".ipynb") / chapter.notebook.name)
    while _STAGED:
        shutil.rmtree(_STAGED.pop(), ignore_errors=True)


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    chapter = next(c for c in published_chapters() if chapter_page(c) == page.file.src_uri)
    html = _name_headings(_NBCONVERT_MATHJAX.sub("", html), page)
    # Material styles `headerlink` permalinks (shown on hover) and leaves them out of the search index.
    return reference_pages.download_box(chapter) + html.replace('class="anchor-link"', 'class="headerlink"')


def _name_headings(html: str, page: Page) -> str:
    """Give every heading the id that the page's TOC links to."""
    ids: dict[str, str] = {}
    items = list(page.toc)
    while items:
        item = items.pop(0)
        ids.setdefault(" ".join(item.title.split()), item.id)
        items += item.children

    def named(match: re.Match[str]) -> str:
        level, current, title = match.groups()
        plain = " ".join(html_module.unescape(re.sub(r"<[^>]+>", "", title)).split())
        # The TOC's titles leave code spans out: "`.keras` format" is listed as "format".
        without_code = " ".join(html_module.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<code>.*?</code>", "", title))).split())
        anchor = ids.get(plain) or ids.get(without_code) or current or f"section-{match.start()}"
        return f'<h{level} id="{anchor}">{title}<a class="anchor-link" href="#{anchor}">'

    return _HEADING.sub(named, html)


def on_serve(server, config: MkDocsConfig, builder):  # noqa: ANN001 - livereload's types
    """`mkdocs serve` also rebuilds when a notebook, a manifest or a calibration changes."""
    for path in ("course", "solutions", "datasets/manifest.toml", "grader/cli.py", "grader/locale", "docs/outputs"):
        server.watch(str(PROJECT_ROOT / path))
    return server
