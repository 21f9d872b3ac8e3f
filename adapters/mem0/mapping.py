"""The canonical -> mem0 mapping table (rendered in ``docs/mappings.md``; the loss report reads it).

Every record the mem0 writer sees is accounted to :data:`MAPPING`; fields listed with target
``LOST`` (or not listed) are reported when set. mem0's own extras (``score``, ``attributed_to``,
Platform keys...) are restored, not lost.

What mem0 has no field for is kept for memconv, as the AgentMemory writer keeps it in its
``memconv`` key (mem0 stores metadata verbatim and returns it in ``get_all``):

* an item written from another system's memory, passage or block carries ``metadata.memconv``
  (:data:`EMBED_KEY`): the canonical record minus the fields the item holds itself
  (:data:`ITEM_NATIVE`) and minus vectors;
* records mem0 has no item for (agents, messages, tools...) go whole into the document's top-level
  ``"memconv"`` list (a ``{"memconv": record}`` line in JSON-L), which mem0 ignores as it ignores
  ``"history"``. A live mem0 store has no place for them: a push reports them lost.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from memconv.mapping import LOST, MAPPED_FIELDS, FieldMap, MappingTable
from memconv.writetable import Put, Transform, WriteTable, tables_field_maps

from .shape import md5_hex, mem0_id

EMBED_KEY = "memconv"
"""Key of the canonical remainder in an item's metadata, and of the document's list of kept records."""

ITEM_NATIVE: dict[str, frozenset[str]] = {
    "memory": frozenset({"text", "created_at"}),
    "passage": frozenset({"text", "created_at"}),
    "block": frozenset({"value", "label", "created_at"}),
    "observation": frozenset(),
    "summary": frozenset(),
}
"""Kinds written as mem0 memory items, and the canonical fields the item holds verbatim (``memory``,
``metadata.block_label``, ``created_at``), left out of ``metadata.memconv``; the reader takes them from
the item, so an edit made in mem0 wins. An AgentMemory observation or session summary becomes an item
whose text is composed from several fields (title, narrative, facts...): its ``metadata.memconv`` keeps
every field, and the reader rebuilds it from there."""

ROW_NATIVE: dict[str, frozenset[str]] = {
    "relation": frozenset({"relationship"}),
    "event": frozenset({"event", "old_text", "new_text", "created_at", "updated_at", "actor_id", "role"}),
}
"""The same for a relation object and a history row of another system, whose ``"memconv"`` key holds
the rest (ids, the entity ids of a relation's ends, weight, provenance, extras)."""

NO_VECTORS = frozenset({"embedding", "embedding_model"})
"""Left out of ``metadata.memconv``: mem0 embeds the text itself, and vectors would swamp its metadata."""

KEPT_KINDS = ("agent", "group", "tool", "source", "file", "mcp_server", "skill", "session", "message", "raw")
"""Kinds that have no mem0 item and go whole into the top-level ``"memconv"`` list (memconv's side
channel: mem0 stores the document key but no mem0 API or user ever sees it)."""

SIDE_CHANNEL = "memconv[]"
"""The destination of :data:`KEPT_KINDS` in :data:`MAPPING` (counted ``side_channel`` in the report)."""

# ---------------------------------------------------------------- the tables the writer runs
# For a record of another system written as a mem0 item (a memory or a passage; a block goes as a
# memory) or a history row. A record read from mem0 goes back through its key table as read.

LIST = Transform("copy", list)


def _run_id(run_id: str | None, session_id: str | None) -> str | None:
    return run_id or session_id


def _other_session(run_id: str | None, session_id: str | None) -> str | None:
    return session_id if run_id and session_id and session_id != run_id else None


ITEM_META_OUT = WriteTable("memory", "metadata", [
    Put("title", "title", omit="falsy", note="other systems only"),
    Put("memory_type", "memory_type", Transform("enum-map", lambda v: v if v == "procedural_memory" else None),
        omit="falsy", note="mem0's own place for procedural_memory"),
    Put("memory_type", "type", Transform("enum-map", lambda v: None if v == "procedural_memory" else v), omit="falsy"),
    Put("categories", "categories", LIST, omit="falsy", note="Platform categories of mem0 records stay top-level"),
    Put("concepts", "concepts", LIST, omit="falsy"),
    Put("tags", "tags", LIST, omit="falsy"),
    Put("scope.app_id", "app_id", omit="falsy"),
    Put("scope.project", "project", omit="falsy"),
    Put(("scope.run_id", "scope.session_id"), "session_id", Transform("split-scope", _other_session), omit="falsy"),
])
"""What the item's ``metadata`` gains from the record's own fields (after ``memconv_source``,
``memconv_source_id``, ``memconv_source_kind`` and ``memconv_agent_id``; the writer's context is the
owning agent). A key the record's metadata already has is never overwritten."""

ITEM_OUT = WriteTable("memory", "", [
    Put("text", "memory"),
    Put("hash", "hash", fallback=lambda r, o, c: md5_hex(r.text), note="md5 hex of the text when the record has none"),
    Put("metadata", "metadata", via=Transform("copy", lambda r, o, c: c[0]),
        note="null when empty; other systems' records gain memconv_source, memconv_source_id (never overwriting a key)"),
    Put("created_at", "created_at", note="verbatim"),
    Put("updated_at", "updated_at", fallback=lambda r, o, c: r.created_at, note="verbatim; created_at when missing"),
    Put("scope.user_id", "user_id", omit="none", note="app_id, project and a session_id beside a run_id go to metadata"),
    Put("scope", "agent_id", via=Transform("split-scope", lambda r, o, c: c[1].name if c[1] is not None
                                           else r.scope.agent_id), omit="none",
        note="a passage's or block's agent by name (its id in metadata.memconv_agent_id)"),
    Put(("scope.run_id", "scope.session_id"), "run_id", Transform("split-scope", _run_id), omit="none",
        note="session_id -> run_id when there is none, else metadata.session_id"),
    Put("scope.actor_id", "actor_id", omit="none"),
    Put("role", "role", omit="none"),
    Put("expiration_date", "expiration_date", omit="none"),
])
"""The item itself (the writer's context: ``(metadata, owning agent)``)."""

HISTORY_OUT = WriteTable("event", "history[]", [
    Put("memory_id", "memory_id", via=Transform("uuid5", lambda r, o, system: mem0_id(system, r.memory_id)),
        note="a UUID5 of <system>:<id> unless it is a UUID already (the memory's mem0 id)"),
    Put("old_text", "old_memory"),
    Put("new_text", "new_memory"),
    Put("event", "event"),
    Put("created_at", "created_at"),
    Put("updated_at", "updated_at"),
    Put("is_deleted", "is_deleted", fallback=lambda r, o, c: r.event == "DELETE", note="event == DELETE when unset"),
    Put("actor_id", "actor_id"),
    Put("role", "role"),
])
"""A history row of another system's event (the writer's context: the event's source system)."""



def _observation_text(r: Any, o: dict[str, Any], c: Any) -> str:
    return r.text() or f"({r.observation_type or 'empty'} observation)"


_EPISODE_HASH = Put((), "hash", via=Transform("md5", lambda r, o, c: md5_hex(o["memory"])))
_EPISODE_META = Put((), "metadata", via=Transform("copy", lambda r, o, c: c[0]))
EPISODE_OUT: dict[str, tuple[WriteTable, WriteTable]] = {
    "observation": (
        WriteTable("observation", "metadata", [
            Put("observation_type", "type", omit="empty"), Put("concepts", "concepts", omit="empty"),
            Put("files", "files", omit="empty"), Put("importance", "importance", omit="empty"),
            Put((), "project", via=Transform("session-project", lambda r, o, project: project), omit="falsy")]),
        WriteTable("observation", "", [
            Put(("title", "subtitle", "narrative", "facts"), "memory", via=Transform("compose-text", _observation_text),
                note="title, subtitle, narrative and a Facts: list, a line each"),
            _EPISODE_HASH, _EPISODE_META,
            Put("timestamp", "created_at"), Put("timestamp", "updated_at"),
            Put("agent_id", "agent_id", via=Transform("split-scope", lambda r, o, c: r.agent_id or c[1]), omit="falsy",
                note="AgentMemory agentId (the coding agent); else its session's"),
            Put("session_id", "run_id", note="the AgentMemory session is the mem0 run")])),
    "summary": (
        WriteTable("summary", "metadata", [
            Put("concepts", "concepts", omit="empty"), Put("files_modified", "files", omit="empty"),
            Put("project", "project", via=Transform("session-project", lambda r, o, project: r.project or project),
                omit="falsy", note="else its session's")]),
        WriteTable("summary", "", [
            Put(("title", "narrative", "key_decisions", "files_modified"), "memory",
                via=Transform("compose-text", lambda r, o, c: r.text()),
                note="title, narrative, a Key decisions: list and Files modified:, a line each"),
            _EPISODE_HASH, _EPISODE_META,
            Put("created_at", "created_at"), Put("created_at", "updated_at"),
            Put((), "agent_id", via=Transform("split-scope", lambda r, o, c: c[1]), omit="falsy"),
            Put("session_id", "run_id", note="the AgentMemory session is the mem0 run")])),
}
"""An AgentMemory observation or session summary as a mem0 item: ``(metadata table, item table)``. The
writer's context is the session's project for the first, ``(metadata, the session's agentId)`` for the
second; the whole record also goes to ``metadata.memconv``."""

_TABLED = tables_field_maps((ITEM_OUT, ITEM_META_OUT, HISTORY_OUT, *(t for pair in EPISODE_OUT.values() for t in pair)),
                            kinds={"memory": ("memory", "passage")})
_TABLED.update({k: replace(fm, target=f"{fm.target}, metadata.memconv.{fm.field}")
                for k, fm in _TABLED.items() if fm.kind in ("observation", "summary")})

_ROWS: list[FieldMap] = (
    list(_TABLED.values())
    + [
        FieldMap("block", "label", "metadata.block_label"),
        FieldMap("block", "value", "memory"),
        FieldMap("block", "metadata", "metadata"),
        FieldMap("block", "tags", "metadata.tags"),
        FieldMap("block", "created_at", "created_at"),
        FieldMap("block", "updated_at", "updated_at"),
        FieldMap("block", "limit", "metadata.memconv.limit", "mem0 memories have no size limit; kept for memconv"),
        FieldMap("block", "description", "metadata.memconv.description", "no mem0 field; kept for memconv"),
        FieldMap("block", "read_only", "metadata.memconv.read_only", "mem0 memories are all writable; kept for memconv"),
        FieldMap("entity", "name", "relations[].source / target, memconv[].name"),
        FieldMap("entity", "scope", "memconv[].scope", "mem0 entities are scoped by the get_all call"),
        FieldMap("entity", "entity_type", "memconv[].entity_type", "mem0 relations name their ends only"),
        FieldMap("entity", "properties", "memconv[].properties", "mem0 relations name their ends only"),
        FieldMap("entity", "aliases", "memconv[].aliases", "mem0 relations name their ends only"),
        FieldMap("entity", "created_at", "memconv[].created_at", "mem0 relations carry no times"),
        FieldMap("entity", "updated_at", "memconv[].updated_at", "mem0 relations carry no times"),
        FieldMap("relation", "source", "relations[].source", "the entity's name; its id in relations[].memconv"),
        FieldMap("relation", "relationship", "relations[].relationship"),
        FieldMap("relation", "target", "relations[].target", "the entity's name (destination in search output); "
                                                              "its id in relations[].memconv"),
        FieldMap("relation", "scope", "relations[].memconv.scope", "mem0 relations are scoped by the get_all call"),
        FieldMap("relation", "weight", "relations[].memconv.weight", "mem0 relations have no weight"),
        FieldMap("relation", "created_at", "relations[].memconv.created_at", "mem0 relations carry no times"),
    ]
)

_KINDS: dict[str, tuple[str | None, str]] = {
    "memory": ("results[]", "memory item; mem0 records go back exactly as read"),
    "passage": ("results[]", "memory item scoped to its agent (by name), metadata.memconv_source_kind passage"),
    "block": ("results[]", "one memory item per owning agent, metadata.block_label = label; an empty block is kept "
                        "whole in the memconv list"),
    "event": ("history[]", "history row, in the document's \"history\" list (or a line of --jsonl output; "
                           "the bare list when the input is history only); another system's event carries its "
                           "ids, provenance and extras in a memconv key"),
    "entity": ("relations[]", "the ends of relations, by name; another system's entity is also kept whole "
                              "in the memconv list"),
    "relation": ("relations[]", "{source, relationship, target} by entity name; another system's relation "
                                "carries the rest in a memconv key"),
    "agent": ("memconv[]", "kept whole in the top-level memconv list (mem0 has no agent object); the agent's name "
                           "becomes agent_id of its passages and blocks"),
    "group": ("memconv[]", "kept whole in the memconv list (mem0 has no multi-agent groups)"),
    "tool": ("memconv[]", "kept whole in the memconv list (mem0 has no tools)"),
    "source": ("memconv[]", "kept whole in the memconv list (mem0 has no sources)"),
    "file": ("memconv[]", "kept whole in the memconv list (mem0 has no files)"),
    "mcp_server": ("memconv[]", "kept whole in the memconv list (mem0 has no MCP servers)"),
    "skill": ("memconv[]", "kept whole in the memconv list (mem0 has no skills)"),
    "session": ("memconv[]", "kept whole in the memconv list (mem0 has run_id scopes only: the session id is "
                             "the run_id of its observations and summary, which are mem0 memories)"),
    "message": ("memconv[]", "kept whole in the memconv list (mem0 exports no conversation messages)"),
    "observation": ("results[]", "AgentMemory observation: a memory item (title, subtitle, narrative, facts as its "
                                 "text) scoped run_id = its session, agent_id = its agentId; the whole record in "
                                 "metadata.memconv"),
    "summary": ("results[]", "AgentMemory session summary: a memory item (title, narrative, key decisions) "
                             "scoped run_id = its session, agent_id = the session's agentId; the whole record in "
                             "metadata.memconv"),
    "raw": ("memconv[]", "kept whole in the memconv list"),
}


def _kept_rows() -> list[FieldMap]:
    """Rows for what the explicit table leaves out: the other fields of memories, passages and blocks
    (``metadata.memconv``, vectors lost) and every field of the kinds kept whole."""
    rows: list[FieldMap] = []
    explicit = {(r.kind, r.field) for r in _ROWS}
    for kind, fields in MAPPED_FIELDS.items():
        for name in fields:
            if (kind, name) in explicit:
                continue
            if kind in ("observation", "summary"):
                rows.append(FieldMap(kind, name, f"metadata.memconv.{name}", "the whole record is in metadata.memconv"))
            elif kind in ITEM_NATIVE:
                if name in NO_VECTORS:
                    rows.append(FieldMap(kind, name, LOST, "mem0 exports never carry vectors"))
                else:
                    rows.append(FieldMap(kind, name, f"metadata.memconv.{name}",
                                         "records of other systems; mem0's own have no such field"))
            elif kind in KEPT_KINDS:
                rows.append(FieldMap(kind, name, f"memconv[].{name}"))
    return rows


MAPPING = MappingTable(
    target="mem0", system="mem0", rows=_ROWS + _kept_rows(), kinds=_KINDS, keeps_extras=True,
    side=frozenset({SIDE_CHANNEL}),
    intro=("Written as OSS `Memory.get_all()` output (`{\"results\": [...]}`, v1.1; `--target-version v1.0` "
           "writes the legacy bare list; `--jsonl` one item per line), with `\"relations\"` and `\"history\"` "
           "lists when the stream has them. Records read from mem0 go back exactly as read. Records of "
           "other systems get UUID ids (UUID5 of the source id unless it is a UUID), `hash` = md5 of the "
           "text, `metadata.memconv_source` / `memconv_source_id`, and `metadata.memconv`: the rest of "
           "the canonical record, which mem0 stores verbatim. Records mem0 has no item for (agents, "
           "messages, tools, AgentMemory sessions...) are kept whole in a top-level `\"memconv\"` list (`{\"memconv\": record}` "
           "lines in JSON-L), so converting back restores them; mem0 ignores the key, and a push into a "
           "live store reports them lost. The report counts them, per kind, as kept only in memconv's side channel, "
           "apart from the records that became mem0 memories. From an AgentMemory store, a mem0 user gets "
           "its memories, its observations and its session summaries as mem0 memories (run_id = the session id, "
           "agent_id = AgentMemory's agentId); its sessions, being scopes rather than memories, stay in the "
           "list. OpenMemory rows become OSS items, their state and times in "
           "`metadata.memconv`. The v1.0 bare list has no place for the list: those records are lost."),
)
