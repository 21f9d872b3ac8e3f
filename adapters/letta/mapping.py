"""The canonical -> Letta agent file mapping table (rendered in ``docs/mappings.md``).

The writer (:mod:`.writer`) calls ``MAPPING.account(record, report)`` for every record, so the loss
report and the documentation both come from this table. Targets name the place in the written
``AgentFileSchema`` (letta 0.16.8) or in the archival-passage sidecar ``<stem>.passages.jsonl``
(``sidecar.<key>``; ``sidecar.source.<key>`` is the ``source`` object memconv adds to a line for
records that did not come from Letta).
"""

from __future__ import annotations

from typing import Any

from memconv.fields import set_fields
from memconv.mapping import LOST, MAPPED_FIELDS, FieldMap, MappingTable
from memconv.model import text_lines
from memconv.writetable import Put, Transform, WriteTable, tables_field_maps

from .shape import BLOCK_KEYS, FILE_KEYS, GROUP_KEYS, MCP_KEYS, SKILL_KEYS, SOURCE_KEYS, TOOL_KEYS, dedup

_SIDECAR_NOTE = "one line of the sidecar <stem>.passages.jsonl (an .af has no place for archival memory)"

_KINDS: dict[str, tuple[str | None, str]] = {
    "agent": ("agents[]", "AgentSchema; ids renumbered to agent-<n> unless already file-local; name made "
                          "safe for Letta (^[\\w '\\-]+$); every agent gets an llm_config"),
    "group": ("groups[]", "GroupSchema; agent_ids and manager_config.manager_agent_id remapped"),
    "block": ("blocks[]", "BlockSchema; referenced by agents[].block_ids"),
    "tool": ("tools[]", "ToolSchema (no extra keys: Letta forbids them)"),
    "source": ("sources[]", "SourceSchema (no extra keys)"),
    "file": ("files[]", "FileSchema (no extra keys); a file whose source is not in the output is dropped"),
    "mcp_server": ("mcp_servers[]", "MCPServerSchema"),
    "skill": ("skills[]", "SkillSchema (letta 0.16.5+)"),
    "session": ("sidecar", "AgentMemory session: one archival passage (its prompt and summary) of the agent "
                           "built for its project (else its agentId); " + _SIDECAR_NOTE),
    "memory": ("sidecar", "archival passage of its agent (mem0: agent_id, else user_id; AgentMemory: project, "
                          "else agentId); "
                          "agents are built for scopes no agent in the input has; " + _SIDECAR_NOTE),
    "passage": ("sidecar", "archival passage of its agent; " + _SIDECAR_NOTE),
    "message": ("agents[].messages[]", "MessageSchema, nested in its agent, in stream order; ids "
                                       "renumbered to message-<n> unless already file-local"),
    "observation": ("sidecar", "AgentMemory observation: archival passage (title, narrative, facts) of the "
                               "agent built for its session's project (else its agentId); " + _SIDECAR_NOTE),
    "summary": ("sidecar", "AgentMemory session summary: archival passage of its session's agent; "
                           + _SIDECAR_NOTE),
    "event": (None, "an agent file has no history of memory changes (mem0 ADD/UPDATE/DELETE rows)"),
    "entity": (None, "Letta has no knowledge graph, so a graph entity has no place in an agent file (a relation "
                     "naming it is kept as a passage)"),
    "relation": ("sidecar", "archival passage '<source> <relationship> <target>' of its scope's agent; "
                            + _SIDECAR_NOTE),
    "raw": (None, "records of another system with no canonical kind have no place in an agent file"),
}

def _keyed(collection: str, keys: dict[str, str]) -> dict[str, str | None]:
    """Rows from a key table (Letta key -> canonical field): ``field -> <collection>[].<key>``."""
    return {field: f"{collection}[].{key}" for key, field in keys.items()}


_ROWS: dict[str, dict[str, str | None]] = {
    "agent": {
        "name": "agents[].name (characters Letta refuses are replaced by _)",
        "description": "agents[].description", "system": "agents[].system", "agent_type": "agents[].agent_type",
        "llm_config": "agents[].llm_config (letta/letta-free when missing)",
        "embedding_config": "agents[].embedding_config",
        "model": "agents[].model (null beside an llm_config when converting, as Letta's exporter writes; the "
                 "handle stays in llm_config.handle)",
        "embedding": "agents[].embedding (null beside an embedding_config when converting)",
        "tags": "agents[].tags", "tool_rules": "agents[].tool_rules",
        "tool_ids": "agents[].tool_ids", "block_ids": "agents[].block_ids", "source_ids": "agents[].source_ids",
        "group_ids": "agents[].group_ids", "in_context_message_ids": "agents[].in_context_message_ids",
        "secrets": "agents[].secrets and tool_exec_environment_variables (values blanked unless keep_secrets)",
        "metadata": "agents[].metadata",
        "created_at": LOST, "updated_at": LOST,
    },
    # the entities the writer serialises through the key tables its reader splits with (.shape)
    "block": {**_keyed("blocks", BLOCK_KEYS), "created_at": LOST, "updated_at": LOST},
    "tool": _keyed("tools", TOOL_KEYS),
    "source": _keyed("sources", SOURCE_KEYS),
    "file": {**_keyed("files", FILE_KEYS), "created_at": "files[].file_creation_date"},
    "mcp_server": _keyed("mcp_servers", MCP_KEYS),
    "skill": _keyed("skills", SKILL_KEYS),
    "group": _keyed("groups", GROUP_KEYS),
    "message": {"agent_id": "the agent it is nested in (agents[].messages[].agent_id)",
                "role": "messages[].role", "content": "messages[].content", "name": "messages[].name",
                "model": "messages[].model", "tool_calls": "messages[].tool_calls",
                "tool_call_id": "messages[].tool_call_id", "tool_returns": "messages[].tool_returns",
                "created_at": "messages[].created_at (naive times get +00:00)",
                "in_context": "agents[].in_context_message_ids when the agent lists none",
                "conversation_id": LOST},
    # the sidecar kinds: their line's keys come from SIDECAR_LINES, every other field from the source object;
    # here only what neither says (the owner is the writer's choice)
    "memory": {"scope": "sidecar.agent_id (the owning agent) and sidecar.source.scope"},
    "passage": {"scope": "sidecar.agent_id (the owning agent's id in the .af)"},
    "session": {"agent_id": "sidecar.agent_id (the agent built for it)"},
    "observation": {"agent_id": "sidecar.agent_id (the agent built for it)"},
    "summary": {},
    "relation": {"scope": "sidecar.agent_id and sidecar.source.scope"},
}

# ---------------------------------------------------------------- the sidecar lines the writer runs
# One line of <stem>.passages.jsonl per archival record (adapters/letta/archival.py): these keys, in this
# order, then the line's ``source`` object (:func:`source_block`: what the line does not hold) and, for a
# Letta passage, its own other keys. The owner (``agent_id``) is the writer's: it depends on the agents.
# The writer's context is True for a passage read from Letta (its tags are its own, kept as they are).


def _session_text(r: Any, o: dict[str, Any], c: Any) -> str:
    head = f"Session {r.id}" + (f" in {r.project}" if r.project else "")
    when = " - ".join(x for x in (r.started_at, r.ended_at) if x)
    if when or r.status:
        head += " (" + ", ".join(x for x in (when, r.status) if x) + ")"
    return text_lines(head, r.first_prompt and f"First prompt: {r.first_prompt}",
                      r.summary and f"Summary: {r.summary}")


def _memory_tags(r: Any, o: dict[str, Any], from_letta: bool) -> list[str]:
    if from_letta:
        return r.tags if r.tags is not None else []
    return dedup([*(r.tags or []), *(r.categories or []), *(r.concepts or [])])


def _tagged(tag: str, field: str) -> Transform:
    return Transform("join-list", lambda r, o, c: dedup([tag, *(getattr(r, field) or ())]))


_ID = Put("id", "id")
_NO_UPDATE = Put((), "updated_at")
_EMPTY = Put((), "metadata", via=Transform("empty-object", lambda r, o, c: {}))
_MEMORY_LINE = [
    _ID, Put("text", "text"),
    Put(("tags", "categories", "concepts"), "tags", via=Transform("join-list", _memory_tags),
        note="a Letta passage's own tags; else tags, categories and concepts, each once"),
    Put("created_at", "created_at"), Put("updated_at", "updated_at"),
    Put("metadata", "metadata", fallback=lambda r, o, c: {}),
    Put("embedding", "embedding", omit="none"), Put("embedding_model", "embedding_model", omit="none"),
]
SIDECAR_LINES: dict[str, WriteTable] = {t.kind: t for t in (
    WriteTable("memory", "sidecar", _MEMORY_LINE),
    WriteTable("passage", "sidecar", _MEMORY_LINE),
    WriteTable("session", "sidecar", [
        _ID, Put(("project", "started_at", "ended_at", "status", "first_prompt", "summary"), "text",
                 via=Transform("compose-text", _session_text)),
        Put("tags", "tags", via=_tagged("agentmemory:session", "tags")),
        Put("started_at", "created_at"), Put("ended_at", "updated_at"), _EMPTY]),
    WriteTable("observation", "sidecar", [
        _ID, Put(("title", "subtitle", "narrative", "facts", "files"), "text",
                 via=Transform("compose-text", lambda r, o, c: r.text(files=True) or "(empty observation)")),
        Put(("observation_type", "concepts"), "tags",
            Transform("join-list", lambda t, concepts: dedup(["agentmemory:observation", t and f"type:{t}", *concepts])),
            note="agentmemory:observation, type:<t>, then the concepts"),
        Put("timestamp", "created_at"), _NO_UPDATE, _EMPTY]),
    WriteTable("summary", "sidecar", [
        _ID, Put(("title", "narrative", "key_decisions", "files_modified"), "text",
                 via=Transform("compose-text", lambda r, o, c: r.text())),
        Put("concepts", "tags", via=_tagged("agentmemory:summary", "concepts")),
        Put("created_at", "created_at"), _NO_UPDATE, _EMPTY]),
    WriteTable("relation", "sidecar", [
        _ID, Put(("source", "relationship", "target"), "text",
                 Transform("compose-text", lambda a, rel, b: f"{a} {rel} {b}")),
        Put((), "tags", via=Transform("constant", lambda r, o, c: ["relation"])),
        Put("created_at", "created_at"), _NO_UPDATE, _EMPTY]),
)}
"""Per sidecar kind, the line's keys before ``source`` (letta-af.md section 5; what Letta's
``POST /v1/agents/{id}/archival-memory`` takes: ``text``, ``tags``, ``created_at``)."""

_SIDECAR_ROWS = tables_field_maps(SIDECAR_LINES.values())

_NOTES = {
    ("agent", "created_at"): "AgentFileSchema has no agent timestamps; Letta sets them on import",
    ("agent", "updated_at"): "AgentFileSchema has no agent timestamps; Letta sets them on import",
    ("block", "created_at"): "AgentFileSchema has no block timestamps (legacy core_memory had them)",
    ("block", "updated_at"): "AgentFileSchema has no block timestamps (legacy core_memory had them)",
    ("message", "conversation_id"): "an agent file carries one conversation per agent",
}


def _rows() -> list[FieldMap]:
    rows = []
    for kind, fields in _ROWS.items():
        if kind in SIDECAR_KINDS:  # every field: the line's key, else the source object's
            fields = {**{f: f"sidecar.source.{f}" for f in MAPPED_FIELDS[kind]},
                      **{f: _SIDECAR_ROWS[(kind, f)].target for f in MAPPED_FIELDS[kind] if (kind, f) in _SIDECAR_ROWS},
                      **fields}
        for name, target in fields.items():
            if (kind in SIDECAR_KINDS and target is not None and name not in LINE_VERBATIM[kind]
                    and f"sidecar.source.{name}" not in target):
                target = f"{target}; sidecar.source.{name}"  # read back from there (source_block)
            row = _SIDECAR_ROWS.get((kind, name))
            rows.append(FieldMap(kind, name, target, _NOTES.get((kind, name), row.note if row else ""),
                                 row.transform if row and row.target in target else ""))
    return rows


# ---------------------------------------------------------------- the sidecar's source object

SIDECAR_KINDS = ("memory", "passage", "session", "observation", "summary", "relation")
"""Kinds written as lines of the sidecar ``<stem>.passages.jsonl``."""

LINE_VERBATIM: dict[str, dict[str, str]] = {
    kind: {p.field: p.key for p in t.puts if isinstance(p.field, str) and p.field in MAPPED_FIELDS[kind]
           and p.transform is None and p.via is None}
    for kind, t in SIDECAR_LINES.items()}

_SKIP = frozenset({"kind", "id", "provenance", "extras"})
_LINE_SKIP: dict[tuple[str, bool], frozenset[str]] = {}
"""Per kind (and Letta passage or not), what the sidecar line's ``memconv`` leaves out, worked out once."""


OWNER_MARK = "scope_agent_id"
"""Key of a ``source`` object whose record's ``scope.agent_id`` named an agent of the input by its id:
the value ``"owner"`` says that it is the line's ``agent_id`` (the agent's id in the ``.af``, which
the writer may have renumbered), so the reader gives the record that id."""


def source_block(rec: Any, default_system: str, *, letta_passage: bool = False,
                 agent_ids: Any = ()) -> dict[str, Any] | None:
    """The ``source`` object of the sidecar line written for ``rec`` (a record of :data:`SIDECAR_KINDS`).

    Shape: ``{"system", "kind", "id"`` (the source system, the canonical kind and the record's id in its
    source), ``"version"``/``"variant"`` of its provenance when known, then every set canonical field
    the line does not hold verbatim (:data:`LINE_VERBATIM`; a Letta passage's own ``tags`` and owner
    are on the line too), ``"metadata": null`` when a memory had none (the line says ``{}``),
    ``"scope_agent_id": "owner"`` when ``scope.agent_id`` named an input agent by id (one of
    ``agent_ids``; :data:`OWNER_MARK`), and
    ``"extras"``: the fields only other systems hold (``isLatest``, ``strength`` of an AgentMemory
    memory...). A Letta passage gets one only when it gained such fields elsewhere (None otherwise).
    Read back by :func:`adapters.letta.reader.passage_from_letta`.
    """
    kind = rec.kind
    skip = _LINE_SKIP.get((kind, letta_passage))
    if skip is None:
        skip = _LINE_SKIP[(kind, letta_passage)] = frozenset({*_SKIP, *LINE_VERBATIM.get(kind, {}),
                                                              *(("tags",) if letta_passage else ())})
    fields = set_fields(rec, skip)
    owner = False
    scope = fields.get("scope")
    if isinstance(scope, dict) and (letta_passage or scope.get("agent_id") in agent_ids):
        scope = dict(scope)
        owner = scope.pop("agent_id", None) is not None and not letta_passage  # the line's owner
        if scope:
            fields["scope"] = scope
        else:
            del fields["scope"]
    if not letta_passage and kind in ("memory", "passage") and rec.metadata is None:
        fields["metadata"] = None
    extras = {s: e for s, e in rec.extras.items() if s != "letta" and e}
    if letta_passage and not fields and not extras:
        return None
    p = rec.provenance
    out: dict[str, Any] = {"system": p.system if p else default_system, "kind": kind,
                           "id": p.id if p and p.id else rec.id}
    if p is not None and p.version:
        out["version"] = p.version
    if p is not None and p.variant:
        out["variant"] = p.variant
    out.update(fields)
    if owner:
        out[OWNER_MARK] = "owner"
    if extras:
        out["extras"] = extras
    return out


MAPPING = MappingTable(
    target="letta", system="letta", rows=_rows(), kinds=_KINDS,
    keeps_extras=frozenset({"memory", "passage", "session", "observation", "summary", "relation"}),
    intro=("Records are written as the `AgentFileSchema` that letta 0.16.8 imports (`POST /v1/agents/import`). "
           "Records read from a Letta v2 file are written back exactly (their `extras.letta` restored); legacy "
           "files, `AgentState` JSON and bundles are converted to the current shape. Ids are file-local "
           "(`<prefix>-<n>`): kept when they already are, renumbered otherwise, with every reference rewritten. "
           "Archival memory has no place in an `.af`: passages, memories (mem0, AgentMemory) and AgentMemory "
           "sessions, observations and summaries go to the sidecar `<stem>.passages.jsonl`, one passage per "
           "line with `agent_id` = its agent's id in the `.af`. A line for a record that did not come from Letta "
           "has a `source` object: the record's system, kind and id, every field the line does not hold, and "
           "the fields only its system holds (`extras`), which Letta ignores; memconv reads it back, so mem0 → "
           "Letta → mem0 and AgentMemory → Letta → AgentMemory give back the records, with their scope and "
           "type. Memories whose scope matches no agent get an "
           "agent of their own (one per mem0 agent_id, else user_id; one per AgentMemory project) on the "
           "`letta/letta-free` model with `human` and `persona` blocks and no embedding_config."),
)
