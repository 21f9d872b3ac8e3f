"""AgentMemory (``@agentmemory/agentmemory``): ``ExportData`` 0.3.0 to 0.9.29.

Reads ``ExportData`` (:mod:`.reader`) and writes it (:mod:`.writer`); the writer's field mapping is
:data:`.mapping.MAPPING`. Detection is by content: a JSON object whose top-level keys are
AgentMemory's (``version`` with ``sessions``/``observations``/``memories``/``exportedAt``/``summaries``),
the MCP shim's local export ``{version, memories, sessions}``, or the exporter's oversized-error answer
``{"success": false, "oversized": true, ...}`` (claimed so that reading it explains what to do).
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO, Iterable, Iterator

import ijson

from memconv.format import Format, ReadOptions, WriteOptions
from memconv.io import Input
from memconv.jsonutil import BOM

from .mapping import MAPPING
from .merge import merge_exports
from .reader import read_export
from .shape import DEFAULT_VERSION, FOREIGN_TOP_KEYS, SHIM_KEYS, SUPPORTED_RANGES
from .writer import write_export

_MARKERS = ("sessions", "observations", "exportedAt", "summaries")


def top_level(head: bytes) -> tuple[list[str], dict[str, Any], bool]:
    """Top-level keys and scalar values of a JSON object from its first bytes (which may be cut short).

    Returns:
        ``(keys, scalars, is_object)``: the keys seen at depth 1 in order, their values when scalar,
        and whether the document is a JSON object at all.
    """
    keys: list[str] = []
    scalars: dict[str, Any] = {}
    depth = 0
    key: str | None = None
    started = False
    try:
        for ev, val in ijson.basic_parse(io.BytesIO(head), use_float=True):
            if not started:
                started = True
                if ev != "start_map":
                    return keys, scalars, False
                depth = 1
                continue
            if depth == 1 and ev == "map_key":
                key = val
                keys.append(val)
                continue
            if ev in ("start_map", "start_array"):
                depth += 1
            elif ev in ("end_map", "end_array"):
                depth -= 1
                if depth == 0:
                    break
            elif depth == 1 and key is not None:
                scalars[key] = val
    except ijson.JSONError:
        pass  # the peek ends mid-document, or it is not JSON: judge what was seen
    return keys, scalars, started


class AgentMemoryFormat(Format):
    """AgentMemory ``ExportData`` (``GET /agentmemory/export``, ``POST /agentmemory/import``)."""

    name = "agentmemory"
    title = "AgentMemory ExportData (GET /agentmemory/export)"
    system = "agentmemory"
    extensions = (".json",)
    read_versions = (f"{SUPPORTED_RANGES} (the versions 0.9.29 imports: no 0.7.1, no 0.7.8), "
                     f"the MCP shim's local export")
    write_versions = f"{SUPPORTED_RANGES} (allow-list of 0.9.29; default {DEFAULT_VERSION})"
    default_write_version = DEFAULT_VERSION
    mapping = MAPPING
    live = ".live"

    def detect(self, inp: Input) -> int:
        """Score ``inp`` by its top-level keys (first 64 KiB).

        95: ``version`` with one of ``sessions``/``observations``/``exportedAt``/``summaries``, or the
        shim's ``{version, memories, sessions}``; 90: the oversized-error object; 70: ``version`` and
        ``memories`` only; 60: two AgentMemory keys but no ``version`` (read then names the missing key).
        0 when any key of another format is present (Letta ``agents``/``core_memory``, mem0 ``results``,
        canonical ``kind``/``format``...), or for a list, a folder or non-JSON.
        """
        if inp.is_dir:
            return 0
        head = inp.peek()
        if head.startswith(BOM):
            head = head[len(BOM):]
        if head.lstrip()[:1] != b"{":
            return 0
        keys, scalars, is_obj = top_level(head)
        if not is_obj:
            return 0
        seen = set(keys)
        if seen & FOREIGN_TOP_KEYS:
            return 0
        if scalars.get("success") is False and scalars.get("oversized") is True:
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

    def read(self, inp: Input, options: ReadOptions) -> Iterator[Any]:
        """Yield the canonical stream of an ``ExportData`` document (see :func:`.reader.read_export`).

        Raises:
            InputInvalid / UnsupportedVersion: one line naming the file and the JSON path.
        """
        yield from read_export(inp, options.report)

    def write(self, items: Iterable[Any], out: BinaryIO, options: WriteOptions) -> None:
        """Write ``ExportData`` (see :func:`.writer.write_export`)."""
        write_export(items, out, options)

    def merge(self, existing: Input, new: Input, out: BinaryIO, strategy: str, options: WriteOptions) -> Any:
        return merge_exports(existing, new, out, strategy)


FORMAT = AgentMemoryFormat()
