"""Reading a large ``AgentFileSchema`` file in constant memory (ijson, C backend).

Pass 1 parses the whole file event by event and builds every part except messages: each agent's
``messages`` is left empty, and pass 1 keeps only how many there are and their ids, as 64-bit
fingerprints (:class:`MessageIds`), enough to check the in-context references. Pass 2 streams
``agents.item.messages.item`` and hands each message to the reader with its agent's index. Peak
memory is the small parts (agents, blocks, tools...), one message, and 16 bytes per message.
Double-encoded files (a JSON string holding the document) cannot be streamed and are read whole.
"""

from __future__ import annotations

from typing import Any, BinaryIO, Callable, Iterator

import ijson
import orjson

from memconv.io import Input
from memconv import jsonutil
from memconv.jsonutil import BOM, DupDict
from memconv.uniqueids import Fingerprints

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


class MessageIds:
    """One agent's messages as pass 1 saw them: how many, and their ids as fingerprints
    (:class:`memconv.uniqueids.Fingerprints`: 16 bytes a message, where stubs took about 250).
    ``ref in ids`` answers whether a message of the agent has id ``ref`` (two ids with one 64-bit
    fingerprint count as one: about one chance in 10^7 among a million messages)."""

    __slots__ = ("count", "ids")

    def __init__(self) -> None:
        self.count = 0
        self.ids = Fingerprints()

    def __contains__(self, ref: object) -> bool:
        return ref in self.ids


def light_document(inp: Input, report: Any = None) -> tuple[dict[str, Any], list[MessageIds]]:
    """Pass 1: the document with each agent's ``messages`` left empty, and what pass 1 saw of them.

    Returns:
        ``(doc, messages)``: ``doc`` as parsed, except that each agent's ``messages`` array is
        empty (``[]``); ``messages[i]`` is the count and ids of agent ``i``'s messages (the ids of
        those that are objects with a scalar ``id``; the last ``id`` of a message that gives it twice).
        Memory: 16 bytes a message, whatever the messages hold.

    Duplicate keys (any object but a message's) are warned about through ``report``, with their
    JSON path; a message's own are warned about by pass 2.

    Raises:
        InputInvalid / InputUnreadable: not JSON, or not UTF-8 (line and column).
    """
    builder = ijson.ObjectBuilder(map_type=DupDict)
    build = builder.event
    item, item_id, inside = MSG_PREFIX + ".item", MSG_PREFIX + ".item.id", MSG_PREFIX + ".item."
    scalar = ("string", "number", "null", "boolean")
    starts = ("start_map", "start_array", *scalar)  # the first event of a value
    agents: list[MessageIds] = []
    mine = MessageIds()
    rid: Any = _NO_ID
    with _open(inp) as fh:
        try:
            # Most events are inside a message (its content, tool calls...): the first test drops them,
            # noting the message's own id. An agent key that merely starts with "messages"
            # ("messages_note") is not a message and is kept.
            for prefix, event, value in ijson.parse(fh, use_float=True):
                if prefix.startswith(inside):
                    if prefix == item_id and event in scalar:
                        rid = value  # a message's id given twice: its last, as the builder keeps it
                elif prefix == item:
                    if event == "end_map":
                        if rid is not _NO_ID:
                            mine.ids.add(rid)
                            rid = _NO_ID
                    elif event in starts:
                        mine.count += 1
                elif prefix == "agents.item":
                    if event in starts:  # the next agent
                        mine = MessageIds()
                        agents.append(mine)
                    build(event, value)
                else:
                    if prefix == "agents" and event == "start_array":  # "agents" given twice: the last
                        agents = []
                    build(event, value)
        except (ijson.JSONError, UnicodeDecodeError) as e:
            raise json_error(inp, e) from None
    jsonutil.check_dups(builder.value, report, inp.name, "")
    return builder.value, agents


_NO_ID = object()


def message_stream(inp: Input, counts: list[int], report: Any = None) -> Callable[[], Iterator[tuple[int, Any]]]:
    """Pass 2: a callable yielding ``(agent index, message)`` for every message, in file order.

    ``counts`` is the number of messages of each agent (from pass 1). A message with a key given
    twice is warned about through ``report`` (``agents[0].messages[3]``), unless the callable is
    called with ``quiet=True`` (a second reading, to find where an id was first given).
    """

    def run(quiet: bool = False) -> Iterator[tuple[int, Any]]:
        said = None if quiet else report
        agent = 0
        left = counts[0] if counts else 0
        with _open(inp) as fh:
            try:
                for msg in ijson.items(fh, MSG_PREFIX + ".item", use_float=True, map_type=DupDict):
                    while left == 0 and agent < len(counts) - 1:
                        agent += 1
                        left = counts[agent]
                    left -= 1
                    jsonutil.check_dups(msg, said, inp.name,
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


__all__ = ["MessageIds", "light_document", "message_stream", "starts_with_string", "is_v2", "json_error", "orjson"]
