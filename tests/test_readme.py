"""README's table of chapters matches the manifests."""

from __future__ import annotations

from grader.chapters import PROJECT_ROOT, discover


def test_every_chapter_is_listed_with_its_exercise_counts():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for chapter in discover():
        spec = chapter.spec
        training = sum(1 for e in spec.exercises if e.kind == "training")
        row = f"| {spec.number}{chapter.part} | {spec.title} ({spec.title_zh}) | {len(spec.exercises)} | {training} |"
        assert row in readme, f"README.md lacks the row: {row}"
