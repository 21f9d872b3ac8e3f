"""Disk spools for writers whose output order differs from the stream's order.

A :class:`Spool` is an anonymous temporary file of byte blobs; :meth:`Spool.add` returns a
``(offset, length)`` handle that :meth:`Spool.get` reads back. Writers keep only the handles (a few
integers per record) in memory, never the records, so memory stays flat however large the input.
"""

from __future__ import annotations

import tempfile
from array import array
from typing import BinaryIO, Iterable, Iterator


class Spool:
    """An append-only temporary file of blobs, closed (and deleted) by :meth:`close`."""

    def __init__(self) -> None:
        self._f: BinaryIO = tempfile.TemporaryFile(prefix="memconv-spool-")  # type: ignore[assignment]
        self._end = 0
        self._pos = 0  # where the file is positioned: a seek (which flushes the buffer) only when it moves
        self.count = 0

    def add(self, blob: bytes) -> tuple[int, int]:
        """Append ``blob``; return its ``(offset, length)``."""
        off = self._end
        if self._pos != off:
            self._f.seek(off)
        self._f.write(blob)
        self._end = self._pos = off + len(blob)
        self.count += 1
        return off, len(blob)

    def get(self, handle: tuple[int, int]) -> bytes:
        """The blob at ``handle``."""
        off, n = handle
        if self._pos != off:
            self._f.seek(off)
        data = self._f.read(n)
        self._pos = off + len(data)
        return data

    def all(self, handles: Iterable[tuple[int, int]]) -> Iterator[bytes]:
        """The blobs at ``handles``, in that order."""
        for h in handles:
            yield self.get(h)

    def close(self) -> None:
        """Delete the file."""
        self._f.close()


class Handles:
    """A compact list of ``(offset, length)`` spool handles: two machine-integer arrays, 16 bytes a
    handle instead of a Python tuple's ~100."""

    __slots__ = ("offsets", "lengths")

    def __init__(self) -> None:
        self.offsets = array("q")
        self.lengths = array("q")

    def append(self, handle: tuple[int, int]) -> None:
        """Add one handle."""
        self.offsets.append(handle[0])
        self.lengths.append(handle[1])

    def __len__(self) -> int:
        return len(self.offsets)

    def __getitem__(self, i: int) -> tuple[int, int]:
        return self.offsets[i], self.lengths[i]

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self.offsets, self.lengths)


def write_joined(out: BinaryIO, blobs: Iterable[bytes], sep: bytes = b",") -> int:
    """Write ``blobs`` separated by ``sep``; return how many were written."""
    n = 0
    for blob in blobs:
        if n:
            out.write(sep)
        out.write(blob)
        n += 1
    return n
