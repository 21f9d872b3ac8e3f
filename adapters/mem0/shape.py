"""Facts about mem0's output shapes that the reader, the writer and detection share.

Sources (``shared/formats/mem0.md``): mem0ai 2.2.1 / git ``8d5b7865bd05`` ``mem0/memory/main.py``
(``MemoryItem`` + promotion, sections 1.2 and 1.5), ``mem0/memory/storage.py`` (history rows),
``mem0-ts/src/oss/src/storage/SQLiteManager.ts`` (TypeScript history), ``mem0/client/main.py``
(Platform, section 2.2), OpenMemory ``openmemory/api/app/routers/backup.py`` at ``ea2ee0758^``
(section 3) and ``scripts/oss-to-platform-migrate.sh`` (section 4.1).

Markers this adapter keeps in ``extras["mem0"]`` besides the source's own fields (all start with ``$``
and are never written out as keys):

* ``$absent``: mapped keys the object did not have (:func:`memconv.fields.split`);
* ``$order``: the object's key order, only when it differs from :func:`ordered`;
* ``$int``: keys whose value was an integer where the canonical model holds a string or a boolean
  (TypeScript history row ids, raw SQLite ``is_deleted`` 0/1);
* ``$dest``: a relation written with ``destination`` (``search``) rather than ``target``;
* ``$relations`` (header only): the document had a ``relations`` key, even an empty one.
"""

from __future__ import annotations

import functools
import hashlib
import uuid

SYSTEM = "mem0"
"""Provenance system and ``extras`` key of everything this adapter reads."""

OPENMEMORY = "openmemory"
"""``extras`` key of OpenMemory-only fields (``state``, ``archived_at``...). They are not mem0 fields,
so a mem0 writer reports them as lost (its mapping table restores ``extras["mem0"]`` only)."""

# ---------------------------------------------------------------- memory items

ITEM_CORE = {"memory": "text", "hash": "hash", "metadata": "metadata",
             "created_at": "created_at", "updated_at": "updated_at"}
"""Keys every ``MemoryItem`` has (``model_dump`` writes them even when null): mem0 key -> canonical."""

ITEM_CORE_TS = {"memory": "text", "hash": "hash", "metadata": "metadata",
                "createdAt": "created_at", "updatedAt": "updated_at"}
"""The same for TypeScript OSS items (``mem0-ts``: camelCase times)."""

ITEM_OPTIONAL = {"user_id": "scope.user_id", "agent_id": "scope.agent_id", "run_id": "scope.run_id",
                 "actor_id": "scope.actor_id", "app_id": "scope.app_id", "session_id": "scope.session_id",
                 "role": "role", "expiration_date": "expiration_date", "categories": "categories"}
"""Keys mem0 writes only when set (OSS promoted keys; Platform ``app_id``, ``session_id``,
``categories``). A present-but-null one stays in extras verbatim, so it comes back as null."""

PROMOTED = ("user_id", "agent_id", "run_id", "actor_id", "role", "attributed_to", "expiration_date")
"""Payload keys copied to the top level of an OSS item, in this order (2.x)."""

ITEM_ORDER = ("id", "memory", "hash", "metadata", "score", "created_at", "updated_at", *PROMOTED)
"""Key order of a serialised OSS item: ``MemoryItem`` fields, then the promoted keys."""

# ---------------------------------------------------------------- history rows

HISTORY_KEYS = {"memory_id": "memory_id", "old_memory": "old_text", "new_memory": "new_text",
                "event": "event", "created_at": "created_at", "updated_at": "updated_at",
                "is_deleted": "is_deleted", "actor_id": "actor_id", "role": "role"}
"""``Memory.history()`` row (SQLite ``history`` table, 0.1.100 - 2.x) -> canonical."""

HISTORY_ORDER = ("id", "memory_id", "old_memory", "new_memory", "event", "created_at", "updated_at",
                 "is_deleted", "actor_id", "role")

HISTORY_KEYS_TS = {"memory_id": "memory_id", "previous_value": "old_text", "new_value": "new_text",
                   "action": "event", "created_at": "created_at", "updated_at": "updated_at",
                   "is_deleted": "is_deleted"}
"""TypeScript OSS ``memory_history`` row (``previous_value``/``new_value``/``action``) -> canonical."""

EVENTS = ("ADD", "UPDATE", "DELETE")

# ---------------------------------------------------------------- OpenMemory

OPENMEMORY_KEYS = {"content": "text", "metadata": "metadata", "created_at": "created_at",
                   "updated_at": "updated_at"}
"""OpenMemory ``memories.json`` memory / ``memories.jsonl.gz`` record -> canonical (the rest of the
row goes to ``extras["openmemory"]``; ``app``/``app_id`` and ``categories`` are resolved to names)."""

OPENMEMORY_MARKERS = ("export_meta", "user", "apps", "memory_categories", "status_history")
"""Top-level keys of ``memories.json`` besides ``memories``; any one of them marks the file."""

MIGRATION_KIND = "mem0_oss_qdrant_export"
"""``kind`` of the OSS-to-Platform migration file (``scripts/oss-to-platform-migrate.sh``)."""

# ---------------------------------------------------------------- variants

TS_SUFFIX = "_ts"
"""Appended to a record's provenance variant when it used the TypeScript OSS key names."""

PAGE_KEYS = ("count", "next", "previous")
"""Keys of the Platform paginated envelope (``POST /v3/memories/``)."""

TOP_K_DEFAULTS = (20, 100)
"""``get_all`` defaults that silently cap a listing: ``top_k=20`` (2.x), ``limit=100`` (0.1.x-1.x)."""


def ordered(keys: list[str], order: tuple[str, ...] = ITEM_ORDER) -> list[str]:
    """``keys`` in mem0's serialisation order: the keys of ``order`` by rank, then the others in
    their original order. (Memoised: the items of one export share a handful of key lists.)"""
    return list(ordered_keys(tuple(keys), order))


@functools.lru_cache(maxsize=4096)
def ordered_keys(keys: tuple[str, ...], order: tuple[str, ...]) -> tuple[str, ...]:
    """:func:`ordered` for a tuple of keys, as a tuple (the memoised form the writer uses per record)."""
    rank = {k: i for i, k in enumerate(order)}
    known = sorted((k for k in keys if k in rank), key=rank.__getitem__)
    return (*known, *(k for k in keys if k not in rank))


def base_variant(variant: str | None) -> str:
    """A record's variant without the TypeScript suffix."""
    v = variant or ""
    return v[: -len(TS_SUFFIX)] if v.endswith(TS_SUFFIX) else v


NAMESPACE = uuid.UUID("6f1d5e2a-3c4b-5d6e-8f70-8192a3b4c5d6")
"""UUID5 namespace of the ids memconv gives to records whose source id is not a UUID."""


def mem0_id(system: str, rid: str) -> str:
    """``rid`` when it is a UUID in canonical form, else a UUID5 of ``<system>:<rid>`` (deterministic)."""
    try:
        if str(uuid.UUID(rid)) == rid.lower():
            return rid
    except (ValueError, AttributeError, TypeError):
        pass
    return str(uuid.uuid5(NAMESPACE, f"{system}:{rid}"))


def md5_hex(text: str) -> str:
    """mem0's ``hash``: ``hashlib.md5(text.encode()).hexdigest()``."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()


CLI_KEYS = ("status", "command", "data")
"""Keys of the JSON envelope the mem0 CLI prints with ``--agent`` (and ``list --output json``; mem0ai/mem0
``cli/node/src/output.ts`` ``formatJsonEnvelope``/``formatAgentEnvelope``: ``status``, ``command``, then
``duration_ms``, ``scope``, ``count``, ``error`` when set, and ``data``)."""

CLI_MEMORY_COMMANDS = ("list", "search", "get", "add")
"""The CLI commands whose ``data`` holds memory items (a list, or one item for ``get``; ``add`` lists
``{id, memory, event}``); ``scope`` names the user, agent, app or run they belong to."""
