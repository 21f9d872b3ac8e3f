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

from memconv.mapping import LOST, MAPPED_FIELDS, FieldMap, MappingTable

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

_ITEM = [
    ("text", "memory", ""),
    ("title", "metadata.title", "other systems only"),
    ("memory_type", "metadata.type", "metadata.memory_type for procedural_memory (mem0's own place); "
                                     "mem0 records keep it in their metadata already"),
    ("scope", "user_id, agent_id, run_id, actor_id", "session_id -> run_id when there is none, else "
                                                     "metadata.session_id; app_id, project -> metadata "
                                                     "(mem0 records: Platform app_id/session_id as read)"),
    ("metadata", "metadata", "null when empty; other systems' records gain memconv_source, "
                             "memconv_source_id (never overwriting a key)"),
    ("tags", "metadata.tags", ""),
    ("categories", "metadata.categories", "Platform categories of mem0 records stay top-level"),
    ("concepts", "metadata.concepts", ""),
    ("created_at", "created_at", "verbatim"),
    ("updated_at", "updated_at", "verbatim; created_at when missing"),
    ("hash", "hash", "md5 hex of the text when the record has none"),
    ("role", "role", ""),
    ("expiration_date", "expiration_date", ""),
]

_ROWS: list[FieldMap] = (
    [FieldMap("memory", f, t, n) for f, t, n in _ITEM]
    + [FieldMap("passage", f, t, n) for f, t, n in _ITEM if f != "scope"]
    + [FieldMap("passage", "scope", "agent_id", "the Letta agent's name; its id goes to metadata.memconv_agent_id")]
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
        FieldMap("observation", "title", "memory (first line), metadata.memconv.title"),
        FieldMap("observation", "subtitle", "memory, metadata.memconv.subtitle"),
        FieldMap("observation", "narrative", "memory, metadata.memconv.narrative"),
        FieldMap("observation", "facts", "memory (a Facts: list), metadata.memconv.facts"),
        FieldMap("observation", "session_id", "run_id", "the AgentMemory session is the mem0 run"),
        FieldMap("observation", "agent_id", "agent_id", "AgentMemory agentId (the coding agent); else its "
                                                        "session's"),
        FieldMap("observation", "timestamp", "created_at, updated_at"),
        FieldMap("observation", "observation_type", "metadata.type"),
        FieldMap("observation", "concepts", "metadata.concepts"),
        FieldMap("observation", "files", "metadata.files"),
        FieldMap("observation", "importance", "metadata.importance"),
        FieldMap("observation", "confidence", "metadata.memconv.confidence"),
        FieldMap("observation", "origin", "metadata.memconv.origin"),
        FieldMap("summary", "title", "memory (first line), metadata.memconv.title"),
        FieldMap("summary", "narrative", "memory, metadata.memconv.narrative"),
        FieldMap("summary", "key_decisions", "memory (a Key decisions: list), metadata.memconv.key_decisions"),
        FieldMap("summary", "files_modified", "memory (Files modified:), metadata.files"),
        FieldMap("summary", "session_id", "run_id", "the AgentMemory session is the mem0 run"),
        FieldMap("summary", "project", "metadata.project"),
        FieldMap("summary", "created_at", "created_at, updated_at"),
        FieldMap("summary", "concepts", "metadata.concepts"),
        FieldMap("summary", "observation_count", "metadata.memconv.observation_count"),
        FieldMap("event", "memory_id", "history[].memory_id",
                 "a UUID5 of <system>:<id> unless it is a UUID already (the memory's mem0 id)", "uuid5"),
        FieldMap("event", "event", "history[].event"),
        FieldMap("event", "old_text", "history[].old_memory"),
        FieldMap("event", "new_text", "history[].new_memory"),
        FieldMap("event", "created_at", "history[].created_at"),
        FieldMap("event", "updated_at", "history[].updated_at"),
        FieldMap("event", "is_deleted", "history[].is_deleted", "event == DELETE when unset"),
        FieldMap("event", "actor_id", "history[].actor_id"),
        FieldMap("event", "role", "history[].role"),
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
            if kind in ITEM_NATIVE and kind not in ("observation", "summary"):
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
