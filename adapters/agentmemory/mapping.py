"""The canonical -> AgentMemory mapping table (rendered in ``docs/mappings.md``).

Fields with a native AgentMemory home are listed with their target; every other canonical field
is kept in the record's undeclared ``memconv`` key. History events and other systems' raw records
have no place in ``ExportData`` and are reported as lost.
"""

from __future__ import annotations

from typing import Any

from memconv.mapping import MAPPED_FIELDS, FieldMap, MappingTable
from memconv.model import RecordKind
from memconv.timeutil import to_iso_z
from memconv.writetable import Put, Transform, WriteTable, tables_field_maps

from .shape import MEMORY_TYPES, SESSION_STATUSES, TITLE_PREFIXES, hid, title_of

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

# ---------------------------------------------------------------- the tables the writer runs
# For a record of another system (one read from AgentMemory goes back through its key table as read).
# ``ctx`` is the writer (adapters/agentmemory/writer.py): its export time, sessions and origins.

ISO = Transform("iso8601-ms", to_iso_z)
"""A time in AgentMemory's form: ISO 8601 in UTC with milliseconds and ``Z``."""


def _memory_type(v: str) -> str | None:
    return v if v in MEMORY_TYPES else "workflow" if v == "procedural_memory" else None


def _join(first: list[str] | None, *more: list[str] | None) -> list[str]:
    out = list(first or [])
    for values in more:
        for c in values or ():
            if c not in out:
                out.append(c)
    return out


MEMORY_TYPE = Transform("enum-map", _memory_type)
STATUS = Transform("enum-map", lambda v: v if v in SESSION_STATUSES else None)
JOIN = Transform("join-list", _join)
JOIN_PASSAGE = Transform("join-list", lambda *v: _join(*v) + ["letta:passage"])
NEW_LIST = Transform("empty-list", list)
INT = Transform("int", int)


def _export_time(rec: Any, obj: dict[str, Any], w: Any) -> str:
    return w.export_time


def _created(rec: Any, obj: dict[str, Any], w: Any) -> str:
    return obj["createdAt"]


def _passage_sessions(rec: Any, obj: dict[str, Any], w: Any) -> list[str]:
    sid = w.session_id_of(rec.scope.agent_id)
    return [sid] if sid else []


_CONSTANT_TAIL = [Put((), "strength", fallback=7), Put((), "version", fallback=1), Put((), "isLatest", fallback=True)]


def _memory_puts(passage: bool) -> list[Put]:
    return [
        Put("created_at", "createdAt", ISO, fallback=_export_time, note="the export time when unset"),
        Put("updated_at", "updatedAt", ISO, fallback=_created, note="createdAt when unset"),
        Put("memory_type", "type", MEMORY_TYPE, fallback="fact",
            note="an AgentMemory type as is, mem0 procedural_memory -> workflow, else fact"),
        Put("title", "title", fallback=lambda r, o, w: title_of(r.text), note="the text's start when unset"),
        Put("text", "content"),
        Put(("concepts", "categories", "tags"), "concepts", JOIN_PASSAGE if passage else JOIN,
            note="concepts, then categories and tags not already there" + (", then letta:passage" if passage else "")),
        Put((), "files", NEW_LIST),
        Put("scope", "sessionIds", via=Transform("agent-session", _passage_sessions),
            note="its agent's session") if passage else Put((), "sessionIds", NEW_LIST),
        *_CONSTANT_TAIL,
        Put("scope", "agentId", omit="falsy", note="its agent's name" if passage else "scope.agent_id",
            via=Transform("split-scope", (lambda r, o, w: w.agent_name(r.scope.agent_id)) if passage
                          else (lambda r, o, w: r.scope.agent_id))),
        Put("scope.project", "project", omit="falsy"),
        Put((), "origin", via=Transform("import-origin", lambda r, o, w: w.origin(r, o["createdAt"]))),
    ]


MEMORY_OUT = WriteTable("memory", "memories[]", _memory_puts(passage=False))
PASSAGE_OUT = WriteTable("passage", "memories[]", _memory_puts(passage=True))

OBSERVATION_OUT = WriteTable("observation", "observations{}[]", [
    Put("session_id", "sessionId", note="also the bucket it is written in"),
    Put("timestamp", "timestamp", ISO, fallback=_export_time),
    Put("observation_type", "type", fallback="other"),
    Put("title", "title", fallback=lambda r, o, w: title_of(r.narrative or ""), note="the narrative's start when unset"),
    Put("facts", "facts"),
    Put("narrative", "narrative", fallback=""),
    Put("concepts", "concepts"),
    Put("files", "files"),
    Put("importance", "importance", INT, fallback=5),
    Put("subtitle", "subtitle", omit="none"),
    Put("confidence", "confidence", omit="none"),
    Put("agent_id", "agentId", omit="none"),
    Put("origin", "origin", fallback=lambda r, o, w: w.origin(r, o["timestamp"]), note="an import origin when unset"),
])

SUMMARY_OUT = WriteTable("summary", "summaries[]", [
    Put("session_id", "sessionId"),
    Put("project", "project", fallback=""),
    Put("created_at", "createdAt", ISO, fallback=_export_time),
    Put("title", "title", fallback=""),
    Put("narrative", "narrative", fallback=""),
    Put("key_decisions", "keyDecisions"),
    Put("files_modified", "filesModified"),
    Put("concepts", "concepts"),
    Put("observation_count", "observationCount", fallback=0),
])

SESSION_OUT = WriteTable("session", "sessions[]", [
    Put("project", "project", fallback=""),
    Put("cwd", "cwd", fallback=""),
    Put("started_at", "startedAt", ISO, fallback=_export_time),
    Put("status", "status", STATUS, fallback="completed"),
    Put("observation_count", "observationCount", fallback=lambda r, o, w: len(w.buckets.get(r.id, [])),
        note="its bucket's size when unset"),
    Put("ended_at", "endedAt", ISO, omit="falsy"),
    Put("model", "model", omit="falsy"),
    Put("tags", "tags", omit="falsy"),
    Put("first_prompt", "firstPrompt", omit="falsy"),
    Put("summary", "summary", omit="falsy"),
    Put("commit_shas", "commitShas", omit="falsy"),
    Put("agent_id", "agentId", omit="falsy"),
])

NODE_OUT = WriteTable("entity", "graphNodes[]", [
    Put("entity_type", "type", fallback="concept"),
    Put("name", "name"),
    Put("properties", "properties"),
    Put((), "sourceObservationIds", NEW_LIST),
    Put("created_at", "createdAt", ISO, fallback=_export_time),
])

NODE_ID = Transform("node-id", lambda system, rid: hid("gn", system, rid))
"""The id of the graph node written for entity ``rid`` of ``system``."""

EDGE_OUT = WriteTable("relation", "graphEdges[]", [
    Put("relationship", "type"),
    Put("source", "sourceNodeId", via=Transform("node-id", lambda r, o, w: NODE_ID.fn(r.source_system(""), r.source)),
        note="its node's id"),
    Put("target", "targetNodeId", via=Transform("node-id", lambda r, o, w: NODE_ID.fn(r.source_system(""), r.target)),
        note="its node's id"),
    Put("weight", "weight", fallback=1),
    Put((), "sourceObservationIds", NEW_LIST),
    Put("created_at", "createdAt", ISO, fallback=_export_time),
])

# Letta's small records (and an agent's system prompt) as AgentMemory memories. The writer's context is
# ``(writer, agents)``: the agents that use the record (their sessions, the first one's name).


def _tool_body(r: Any, o: dict[str, Any], c: Any) -> str:
    body = r.description or ""
    if r.source_code:
        body += f"\n\n```{r.source_type or ''}\n{r.source_code}\n```"
    return body.strip()


def _group_title(r: Any, o: dict[str, Any], c: Any) -> str:
    return TITLE_PREFIXES["group"] + ((r.manager_config or {}).get("manager_type", "") or r.id)


def _pair_export_time(rec: Any, obj: dict[str, Any], c: Any) -> str:
    return c[0].export_time


def _small(kind: str, mtype: str, title: Put, content: Put, concepts: Put, created: bool = False,
           files: Put | None = None) -> WriteTable:
    return WriteTable(kind, "memories[]", [
        Put("created_at", "createdAt", ISO, fallback=_pair_export_time) if created
        else Put((), "createdAt", fallback=_pair_export_time),
        Put((), "updatedAt", via=Transform("copy", _created)),
        Put((), "type", fallback=mtype),
        title, content, concepts,
        files or Put((), "files", NEW_LIST),
        Put((), "sessionIds", via=Transform("agent-session", lambda r, o, c: [c[0].session_id(a) for a in c[1]])),
        *_CONSTANT_TAIL,
        Put((), "agentId", via=Transform("agent-name", lambda r, o, c: c[1][0].name if c[1] else None), omit="none"),
        Put((), "project", via=Transform("agent-name", lambda r, o, c: c[1][0].name if c[1] else None), omit="none"),
        Put((), "origin", via=Transform("import-origin", lambda r, o, c: c[0].origin(
            r, o["createdAt"], c[1][0].name if c[1] else None))),
    ])


def _prefixed(kind: str, field: str) -> Put:
    return Put(field, "title", Transform("prefix", lambda v: TITLE_PREFIXES[kind] + v if v else None),
               fallback=lambda r, o, c: TITLE_PREFIXES[kind] + r.id, note=f"'{TITLE_PREFIXES[kind]}<{field}>'")


def _concept(field: str, prefix: str) -> Put:
    return Put(field, "concepts", via=Transform("concept", lambda r, o, c: [f"{prefix}{getattr(r, field) or r.id}"]),
               note=f"concept {prefix}<{field}>")


SMALL_OUT: dict[str, WriteTable] = {t.kind: t for t in (
    _small("block", "fact", Put("label", "title"), Put("value", "content"),
           Put("label", "concepts", via=Transform("concept", lambda r, o, c: [f"letta:block:{r.label}"]),
               note="concept letta:block:<label>"), created=True),
    _small("tool", "workflow", _prefixed("tool", "name"),
           Put(("description", "source_code", "source_type"), "content", via=Transform("compose-text", _tool_body),
               note="the description, then the source code in a fenced block"),
           _concept("name", "letta:tool:")),
    _small("source", "fact", _prefixed("source", "name"),
           Put(("description", "instructions"), "content",
               Transform("compose-text", lambda d, i: "\n\n".join(x for x in (d, i) if x))),
           Put((), "concepts", via=Transform("concept", lambda r, o, c: ["letta:source"]))),
    _small("file", "fact", Put("file_name", "title", fallback=lambda r, o, c: r.id), Put("content", "content", fallback=""),
           Put((), "concepts", via=Transform("concept", lambda r, o, c: ["letta:file"])), created=True,
           files=Put("file_name", "files", Transform("list", lambda v: [v] if v else None), fallback=lambda r, o, c: [])),
    _small("skill", "workflow", _prefixed("skill", "name"),
           Put(("files", "source_url"), "content",
               Transform("compose-text", lambda f, u: (f or {}).get("SKILL.md") or u or ""), note="its SKILL.md, else its source_url"),
           _concept("name", "letta:skill:")),
    _small("mcp_server", "fact", _prefixed("mcp_server", "server_name"),
           Put(("server_type", "server_url"), "content", Transform("compose-text", lambda t, u: " ".join(x for x in (t, u) if x))),
           _concept("server_name", "letta:mcp_server:")),
    _small("group", "fact", Put("manager_config", "title", via=Transform("prefix", _group_title),
                                note="'group: <manager_type>'"),
           Put("description", "content", fallback=""),
           Put((), "concepts", via=Transform("concept", lambda r, o, c: ["letta:group"]))),
)}
"""The memory a Letta block, tool, source, file, skill, MCP server or group becomes (its id and the agents
that use it are the writer's)."""

SYSTEM_PROMPT_OUT = WriteTable("agent", "memories[]", [
    Put("created_at", "createdAt", ISO, fallback=_pair_export_time),
    Put((), "updatedAt", via=Transform("copy", _created)),
    Put((), "type", fallback="workflow"),
    Put("name", "title", Transform("prefix", lambda v: f"system prompt of {v}")),
    Put("system", "content"),
    Put((), "concepts", via=Transform("concept", lambda r, o, c: ["letta:system"])),
    Put((), "files", NEW_LIST),
    Put((), "sessionIds", via=Transform("agent-session", lambda r, o, c: [c[0].session_id(r)])),
    *_CONSTANT_TAIL,
    Put((), "agentId", via=Transform("agent-name", lambda r, o, c: r.name)),
    Put((), "project", via=Transform("agent-name", lambda r, o, c: r.name)),
    Put((), "origin", via=Transform("import-origin", lambda r, o, c: c[0].origin(r, o["createdAt"], r.name))),
])
"""An agent's system prompt as a workflow memory of its session (the agent itself is a session)."""

WRITE_TABLES = (MEMORY_OUT, PASSAGE_OUT, OBSERVATION_OUT, SUMMARY_OUT, SESSION_OUT, NODE_OUT, EDGE_OUT,
                *SMALL_OUT.values())
"""The tables the writer runs for records of other systems, one per kind."""

_ALSO: dict[str, dict[str, str]] = {
    "message": {"content": "observations{}[].narrative, observations{}[].title", "created_at": "observations{}[].timestamp"},
    "agent": {"created_at": "sessions[].startedAt (when it has no message)", "model": "sessions[].model",
              "llm_config": "sessions[].model (its handle or model)"},
}
"""Fields of the kinds the writer builds in code rather than from a table, because their values come
from other records (an agent's session counts its messages and takes its first prompt; a message's
title and bucket come from its agent): where they also land natively."""

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


def native_fields(kind: RecordKind) -> set[str]:
    """Canonical fields of ``kind`` that AgentMemory holds natively (left out of the ``memconv`` key)."""
    return set(_NATIVE.get(kind, {}))


def _transform(kind: RecordKind, name: str) -> str:
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


def _also(kind: RecordKind, name: str) -> str:
    return "" if name in _NATIVE.get(kind, {}) else f"in AgentMemory's form; the exact value also in memconv.{name}"


def _rows() -> list[FieldMap]:
    rows = []
    tabled = tables_field_maps(WRITE_TABLES, _also)
    for kind, fields in MAPPED_FIELDS.items():
        native = _NATIVE.get(kind, {})
        for name in fields:
            if (kind, name) in tabled:
                rows.append(tabled[(kind, name)])
            elif kind == "raw":
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
