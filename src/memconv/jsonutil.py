"""JSON parsing and writing shared by the adapters, with errors that name the place.

orjson parses and serialises; :func:`loads` turns its errors into one-line
:class:`~memconv.errors.InputInvalid` / :class:`~memconv.errors.InputUnreadable` messages with line and
column, strips a UTF-8 byte-order mark, and undoes double encoding (a JSON string holding a JSON
document, as ``json.dump(client.agents.export_file(...))`` writes Letta files).
"""

from __future__ import annotations

import json
import re
from typing import Any, BinaryIO

import orjson

from .errors import InputInvalid, InputUnreadable

BOM = b"\xef\xbb\xbf"
BIG_INT_LITERAL = re.compile(rb"[:\[,]\s*-?[0-9]{19}")
"""An integer literal of 19 or more digits in value position (after ``:``, ``[`` or ``,``): possibly
beyond 64 bits, which orjson would make a float and ijson's C backend refuses."""


def has_big_int(data: bytes) -> bool:
    """True when ``data`` may hold a JSON integer of 19 or more digits (a digit run inside a string
    right after ``: `` also counts; that only costs speed)."""
    return BIG_INT_LITERAL.search(data) is not None


DUP_CHECK_BYTES = 64 * 1024 * 1024
"""Documents up to this size are also checked for duplicate keys (a second, stdlib parse)."""


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
    big = has_big_int(data)
    if len(data) <= DUP_CHECK_BYTES or big:
        exact = _stdlib_loads(data, name, report)
        if big:
            doc = exact  # orjson turned integers beyond 64 bits into floats; keep them exact
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


def _stdlib_loads(data: bytes, name: str, report: Any) -> Any:
    """Parse with the standard library: exact big integers, and duplicate keys reported."""
    dups: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out and len(dups) < 5:
                dups.append(k)
            out[k] = v
        return out

    def bad_constant(c: str) -> Any:
        raise InputInvalid(f"{name}: {c} is not valid JSON (NaN and Infinity are refused)")

    def check_float(text: str) -> float:
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise InputInvalid(f"{name}: the number {text} is beyond float range")
        return value

    try:
        doc = json.loads(data, object_pairs_hook=pairs, parse_constant=bad_constant, parse_float=check_float)
    except (ValueError, RecursionError):
        return orjson.loads(data)
    if dups and report is not None:
        report.warn(f"{name}: duplicate key(s) {', '.join(repr(d) for d in dups)} in one object; "
                    f"the last value of each was used")
    return doc


def scan_numbers(fh: BinaryIO, name: str) -> bool:
    """Scan a stream for integers that ijson's C backend cannot keep (it refuses them with
    "integer overflow"; numbers beyond float range it refuses too, which is what memconv wants).

    Returns:
        True when it may hold an integer of 19+ digits: read it with ijson's pure-Python backend.
        (A long digit run inside a string also counts; that only costs speed.)
    """
    tail = b""
    while True:
        chunk = fh.read(1 << 20)  # 1 MiB at a time: memory stays flat
        if not chunk:
            return False
        if has_big_int(tail + chunk):
            return True
        tail = chunk[-32:]


def contains(fh: BinaryIO, needle: bytes) -> bool:
    """Whether the bytes of ``fh`` contain ``needle`` (read 1 MiB at a time): a byte search, far
    cheaper than a parse, that lets a reader skip a streamed pass over a key that is not there."""
    tail = b""
    while True:
        chunk = fh.read(1 << 20)
        if not chunk:
            return False
        if needle in tail + chunk[:len(needle)] or needle in chunk:
            return True
        tail = chunk[-len(needle):]


def ijson_backend(big_ints: bool) -> Any:
    """ijson's C backend, or its pure-Python one when the input holds integers beyond 64 bits
    (the C backend refuses them with "integer overflow")."""
    import ijson

    return ijson.get_backend("python") if big_ints else ijson


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
    """Serialise with orjson (UTF-8; ``indent`` gives 2-space indentation, as Letta's exporter).

    Integers beyond 64 bits, which orjson cannot write, are written exactly by the standard library.
    """
    opts = orjson.OPT_NON_STR_KEYS
    if indent:
        opts |= orjson.OPT_INDENT_2
    try:
        return orjson.dumps(value, option=opts)
    except TypeError as e:
        if "64-bit" not in str(e):
            raise
        return json.dumps(value, ensure_ascii=False, indent=2 if indent else None,
                          separators=None if indent else (",", ":")).encode()


def jpath(*parts: str | int) -> str:
    """A JSON path such as ``agents[0].block_ids[2]``."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + p
    return out
