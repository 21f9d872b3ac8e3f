"""AgentMemory (``@agentmemory/agentmemory``): ``ExportData`` 0.3.0 to 0.9.29.

Reads ``ExportData`` (:mod:`.reader`) and writes it (:mod:`.writer`); the writer's field mapping is
:data:`.mapping.MAPPING`. Detection is by content, from the top-level keys wherever they are in
the file (:mod:`memconv.sniff`): a JSON object whose top-level keys are AgentMemory's (``version``
with ``sessions``/``observations``/``memories``/``exportedAt``/``summaries``), the MCP shim's local
export ``{version, memories, sessions}``, or the exporter's oversized-error answer
``{"success": false, "oversized": true, ...}`` (claimed so that reading it explains what to do).
"""

from __future__ import annotations

from typing import Any, BinaryIO, Iterable, Iterator

from memconv.format import Format, Option, ReadOptions, WriteOptions
from memconv.io import Input
from memconv.mapping import ReadTable
from memconv.sniff import TopLevel, top_keys

from .mapping import MAPPING
from .merge import merge_exports
from .reader import read_export, type_problems
from .shape import (DEFAULT_VERSION, FOREIGN_TOP_KEYS, GRAPH_EDGE_KEYS, GRAPH_NODE_KEYS, MEMORY_KEYS,
                    MEMORY_SCOPE_KEYS, OBSERVATION_KEYS, SESSION_KEYS, SHIM_KEYS, SUMMARY_KEYS, SYSTEM, allow_list,
                    missing_versions)
from .writer import write_export

_MARKERS = ("sessions", "observations", "exportedAt", "summaries")


def _decided(top: TopLevel) -> bool:
    """True when the top-level keys seen so far settle detection whatever follows: a key of another
    format, the oversized-error pair, or ``version`` with one of AgentMemory's marker keys."""
    seen = top.seen
    if seen & FOREIGN_TOP_KEYS:
        return True
    if top.scalars.get("success") is False and top.scalars.get("oversized") is True:
        return True
    return "version" in seen and bool(seen.intersection(_MARKERS))


def score(top: TopLevel) -> int:
    """Detection score of a document from its top-level keys (see :meth:`AgentMemoryFormat.detect`)."""
    if not top.is_object:
        return 0
    seen = top.seen
    if seen & FOREIGN_TOP_KEYS:
        return 0
    if top.scalars.get("success") is False and top.scalars.get("oversized") is True:
        return 90
    markers = seen.intersection(_MARKERS)
    if "version" in seen:
        if markers or seen == SHIM_KEYS:
            return 95
        if "memories" in seen:
            return 70
        return 0
    if len(markers | (seen & {"memories"})) >= 2 and ("sessions" in seen or "observations" in seen):
        return 60
    return 0


class AgentMemoryFormat(Format):
    """AgentMemory ``ExportData`` (``GET /agentmemory/export``, ``POST /agentmemory/import``)."""

    name = "agentmemory"
    title = "AgentMemory ExportData (GET /agentmemory/export)"
    system = "agentmemory"
    extensions = (".json",)
    read_versions = (f"{allow_list()} (AgentMemory 0.9.29's import allow-list, exactly; not "
                     f"{' or '.join(missing_versions())}), the MCP shim's local export")
    write_versions = f"{allow_list()} (the same allow-list; default {DEFAULT_VERSION})"
    write_options = (
        Option("split", bool, "write OUT.part-0001.json... each within AgentMemory's import caps (needs -o)", "--split"),
        Option("check_caps", bool, "refuse, before writing, an output over one of AgentMemory's import caps "
                                   "(default true)"),
    )
    default_write_version = DEFAULT_VERSION
    mapping = MAPPING
    read_tables = (
        ReadTable("session", "sessions[]", SESSION_KEYS, SYSTEM, "id -> id"),
        ReadTable("observation", "observations{}[]", {k: v for k, v in OBSERVATION_KEYS.items() if k != "sessionId"},
                  SYSTEM, "id -> id; session_id is the bucket's key (observations{<session id>}), and a row's own "
                          "sessionId that differs from it is kept in extras"),
        ReadTable("memory", "memories[]", {**MEMORY_KEYS, **{k: f"scope.{v}" for k, v in MEMORY_SCOPE_KEYS.items()}},
                  SYSTEM, "id -> id"),
        ReadTable("summary", "summaries[]", SUMMARY_KEYS, SYSTEM, "the session id is the summary's id too"),
        ReadTable("entity", "graphNodes[]", GRAPH_NODE_KEYS, SYSTEM, "id -> id"),
        ReadTable("relation", "graphEdges[]", GRAPH_EDGE_KEYS, SYSTEM, "id -> id"),
    )
    live = ".live"

    def detect(self, inp: Input) -> int:
        """Score ``inp`` by its top-level keys, in any order and anywhere in the file
        (:func:`memconv.sniff.top_keys`: the peek first, the whole top level when the peek does not
        settle it, e.g. keys in alphabetical order with ``version`` last).

        95: ``version`` with one of ``sessions``/``observations``/``exportedAt``/``summaries``, or the
        shim's ``{version, memories, sessions}``; 90: the oversized-error object; 70: ``version`` and
        ``memories`` only; 60: two AgentMemory keys but no ``version`` (read then names the missing key).
        0 when any key of another format is present (Letta ``agents``/``core_memory``, mem0 ``results``,
        canonical ``kind``/``format``...), or for a list, a folder or non-JSON.
        """
        if inp.is_dir:
            return 0
        return score(top_keys(inp, _decided))

    def read(self, inp: Input, options: ReadOptions) -> Iterator[Any]:
        """Yield the canonical stream of an ``ExportData`` document (see :func:`.reader.read_export`).

        Raises:
            InputInvalid / UnsupportedVersion: one line naming the file and the JSON path.
        """
        yield from read_export(inp, options.report)

    def problems(self, inp: Input) -> list[str]:
        """Every record that differs from AgentMemory's ``types.ts`` (0.9.29) and every row without a
        usable id, each with its JSON path (:func:`.reader.type_problems`); ``memconv validate``
        lists them (a conversion warns about them and reads the values as they are)."""
        return type_problems(inp)

    def write(self, items: Iterable[Any], out: BinaryIO, options: WriteOptions) -> None:
        """Write ``ExportData`` (see :func:`.writer.write_export`)."""
        write_export(items, out, options)

    def merge(self, existing: Input, new: Input, out: BinaryIO, strategy: str, options: WriteOptions) -> Any:
        return merge_exports(existing, new, out, strategy)


FORMAT = AgentMemoryFormat()
