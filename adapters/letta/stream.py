"""Reading a large ``AgentFileSchema`` file in constant memory (ijson, C backend).

Pass 1 parses the whole file event by event and builds every part except message bodies: each
agent's ``messages`` becomes a list of ``{"id": ...}`` stubs, enough to check references. Pass 2
streams ``agents.item.messages.item`` and hands each message to the reader with its agent's index.
Peak memory is the small parts (agents, blocks, tools...) plus one message, whatever the number
of messages. Double-encoded files (a JSON string holding the document) cannot be streamed and are
read whole.
"""

from __future__ import annotations

from typing import Any, BinaryIO, Callable, Iterator

import ijson
import orjson

from memconv.errors import InputInvalid, InputUnreadable
from memconv.io import Input
from memconv.jsonutil import BOM

MSG_PREFIX = "agents.item.messages"
WHOLE_PARSE_LIMIT = 256 * 1024 * 1024
"""Largest file re-parsed with orjson to give an exact line and column for a JSON error."""


def _open(inp: Input) -> BinaryIO:
    fh = inp.open()
    if fh.read(3) != BOM:
        fh.seek(0)
    return fh


def json_error(inp: Input, e: Exception) -> Exception:
    """An :class:`InputInvalid` (or :class:`InputUnreadable` for bad UTF-8) for an ijson error, with
    line and column when the file is small enough to re-parse with orjson."""
    text = str(e)
    if "utf" in text.lower() or isinstance(e, UnicodeDecodeError):
        return InputUnreadable(f"{inp.name}: not UTF-8 text ({text})")
    size = inp.size() or 0
    if size <= WHOLE_PARSE_LIMIT:
        from memconv.jsonutil import loads
        from memconv.io import read_all

        with inp.open() as fh:
            try:
                loads(read_all(fh), inp.name)
            except (InputInvalid, InputUnreadable) as err:
                return err
    return InputInvalid(f"{inp.name}: invalid JSON ({text})")


def light_document(inp: Input) -> dict[str, Any]:
    """Pass 1: the document with each agent's messages replaced by ``{"id": ...}`` stubs.

    Raises:
        InputInvalid / InputUnreadable: not JSON, or not UTF-8.
    """
    builder = ijson.ObjectBuilder()
    with _open(inp) as fh:
        try:
            for prefix, event, value in ijson.parse(fh, use_float=True):
                if prefix.startswith(MSG_PREFIX) and prefix != MSG_PREFIX:
                    # inside agents[i].messages: keep only each message's id
                    if prefix == MSG_PREFIX + ".item":
                        if event != "map_key":  # the message's own start/end (or a scalar)
                            builder.event(event, value)
                    elif prefix == MSG_PREFIX + ".item.id" and event in ("string", "number", "null", "boolean"):
                        builder.event("map_key", "id")
                        builder.event(event, value)
                    continue
                builder.event(event, value)
        except ijson.JSONError as e:
            raise json_error(inp, e) from None
        except UnicodeDecodeError as e:
            raise InputUnreadable(f"{inp.name}: byte {e.start}: not UTF-8 text") from None
    return builder.value


def message_stream(inp: Input, counts: list[int]) -> Callable[[], Iterator[tuple[int, Any]]]:
    """Pass 2: a callable yielding ``(agent index, message)`` for every message, in file order.

    ``counts`` is the number of messages of each agent (from the stubs of pass 1).
    """

    def run() -> Iterator[tuple[int, Any]]:
        agent = 0
        left = counts[0] if counts else 0
        with _open(inp) as fh:
            try:
                for msg in ijson.items(fh, MSG_PREFIX + ".item", use_float=True):
                    while left == 0 and agent < len(counts) - 1:
                        agent += 1
                        left = counts[agent]
                    left -= 1
                    yield agent, msg
            except ijson.JSONError as e:
                raise json_error(inp, e) from None

    return run


def starts_with_string(inp: Input) -> bool:
    """True when the document is a JSON string (double-encoded)."""
    head = inp.peek(64).lstrip(BOM + b" \t\r\n")
    return head[:1] == b'"'


def is_v2(doc: Any) -> bool:
    """The server's own test: ``"agents"`` is a list."""
    return isinstance(doc, dict) and isinstance(doc.get("agents"), list)


__all__ = ["light_document", "message_stream", "starts_with_string", "is_v2", "json_error", "orjson"]
