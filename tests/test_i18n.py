"""The Chinese edition: every text translated, its technical tokens intact, drift caught, the grader speaking Chinese."""

from __future__ import annotations

import json
import re
import shutil
import string
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from grader import i18n, translation
from grader.build import learner_notebook, notebook_text, stale
from grader.chapters import PROJECT_ROOT, Chapter, discover, resolve

from conftest import SEED, _clean_env

CHINESE = re.compile(r"[\u4e00-\u9fff]")
CODE_OR_MATHS = re.compile(r"```.*?```|`[^`]+`|\$\$.+?\$\$|\$[^$]+\$", re.S)


def code_and_maths(text: str) -> set[str]:
    """The code spans and formulas of a markdown text, whitespace normalised (a translation may re-break lines
    and name a function twice)."""
    return {" ".join(token.split()) for token in CODE_OR_MATHS.findall(text)}


def fields(text: str) -> list[str]:
    """The `{name:spec}` fields of a str.format template."""
    return sorted(f"{name}:{spec}" for _, name, spec, _ in string.Formatter().parse(text) if name is not None)


def singular(text: str | tuple[str, ...]) -> str:
    return text if isinstance(text, str) else text[0]


def test_every_text_of_the_course_and_the_grader_has_a_current_chinese_translation():
    missing = {chapter.name: translation.problems(chapter, "zh") for chapter in discover()}
    missing["grader"] = translation.grader_problems("zh")
    counted = {name: len(left) for name, left in missing.items() if left}
    assert not counted, f"untranslated or fuzzy (grader translate status -v): {counted}"


def test_the_grader_catalogue_keeps_every_field_of_its_messages():
    catalog = translation.read_catalogue(translation.grader_catalogue_path("zh"), "zh")
    messages = [m for m in catalog if m.id]
    assert len(messages) > 100, "the grader marks its learner-facing messages"
    changed = [m.id for m in messages if fields(singular(m.id)) != fields(singular(m.string))]
    assert not changed


def test_chinese_chapter_texts_keep_code_and_maths_as_they_are():
    for chapter in discover():
        catalog = translation.read_catalogue(translation.catalogue_path(chapter, "zh"), "zh")
        for message in (m for m in catalog if m.id):
            assert code_and_maths(message.id) == code_and_maths(message.string), (
                f"{chapter.name}: code or maths differ in {message.id[:80]!r}")


def test_every_chinese_notebook_is_the_english_one_in_chinese():
    for chapter in discover():
        english, chinese = (json.loads(replace(chapter, lang=lang).notebook.read_text()) for lang in ("en", "zh"))
        assert [c["cell_type"] for c in english["cells"]] == [c["cell_type"] for c in chinese["cells"]]
        for en_cell, zh_cell in zip(english["cells"], chinese["cells"]):
            source, translated = "".join(en_cell["source"]), "".join(zh_cell["source"])
            if en_cell["cell_type"] == "markdown":
                assert CHINESE.search(translated), f"{chapter.name}: a markdown cell is not in Chinese: {source[:60]!r}"
            elif "check" in en_cell["metadata"].get("tags", []):
                assert translated == source.replace('")', '", lang="zh")'), translated
            else:
                assert translated == source, f"{chapter.name}: code differs between the editions"


@pytest.fixture
def fork(tmp_path: Path) -> Chapter:
    """Chapter 1's source, manifest and Chinese catalogue in a folder of their own, and its course/ beside them."""
    chapter = resolve("chapter1")
    solutions, course = tmp_path / "solutions", tmp_path / "course"
    (solutions / "locale" / "zh").mkdir(parents=True)
    for path in (chapter.source, chapter.manifest, translation.catalogue_path(chapter, "zh")):
        shutil.copy(path, solutions / path.relative_to(chapter.solutions_dir))
    forked = Chapter(chapter.number, chapter.stem, solutions, course, lang="en")
    for edition in ("en", "zh"):
        notebook = replace(forked, lang=edition).notebook
        notebook.parent.mkdir(parents=True, exist_ok=True)
        notebook.write_text(notebook_text(learner_notebook(replace(forked, lang=edition))), encoding="utf-8")
    return forked


def test_an_english_change_fails_the_build_check_until_its_translation_is_marked_current(fork: Chapter):
    assert stale([fork], fork.course_dir) == [] and translation.problems(fork, "zh") == []
    old = "## Setup: choosing a backend"
    text = fork.source.read_text(encoding="utf-8")
    assert f"# {old}\n" in text
    fork.source.write_text(text.replace(f"# {old}\n", "# ## Setup: picking a backend\n", 1), encoding="utf-8")

    assert [p.reason for p in translation.problems(fork, "zh")] == ["not in the catalogue"]
    translation.update(fork, "zh")
    [left] = translation.problems(fork, "zh")
    assert left.reason == "fuzzy: the English changed"
    catalogue = translation.catalogue_path(fork, "zh").read_text(encoding="utf-8")
    previous = [line for line in catalogue.splitlines() if line.startswith("#| ")]
    assert "#, fuzzy" in catalogue and old in " ".join(previous), "the old English is shown beside the old translation"
    zh = learner_notebook(replace(fork, lang="zh"))
    assert any(cell.source.startswith("## Setup: picking a backend") for cell in zh.cells), "a fuzzy translation is not used"
    assert {p.path.name for p in stale([fork], fork.course_dir)} == {fork.notebook.name}

    marked = re.sub(r"#, fuzzy\n(#\| [^\n]*\n)+", "", catalogue)  # what a translator's tool does on "mark as current"
    translation.catalogue_path(fork, "zh").write_text(marked, encoding="utf-8")
    assert translation.problems(fork, "zh") == []


def test_the_language_comes_from_the_option_then_grader_lang_then_the_locale():
    assert i18n.language_from_environment({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_GB.UTF-8"}) == "zh"
    assert i18n.language_from_environment({"LANGUAGE": "zh_CN:en_US", "LANG": "en_US.UTF-8"}) == "zh"
    assert i18n.language_from_environment({}) == "en"
    with pytest.raises(ValueError, match="the grader speaks en, zh. Received: 'fr'"):
        i18n.language_from_environment({"GRADER_LANG": "fr"})


def test_messages_are_chinese_only_while_chinese_is_spoken():
    try:
        i18n.use("zh_CN")
        assert CHINESE.search(i18n._("Exercise")) and CHINESE.search(i18n.status_label("memory limit"))
        chapter = resolve("chapter4")
        assert chapter.lang == "zh" and CHINESE.search(chapter.spec.exercises[0].hints[0])
    finally:
        i18n.use("en")
    assert i18n._("Exercise") == "Exercise" and resolve("chapter4").spec.exercises[0].hints[0].startswith("Which rows")


def run_grader(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=PROJECT_ROOT,
                          env={**_clean_env(), "COLUMNS": "200", **env}, timeout=600)


@pytest.mark.slow
def test_a_chinese_locale_grades_the_chinese_notebook_in_chinese_with_english_json_keys(tmp_path: Path):
    report = tmp_path / "report.json"
    env = {"LANG": "zh_CN.UTF-8", "GRADER_LANG": "", "GRADER_STATE": str(tmp_path / "state.json")}
    finished = run_grader("check", "chapter4", "--backend", "jax", "--seed", SEED, "--json", str(report), env=env)
    assert finished.returncode == 1, finished.stderr
    assert "course/zh/chapter4_worked_example.ipynb" in finished.stdout
    table, next_line = finished.stdout, finished.stdout.strip().splitlines()[-1]
    assert "练习" in table and "未实现" in table and "得分" in table, table
    assert CHINESE.search(next_line) and "grader check chapter4 -e 4.1" in next_line, next_line
    data = json.loads(report.read_text(encoding="utf-8"))
    assert set(data) >= {"chapter", "seed", "score", "max_score", "backends", "next_step"}
    exercise = data["backends"][0]["exercises"][0]
    assert set(exercise) >= {"id", "status", "score", "max_score", "message"} and exercise["status"] == "not implemented"
    assert CHINESE.search(exercise["message"])


def test_an_unknown_language_is_a_usage_error_with_the_ones_there_are():
    finished = run_grader("list", "--lang", "fr", env={})
    assert finished.returncode == 2
    assert "the grader speaks en, zh. Received: 'fr'" in finished.stderr


@pytest.mark.slow
def test_what_a_worker_or_a_probe_raises_is_worded_in_chinese(grade_answers):
    from test_chapter7 import REBUILT_IN_TRAINING_MODE, RETURNS_HISTORY

    chapter = resolve("chapter7")
    answers = {"train_few_labels": RETURNS_HISTORY, "fine_tune": REBUILT_IN_TRAINING_MODE}
    _, report = grade_answers(chapter, answers, "7.2", "7.4", options=("--lang", "zh"))
    messages = {e["id"]: e["message"] for e in report["backends"][0]["exercises"]}
    # The worker's TypeError and the probe's ValueError, their values kept, their words Chinese.
    assert messages["7.2"] == "TypeError: train_few_labels 应返回一个 keras.Model。收到的是：History", messages
    assert messages["7.4"].startswith("ValueError: fine_tune 训练的是一个围绕 base 新建的模型"), messages


def test_every_message_a_probe_raises_is_in_its_chapters_catalogue():
    raised = [text for chapter in discover() for text in translation.source_texts(chapter)
              if text.where.startswith(i18n.REPORTED)]
    assert len(raised) >= 20, "the probes' messages are found"
    assert "fine_tune should return history.history, a dict. Received: {type(history).__name__}" in {t.text for t in raised}
