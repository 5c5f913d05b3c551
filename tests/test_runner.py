"""Timing: a speed trial keeps the fastest of its runs, after a warm-up that is not counted."""

from __future__ import annotations

from grader.runner import Reply, fastest_reply


class ScriptedWorker:
    """Answers requests with the replies it was given, in order."""

    def __init__(self, replies: list[Reply]) -> None:
        self.replies, self.requests = list(replies), 0

    def request(self, request: dict, timeout_s: float) -> Reply:
        self.requests += 1
        return self.replies.pop(0)


def test_the_warm_up_is_not_counted_and_the_fastest_run_is_kept():
    worker = ScriptedWorker([Reply("ok", duration_s=0.5), Reply("ok", duration_s=0.03), Reply("ok", duration_s=0.01),
                             Reply("ok", duration_s=0.02)])
    assert fastest_reply(worker, {}, repeats=3, timeout_s=1).duration_s == 0.01
    assert worker.requests == 4


def test_a_failed_run_is_returned_at_once():
    worker = ScriptedWorker([Reply("ok", duration_s=0.5), Reply("timeout", duration_s=1.0), Reply("ok", duration_s=0.01)])
    assert fastest_reply(worker, {}, repeats=2, timeout_s=1).status == "timeout"
    assert worker.requests == 2
