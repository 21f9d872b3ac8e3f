"""File-local ids, made unique when several inputs are read in one run.

Letta's ``AgentFileSchema`` names its records ``agent-0``, ``block-3``, ``message-12``... (the
importer's ``_validate_id_format``: a prefix and an integer), unique within one file only, and the
canonical records read from it keep those ids, as do memconv's canonical, AgentMemory and mem0
files made from them. Read together (``memconv a.af b.af --to agentmemory``), two files would give
two ``agent-0`` records, and a writer that keys records by id would fold them into one agent.

So when an input after the first starts with a record (an ``.af`` starts with its agent) whose
file-local id an earlier input already gave to an agent, block, tool or other small record, that
input is another file's numbering: :class:`RunIds` appends ``@<position>`` to every id of the form
``<kind>-<n>`` (``kind`` a canonical record kind: ``agent``, ``block``, ``message``...) in it and to
every reference to one: ``agent-0`` of the second input becomes ``agent-0@2``, and its blocks'
references follow. An input that goes on where an earlier one stopped (a canonical stream split
into parts: its first record is a new id, or a message) is left as it is, so its references still
reach the records of the earlier part. The provenance keeps the id the file gave. Other ids (mem0 UUIDs, AgentMemory
``mem_...``, Letta database ids ``agent-7f3c...``) are unique already and left alone. The Letta
writer renumbers the qualified ids to file-local ones again when it writes an ``.af``.

**Decision:** the first input keeps its ids, so a single-input run (the usual case) is unchanged.
Two inputs that really hold the same record under a file-local id give two records.

Merging into an existing file keyed by these ids (canonical, and mem0 files, whose items and
``memconv`` records carry them) meets the same clash across runs: ``memconv b.af --to mem0 -o
store.json --strategy merge`` after ``a.af`` would make b's ``agent-0`` update a's. There
:func:`merge_ordinal` decides: when an agent of the new file has the id of an existing agent with
another name, the new file is a different agent and its ids are qualified (with the first position
that clashes with no existing agent id); when the names agree it is the same agent again, and its
records update the existing ones, as a merge should.
"""

from __future__ import annotations

import itertools
import re
from typing import Any, Iterable, Iterator

from .model import RECORD_TYPES, SMALL_KINDS, Base

LOCAL_ID = re.compile(r"^(" + "|".join(RECORD_TYPES) + r")-\d+(@\d+)*$")
"""A file-local id: a canonical kind, a hyphen, an integer (``agent-0``, ``mcp_server-2``), and the
qualifiers of earlier runs (``agent-0@2``, which the second input of a run makes ``agent-0@2@2``)."""

NOT_IDS = frozenset({"provenance", "name", "label", "title", "content", "text", "value", "system",
                     "source_code", "description", "instructions", "reasoning", "tool_return",
                     "func_response", "stdout", "stderr", "arguments", "summary", "narrative"})
"""Keys whose values are names or free text, never ids: left alone at any depth (``provenance`` keeps
the id the file gave)."""


def _tag(obj: Any, tag: str) -> Any:
    if isinstance(obj, str):
        return obj + tag if LOCAL_ID.match(obj) else obj
    if isinstance(obj, list):
        return [_tag(v, tag) for v in obj]
    if isinstance(obj, dict):
        return {k: (v if k in NOT_IDS else _tag(v, tag)) for k, v in obj.items()}
    return obj


def qualified(rec: Base, tag: str) -> Base:
    """``rec`` with every file-local id in it (its own and its references, extras included) suffixed
    with ``tag``; the same object when it holds none."""
    data = rec.model_dump()
    new = _tag(data, tag)
    return rec if new == data else type(rec).model_validate(new)


def merge_ordinal(old_agents: dict[str, str], new_agents: dict[str, str]) -> int:
    """The position whose qualifier the new side of a merge takes (1: ids kept), from the agents of
    each side (id -> name).

    A position fits when none of the new side's file-local agent ids, qualified with it, is an
    existing agent of another name. The first position under which every such agent is already
    there by name wins (the same agents again: an update); else the first that fits (new agents).
    """
    local = {i: name for i, name in new_agents.items() if LOCAL_ID.match(i)}

    def qualified_id(i: str, n: int) -> str:
        return i if n == 1 else f"{i}@{n}"

    last = len(old_agents) + 2
    for n in range(1, last + 1):
        if local and all(old_agents.get(qualified_id(i, n)) == name for i, name in local.items()):
            return n
    return next(n for n in range(1, last + 1)
                if all(old_agents.get(qualified_id(i, n), name) == name for i, name in local.items()))


class RunIds:
    """The file-local ids of one run's inputs (only those of small records: agents, blocks, tools...,
    so memory does not grow with messages or memories)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def stream(self, items: Iterable[Any], ordinal: int) -> Iterator[Any]:
        """The stream ``items`` (a header, then records) of input number ``ordinal`` (1-based), its
        file-local ids qualified with ``@<ordinal>`` when its first record's id is one an earlier
        input already gave to a small record."""
        it = iter(items)
        header = next(it, None)
        if header is None:
            return
        yield header
        first = next(it, None)
        if first is None:
            return
        clash = ordinal > 1 and first.id in self.seen
        tag = f"@{ordinal}"
        for rec in itertools.chain((first,), it):
            if clash:
                rec = qualified(rec, tag)
            if rec.kind in SMALL_KINDS and LOCAL_ID.match(rec.id):
                self.seen.add(rec.id)
            yield rec


def qualify(items: Iterable[Any], ordinal: int) -> Iterator[Any]:
    """The stream ``items`` (a header, then records) of input number ``ordinal`` (1-based), with the
    file-local ids of the second and later inputs qualified with ``@<ordinal>``."""
    it = iter(items)
    if ordinal <= 1:
        yield from it
        return
    tag = f"@{ordinal}"
    header = next(it, None)
    if header is None:
        return
    yield header
    for rec in it:
        yield qualified(rec, tag)
