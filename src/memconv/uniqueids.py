"""No two records of one collection under one id, in anything memconv writes.

A target keyed by id keeps one record per id: AgentMemory's importer ``kv.set``s each row under its
``id`` (0.9.29 ``import-export.ts``), mem0 adds and updates memories by ``id``, a canonical reader
keys agents, blocks and references by ``id``. Two records written under one id are one record
there, and the other is lost in silence. memconv derives its ids from each record's identity in the
run (its canonical ``id``, which :mod:`memconv.localids` makes unique across inputs), so a clash
means the input itself held two records of one kind under one id (a hand-edited export, the same
file given twice).

:class:`UniqueIds` is the guard every writer puts its ids through: the first record keeps its id; a
later one gets an id derived from it and its ordinal (the writer says how, so the new id has the
target's shape), and a warning names both the collection and the id. Nothing is dropped.
:func:`duplicates` is the same check for ``memconv validate``, over the records a reader gives.
"""

from __future__ import annotations

from array import array
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

from .report import Report
from .logmessages import ID_CLASH

Derive = Callable[[str, int], str]
"""``derive(id, n)``: the id for the ``n``-th record (n >= 2) that came with ``id``."""


def suffixed(rid: str, n: int) -> str:
    """The default derived id: ``<id>~<n>`` (``mem-1~2``)."""
    return f"{rid}~{n}"


class Fingerprints:
    """A set of strings kept as 64-bit fingerprints (Python's ``hash``, stable within a process) in an
    open-addressing table of machine integers: 16 bytes a member (8 at most half full), where a
    ``set`` of the strings would take about 100. Two different strings with one fingerprint (about
    one chance in 10^7 among a million members) count as the same, so a clash is reported then for
    a record that had none; the warning names the ids, so it can be seen."""

    __slots__ = ("table", "mask", "n")

    def __init__(self) -> None:
        self.table = array("q", bytes(8 * 1024))
        self.mask = 1023
        self.n = 0

    def add(self, key: object) -> bool:
        """Add ``key`` (a string, or any hashable); True when it was not in the set."""
        return self.add_hash(hash(key))

    def add_hash(self, h: int) -> bool:
        """Add a fingerprint (another table's member, :mod:`memconv.jobs`); True when it was not in."""
        h = h or 1  # 0 marks an empty slot
        table, mask = self.table, self.mask
        i = h & mask
        while True:
            v = table[i]
            if v == 0:
                table[i] = h
                self.n += 1
                if self.n * 2 > mask:
                    self._grow()
                return True
            if v == h:
                return False
            i = (i + 1) & mask

    def __contains__(self, key: object) -> bool:
        """True when ``key`` (any hashable) or a value with its fingerprint was added."""
        h = hash(key) or 1
        table, mask = self.table, self.mask
        i = h & mask
        while True:
            v = table[i]
            if v == 0:
                return False
            if v == h:
                return True
            i = (i + 1) & mask

    def __len__(self) -> int:
        return self.n

    def _grow(self) -> None:
        old = self.table
        self.table = array("q", bytes(16 * len(old)))
        self.mask = 2 * len(old) - 1
        table, mask = self.table, self.mask
        for h in old:
            if h:
                i = h & mask
                while table[i]:
                    i = (i + 1) & mask
                table[i] = h


class UniqueIds:
    """Ids already written, per collection; :meth:`claim` gives each record an id no other record of
    its collection has.

    Args:
        report: where the warnings go (one per collection, with the count and the first ids).
        target: the target's name in the warnings (``"agentmemory"``).
        derive: how a clashing id is changed (default :func:`suffixed`).

    Memory: 16 bytes per id written (:class:`Fingerprints`): 16 MB per million records.
    """

    def __init__(self, report: Report, target: str, derive: Derive = suffixed):
        self.report = report
        self.target = target
        self.derive = derive
        self.seen: dict[str, Fingerprints] = {}
        self.renamed: dict[str, list[tuple[str, str]]] = {}
        if _RECORDING is not None:
            _RECORDING.append(self)

    def claim(self, collection: str, rid: str, within: str = "") -> str:
        """``rid`` when no earlier record of ``collection`` has it, else a derived id that none has.

        ``within``: the part of the collection the id is unique in, for collections keyed per owner
        (AgentMemory keeps observations per session: ``within`` is the session id).
        """
        seen = self.seen.get(collection)
        if seen is None:
            seen = self.seen[collection] = Fingerprints()
        if seen.add(f"{within}\x1f{rid}" if within else rid):
            return rid
        n = 2
        new = self.derive(rid, n)
        while not seen.add(f"{within}\x1f{new}" if within else new):
            n += 1
            new = self.derive(rid, n)
        self.renamed.setdefault(collection, []).append((rid, new))
        return new

    def finish(self) -> None:
        """Warn once per collection whose ids clashed (call when the writer is done)."""
        for coll, pairs in self.renamed.items():
            shown = ", ".join(f"{old!r} -> {new!r}" for old, new in pairs[:3])
            more = f" and {len(pairs) - 3} more" if len(pairs) > 3 else ""
            self.report.warn(f"{self.target}: {len(pairs)} record(s) of {coll} had an id an earlier record of "
                             f"{coll} already had, and were given new ids so that {self.target} keeps both "
                             f"({shown}{more})", ID_CLASH)


_RECORDING: list[UniqueIds] | None = None


@contextmanager
def recording() -> Iterator[list[UniqueIds]]:
    """The guards created inside the block (a ``--jobs`` worker compares its parts' ids afterwards)."""
    global _RECORDING
    outer, _RECORDING = _RECORDING, []
    try:
        yield _RECORDING
    finally:
        _RECORDING = outer


def duplicates(records: Iterable[tuple[str, str, str]]) -> list[str]:
    """Problems for ``memconv validate``: one line per id that more than one record of a kind has.

    ``records``: ``(kind, id, place)`` triples, ``place`` saying where the record is (``records[3]``,
    ``memories[7]``, ``line 12``). Returns lines such as ``2 memory records share id 'm1' (memories[0],
    memories[4])``, in the order the first of each was met.
    """
    first: dict[tuple[str, str], list[str]] = {}
    for kind, rid, place in records:
        first.setdefault((kind, rid), []).append(place)
    out = []
    for (kind, rid), places in first.items():
        if len(places) > 1:
            shown = ", ".join(places[:5]) + (f" and {len(places) - 5} more" if len(places) > 5 else "")
            out.append(f"{len(places)} {kind} records share id {rid!r} ({shown})")
    return out
