"""File-local ids in an agent file: Letta's importer wants ``<prefix>-<int>`` ids, unique across the
file (``_validate_id_format`` in letta 0.16.8 ``agent_file.py``). Ids that already have that form are
kept; the others are given the lowest free number of their prefix, and the writer rewrites every
reference through the map each :class:`FileLocalIds` keeps.
"""

from __future__ import annotations

from typing import Any

from memconv.report import Report
from memconv.logmessages import ID_CLASH, ID_RENUMBERED

from .shape import ID_RE

RENUMBERED_KINDS = ("agent", "group", "block", "tool", "source", "file", "mcp_server")
"""The small kinds whose records the writer renumbers (messages are renumbered per agent)."""


class FileLocalIds:
    """File-local ids of one prefix: ``<prefix>-<int>`` ids are kept, others get the lowest free number.

    ``map`` holds old id -> new id for references (the first record with an old id wins).
    """

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.used: set[int] = set()
        self.map: dict[str, str] = {}
        self.renumbered = 0
        self.duplicates = 0
        self._next = 0

    def claim(self, old: str) -> bool:
        """Keep ``old`` when it is ``<prefix>-<int>`` and still free; return whether it was kept."""
        m = ID_RE.match(old or "")
        if m and m.group(1) == self.prefix and int(m.group(2)) not in self.used:
            self.used.add(int(m.group(2)))
            self.map.setdefault(old, old)
            return True
        if old in self.map:
            self.duplicates += 1
        return False

    def fresh(self) -> str:
        """The lowest free ``<prefix>-<n>``."""
        n = self._next
        while n in self.used:
            n += 1
        self.used.add(n)
        self._next = n + 1
        return f"{self.prefix}-{n}"

    def assign(self, old: str | None) -> str:
        """A fresh id for ``old`` (recorded in ``map`` unless ``old`` is already mapped)."""
        new = self.fresh()
        if old is not None:
            self.map.setdefault(old, new)
        self.renumbered += 1
        return new


def renumber(small: dict[str, list[Any]], report: Report) -> tuple[dict[str, FileLocalIds], dict[int, str]]:
    """Give every small record of :data:`RENUMBERED_KINDS` in ``small`` (kind -> records) its id in the
    file: the ids of each kind (prefix -> :class:`FileLocalIds`, whose ``map`` rewrites references) and
    each record's new id by ``id(record)``. Records that keep their id claim it first, so a renumbered
    one never takes it. Warns of renumbered and repeated ids."""
    ids = {k: FileLocalIds(k) for k in RENUMBERED_KINDS}
    new_ids: dict[int, str] = {}
    for kind in RENUMBERED_KINDS:
        recs = small[kind]
        for r in recs:
            if ids[kind].claim(r.id):
                new_ids[id(r)] = r.id
        for r in recs:
            if id(r) not in new_ids:
                new_ids[id(r)] = ids[kind].assign(r.id)
        if ids[kind].renumbered:
            report.warn(f"letta: renumbered {ids[kind].renumbered} {kind} id(s) to file-local "
                        f"{kind}-<n> ids (Letta's importer requires them); references rewritten", ID_RENUMBERED)
        if ids[kind].duplicates:
            report.warn(f"letta: {ids[kind].duplicates} {kind} id(s) appeared twice (several "
                        f"inputs?); references to them resolve to the first", ID_CLASH)
    return ids, new_ids
