"""JSON parsing and writing shared by the adapters, with errors that name the place.

orjson parses and serialises; :func:`loads` turns its errors into one-line
:class:`~memconv.errors.InputInvalid` / :class:`~memconv.errors.InputUnreadable` messages with line and
column, strips a UTF-8 byte-order mark, and undoes double encoding (a JSON string holding a JSON
document, as ``json.dump(client.agents.export_file(...))`` writes Letta files).
"""

from __future__ import annotations

from typing import Any

import orjson

from .errors import InputInvalid, InputUnreadable

BOM = b"\xef\xbb\xbf"


def loads(data: bytes, name: str, *, undo_double: bool = True, report: Any = None) -> Any:
    """Parse one JSON document.

    Args:
        data: the bytes. name: the input's display name for messages.
        undo_double: when the document is a JSON string that itself parses as an object or array,
            return that (and warn through ``report`` if given).

    Raises:
        InputUnreadable: the bytes are not UTF-8.
        InputInvalid: not JSON; the message has line and column.
    """
    if data.startswith(BOM):
        data = data[len(BOM):]
    if not data.strip():
        raise InputInvalid(f"{name}: empty input (expected a JSON document)")
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise _decode_error(data, e, name) from None
    if undo_double and isinstance(doc, str) and doc.lstrip()[:1] in ("{", "["):
        try:
            inner = orjson.loads(doc)
        except orjson.JSONDecodeError as e:
            raise InputInvalid(f"{name}: double-encoded JSON: the inner document is invalid "
                               f"at line {e.lineno}, column {e.colno} ({e.msg})") from None
        if report is not None:
            report.warn(f"{name}: JSON was double-encoded (a string holding the document); decoded it")
        return inner
    return doc


def _decode_error(data: bytes, e: orjson.JSONDecodeError, name: str) -> Exception:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as u:
        return InputUnreadable(f"{name}: byte {u.start}: not UTF-8 text")
    msg = str(e.msg)
    if "trailing" in msg.lower():
        msg = "trailing data after the JSON document"
    return InputInvalid(f"{name}: line {e.lineno}, column {e.colno}: invalid JSON ({msg})")


def dumps(value: Any, *, indent: bool = False) -> bytes:
    """Serialise with orjson (UTF-8; ``indent`` gives 2-space indentation, as Letta's exporter)."""
    opts = orjson.OPT_NON_STR_KEYS
    if indent:
        opts |= orjson.OPT_INDENT_2
    return orjson.dumps(value, option=opts)


def jpath(*parts: str | int) -> str:
    """A JSON path such as ``agents[0].block_ids[2]``."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + p
    return out
