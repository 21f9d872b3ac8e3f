"""Streaming a large JSON document with ijson, one element at a time, in constant memory.

What every reader of a large document needs, whatever its format: the elements at a path
(:func:`stream_items`), one value at a path (:func:`stream_value`), the small top-level values in the
first bytes of a document (:func:`head_values`, :func:`first_value`), each with duplicate keys warned
about by their JSON path and errors given as one line with the place
(:func:`memconv.jsonutil.json_error`).
"""

from __future__ import annotations

import io
from typing import Any, Iterable, Iterator

import ijson
from ijson.common import ObjectBuilder

from .io import Input
from .jsonutil import DupDict, check_dups, has_big_int, ijson_backend, json_error, last_items, open_skip_bom

MISSING = object()
""":func:`stream_value`'s answer when the document has no value at the path."""

def ijson_error(inp: Input, e: Exception) -> Exception:
    """The one-line error of :func:`memconv.jsonutil.json_error` (line and column found again)."""
    return json_error(inp.name, inp.open, e)


def stream_items(inp: Input, prefix: str, label: str, ij: Any = ijson,
                 report: Any = None, times: int = 1) -> Iterator[tuple[int, Any]]:
    """``(index, object)`` for each element at ``prefix`` (``results.item``), parsed one at a time
    with the ijson backend ``ij``; an object with a key given twice is warned about through
    ``report``, with its JSON path (``results[7].metadata``). ``times``: how many times the
    top-level key is given; the elements of its last value are read.

    Raises:
        InputInvalid: bad JSON, with line and column (:func:`memconv.jsonutil.json_error`).
        InputUnreadable: bytes that are not UTF-8, or corrupt gzip.
    """
    with open_skip_bom(inp) as fh:
        try:
            items = ij.items(fh, prefix, use_float=True, map_type=DupDict) if times == 1 else \
                last_items(fh, label, times, ij)
            for i, obj in enumerate(items):
                check_dups(obj, report, inp.name, f"{label}[{i}]")
                yield i, obj
        except (ijson.JSONError, UnicodeDecodeError) as e:
            raise ijson_error(inp, e) from None


def stream_value(inp: Input, prefix: str, ij: Any = ijson, report: Any = None, times: int = 1) -> Any:
    """The value at ``prefix`` (built whole; the last one of a key given ``times`` times), or
    ``MISSING``; one pass over the input.

    Raises:
        InputInvalid / InputUnreadable: as :func:`stream_items`.
    """
    with open_skip_bom(inp) as fh:
        try:
            value = next(ij.items(fh, prefix, use_float=True, map_type=DupDict) if times == 1 else
                         last_items(fh, prefix, times, ij, whole=True), MISSING)
        except (ijson.JSONError, UnicodeDecodeError) as e:
            raise ijson_error(inp, e) from None
    check_dups(value, report, inp.name, prefix)
    return value


def then_raise(items: Iterable[tuple[int, Any]], error: Exception) -> Iterator[tuple[int, Any]]:
    yield from items
    raise error


def head_values(head: bytes, skip: tuple[str, ...], ij: Any = None,
                types: dict[str, str] | None = None, twice: list[str] | None = None) -> dict[str, Any]:
    """Top-level keys whose values are complete within ``head`` (the start of a document), except
    the ``skip`` keys, whose (large) values are passed over without being built. ``types`` receives
    the first parse event of every top-level value seen (``start_array`` for a list); ``twice`` the
    top-level keys seen more than once."""
    out: dict[str, Any] = {}
    seen: set[str] = set()
    key: str | None = None
    builder: ObjectBuilder | None = None
    depth = 0
    ij = ij or ijson_backend(has_big_int(head))
    try:
        for prefix, event, value in ij.parse(io.BytesIO(head), use_float=True):
            if depth == 1 and event == "map_key":
                key, builder = value, (None if value in skip else ObjectBuilder(map_type=DupDict))
                if twice is not None and value in seen and value not in twice:
                    twice.append(value)
                seen.add(value)
                continue
            if depth == 1 and types is not None and key is not None and key not in types:
                types[key] = event
            if event in ("start_map", "start_array"):
                depth += 1
                if depth == 1:
                    continue
            elif event in ("end_map", "end_array"):
                depth -= 1
                if depth == 0:
                    break
            if builder is not None:
                builder.event(event, value)
                if depth == 1:
                    out[key] = builder.value
                    builder = None
    except (ijson.JSONError, UnicodeDecodeError):
        pass
    return out


def first_value(head: bytes, prefix: str) -> Any:
    """The first complete element at ``prefix`` within ``head``, or None."""
    ij = ijson_backend(has_big_int(head))
    try:
        return next(ij.items(io.BytesIO(head), prefix, use_float=True), None)
    except (ijson.JSONError, UnicodeDecodeError):
        return None
