"""course/ is generated from solutions/ and never drifts from it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from grader.build import BEGIN, END, BuildError, learner_notebook, read_source, solved_notebook, stale
from grader.chapters import COURSE_DIR, PROJECT_ROOT, discover


def test_course_is_up_to_date_with_solutions():
    finished = subprocess.run([sys.executable, "-m", "grader", "build", "--check"], capture_output=True, text=True,
                              cwd=PROJECT_ROOT)
    assert finished.returncode == 0, finished.stderr


def first_asking(chapter) -> list:
    """The exercises that ask for a function, not those that grade an earlier exercise's function again."""
    first = {}
    for exercise in chapter.spec.exercises:
        first.setdefault(exercise.entry, exercise)
    return list(first.values())


def solution_only_lines(chapter) -> set[str]:
    """Lines that the source has only between solution markers or in reference-only cells."""
    hidden, shown, inside = set(), set(), False
    for cell in read_source(chapter).cells:
        reference_only = "reference-only" in cell.metadata.get("tags", [])
        for line in cell.source.splitlines():
            inside = (inside or BEGIN in line) and END not in line
            secret = inside or reference_only or BEGIN in line or END in line
            (hidden if secret else shown).add(line.strip())
    return {line for line in hidden - shown if len(line) > 8}


def test_learner_notebooks_hold_stubs_not_solutions():
    for chapter in discover():
        notebook = json.loads(chapter.notebook.read_text())
        lines = {line.strip() for cell in notebook["cells"] for line in "".join(cell["source"]).splitlines()}
        secrets = solution_only_lines(chapter)
        assert secrets, "the check would be vacuous"
        leaked = secrets & lines
        assert not leaked, f"{chapter.name} shows solution lines: {sorted(leaked)[:3]}"
        text = "\n".join(lines)
        for exercise in first_asking(chapter):  # an exercise that grades an earlier one's function has no stub of its own
            assert f'raise NotImplementedError("Exercise {exercise.id}: ' in text
        for exercise in chapter.spec.exercises:
            assert f'check("{exercise.id}")' in text


def test_learner_notebooks_have_no_outputs_and_tag_their_exercises():
    for chapter in discover():
        notebook = json.loads(chapter.notebook.read_text())
        code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
        assert all(cell["outputs"] == [] and cell["execution_count"] is None for cell in code)
        tagged = {cell["metadata"]["grader"]["exercise"] for cell in code if "exercise" in cell["metadata"].get("tags", [])}
        assert tagged == {exercise.id for exercise in first_asking(chapter)}


def test_every_exercise_has_exactly_one_check_cell_right_after_it():
    # Chapter 5 once had two check cells per exercise (its source's own and the build's): Run All trained twice.
    for chapter in discover():
        code = [cell for cell in json.loads(chapter.notebook.read_text())["cells"] if cell["cell_type"] == "code"]
        calls = [(index, "".join(cell["source"]).strip()) for index, cell in enumerate(code) if "check(" in "".join(cell["source"])]
        assert sorted(source for _, source in calls) == sorted(f'check("{e.id}")' for e in chapter.spec.exercises), chapter.name
        asking = {exercise.id for exercise in first_asking(chapter)}
        for index, source in calls:
            if source[7:-2] in asking:  # else it grades an earlier exercise's function, where its source placed it
                assert code[index - 1]["metadata"]["grader"]["exercise"] == source[7:-2], f"{chapter.name}: {source}"


def test_each_chapter_opens_with_a_table_of_all_its_exercises():
    # Chapter 4's table once stopped at 4.4 after 4.5 was added.
    for chapter in discover():
        intro = "".join(json.loads(chapter.notebook.read_text())["cells"][0]["source"])
        listed = re.findall(r"^\| (\d+\.\d+) \|", intro, re.MULTILINE)
        assert listed == [e.id for e in chapter.spec.exercises], chapter.name


def test_no_markdown_heading_is_left_inside_a_code_cell():
    # A lost `# %% [markdown]` line turns the next section into comments of the code cell above it.
    for chapter in discover():
        for cell in json.loads(chapter.notebook.read_text())["cells"]:
            if cell["cell_type"] == "code":
                source = "".join(cell["source"])
                assert not re.search(r"^# #{1,3} ", source, re.MULTILINE), f"{chapter.name}: {source[:200]}"


def test_a_source_that_calls_check_itself_is_refused(tmp_path):
    solutions, course = tmp_path / "solutions", tmp_path / "course"
    shutil.copytree(PROJECT_ROOT / "solutions", solutions)
    chapter = discover(solutions, course)[3]
    chapter.source.write_text(chapter.source.read_text() + '\n# %%\ncheck("4.1")\n')
    with pytest.raises(BuildError, match=r"calls check\(\) itself.*remove it"):
        learner_notebook(discover(solutions, course)[3])


def test_a_changed_source_makes_the_course_stale(tmp_path):
    solutions, course = tmp_path / "solutions", tmp_path / "course"
    shutil.copytree(PROJECT_ROOT / "solutions", solutions)
    shutil.copytree(COURSE_DIR, course)
    chapters = discover(solutions, course)
    assert stale(chapters, course) == []
    chapters[0].source.write_text(chapters[0].source.read_text() + "\n# %%\nprint('new cell')\n")
    (course / "chapter99_orphan.ipynb").write_text("{}")
    reasons = {problem.path.name: problem.reason for problem in stale(discover(solutions, course), course)}
    assert reasons[chapters[0].notebook.name] == "differs from what its source generates"
    assert reasons["chapter99_orphan.ipynb"] == "has no source in solutions/"


def test_the_same_source_gives_the_same_bytes():
    chapter = discover()[0]
    assert learner_notebook(chapter) == learner_notebook(chapter)


def test_build_never_overwrites_a_learners_work(tmp_path):
    from grader.build import BuildError, build

    solutions, course = tmp_path / "solutions", tmp_path / "course"
    shutil.copytree(PROJECT_ROOT / "solutions", solutions)
    shutil.copytree(COURSE_DIR, course)
    chapter = next(c for c in discover(solutions, course) if c.name == "chapter4")
    worked = chapter.notebook.read_text().replace(
        'raise NotImplementedError(\\"Exercise 4.2: replace this line with your code.\\")', "return my_model()"
    )
    chapter.notebook.write_text(worked)
    try:
        build([chapter])
    except BuildError as error:
        assert "holds your work in exercise 4.2" in str(error)
    else:
        raise AssertionError("build overwrote the learner's work")
    assert chapter.notebook.read_text() == worked
    build([chapter], force=True)
    assert chapter.notebook.read_text() != worked


def test_an_exercise_that_grades_an_earlier_function_again_has_its_check_where_its_source_places_it(tmp_path):
    """7.7 grades 7.1's make_augmentation a second way: its check cell stands in its own section, and only there."""
    solutions, course = tmp_path / "solutions", tmp_path / "course"
    shutil.copytree(PROJECT_ROOT / "solutions", solutions)
    chapter = next(c for c in discover(solutions, course) if c.name == "chapter7")
    cells = learner_notebook(chapter).cells
    placed = [i for i, cell in enumerate(cells) if cell.source == 'check("7.7")']
    assert len(placed) == 1 and "Exercise 7.7" in cells[placed[0] - 2].source + cells[placed[0] - 1].source
    assert all(cell.source != 'check("7.7")' for cell in solved_notebook(chapter).cells)  # nbval would grade
    source = chapter.source.read_text()
    chapter.source.write_text(source.replace('# %% tags=["check"]\ncheck("7.7")\n', ""))
    with pytest.raises(BuildError, match=r"exercise 7.7 grades a function an earlier exercise asks for: place its check"):
        learner_notebook(next(c for c in discover(solutions, course) if c.name == "chapter7"))
    chapter.source.write_text(source.replace('check("7.7")', 'check("7.2")'))
    with pytest.raises(BuildError, match=r"a cell tagged check must hold only check"):
        learner_notebook(next(c for c in discover(solutions, course) if c.name == "chapter7"))
