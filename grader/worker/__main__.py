"""The per-backend worker: `python -m grader.worker`, with KERAS_BACKEND set.

It is the only part of the grader that imports Keras. The parent process sends
one JSON request per line on stdin and reads one JSON reply per line on a
private copy of the original stdout; everything the code under test prints
goes to stderr, which the parent keeps in a log. A worker hands back data
(arrays, model files, architecture descriptions) and never a verdict.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TextIO

from .. import protocol


def _private_channel() -> TextIO:
    """Keep the real stdout for replies and point fd 1 at stderr for everyone else."""
    channel = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return channel


def main() -> None:
    limits = os.environ.pop("GRADER_LIMITS", "")  # set by grader/sandbox.py, before any learner code
    if limits:
        from ..sandbox import apply_limits

        apply_limits(limits)
    channel = _private_channel()
    from . import tasks  # imports Keras: after the redirect, so its chatter goes to the log

    channel.write(protocol.hello_line(tasks.environment()))
    for line in sys.stdin:
        request = json.loads(line)
        channel.write(protocol.reply_line(tasks.handle(request), request.get("nonce")))


if __name__ == "__main__":
    main()
