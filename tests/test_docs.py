"""The documentation site: builds with --strict, renders the learner notebooks, never a solution."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from dataclasses import replace

import pytest
import typer

from grader.build import BEGIN, END, REFERENCE_ONLY, learner_notebook, read_source, solved_notebook
from grader.chapters import PROJECT_ROOT, Chapter, discover, resolve
from grader.cli import app
from course_data import all_datasets

sys.path.insert(0, str(PROJECT_ROOT / "docs" / "hooks"))
import threshold_pages  # noqa: E402  (docs/hooks/threshold_pages.py)
from reference_pages import leaf_commands  # noqa: E402  (docs/hooks/reference_pages.py)

BUILD_TIMEOUT_S = 300


def build_site(destination: Path) -> Path:
    """Build both editions with `--strict`, the English into `destination` and the Chinese into its `zh/`, as
    they are served; fail with mkdocs' own output."""
    for config, folder in (("mkdocs.yml", destination), ("mkdocs.zh.yml", destination / "zh")):
        finished = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", config, "-d", str(folder)],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        )
        assert finished.returncode == 0, f"mkdocs build --strict -f {config} failed:\n{finished.stdout}\n{finished.stderr}"
    return destination


def page_text(path: Path) -> str:
    """A built page's text: tags removed, entities decoded (highlighted code becomes plain again)."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def published(lang: str = "en") -> list[Chapter]:
    return [chapter for chapter in (replace(c, lang=lang) for c in discover()) if chapter.notebook.is_file()]


def chapter_html(site: Path, chapter: Chapter) -> Path:
    return site / ("zh" if chapter.lang == "zh" else "") / "course" / chapter.stem / "index.html"


def hidden_lines(chapter: Chapter) -> set[str]:
    """Lines of the solutions and reference-only cells that the learner notebook does not contain.

    Only lines distinctive enough to search for: 8 characters or more, with a letter (not `])`).
    """
    source = read_source(chapter)
    hidden: list[str] = []
    for cell in source.cells:
        if REFERENCE_ONLY in cell.metadata.get("tags", []):
            hidden += cell.source.splitlines()
        for block in re.findall(rf"{re.escape(BEGIN)}(.*?){re.escape(END)}", cell.source, re.S):
            hidden += block.splitlines()
    public = {line.strip() for cell in learner_notebook(chapter).cells for line in cell.source.splitlines()}
    lines = {line.strip() for line in hidden}
    return {line for line in lines if len(line) >= 8 and re.search("[A-Za-z]", line) and line not in public}


@pytest.fixture(scope="module")
def site(built_site: Path) -> Path:
    return built_site


def test_every_published_chapter_has_a_page_with_stubs_and_checks(site: Path) -> None:
    assert published(), "no course/*.ipynb: run grader build"
    for chapter in published():
        text = page_text(chapter_html(site, chapter))
        assert "NotImplementedError" in text
        for exercise in chapter.spec.exercises:
            assert f'check("{exercise.id}")' in text


def test_no_solution_or_reference_only_line_reaches_the_site(site: Path) -> None:
    texts = {path: page_text(path) for path in site.rglob("*.html")}
    for path in site.rglob("*.ipynb"):
        texts[path] = "\n".join("".join(cell["source"]) for cell in json.loads(path.read_text(encoding="utf-8"))["cells"])
    # A line that some learner notebook shows openly (another chapter's worked code, say) is no leak.
    public = {line.strip() for c in discover() for cell in learner_notebook(c).cells for line in cell.source.splitlines()}
    for chapter in discover():
        assert len(hidden_lines(chapter)) >= len(chapter.spec.exercises), f"{chapter.source}: expected solution lines to look for"
        hidden = hidden_lines(chapter) - public
        for path, text in texts.items():
            leaked = sorted(hidden & {line.strip() for line in text.splitlines()})
            assert not leaked, f"{path.relative_to(site)} shows lines of {chapter.source.name}'s solutions: {leaked[:5]}"


def test_the_leak_check_would_see_a_leak(site: Path) -> None:
    # Whole lines of highlighted code survive page_text, and the solved notebook has hidden lines.
    for chapter in published():
        page_lines = {line.strip() for line in page_text(chapter_html(site, chapter)).splitlines()}
        code = {line.strip() for cell in learner_notebook(chapter).cells if cell.cell_type == "code"
                for line in cell.source.splitlines() if line.strip()}
        assert code <= page_lines, sorted(code - page_lines)[:5]
        solved = {line.strip() for cell in solved_notebook(chapter).cells for line in cell.source.splitlines()}
        assert hidden_lines(chapter) & solved


def test_chapter_nav_titles_carry_the_chinese_title(site: Path) -> None:
    home = page_text(site / "index.html")
    for chapter in published():
        assert chapter.spec.title in home and chapter.spec.title_zh in home


def test_each_chapter_page_links_its_notebook_and_the_copy_is_the_course_file(site: Path) -> None:
    for chapter in published() + published("zh"):
        page = chapter_html(site, chapter)
        assert f'href="{chapter.notebook.name}"' in page.read_text(encoding="utf-8")
        copy = page.parent / chapter.notebook.name
        assert copy.read_bytes() == chapter.notebook.read_bytes(), "the download is the notebook without outputs"


def test_the_chinese_edition_has_every_chapter_in_chinese_with_its_checks(site: Path) -> None:
    for chapter in published("zh"):
        text = page_text(chapter_html(site, chapter))
        assert chapter.spec.title_zh in text and "练习" in text
        for exercise in chapter.spec.exercises:
            assert f'check("{exercise.id}", lang="zh")' in text
    home = page_text(site / "zh" / "index.html")
    assert "学习的流程" in home and "course/zh/" in home


def test_both_editions_show_what_the_worked_examples_print_and_draw(site: Path) -> None:
    # Chapter 4 prints the data's columns and draws the article's 150 epochs overfitting (grader build --outputs).
    for chapter in (replace(resolve("chapter4"), lang=lang) for lang in ("en", "zh")):
        page = chapter_html(site, chapter).read_text(encoding="utf-8")
        assert "768" in page_text(chapter_html(site, chapter)) and "positive" in page_text(chapter_html(site, chapter))
        assert page.count('src="data:image/png;base64,') >= 1, chapter.lang


def test_chinese_search_is_segmented_into_words(site: Path) -> None:
    index = json.loads((site / "zh" / "search" / "search_index.json").read_text(encoding="utf-8"))
    text = " ".join(document["text"] for document in index["docs"])
    assert "\u200b" in text, "jieba's word boundaries (zero-width spaces) are what let lunr find Chinese words"
    assert "\u200b过拟合" in text or "过拟合\u200b" in text


def test_no_markdown_extension_syntax_is_left_unrendered(site: Path) -> None:
    # `=== "Tab"` without pymdownx.tabbed, `!!! note` without admonition, ... show up as text.
    leftover = re.compile(r'^\s*(?:=== "|!!! |\?\?\? |--8<--)', re.M)
    for path in site.rglob("*.html"):
        found = leftover.findall(page_text(path))
        assert not found, f"{path.relative_to(site)} shows unrendered Markdown: {found}"


def test_every_table_of_contents_link_has_its_heading(site: Path) -> None:
    for path in site.rglob("*.html"):
        page = path.read_text(encoding="utf-8")
        targets = set(re.findall(r'<a href="#([^"]+)" class="md-nav__link">', page))
        missing = sorted(target for target in targets if f'id="{target}"' not in page)
        assert not missing, f"{path.relative_to(site)}: the table of contents links to missing ids {missing}"


def test_site_loads_nothing_from_the_network(site: Path) -> None:
    external = re.compile(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(?:https?:)?//', re.I)
    for path in site.rglob("*.html"):
        found = external.findall(path.read_text(encoding="utf-8"))
        assert not found, f"{path.relative_to(site)} loads remote assets: {found}"


def test_cli_reference_lists_every_command_and_option(site: Path) -> None:
    text = page_text(site / "reference" / "cli" / "index.html")
    group = typer.main.get_command(app)
    for name, command in leaf_commands(group):
        assert f"grader {name}" in text
        for param in command.get_params(command.context_class(command, info_name=name)):
            names = [param.name.upper()] if param.param_type_name == "argument" else param.opts
            assert all(option in text for option in names), f"grader {name}: {names} missing"


def test_each_dataset_has_a_page_with_its_checksum_and_licence(site: Path) -> None:
    for info in all_datasets():
        text = page_text(site / "reference" / "datasets" / info.name / "index.html")
        assert info.sha256 in text and info.rebuild in text and info.source_package in text


def test_thresholds_page_names_every_training_exercise(site: Path) -> None:
    text = page_text(site / "reference" / "thresholds" / "index.html")
    for chapter in discover():
        for exercise in chapter.spec.exercises:
            if exercise.kind == "training":
                assert f"{exercise.id} {exercise.title}" in text


def test_chinese_search_knows_the_glossarys_words() -> None:
    from reference_pages import glossary_words  # noqa: PLC0415  (docs/hooks/reference_pages.py)

    words = glossary_words((PROJECT_ROOT / "docs" / "glossary.md").read_text(encoding="utf-8"))
    assert {"过拟合", "前馈神经网络", "数据预处理", "损失函数"} <= set(words)
    dictionary = (PROJECT_ROOT / "docs" / "hooks" / "search_words.zh.txt").read_text(encoding="utf-8").split()
    assert dictionary == words, "regenerate docs/hooks/search_words.zh.txt from the glossary (reference_pages.glossary_words)"


# ------------------------------------------------------------- thresholds, without a build


@pytest.fixture
def chapter_copy(tmp_path: Path) -> Chapter:
    """Chapter 4's manifest in a folder of its own, for calibration files made to order."""
    chapter = next(c for c in discover() if c.number == 4)
    shutil.copy(chapter.manifest, tmp_path / chapter.manifest.name)
    return Chapter(chapter.number, chapter.stem, tmp_path, tmp_path)


def test_thresholds_without_calibration_say_not_calibrated(chapter_copy: Chapter) -> None:
    page = threshold_pages.thresholds_page([chapter_copy], {})
    assert "does not exist yet" in page
    assert "Not calibrated yet. Run `grader calibrate chapter4 -e 4.3 --backend all --seeds 20 --write`" in page


def test_thresholds_pass_rate_counts_value_and_time(chapter_copy: Chapter) -> None:
    backends = {
        "jax": {"seeds": [0, 1, 2, 3], "values": [0.72, 0.75, 0.65, 0.80], "times_s": [3, 4, 5, 70],
                "keras_version": "3.12.0", "backend_version": "0.7.2"},
        "torch": {"seeds": [0], "values": [None], "times_s": [1.0]},
    }
    calibration = {"version": 1, "chapter": "chapter4", "exercises": {"4.3": {"metric": "accuracy", "backends": backends}}}
    chapter_copy.calibration.write_text(json.dumps(calibration), encoding="utf-8")
    rows = {line.split("|")[1].strip(): line for line in threshold_pages.thresholds_page([chapter_copy], {}).splitlines()
            if line.startswith("| ")}
    # 0.65 is under 4.3's threshold (0.68) and 70 s is over its 30 s budget on jax: 2 of 4 seeds pass.
    assert "0.650 / 0.735 / 0.800" in rows["jax"] and "50% (2/4)" in rows["jax"] and "4.5 s / 70.0 s" in rows["jax"]
    assert "no run finished" in rows["torch"] and "0% (0/1)" in rows["torch"]
    assert threshold_pages.NOT_CALIBRATED in rows["tensorflow"]


def test_thresholds_survive_an_unreadable_calibration(chapter_copy: Chapter) -> None:
    chapter_copy.calibration.write_text("{not json", encoding="utf-8")
    assert "could not be read" in threshold_pages.thresholds_page([chapter_copy], {})


def test_a_bound_on_the_gap_to_training_counts_in_the_pass_rate() -> None:
    bounds = threshold_pages.Bounds("log_loss", maximum=0.6, max_gap=0.25)
    measured = threshold_pages.Measured(values=(0.5, 0.5, 0.5), times_s=(1.0, 1.0, 1.0), gaps=(0.1, 0.3, None))
    assert measured.pass_rate(bounds, budget_s=2.0) == pytest.approx(1 / 3)
    assert str(bounds) == "log_loss ≤ 0.6, gap to training ≤ 0.25"
    assert "| 0.300 | 33% (1/3) |" in threshold_pages._backend_row("jax", measured, bounds, 2.0)


def test_bounds_with_a_maximum() -> None:
    bounds = threshold_pages.Bounds("loss", maximum=0.5)
    measured = threshold_pages.Measured(values=(0.4, 0.6), times_s=(1.0, 1.0))
    assert measured.pass_rate(bounds, budget_s=2.0) == 0.5 and str(bounds) == "loss ≤ 0.5"


def test_a_bound_on_the_training_metric_counts_in_the_pass_rate() -> None:
    bounds = threshold_pages.Bounds("log_loss", maximum=0.7, max_gap=0.3, training=0.58)
    measured = threshold_pages.Measured(values=(0.5, 0.5, 0.5), times_s=(1.0, 1.0, 1.0), gaps=(0.0, 0.0, 0.0),
                                        training_values=(0.5, 0.6, None))
    assert measured.pass_rate(bounds, budget_s=2.0) == pytest.approx(1 / 3)
    assert str(bounds) == "log_loss ≤ 0.7, gap to training ≤ 0.3, on training rows ≤ 0.58"
    assert "| 0.000 | 0.600 | 33% (1/3) |" in threshold_pages._backend_row("jax", measured, bounds, 2.0)
