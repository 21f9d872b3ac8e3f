"""AgentMemory (``@agentmemory/agentmemory``): ``ExportData`` 0.3.0 to 0.9.29.

Writes ``ExportData`` (:mod:`.writer`); the field mapping is :data:`.mapping.MAPPING`.
"""

from __future__ import annotations

from typing import Any, BinaryIO, Iterable

from memconv.format import Format, WriteOptions

from memconv.io import Input

from .mapping import MAPPING
from .merge import merge_exports
from .shape import DEFAULT_VERSION, SUPPORTED_VERSIONS
from .writer import write_export


class AgentMemoryFormat(Format):
    """AgentMemory ``ExportData`` (``GET /agentmemory/export``, ``POST /agentmemory/import``)."""

    name = "agentmemory"
    title = "AgentMemory ExportData (GET /agentmemory/export)"
    system = "agentmemory"
    extensions = (".json",)
    read_versions = ""
    write_versions = f"{SUPPORTED_VERSIONS[0]}-{SUPPORTED_VERSIONS[-1]} (allow-list of 0.9.29; default {DEFAULT_VERSION})"
    default_write_version = DEFAULT_VERSION
    mapping = MAPPING

    def write(self, items: Iterable[Any], out: BinaryIO, options: WriteOptions) -> None:
        write_export(items, out, options)

    def merge(self, existing: Input, new: Input, out: BinaryIO, strategy: str, options: WriteOptions) -> Any:
        return merge_exports(existing, new, out, strategy)


FORMAT = AgentMemoryFormat()
