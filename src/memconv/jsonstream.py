"""Streaming a large JSON document with ijson, one element at a time, in constant memory.

What every reader of a large document needs, whatever its format: the elements at a path
(:func:`stream_items`), one value at a path (:func:`stream_value`), the small top-level values in the
first bytes of a document (:func:`head_values`, :func:`first_value`), each with duplicate keys warned
about by their JSON path and errors given as one line with the place
(:func:`memconv.jsonutil.json_error`).
"""

from __future__ import annotations

import functools
import io
import os
import re
from typing import Any, Iterable, Iterator

import ijson
import orjson
from ijson.common import ObjectBuilder

from .io import Input
from .jsonutil import (DupDict, check_dups, count_keys, has_big_int, ijson_backend, json_error, last_items,
                       open_skip_bom, quoted_counts)

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


_WS = rb"[ \t\r\n]*"
_LIST_END = {True: re.compile(rb"\]" + _WS + rb"\}" + _WS + rb"\Z"), False: re.compile(rb"\]" + _WS + rb"\Z")}
BETWEEN = re.compile(rb"\}" + _WS + rb"," + _WS + rb"\{")
"""Two objects of a list, as the bytes between them read: ``}``, a comma, ``{`` (white space allowed)."""
_SPACED_COLON = re.compile(rb'"' + _WS[:-1] + rb"+:")  # a key with white space before its colon
CHUNK_BYTES = 128 << 10
"""What :func:`list_items` parses at a time (about 300 mem0 items). Larger pieces cost memory and no
time: 1 MiB of varied mem0 items is about 15 MB of Python objects (peak RSS on 200k items 54 MB with
128 KiB pieces, 70 MB with 1 MiB ones; the 128 KiB run was also the faster)."""
MAX_CHUNK_BYTES = 16 << 20
"""A stretch of a list that does not parse in pieces up to this long goes to ijson instead."""


def list_span(path: str, key: str | None, others: tuple[str, ...] = ()) -> tuple[bytes, int, int] | None:
    """Where the items of a document that is one list lie: ``{"<key>": [...]}`` (a format's
    :attr:`~memconv.format.Format.listed_document`), or a bare ``[...]`` when ``key`` is None.

    Returns:
        ``(opening, start, end)``: the bytes up to and including the list's ``[``, the offset after
        them and the offset of the closing ``]``; None for any other document, or one that may hold
        ``key`` twice or one of the ``others`` top-level keys too (their quoted names anywhere in the
        bytes). Worked out once per file as it is (a few callers ask).
    """
    st = os.stat(path)
    return _list_span(path, key, others, st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _list_span(path: str, key: str | None, others: tuple[str, ...], size: int,
               mtime_ns: int) -> tuple[bytes, int, int] | None:
    bom = rb"(?:\xef\xbb\xbf)?" + _WS
    if key is None:
        opening = re.compile(bom + rb"\[")
    else:
        quoted = re.escape(b'"' + key.encode() + b'"')
        opening = re.compile(bom + rb"\{" + _WS + quoted + _WS + rb":" + _WS + rb"\[")
    with open(path, "rb") as fh:
        head = fh.read(4096)
        m = opening.match(head)
        if m is None:
            return None
        fh.seek(max(0, size - 4096))
        tail = fh.read()
        e = _LIST_END[key is not None].search(tail)
        if e is None:
            return None
    end = size - len(tail) + e.start()
    if end < m.end():
        return None
    if key is not None or others:
        names = (key, *others) if key is not None else others
        found = quoted_counts(lambda: open(path, "rb"), names)
        if (key is not None and found[key] != 1) or any(found[k] for k in others):
            return None
    return head[:m.end()], m.end(), end


def list_items(inp: Input, key: str | None, others: tuple[str, ...], label: str, ij: Any = ijson,
               report: Any = None) -> Iterator[tuple[int, Any]] | None:
    """What :func:`stream_items` gives for the items of a document that is one list
    (:func:`list_span`: ``{"<key>": [...]}``, or a bare list when ``key`` is None), read faster: the
    list is cut between two objects (:data:`BETWEEN`) about every :data:`CHUNK_BYTES` and each piece
    parsed with orjson. None when the document is not such a list, is not a plain file, or may hold
    integers past 64 bits (``ij`` is ijson's Python backend): use :func:`stream_items`.

    Why a piece is right: a piece starts where the one before it ended, between two items (the list's
    start for the first). Had its end cut fallen inside an item or inside a string, ``[`` + piece +
    ``]`` would leave an object or a string open, and not parse; so a piece that parses holds whole
    items, and ends between two. A piece that does not parse is read on to the next cut (up to
    :data:`MAX_CHUNK_BYTES`); past that, or at the list's end, ijson reads the rest as
    :func:`stream_items` would, so bad JSON gets its usual one-line error with line and column.

    Duplicate keys: orjson keeps the last value of a key given twice in silence. Outside strings, a
    ``"`` followed by ``:`` ends a key; inside one, ``":`` is an escaped quote before a colon. So in a
    piece with no key spaced from its colon (``"a" :``), the ``":`` count is its keys given plus those
    escaped quotes, and equals the keys its parsed objects hold only when no key was given twice and
    no string holds one. Any other piece is parsed again with ijson and
    :class:`~memconv.jsonutil.DupDict`, and warned about as :func:`stream_items` warns
    (``results[7].metadata``).
    """
    if ij is not ijson:
        return None
    if inp.list_part is not None:  # a part memconv.jobs cut from such a document: its items are known
        path, start, end = inp.list_part
    else:
        path = inp.file_path()
        span = list_span(path, key, others) if path is not None else None
        if span is None:
            return None
        start, end = span[1], span[2]
    return _list_items(inp, path, start, end, f"{key}.item" if key else "item", label, report)


def _list_items(inp: Input, path: str, start: int, end: int, prefix: str, label: str,
                report: Any) -> Iterator[tuple[int, Any]]:
    i = 0
    with open(path, "rb") as fh:
        fh.seek(start)
        pos, buf = start, b""
        while True:
            if pos < end:
                more = fh.read(min(CHUNK_BYTES, end - pos))
                pos += len(more)
                buf += more
            last = pos >= end
            if last:
                piece, rest = buf, b""
            else:
                cut = None
                for cut in BETWEEN.finditer(buf, max(0, len(buf) - (64 << 10))):
                    pass
                if cut is None:
                    for cut in BETWEEN.finditer(buf):
                        pass
                if cut is None:  # one item longer than what was read: read on
                    if len(buf) > MAX_CHUNK_BYTES:
                        break
                    continue
                piece, rest = buf[:cut.start() + 1], buf[cut.end() - 1:]
            try:
                objs = orjson.loads(b"[" + piece + b"]")
            except orjson.JSONDecodeError:
                if last or len(buf) > MAX_CHUNK_BYTES:
                    break
                continue  # the cut fell inside an item or a string: the next one is further on
            may_dup = _SPACED_COLON.search(piece) is not None or piece.count(b'":') != sum(map(count_keys, objs))
            if may_dup:  # parsed again so that a key given twice is warned about with its place
                objs = list(ijson.items(io.BytesIO(b"[" + piece + b"]"), "item", use_float=True, map_type=DupDict))
            for obj in objs:
                if may_dup:
                    check_dups(obj, report, inp.name, f"{label}[{i}]")
                yield i, obj
                i += 1
            if last:
                return
            buf = rest
    # what orjson would not take (bad JSON, or JSON it refuses and ijson takes): ijson, from the start
    with open_skip_bom(inp) as fh:
        try:
            for k, obj in enumerate(ijson.items(fh, prefix, use_float=True, map_type=DupDict)):
                check_dups(obj, report if k >= i else None, inp.name, f"{label}[{k}]")
                if k >= i:
                    yield k, obj
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
