"""The Keras 3 course's autograder.

Import it cheaply: nothing here imports Keras or a backend. In a notebook,
`from grader import check` then `check("4.2")` grades that exercise.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["check", "__version__"]


def check(exercise_id: str, **options: Any) -> Any:
    """Grade one exercise from the running notebook's definitions (see `grader.jupyter`)."""
    from .jupyter import check as check_in_kernel

    return check_in_kernel(exercise_id, **options)
