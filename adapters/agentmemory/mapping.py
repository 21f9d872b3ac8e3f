"""The canonical -> AgentMemory mapping table (rendered in ``docs/mappings.md``).

Fields with a native AgentMemory home are listed with their target; every other canonical field
is kept in the record's undeclared ``memconv`` key. History events and other systems' raw records
have no place in ``ExportData`` and are reported as lost.
"""

from __future__ import annotations

from memconv.mapping import MAPPED_FIELDS, FieldMap, MappingTable

_NATIVE: dict[str, dict[str, str]] = {
    "agent": {"name": "sessions[].project, sessions[].agentId", "description": "sessions[].summary",
              "tags": "sessions[].tags", "system": "memories[] (workflow, concept letta:system).content"},
    "block": {"label": "memories[].title, concept letta:block:<label>", "value": "memories[].content"},
    "tool": {"name": "memories[].title, concept letta:tool:<name>"},
    "source": {"name": "memories[].title (source: <name>)"},
    "file": {"file_name": "memories[].title, memories[].files", "content": "memories[].content"},
    "skill": {"name": "memories[].title, concept letta:skill:<name>"},
    "mcp_server": {"server_name": "memories[].title, concept letta:mcp_server:<name>"},
    "group": {},
    "session": {},
    "message": {"role": "observations[].title, concept letta:role:<role>",
                "agent_id": "observations{<session of the agent>}"},
    "memory": {"text": "memories[].content"},
    "passage": {"text": "memories[].content (concept letta:passage)"},
    "observation": {},
    "summary": {},
    "entity": {},
    "relation": {},
}

_MEMORY = {"title": "memories[].title", "created_at": "memories[].createdAt", "updated_at": "memories[].updatedAt",
           "memory_type": "memories[].type", "concepts": "memories[].concepts", "categories": "memories[].concepts",
           "tags": "memories[].concepts", "scope": "memories[].agentId, memories[].project"}
_ALSO: dict[str, dict[str, str]] = {
    "memory": _MEMORY,
    "passage": {**_MEMORY, "scope": "memories[].agentId, memories[].sessionIds (its agent's session)"},
    "message": {"content": "observations{}[].narrative, observations{}[].title", "created_at": "observations{}[].timestamp"},
    "agent": {"created_at": "sessions[].startedAt (when it has no message)", "model": "sessions[].model",
              "llm_config": "sessions[].model (its handle or model)"},
    "observation": {"session_id": "observations{<session>}[].sessionId", "timestamp": "observations{}[].timestamp",
                    "observation_type": "observations{}[].type", "title": "observations{}[].title",
                    "subtitle": "observations{}[].subtitle", "facts": "observations{}[].facts",
                    "narrative": "observations{}[].narrative", "concepts": "observations{}[].concepts",
                    "files": "observations{}[].files", "importance": "observations{}[].importance",
                    "confidence": "observations{}[].confidence", "agent_id": "observations{}[].agentId",
                    "origin": "observations{}[].origin"},
    "summary": {"session_id": "summaries[].sessionId", "project": "summaries[].project",
                "created_at": "summaries[].createdAt", "title": "summaries[].title", "narrative": "summaries[].narrative",
                "key_decisions": "summaries[].keyDecisions", "files_modified": "summaries[].filesModified",
                "concepts": "summaries[].concepts", "observation_count": "summaries[].observationCount"},
    "session": {"agent_id": "sessions[].agentId", "project": "sessions[].project", "cwd": "sessions[].cwd",
                "started_at": "sessions[].startedAt", "ended_at": "sessions[].endedAt", "status": "sessions[].status",
                "model": "sessions[].model", "tags": "sessions[].tags", "first_prompt": "sessions[].firstPrompt",
                "summary": "sessions[].summary", "commit_shas": "sessions[].commitShas",
                "observation_count": "sessions[].observationCount"},
    "entity": {"name": "graphNodes[].name", "entity_type": "graphNodes[].type", "properties": "graphNodes[].properties",
               "created_at": "graphNodes[].createdAt"},
    "relation": {"relationship": "graphEdges[].type", "weight": "graphEdges[].weight",
                 "created_at": "graphEdges[].createdAt", "source": "graphEdges[].sourceNodeId (its node's id)",
                 "target": "graphEdges[].targetNodeId (its node's id)"},
}
"""Fields a record of another system also gets a native AgentMemory field for, in AgentMemory's own
form (a time as ISO 8601 with milliseconds, a memory type mapped to AgentMemory's, lists joined), as
``adapters/agentmemory/writer.py`` writes them; the exact value stays in the ``memconv`` key, so the
record comes back as it was."""

_KINDS: dict[str, tuple[str | None, str]] = {
    "agent": ("sessions", "one Session per agent; system prompt as a workflow Memory"),
    "group": ("memories", "fact Memory, concept letta:group"),
    "block": ("memories", "fact Memory, concept letta:block:<label>"),
    "tool": ("memories", "workflow Memory, concept letta:tool:<name>; content = description and source code"),
    "source": ("memories", "fact Memory, concept letta:source"),
    "file": ("memories", "fact Memory, concept letta:file, files = [file name]"),
    "mcp_server": ("memories", "fact Memory, concept letta:mcp_server:<name>"),
    "skill": ("memories", "workflow Memory, concept letta:skill:<name>; content = SKILL.md"),
    "session": ("sessions", "Session"),
    "memory": ("memories", "Memory; type fact unless the source type is an AgentMemory type "
                           "(mem0 procedural_memory -> workflow)"),
    "passage": ("memories", "fact Memory, concept letta:passage, in its agent's session"),
    "message": ("observations", "conversation CompressedObservation in its agent's session bucket, "
                                "in context order; concept letta:message"),
    "observation": ("observations", "CompressedObservation in its session's bucket"),
    "summary": ("summaries", "SessionSummary"),
    "event": (None, "AgentMemory has no history of memory changes (ADD/UPDATE/DELETE)"),
    "entity": ("graphNodes", "GraphNode"),
    "relation": ("graphEdges", "GraphEdge between the GraphNodes of its endpoints"),
    "raw": ("(own collection)", "AgentMemory records go back to their collection; other systems' raw "
                                "records are lost"),
}


def native_fields(kind: str) -> set[str]:
    """Canonical fields of ``kind`` that AgentMemory holds natively (left out of the ``memconv`` key)."""
    return set(_NATIVE.get(kind, {}))


def _transform(kind: str, name: str) -> str:
    """The transform a field of another system's record goes through to its native AgentMemory field."""
    if name.endswith("_at") or name == "timestamp":
        return "iso8601-ms"
    if name in ("memory_type", "observation_type", "status"):
        return "enum-map"
    if name in ("tags", "categories", "concepts") and kind in ("memory", "passage"):
        return "join-list"
    if name == "scope":
        return "split-scope"
    if kind == "relation" and name in ("source", "target"):
        return "node-id"
    return "copy"


def _rows() -> list[FieldMap]:
    rows = []
    for kind, fields in MAPPED_FIELDS.items():
        native = _NATIVE.get(kind, {})
        for name in fields:
            if kind == "raw":
                rows.append(FieldMap(kind, name, "its own collection" if name == "data" else "(collection)", ""))
            elif name in native:
                rows.append(FieldMap(kind, name, native[name]))
            elif name in _ALSO.get(kind, {}):
                rows.append(FieldMap(kind, name, _ALSO[kind][name],
                                     f"in AgentMemory's form; the exact value also in memconv.{name}",
                                     _transform(kind, name)))
            else:
                rows.append(FieldMap(kind, name, f"memconv.{name}",
                                     "kept in the record's memconv key; AgentMemory stores it verbatim"))
    return rows


MAPPING = MappingTable(
    target="agentmemory", system="agentmemory", rows=_rows(), kinds=_KINDS, keeps_extras=True,
    intro=("Records are written as AgentMemory 0.9.29 `ExportData`. What AgentMemory has no field for "
           "is kept in an undeclared `memconv` key on the record (AgentMemory stores unknown record "
           "fields verbatim and exports them again), so converting back restores it. Ids are derived "
           "from source ids (`ses_`/`obs_`/`mem_` + 20 hex of a SHA-256). Every written record gets "
           "`origin: {channel: \"import\", detail: \"<system>:<agent>/<source id>\", capturedAt}` unless "
           "it came from AgentMemory with an origin of its own."),
)
