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

from memconv.io import Input
from memconv import jsonutil
from memconv.jsonutil import BOM, DupDict

MSG_PREFIX = "agents.item.messages"


def _open(inp: Input) -> BinaryIO:
    fh = inp.open()
    if fh.read(3) != BOM:
        fh.seek(0)
    return fh


def json_error(inp: Input, e: Exception) -> Exception:
    """The one-line error for a parse failure of the streamed file (:func:`memconv.jsonutil.json_error`:
    line and column found again in constant memory; exit 3 for bytes that are not UTF-8)."""
    return jsonutil.json_error(inp.name, inp.open, e)


def light_document(inp: Input, report: Any = None) -> dict[str, Any]:
    """Pass 1: the document with each agent's messages replaced by ``{"id": ...}`` stubs.

    Duplicate keys (any object but a message's) are warned about through ``report``, with their
    JSON path.

    Raises:
        InputInvalid / InputUnreadable: not JSON, or not UTF-8 (line and column).
    """
    builder = ijson.ObjectBuilder(map_type=DupDict)
    build = builder.event
    item, item_id, inside = MSG_PREFIX + ".item", MSG_PREFIX + ".item.id", MSG_PREFIX + ".item."
    scalar = ("string", "number", "null", "boolean")
    with _open(inp) as fh:
        try:
            # Most events are inside a message (its content, tool calls...): the first test drops them,
            # keeping only the message's own id. An agent key that merely starts with "messages"
            # ("messages_note") is not a message and is kept.
            for prefix, event, value in ijson.parse(fh, use_float=True):
                if prefix.startswith(inside):
                    if prefix == item_id and event in scalar:
                        build("map_key", "id")
                        build(event, value)
                elif prefix != item or event != "map_key":  # a message's own start/end (or a scalar)
                    build(event, value)
        except (ijson.JSONError, UnicodeDecodeError) as e:
            raise json_error(inp, e) from None
    jsonutil.check_dups(builder.value, report, inp.name, "")
    return builder.value


def message_stream(inp: Input, counts: list[int], report: Any = None) -> Callable[[], Iterator[tuple[int, Any]]]:
    """Pass 2: a callable yielding ``(agent index, message)`` for every message, in file order.

    ``counts`` is the number of messages of each agent (from the stubs of pass 1). A message with a
    key given twice is warned about through ``report`` (``agents[0].messages[3]``).
    """

    def run() -> Iterator[tuple[int, Any]]:
        agent = 0
        left = counts[0] if counts else 0
        with _open(inp) as fh:
            try:
                for msg in ijson.items(fh, MSG_PREFIX + ".item", use_float=True, map_type=DupDict):
                    while left == 0 and agent < len(counts) - 1:
                        agent += 1
                        left = counts[agent]
                    left -= 1
                    jsonutil.check_dups(msg, report, inp.name,
                                        f"agents[{agent}].messages[{counts[agent] - left - 1}]"
                                        if agent < len(counts) else "agents.messages")
                    yield agent, msg
            except (ijson.JSONError, UnicodeDecodeError) as e:
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
