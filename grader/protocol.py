"""What the grader and a worker say to each other: one JSON object per line, both ways.

The grader writes a request (`{"task": ..., "nonce": ...}`) on the worker's stdin; the worker answers on a
private copy of its stdout with the same nonce, so that nothing the code under test prints can pass for
a reply. The first line a worker writes is its hello (Keras, backend and device versions). Replies carry
a status, data (file paths, a history), and for an error its message and traceback; never a verdict.
This module is shared by both sides and imports nothing but the standard library.

Example:
    >>> line = request_line(describe_request(model="m.keras", output="m.json"), nonce="5ab")
    >>> json.loads(line)["task"], json.loads(line)["nonce"]
    ('describe', '5ab')
    >>> read_reply(reply_line({"status": OK}, nonce="5ab"), nonce="5ab")
    {'status': 'ok'}
    >>> read_reply(reply_line({"status": OK}, nonce="forged"), nonce="5ab") is None
    True
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# A reply's status: the worker's own; the grader adds "timeout", "memory limit" and "crashed" itself.
OK, NOT_IMPLEMENTED, ERROR = "ok", "not implemented", "error"


@dataclass(frozen=True)
class Reply:
    """What came back for one request.

    `status` is the worker's own word ("ok", "error", "not implemented") or the
    runner's ("timeout", "crashed") when the worker could not answer.
    """

    status: str
    data: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def error(self) -> str:
        return str(self.data.get("error", ""))


def call_request(
    *, source: Path, entry: str, inputs: Path, output: Path, expect: str, seed: int,
    probe: str = "", probe_source: Path | None = None, full_traceback: bool = False,
) -> dict[str, Any]:
    """Run `entry` (through `probe`, if any) on the inputs in a file; `expect` says what to write to `output`.

    An error's traceback comes back with the notebook's frames only, or every frame with `full_traceback`.
    """
    return {
        "task": "call", "source": str(source), "entry": entry, "inputs": str(inputs), "output": str(output),
        "expect": expect, "seed": seed, "probe": probe, "probe_source": str(probe_source or ""),
        "full_traceback": full_traceback,
    }


def describe_request(*, model: str | Path, output: str | Path) -> dict[str, Any]:
    """Load a saved model (safely) and write its description (layers, shapes, parameters) to `output`."""
    return {"task": "describe", "model": str(model), "output": str(output)}


def predict_request(*, model: str | Path, inputs: str | Path, input_key: str, output: str | Path,
                    decode_length: int = 0) -> dict[str, Any]:
    """Load a saved model (safely) and write its predictions on `inputs[input_key]` to `output`.

    With `decode_length`, the model is a translator and its predictions are the tokens it writes by
    greedy decoding (grader/worker/decoding.py) with a decoder input of that length.
    """
    return {"task": "predict", "model": str(model), "inputs": str(inputs), "input_key": input_key, "output": str(output),
            "decode_length": decode_length}


def request_line(request: dict[str, Any], nonce: str) -> str:
    return json.dumps({**request, "nonce": nonce}) + "\n"


def hello_line(environment: dict[str, Any]) -> str:
    """The worker's first line: what it runs on."""
    return json.dumps({"hello": environment}) + "\n"


def reply_line(reply: dict[str, Any], nonce: str | None) -> str:
    return json.dumps({**reply, "nonce": nonce}) + "\n"


def read_hello(line: str) -> dict[str, Any] | None:
    """The environment a hello line announces, or None for any other line."""
    message = _object(line)
    hello = message.get("hello") if message else None
    return hello if isinstance(hello, dict) else None


def read_reply(line: str, nonce: str | None) -> dict[str, Any] | None:
    """The reply in `line` when it answers the request marked `nonce` (any, when None); else None."""
    message = _object(line)
    if message is None or (nonce is not None and message.get("nonce") != nonce):
        return None
    message.pop("nonce", None)
    return message


def _object(line: str) -> dict[str, Any] | None:
    try:
        message = json.loads(line)
    except json.JSONDecodeError:
        return None
    return message if isinstance(message, dict) else None
