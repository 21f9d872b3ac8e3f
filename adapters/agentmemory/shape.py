"""Facts about AgentMemory's ``ExportData`` that the reader and the writer share.

Source: ``@agentmemory/agentmemory`` 0.9.29, ``src/types.ts`` and ``src/functions/export-import.ts``
(recovered from the npm tarball's source maps), summarised in ``shared/formats/agentmemory.md``.
"""

from __future__ import annotations

import hashlib

SYSTEM = "agentmemory"
"""The system name in provenance and extras."""

SUPPORTED_VERSIONS: tuple[str, ...] = tuple("""
0.3.0 0.4.0 0.5.0 0.6.0 0.6.1 0.7.0 0.7.2 0.7.3 0.7.4 0.7.5 0.7.6 0.7.7 0.7.9
0.8.0 0.8.1 0.8.2 0.8.3 0.8.4 0.8.5 0.8.6 0.8.7 0.8.8 0.8.9 0.8.10 0.8.11 0.8.12 0.8.13
0.9.0 0.9.1 0.9.2 0.9.3 0.9.4 0.9.5 0.9.6 0.9.7 0.9.8 0.9.9 0.9.10 0.9.11 0.9.12 0.9.13 0.9.14
0.9.15 0.9.16 0.9.17 0.9.18 0.9.19 0.9.20 0.9.21 0.9.22 0.9.23 0.9.24 0.9.25 0.9.26 0.9.27 0.9.28 0.9.29
""".split())
"""``supportedVersions`` of 0.9.29's importer, exactly (57 entries; neither 0.7.1, never released,
nor 0.7.8, which the 0.7.9 release replaced instead of appending, is in it)."""


def version_ranges(versions: tuple[str, ...] = SUPPORTED_VERSIONS) -> str:
    """``versions`` as runs of consecutive patch releases: ``"0.3.0, ..., 0.7.0, 0.7.2-0.7.7, 0.7.9, 0.8.0-0.8.13"``.

    ``versions`` are dotted ``MAJOR.MINOR.PATCH`` strings in ascending order; a run breaks where the
    minor changes or a patch number is missing, so every gap of the list shows.
    """
    runs: list[list[str]] = []
    for v in versions:
        major_minor, _, patch = v.rpartition(".")
        if runs:
            last_mm, _, last_patch = runs[-1][-1].rpartition(".")
            if last_mm == major_minor and patch.isdigit() and last_patch.isdigit() and int(patch) == int(last_patch) + 1:
                runs[-1].append(v)
                continue
        runs.append([v])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


SUPPORTED_RANGES = version_ranges()
"""The allow-list as printed by ``memconv formats``."""

DEFAULT_VERSION = "0.9.29"


def allow_list() -> str:
    """:data:`SUPPORTED_VERSIONS` as runs of consecutive patch versions, computed from the list itself:
    ``0.3.0, 0.4.0, 0.5.0, 0.6.0-0.6.1, 0.7.0, 0.7.2-0.7.7, 0.7.9, 0.8.0-0.8.13, 0.9.0-0.9.29`` (so
    the gaps, 0.7.1 and 0.7.8, show)."""
    return SUPPORTED_RANGES


def missing_versions() -> list[str]:
    """Versions inside the allow-list's span that it lacks (``0.7.1``, ``0.7.8``): patch numbers
    skipped within one minor series."""
    out: list[str] = []
    for a, b in zip(SUPPORTED_VERSIONS, SUPPORTED_VERSIONS[1:]):
        (amm, ap), (bmm, bp) = a.rsplit(".", 1), b.rsplit(".", 1)
        if amm == bmm:
            out += [f"{amm}.{n}" for n in range(int(ap) + 1, int(bp))]
    return out

CAPS = {
    "MAX_SESSIONS": 10_000,
    "MAX_MEMORIES": 50_000,
    "MAX_SUMMARIES": 10_000,
    "MAX_OBS_BUCKETS": 10_000,
    "MAX_OBS_PER_SESSION": 5_000,
    "MAX_TOTAL_OBSERVATIONS": 500_000,
    "MAX_ACCESS_LOGS": 50_000,
}
"""The importer's caps (``mem::import``, 0.9.29)."""

SAFE_PAYLOAD_BYTES = 15 * 1024 * 1024
"""~15 MiB: the iii engine's 16 MiB WebSocket frame cap less headroom (``SAFE_PAYLOAD_BYTES``)."""

MEMORY_TYPES = ("pattern", "preference", "architecture", "bug", "workflow", "fact")
OBSERVATION_TYPES = ("file_read", "file_write", "file_edit", "command_run", "search", "web_fetch",
                     "conversation", "error", "decision", "discovery", "subagent", "notification",
                     "task", "image", "other")
SESSION_STATUSES = ("active", "completed", "abandoned")

def hid(prefix: str, *parts: object) -> str:
    """A deterministic AgentMemory-style id: ``<prefix>_`` + 20 hex of SHA-256 of the parts."""
    h = hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()
    return f"{prefix}_{h[:20]}"


TITLE_CHARS = 80
"""The longest title memconv makes from a text (AgentMemory's own titles are short lines)."""


def title_of(text: str, prefix: str = "") -> str:
    """A title made from ``text``: its whitespace collapsed, cut at :data:`TITLE_CHARS` with an
    ellipsis, after ``prefix``; ``(empty)`` for an empty text without a prefix."""
    text = text or ""
    # Collapsing the whitespace of a head of the text gives a prefix of the whole text's collapse (a
    # word cut at the end is still a prefix of that word): when it is already longer than a title,
    # the title is the same, without splitting a long text whole.
    head = text[: 4 * TITLE_CHARS]
    first = " ".join(head.split())
    if len(head) < len(text) and len(first) <= TITLE_CHARS:
        first = " ".join(text.split())
    if len(first) > TITLE_CHARS:
        first = first[: TITLE_CHARS - 1].rstrip() + "…"
    return f"{prefix}{first}" if prefix else (first or "(empty)")


REQUIRED_TOP = ("version", "exportedAt", "sessions", "observations", "memories", "summaries")

OPTIONAL_COLLECTIONS = ("profiles", "graphNodes", "graphEdges", "semanticMemories", "proceduralMemories",
                        "actions", "actionEdges", "routines", "signals", "checkpoints", "sentinels",
                        "sketches", "crystals", "facets", "lessons", "insights", "accessLogs")
"""Optional top-level collections, in the exporter's key order (after ``summaries``)."""

# AgentMemory key -> canonical field.
SESSION_KEYS = {"project": "project", "cwd": "cwd", "startedAt": "started_at", "endedAt": "ended_at",
                "status": "status", "observationCount": "observation_count", "model": "model",
                "tags": "tags", "firstPrompt": "first_prompt", "summary": "summary",
                "commitShas": "commit_shas", "agentId": "agent_id"}
OBSERVATION_KEYS = {"sessionId": "session_id", "timestamp": "timestamp", "type": "observation_type",
                    "title": "title", "subtitle": "subtitle", "facts": "facts", "narrative": "narrative",
                    "concepts": "concepts", "files": "files", "importance": "importance",
                    "confidence": "confidence", "agentId": "agent_id", "origin": "origin"}
MEMORY_KEYS = {"createdAt": "created_at", "updatedAt": "updated_at", "type": "memory_type",
               "title": "title", "content": "text", "concepts": "concepts"}
MEMORY_SCOPE_KEYS = {"agentId": "agent_id", "project": "project"}
SUMMARY_KEYS = {"sessionId": "session_id", "project": "project", "createdAt": "created_at",
                "title": "title", "narrative": "narrative", "keyDecisions": "key_decisions",
                "filesModified": "files_modified", "concepts": "concepts",
                "observationCount": "observation_count"}
GRAPH_NODE_KEYS = {"type": "entity_type", "name": "name", "properties": "properties",
                   "createdAt": "created_at", "updatedAt": "updated_at", "aliases": "aliases"}
GRAPH_EDGE_KEYS = {"type": "relationship", "sourceNodeId": "source", "targetNodeId": "target",
                   "weight": "weight", "createdAt": "created_at"}

EMBED_KEY = "memconv"
"""Undeclared key memconv adds to records it writes, holding what AgentMemory has no field for
(AgentMemory stores unknown record fields verbatim and exports them again), so that a later
conversion can put every record back where it came from."""

SEQ_KEY = "seq"
"""Inside a message's ``memconv`` key: its position in its session bucket in the stream memconv wrote
from. AgentMemory's observations are in time order (issue 11.3), which is not always the source's
order (Letta writes a compaction summary late but keeps it early); the reader puts messages back in
this order, so Letta -> AgentMemory -> Letta gives the conversation as Letta had it."""

# ---------------------------------------------------------------- used by the reader

RAW_OBSERVATION_MARKERS = ("hookType", "raw")
"""Keys of a ``RawObservation`` row (``types.ts``; ``hookType`` and ``raw`` are required there, and no
``CompressedObservation`` has them). Real buckets hold such rows while LLM compression is pending."""

SHIM_KEYS = frozenset({"version", "memories", "sessions"})
"""The whole of the ``@agentmemory/mcp`` shim's local-fallback ``memory_export`` answer (no server
reachable): ``{version, memories, sessions}``. AgentMemory's importer refuses it as is
(``summaries must be an array``); memconv reads it as an export without observations or summaries."""

NATURAL_KEYS = {"profiles": "project", "accessLogs": "memoryId"}
"""Storage key of the optional collections that have no ``id`` (``export-import.ts``); others use ``id``."""

FOREIGN_TOP_KEYS = frozenset({"agents", "core_memory", "in_context_message_indices", "results", "kind",
                              "format", "records", "user", "export_meta", "relations", "header", "apps",
                              "memory_categories", "status_history"})
"""Top-level keys of other formats (Letta ``.af``, mem0 / OpenMemory exports, memconv canonical):
a document with any of them, wherever it is, is not claimed as ``ExportData``; detection stops at
the first one it meets."""

LETTA_CONCEPT = "letta:"
"""Prefix of the concepts memconv's writer puts on records converted from Letta (``letta:block:<label>``,
``letta:system``, ``letta:tool:<name>``, ``letta:message``, ``letta:role:<role>``, ``letta:passage``,
``letta:file``, ``letta:source``, ``letta:skill:<name>``, ``letta:mcp_server:<name>``, ``letta:group``)."""

TITLE_PREFIXES = {"tool": "tool: ", "source": "source: ", "skill": "skill: ", "mcp_server": "MCP server: ",
                  "group": "group: "}
"""Title prefixes memconv's writer gives the memories of these Letta kinds (``writer.small_memories``)."""
