"""The canonical -> mem0 mapping table (rendered in ``docs/mappings.md``; the loss report reads it).

Every record the mem0 writer sees is accounted to :data:`MAPPING`; fields listed with target
``LOST`` (or not listed) are reported when set, and so are other systems' extras. mem0's own extras
(``score``, ``attributed_to``, Platform keys...) are restored, not lost.
"""

from __future__ import annotations

from memconv.mapping import LOST, FieldMap, MappingTable

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
    ("embedding", LOST, "mem0 exports never carry vectors"),
    ("embedding_model", LOST, "mem0 exports never carry vectors"),
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
        FieldMap("block", "limit", LOST, "mem0 memories have no size limit"),
        FieldMap("block", "description", LOST, "no field for it"),
        FieldMap("block", "read_only", LOST, "mem0 memories are all writable"),
        FieldMap("event", "memory_id", "history[].memory_id"),
        FieldMap("event", "event", "history[].event"),
        FieldMap("event", "old_text", "history[].old_memory"),
        FieldMap("event", "new_text", "history[].new_memory"),
        FieldMap("event", "created_at", "history[].created_at"),
        FieldMap("event", "updated_at", "history[].updated_at"),
        FieldMap("event", "is_deleted", "history[].is_deleted", "event == DELETE when unset"),
        FieldMap("event", "actor_id", "history[].actor_id"),
        FieldMap("event", "role", "history[].role"),
        FieldMap("entity", "name", "relations[].source / target"),
        FieldMap("entity", "scope", "(the listing's scope)", "mem0 entities are scoped by the get_all call"),
        FieldMap("entity", "entity_type", LOST, "mem0 relations name their ends only"),
        FieldMap("entity", "properties", LOST, "mem0 relations name their ends only"),
        FieldMap("entity", "aliases", LOST, "mem0 relations name their ends only"),
        FieldMap("entity", "created_at", LOST, "mem0 relations carry no times"),
        FieldMap("entity", "updated_at", LOST, "mem0 relations carry no times"),
        FieldMap("relation", "source", "relations[].source", "the entity's name"),
        FieldMap("relation", "relationship", "relations[].relationship"),
        FieldMap("relation", "target", "relations[].target", "the entity's name (destination in search output)"),
        FieldMap("relation", "scope", "(the listing's scope)", "mem0 relations are scoped by the get_all call"),
        FieldMap("relation", "weight", LOST, "mem0 relations have no weight"),
        FieldMap("relation", "created_at", LOST, "mem0 relations carry no times"),
    ]
)

_KINDS: dict[str, tuple[str | None, str]] = {
    "memory": ("results[]", "memory item; mem0 records go back exactly as read"),
    "passage": ("results[]", "memory item scoped to its agent (by name), metadata.memconv_source_kind passage"),
    "block": ("results[]", "one memory item per owning agent, metadata.block_label = label; empty blocks skipped"),
    "event": ("history[]", "history row, in the document's \"history\" list (or a line of --jsonl output; "
                           "the bare list when the input is history only)"),
    "entity": ("relations[]", "only as the ends of relations"),
    "relation": ("relations[]", "{source, relationship, target} by entity name"),
    "agent": (None, "mem0 has no agent object; the agent's name becomes agent_id of its passages and blocks"),
    "group": (None, "mem0 has no multi-agent groups"),
    "tool": (None, "mem0 has no tools"),
    "source": (None, "mem0 has no sources"),
    "file": (None, "mem0 has no files"),
    "mcp_server": (None, "mem0 has no MCP servers"),
    "skill": (None, "mem0 has no skills"),
    "session": (None, "mem0 has no sessions (run_id scopes only)"),
    "message": (None, "mem0 exports no conversation messages (its history DB keeps only the last 10, unexported)"),
    "observation": (None, "mem0 has no observations"),
    "summary": (None, "mem0 has no session summaries"),
    "raw": (None, "mem0 has no place for other systems' raw records"),
}

MAPPING = MappingTable(
    target="mem0", system="mem0", rows=_ROWS, kinds=_KINDS, keeps_extras=False,
    intro=("Written as OSS `Memory.get_all()` output (`{\"results\": [...]}`, v1.1; `--target-version v1.0` "
           "writes the legacy bare list; `--jsonl` one item per line), with `\"relations\"` and `\"history\"` "
           "lists when the stream has them. Records read from mem0 go back exactly as read. Records of "
           "other systems get UUID ids (UUID5 of the source id unless it is a UUID), `hash` = md5 of the "
           "text, and `metadata.memconv_source` / `memconv_source_id`. OpenMemory rows become OSS items; "
           "their state, archive and delete times have no mem0 field."),
)
