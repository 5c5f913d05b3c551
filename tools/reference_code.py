"""A function of a chapter's reference, for the measuring tools beside this file.

    from reference_code import reference_function
    train_model = reference_function("chapter4", "train_model")
"""

from __future__ import annotations

from typing import Any

from grader.chapters import resolve
from grader.notebook import extract, read_code_cells


def reference_function(chapter: str, name: str) -> Any:
    """`name` from `chapter`'s source, run with exactly the definitions it needs (the grader's own extraction)."""
    extraction = extract(read_code_cells(resolve(chapter).source), [name])
    namespace: dict[str, Any] = {"__name__": chapter}
    for snippet in extraction.snippets:
        exec(compile(snippet.code, f"<{chapter} {snippet.label}>", "exec"), namespace)
    return namespace[name]
