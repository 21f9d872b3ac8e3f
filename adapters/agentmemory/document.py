"""The ``ExportData`` document, written from records already serialised, one at a time.

Both the single document and each ``--split`` part (:mod:`.split`) are written here, so they cannot
differ in shape. Key order follows AgentMemory 0.9.29's own export: ``version``, ``exportedAt``,
``sessions``, ``observations`` (session id -> observations), ``memories``, ``summaries``, then the
optional collections.
"""

from __future__ import annotations

from typing import Any, BinaryIO, Iterable

from memconv.jsonutil import dumps
from memconv.model import is_marker
from memconv.spool import write_joined

from .shape import OPTIONAL_COLLECTIONS, REQUIRED_TOP

_dump = dumps


def chain(*iters: Iterable[bytes]) -> Iterable[bytes]:
    """The blobs of each iterable in turn."""
    for it in iters:
        yield from it


def write_doc(o: BinaryIO, version: str, exported_at: str, sessions: Iterable[bytes],
               buckets: Iterable[tuple[str, Iterable[bytes]]], memories: Iterable[bytes],
               summaries: Iterable[bytes], raw: dict[str, Iterable[bytes]],
               top: dict[str, Any] | None = None) -> None:
    """Write one ``ExportData`` document (AgentMemory 0.9.29 ``types.ts``) to ``o`` from records already
    serialised: ``sessions``, ``buckets`` (session id, its observations), ``memories``, ``summaries``,
    the optional collections in ``raw`` (written in :data:`OPTIONAL_COLLECTIONS` order), and ``top``:
    an AgentMemory source's other top-level keys (pagination, unknown keys), put back after them."""
    o.write(b'{"version":' + _dump(version) + b',"exportedAt":' + _dump(exported_at))
    o.write(b',"sessions":[')
    write_joined(o, sessions)
    o.write(b'],"observations":{')
    first = True
    for sid, blobs in buckets:
        o.write((b"" if first else b",") + _dump(sid) + b":[")
        first = False
        write_joined(o, blobs)
        o.write(b"]")
    o.write(b'},"memories":[')
    write_joined(o, memories)
    o.write(b'],"summaries":[')
    write_joined(o, summaries)
    o.write(b"]")
    for coll in OPTIONAL_COLLECTIONS:
        if coll in raw:
            o.write(b"," + _dump(coll) + b":[")
            write_joined(o, raw[coll])
            o.write(b"]")
    for key, val in (top or {}).items():  # an AgentMemory source's pagination, unknown keys, empty collections
        if key == "accessLogs" and not isinstance(val, list):
            continue  # mem::import (0.9.29) fails on any accessLogs that is not an array, null included; no data
        if not is_marker(key) and key not in raw and key not in REQUIRED_TOP:
            o.write(b"," + _dump(key) + b":" + _dump(val))
    o.write(b"}")
