"""The top-level keys of a JSON object input, wherever they fall in the file (format detection).

Detection must not depend on key order, nor on a key falling in the first bytes of a file: a valid
AgentMemory ``ExportData`` whose keys are sorted (``lessons`` before ``observations`` and ``version``
last) is still an ``ExportData``. :func:`top_keys` reads the input's peek first; when the caller's
``decided`` says the keys seen there settle the question (or the peek holds the whole object), it
stops; otherwise it goes on through the whole file's top level with ijson, skipping the values
(never building them), up to :data:`MAX_KEYS` top-level keys.
"""

from __future__ import annotations

import io
import zlib
from typing import Any, BinaryIO, Callable, Iterator

import ijson

from .errors import MemconvError
from .io import Input
from .jsonutil import BOM

MAX_KEYS = 4096
"""Top-level keys read at most (the formats memconv knows have fewer than 30)."""

_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})


class TopLevel:
    """What was seen of a JSON document's top level.

    Attributes:
        is_object: the document starts with ``{``.
        keys: the top-level keys in document order (each once).
        scalars: the values of the top-level keys whose value is a string, number, boolean or null.
        complete: the whole top-level object was seen (up to its closing ``}``).
    """

    def __init__(self) -> None:
        self.is_object = False
        self.keys: list[str] = []
        self.scalars: dict[str, Any] = {}
        self.complete = False

    @property
    def seen(self) -> frozenset[str]:
        """The keys seen, as a set."""
        return frozenset(self.keys)


def _walk(events: Iterator[tuple[str, Any]], top: TopLevel, decided: Callable[[TopLevel], bool] | None) -> None:
    depth = 0
    key: str | None = None
    started = False
    try:
        for ev, val in events:
            if not started:
                started = True
                if ev != "start_map":
                    return
                top.is_object = True
                depth = 1
                continue
            if depth == 1 and ev == "map_key":
                key = val
                if val not in top.keys:
                    top.keys.append(val)
                if decided is not None and decided(top):
                    return
                if len(top.keys) >= MAX_KEYS:
                    return
                continue
            if ev in _OPEN:
                depth += 1
            elif ev in _CLOSE:
                depth -= 1
                if depth == 0:
                    top.complete = True
                    return
            elif depth == 1 and key is not None:
                top.scalars[key] = val
    except ijson.JSONError:
        pass  # cut short (the peek) or not JSON: judge what was seen


def top_keys(inp: Input, decided: Callable[[TopLevel], bool] | None = None, *, head: bytes | None = None) -> TopLevel:
    """The top-level keys (and scalar values) of the JSON object in ``inp``.

    Args:
        inp: a file input (not a folder).
        decided: called after each new top-level key; True stops the scan (the keys seen so far
            settle the caller's question). None: read the whole top level.
        head: the peek to start from (default ``inp.peek()``).

    Returns:
        :class:`TopLevel`. ``is_object`` is False for anything but a JSON object. Invalid JSON ends
        the scan quietly (the reader reports it with its place).
    """
    top = TopLevel()
    if head is None:
        head = inp.peek()
    if head.startswith(BOM):
        head = head[len(BOM):]
    if head.lstrip()[:1] != b"{":
        return top
    _walk(ijson.basic_parse(io.BytesIO(head), use_float=True), top, decided)
    if top.complete or not top.is_object or (decided is not None and decided(top)) or len(top.keys) >= MAX_KEYS:
        return top
    # The peek was not enough: go through the whole top level, skipping the values.
    whole = TopLevel()
    try:
        with inp.open() as fh:
            _walk(ijson.basic_parse(_no_bom(fh), use_float=True), whole, decided)
    except (MemconvError, OSError, EOFError, zlib.error, UnicodeDecodeError):
        return top  # unreadable past the peek (a cut gzip...): the reader says so with its place
    return whole if whole.is_object else top


def _no_bom(fh: BinaryIO) -> BinaryIO:
    if fh.read(3) != BOM:
        fh.seek(0)
    return fh


FIRST_LINE_MAX = 8 * 1024 * 1024
"""The longest first line :func:`whole_first_line` reads (a JSON-L record of a 100,000-character block is
one line, longer than any peek)."""


def whole_first_line(inp: Input, cap: int = FIRST_LINE_MAX) -> bytes | None:
    """The input's first non-blank line, read whole (BOM and white space around it taken off), when it
    ends within ``cap`` bytes and something other than white space follows it: a JSON-L line longer than
    a peek. None otherwise: one line only (a document written on one line is not read whole here, so
    memory stays flat) or a line past ``cap``. Bytes are counted in 64 KiB chunks before the line is read.
    Any read error gives None (the reader reports it, with its place)."""
    try:
        with inp.open() as fh:
            start = end = None
            pos = 0
            while end is None:
                chunk = fh.read(1 << 16)
                if not chunk:
                    return None
                if start is None:
                    body = chunk.lstrip(BOM + b" \t\r\n")
                    if body:
                        start = pos + len(chunk) - len(body)
                if start is not None:
                    nl = chunk.find(b"\n", max(0, start - pos))
                    if nl >= 0:
                        end = pos + nl
                    elif pos + len(chunk) - start > cap:
                        return None
                pos += len(chunk)
            rest = chunk[end - (pos - len(chunk)) + 1:] or fh.read(4096)
            while rest and not rest.strip():
                rest = fh.read(4096)
            if not rest.strip():
                return None
        with inp.open() as fh:
            fh.read(start)
            return fh.read(end - start).rstrip(b"\r")
    except (MemconvError, OSError, EOFError, zlib.error, ValueError):
        return None
