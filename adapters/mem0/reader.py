"""Read mem0 exports into the canonical stream.

Shapes (``shared/formats/mem0.md``; header ``source_variant`` in brackets):

* OSS ``Memory.get_all()`` / ``search()`` (0.1.59 - 2.2.1): ``{"results": [item...]}``, with
  ``"relations": [{source, relationship, target}]`` from 1.x graph memory (``search`` writes
  ``destination`` instead of ``target``) [``get_all`` / ``search``];
* Platform ``POST /v3/memories/`` page: ``{"count", "next", "previous", "results"}`` with extra item
  keys (``categories``, ``app_id``, ``session_id``, ``structured_attributes``...) [``platform_page``];
  a page that is not the whole listing gives a warning;
* legacy ``get_all`` bare list (``version="v1.0"``, <= 0.1.118) [``legacy_list``]; ``Memory.get(id)``,
  one item with ``"score": null`` [``get``];
* ``Memory.history(id)``: a bare list of rows ``{id, memory_id, old_memory, new_memory, event,
  created_at, updated_at, is_deleted, actor_id, role}`` [``history``]; the raw SQLite table dump
  ``{"schema", "rows"}`` (``is_deleted`` 0/1) [``history_table``]; TypeScript OSS rows
  ``{id (int), memory_id, previous_value, new_value, action, ...}`` (record variant ``history_ts``);
* OpenMemory backup (``ea2ee0758^`` ``backup.py``): the zip of ``memories.json`` (+
  ``memories.jsonl.gz``), read in memory, or a bare ``memories.json`` [``openmemory``];
  ``status_history`` rows become history events;
* the OSS-to-Platform migration file ``{"kind": "mem0_oss_qdrant_export", "records": [...]}``
  [``oss_qdrant_export``];
* JSON-L: one memory item, history row, relation or OpenMemory record per line [``jsonl``,
  ``history_jsonl``, ``openmemory_jsonl``]; a blank last line, no final newline and CRLF are fine.

Mapping of an item (``MemoryItem`` + promoted keys): ``id`` -> record id, ``memory`` -> ``text``,
``hash``, ``metadata`` (null and ``{}`` kept apart), ``created_at``/``updated_at`` (verbatim, any UTC
offset), ``user_id``/``agent_id``/``run_id``/``actor_id``, Platform ``app_id`` and ``session_id`` ->
``scope`` (``session_id`` is kept apart from ``run_id``: Platform returns the same value under either
key depending on the endpoint), ``role``, ``expiration_date``, Platform ``categories``;
``metadata.memory_type`` (procedural memories) is also copied to ``memory_type``. Every other key
(``score``, ``attributed_to``, ``structured_attributes``...) goes to ``extras["mem0"]``, with the
markers of :mod:`.shape`, so the mem0 writer puts the object back as it was.

Records memconv's mem0 writer kept for itself (``.mapping``): an item whose ``metadata.memconv``
is a canonical memory, passage or block is read as that record (:class:`Embedded`; the item's text,
block label and ``created_at`` win over the embedded copy, so an edit made in mem0 is kept; a block
written once per owning agent is read once); the top-level ``"memconv"`` list (``{"memconv": record}``
lines in JSON-L) holds whole canonical records of the kinds mem0 has no item for (agents, messages,
tools...). Its small kinds are yielded before the items and the rest after them, so agents come
before the records that name them (blocks come back among the items, after the tools: every writer
buffers small kinds, so that order is harmless). An embed that is not a valid record gives a warning and the plain item; a bad
record in the list is an error naming ``memconv[i]``.

Memory: documents up to :data:`SMALL_BYTES` are parsed whole (orjson; errors give line and column).
Larger ones are streamed with ijson (``results.item``, ``item``, ``records.item``, ``rows.item``), so
only one item is in memory at a time; errors then name the record index. Graph ``relations`` (at
most mem0's ``limit``, 100 by default) and OpenMemory's ``memories.json`` (one user's export, which
OpenMemory itself builds in memory) are held whole.
"""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import PurePosixPath
from typing import Any, Iterable, Iterator

import ijson
from ijson.common import ObjectBuilder

from memconv.archive import DEFAULT_CAPS, read_zip
from memconv.errors import InputInvalid, InputUnreadable, LimitExceeded
from pydantic import ValidationError

from memconv.fields import build, split
from memconv.io import Input, read_all
from memconv.jsonutil import (BOM, DupDict, json_lines, open_skip_bom, check_dups, contains, dumps, has_big_int, ijson_backend, json_error,
                              last_items, loads, scan_numbers, top_keys_twice)
from memconv.model import (RECORD_ADAPTER, RECORD_TYPES, SMALL_KINDS, Base, Entity, Header, HistoryEvent, Memory,
                           Provenance, Relation)
from memconv.report import Report
from memconv.spool import Handles, Spool

from .mapping import EMBED_KEY, ITEM_NATIVE, KEPT_KINDS, ROW_NATIVE

from .shape import (EVENTS, HISTORY_KEYS, HISTORY_KEYS_TS, HISTORY_ORDER, ITEM_CORE, ITEM_CORE_TS,
                    ITEM_OPTIONAL, MIGRATION_KIND, OPENMEMORY, OPENMEMORY_KEYS, OPENMEMORY_MARKERS,
                    PAGE_KEYS, SYSTEM, TOP_K_DEFAULTS, TS_SUFFIX, ordered)

SMALL_BYTES = 8 * 1024 * 1024
"""Documents up to this many bytes are parsed whole; larger (and gzipped) ones are streamed."""

HEAD_BYTES = 256 * 1024
"""How much of a streamed document is parsed up front for its top-level keys and first item."""

_MISSING = object()


class Ctx:
    """The input's display name, the report, and the format version for provenance."""

    def __init__(self, name: str, report: Report, version: str | None = None):
        self.name = name
        self.report = report
        self.version = version

    def fail(self, where: str, what: str) -> InputInvalid:
        """``InputInvalid("<name>: <where>: <what>")``."""
        return InputInvalid(f"{self.name}: {where}: {what}" if where else f"{self.name}: {what}")

    def prov(self, rid: str | None, variant: str) -> Provenance:
        """Provenance ``mem0`` with the source id, this input's version and the record's variant."""
        return Provenance(system=SYSTEM, id=rid, version=self.version, variant=variant)


def _type(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null",
            int: "a number", float: "a number"}.get(type(v), type(v).__name__)


def _list_of(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


def _where(path: str, key: str) -> str:
    if not path or path == "$":
        return key
    if path.startswith("line "):
        return f"{path}: {key}"
    return f"{path}.{key}"


def _take_id(ctx: Ctx, obj: dict[str, Any], path: str, extras: dict[str, Any]) -> str:
    rid = obj.get("id")
    extras.pop("id", None)
    if isinstance(rid, bool) or not isinstance(rid, (str, int)) or rid == "":
        raise ctx.fail(_where(path, "id"), f"expected a string id, got {_type(rid)}")
    if isinstance(rid, int):
        extras.setdefault("$int", []).append("id")
        return str(rid)
    return rid


def line_kind(obj: Any) -> str | None:
    """What one JSON object is: ``item`` (mem0 memory item), ``history`` (history row),
    ``openmemory`` (OpenMemory logical record), ``relation`` (graph relation), or None.

    ``memconv``: a ``{"memconv": record}`` line, a record memconv's writer kept (:mod:`.mapping`).
    Objects with a ``kind`` key are never mem0's (canonical JSON-L lines have one).
    """
    if not isinstance(obj, dict) or "kind" in obj:
        return None
    if len(obj) == 1 and isinstance(obj.get(EMBED_KEY), dict):
        return "memconv"
    if "memory_id" in obj and ("event" in obj or "action" in obj):
        return "history"
    if "id" in obj and isinstance(obj.get("memory"), str):
        return "item"
    if "id" in obj and isinstance(obj.get("content"), str) and "state" in obj:
        return "openmemory"
    if "id" not in obj and "source" in obj and "relationship" in obj and ("target" in obj or "destination" in obj):
        return "relation"
    return None


# ---------------------------------------------------------------- records


_OPTIONAL_KEYS = frozenset(ITEM_OPTIONAL)
_SCOPE_FIELDS = {f: f[len("scope."):] for f in ITEM_OPTIONAL.values() if f.startswith("scope.")}


def item_record(obj: Any, ctx: Ctx, path: str, variant: str) -> Memory:
    """A canonical :class:`Memory` from one mem0 memory item (OSS, Platform, TypeScript OSS, or a
    migration-file record).

    Raises:
        InputInvalid: not an object, no string ``id``/``memory``, or a field of the wrong type.
    """
    if not isinstance(obj, dict):
        raise ctx.fail(path, f"expected a memory item (an object), got {_type(obj)}")
    ts = ("createdAt" in obj or "updatedAt" in obj) and "created_at" not in obj and "updated_at" not in obj
    obj = unleak(obj, ctx, path)
    text = obj.get("memory")
    if not isinstance(text, str):
        raise ctx.fail(_where(path, "memory"), f"expected the memory text (a string), got {_type(text)}")
    keys = (ITEM_CORE_TS if ts else ITEM_CORE) | {k: ITEM_OPTIONAL[k] for k in obj.keys() & _OPTIONAL_KEYS
                                                  if obj[k] is not None}
    fields, extras = split(obj, keys)
    rid = _take_id(ctx, obj, path, extras)
    scope = {_SCOPE_FIELDS[f]: fields.pop(f) for f in [f for f in fields if f in _SCOPE_FIELDS]}
    meta = fields.get("metadata")
    mtype = meta.get("memory_type") if isinstance(meta, dict) and isinstance(meta.get("memory_type"), str) else None
    order = list(obj)
    if order != ordered(order):
        extras["$order"] = order
    return build(Memory, ctx.name, path, id=rid, provenance=ctx.prov(rid, variant + (TS_SUFFIX if ts else "")),
                 extras={SYSTEM: extras} if extras else {}, scope=scope, memory_type=mtype, **fields)


LEAKED_KEYS = ("text_lemmatized", "actor_id", "role", "attributed_to")
"""Payload keys mem0's REST server (admin ``GET /memories``, ``server/main.py`` ``_serialize_memory``)
leaks into ``metadata`` (mem0 issue #6825). ``Memory.get_all()`` keeps them out of ``metadata``: it drops
``text_lemmatized`` (the BM25 index of the text, recomputed on every write) and promotes ``actor_id``,
``role`` and ``attributed_to`` to the item's top level."""


def unleak(obj: dict[str, Any], ctx: Ctx, path: str) -> dict[str, Any]:
    """``obj`` as ``Memory.get_all()`` would give it when its ``metadata`` holds :data:`LEAKED_KEYS`.

    ``text_lemmatized`` is dropped; ``actor_id``, ``role`` and ``attributed_to`` move to the top level
    (a top-level value that differs is kept and the metadata one stays where it is); a ``metadata`` left
    empty becomes null, as ``get_all`` writes it. The first such item of an input gives one warning
    naming it and the count; later ones add to ``report.info["mem0_rest_leaks"]``.
    """
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not any(k in meta for k in LEAKED_KEYS):
        return obj
    meta = dict(meta)
    out = dict(obj)
    meta.pop("text_lemmatized", None)
    for key in LEAKED_KEYS[1:]:
        if key in meta and (out.get(key) is None or out.get(key) == meta[key]):
            out[key] = meta.pop(key)
    out["metadata"] = meta or None  # in its place
    n = ctx.report.info.get("mem0_rest_leaks", 0)
    if not n:
        ctx.report.warn(f"{ctx.name}: {_where(path, 'metadata')}: holds mem0's internal payload keys "
                        f"({', '.join(k for k in LEAKED_KEYS if k in obj['metadata'])}), as mem0's REST "
                        f"server leaks them (mem0 issue #6825); read as Memory.get_all() gives them: "
                        f"text_lemmatized dropped (mem0 recomputes it), actor_id, role and attributed_to "
                        f"as the item's own")
    ctx.report.info["mem0_rest_leaks"] = n + 1
    return out


def kept_record(obj: Any, ctx: Ctx, path: str) -> Base:
    """A record of the ``"memconv"`` list (or a ``{"memconv": record}`` line): canonical JSON of a
    record mem0 has no item for (:data:`.mapping.KEPT_KINDS`, and empty blocks).

    Raises:
        InputInvalid: not a canonical record, or a field that does not validate (named).
    """
    kind = obj.get("kind") if isinstance(obj, dict) else None
    if kind not in RECORD_TYPES:
        raise ctx.fail(path, f"expected a canonical record memconv kept (an object with a \"kind\" such as "
                             f"{', '.join(KEPT_KINDS[:3])}...), got "
                             f"{'kind ' + repr(kind) if isinstance(obj, dict) else _type(obj)}")
    return build(RECORD_TYPES[kind], ctx.name, path, **obj)


class Embedded:
    """Reads items, rebuilding the record memconv embedded in ``metadata.memconv`` when there is one.

    The item gives the record its text (a block's value), ``created_at`` and a block's label
    (``metadata.block_label``); everything else comes from the embed. A block written once per owning
    agent is yielded once (the first item; later ones by the same id are skipped).
    """

    def __init__(self, ctx: Ctx):
        self.ctx = ctx
        self.blocks: set[str] = set()

    def record(self, obj: Any, path: str, variant: str) -> Base | None:
        """The canonical record of item ``obj``; None for a repeat of a block already read.

        Raises:
            InputInvalid: as :func:`item_record` (the item itself is checked first).
        """
        mem = item_record(obj, self.ctx, path, variant)
        meta = mem.metadata
        e = meta.get(EMBED_KEY) if isinstance(meta, dict) else None
        if not isinstance(e, dict) or e.get("kind") not in ITEM_NATIVE or not isinstance(e.get("id"), str):
            return mem
        kind = e["kind"]
        native = ITEM_NATIVE[kind]
        fields = {k: v for k, v in e.items() if k not in native}
        if kind == "block":
            label = meta.get("block_label")
            fields.update(value=mem.text, label=label if isinstance(label, str) else e.get("label"))
            if fields["id"] in self.blocks:
                return None
        elif "text" in native:
            fields["text"] = mem.text
        if "created_at" in native:  # an observation or summary comes back whole from its embed
            fields["created_at"] = mem.created_at
        rec = self._valid(fields, mem, f"{path}.metadata.{EMBED_KEY}")
        if kind == "block" and rec is not mem:
            self.blocks.add(rec.id)
        return rec

    def row(self, plain: Base, obj: Any, path: str) -> Base:
        """The relation or history event memconv embedded in the ``memconv`` key of ``obj`` (a relation
        object or a history row, already read as ``plain``), with the row's own values
        (:data:`.mapping.ROW_NATIVE`); ``plain`` when there is no such key or it is not a record."""
        e = obj.get(EMBED_KEY) if isinstance(obj, dict) else None
        if not isinstance(e, dict) or e.get("kind") != plain.kind or not isinstance(e.get("id"), str):
            return plain
        fields = dict(e)
        fields.update({k: getattr(plain, k) for k in ROW_NATIVE[plain.kind]})
        return self._valid(fields, plain, f"{path}.{EMBED_KEY}")

    def _valid(self, fields: dict[str, Any], plain: Base, where: str) -> Base:
        try:
            return RECORD_ADAPTER.validate_python(fields)
        except ValidationError as err:
            first = err.errors()[0]
            loc = list(first["loc"])[1:]  # the first step is the union's tag (the kind)
            self.ctx.report.warn(f"{self.ctx.name}: {where}: {'.'.join(map(str, loc))}: {first['msg'].lower()}; "
                                 f"read as a plain mem0 {'memory' if plain.kind == 'memory' else plain.kind}")
            return plain


def event_record(obj: Any, ctx: Ctx, path: str, variant: str) -> HistoryEvent:
    """A canonical :class:`HistoryEvent` from one history row (Python OSS ``history()``, the raw
    SQLite table, Platform ``/v1/memories/{id}/history/``, or TypeScript OSS ``memory_history``).

    Raises:
        InputInvalid: no id or ``memory_id``, an event other than ADD/UPDATE/DELETE, a bad type.
    """
    if not isinstance(obj, dict):
        raise ctx.fail(path, f"expected a history row (an object), got {_type(obj)}")
    ts = "action" in obj and "event" not in obj
    fields, extras = split(obj, HISTORY_KEYS_TS if ts else HISTORY_KEYS)
    rid = _take_id(ctx, obj, path, extras)
    if not isinstance(fields.get("memory_id"), str) or not fields["memory_id"]:
        raise ctx.fail(_where(path, "memory_id"), "expected the id of the memory it changes (a string)")
    if fields.get("event") not in EVENTS:
        raise ctx.fail(_where(path, "action" if ts else "event"),
                       f"expected ADD, UPDATE or DELETE, got {fields.get('event')!r}")
    deleted = fields.get("is_deleted")
    if isinstance(deleted, int) and not isinstance(deleted, bool):
        if deleted not in (0, 1):
            raise ctx.fail(_where(path, "is_deleted"), f"expected 0 or 1, got {deleted}")
        fields["is_deleted"] = bool(deleted)
        extras.setdefault("$int", []).append("is_deleted")
    order = list(obj)
    if order != ordered(order, HISTORY_ORDER):
        extras["$order"] = order
    return build(HistoryEvent, ctx.name, path, id=rid,
                 provenance=ctx.prov(rid, variant + (TS_SUFFIX if ts else "")),
                 extras={SYSTEM: extras} if extras else {}, **fields)


def _relation_parts(r: Any, ctx: Ctx, path: str) -> tuple[str, str, str, bool]:
    if not isinstance(r, dict):
        raise ctx.fail(path, f"expected a relation {{source, relationship, target}}, got {_type(r)}")
    dest = "target" not in r and "destination" in r
    tkey = "destination" if dest else "target"
    for k in ("source", "relationship", tkey):
        if not isinstance(r.get(k), str):
            raise ctx.fail(_where(path, k), f"expected a string, got {_type(r.get(k))}")
    return r["source"], r["relationship"], r[tkey], dest


def relation_id(source: str, relationship: str, target: str) -> str:
    """The canonical id of a mem0 relation: ``source -[relationship]-> target`` (mem0 gives none)."""
    return f"{source} -[{relationship}]-> {target}"


def entity_record(name: str, ctx: Ctx, path: str, variant: str, scope: dict[str, Any]) -> Entity:
    """An :class:`Entity` for one relation endpoint; its id is its name (mem0 names nodes uniquely,
    lower-cased, per user)."""
    return build(Entity, ctx.name, path, id=name, name=name, provenance=ctx.prov(None, variant), scope=scope)


def relation_record(r: dict[str, Any], ctx: Ctx, path: str, variant: str, scope: dict[str, Any]) -> Relation:
    """A :class:`Relation` from ``{source, relationship, target}`` (or ``destination``).

    Raises:
        InputInvalid: a part missing or not a string.
    """
    s, rel, t, dest = _relation_parts(r, ctx, path)
    fields, extras = split(r, {"source": "source", "relationship": "relationship",
                               ("destination" if dest else "target"): "target"})
    extras.pop("$absent", None)
    if dest:
        extras["$dest"] = True
    return build(Relation, ctx.name, path, id=relation_id(s, rel, t), provenance=ctx.prov(None, variant),
                 extras={SYSTEM: extras} if extras else {}, scope=scope, **fields)


def relation_records(rels: Any, ctx: Ctx, path: str, variant: str, scope: dict[str, Any]) -> Iterator[Any]:
    """Entities (each distinct endpoint, first-seen order), then relations, of a ``relations`` list.

    Raises:
        InputInvalid: not a list, or a malformed relation (naming its index).
    """
    if not isinstance(rels, list):
        raise ctx.fail(path, f"expected a list of relations, got {_type(rels)}")
    embedded = Embedded(ctx)
    out = []
    names: dict[str, str] = {}
    for i, r in enumerate(rels):
        s, _, t, _ = _relation_parts(r, ctx, f"{path}[{i}]")
        plain = relation_record(r, ctx, f"{path}[{i}]", variant, scope)
        rec = embedded.row(plain, r, f"{path}[{i}]")
        out.append(rec)
        if rec is plain:  # memconv's relations name their entities, which its list holds
            names.setdefault(s, f"{path}[{i}].source")
            names.setdefault(t, f"{path}[{i}].target")
    for name, where in names.items():
        yield entity_record(name, ctx, where, variant, scope)
    yield from out


class _CommonScope:
    """The ``user_id``/``agent_id``/``run_id`` every item of a listing shares (a ``get_all`` is scoped
    by them), given to the listing's graph entities and relations, which carry no scope of their own."""

    def __init__(self) -> None:
        self.values: dict[str, Any] | None = None

    def add(self, m: Memory) -> None:
        mine = {k: getattr(m.scope, k) for k in ("user_id", "agent_id", "run_id")}
        if self.values is None:
            self.values = mine
        else:
            self.values = {k: v for k, v in self.values.items() if mine.get(k) == v}

    def scope(self) -> dict[str, Any]:
        return {k: v for k, v in (self.values or {}).items() if v is not None}


# ---------------------------------------------------------------- OpenMemory


def openmemory_record(obj: Any, ctx: Ctx, path: str, user: str | None = None,
                      apps: dict[str, Any] | None = None, cats: dict[str, Any] | None = None) -> Memory:
    """A :class:`Memory` from an OpenMemory ``memories.json`` memory or ``memories.jsonl.gz`` record.

    ``content`` -> text; the export's ``user.user_id`` (the external id) -> ``scope.user_id``; the app
    name (``app``, or ``app_id`` resolved through ``apps``) -> ``scope.app_id``; category names
    (``categories``, or ``category_ids`` resolved through ``categories``) -> ``categories``;
    ``state``, ``archived_at``, ``deleted_at``, the internal ``user_id``/``app_id`` uuids ->
    ``extras["openmemory"]``. OpenMemory rows have no ``hash``.

    Raises:
        InputInvalid: not an object, no id, no ``content`` string.
    """
    if not isinstance(obj, dict):
        raise ctx.fail(path, f"expected an OpenMemory memory (an object), got {_type(obj)}")
    if not isinstance(obj.get("content"), str):
        raise ctx.fail(_where(path, "content"), f"expected the memory text (a string), got {_type(obj.get('content'))}")
    fields, extras = split(obj, OPENMEMORY_KEYS)
    extras.pop("$absent", None)
    rid = _take_id(ctx, obj, path, extras)
    scope: dict[str, Any] = {}
    if user:
        scope["user_id"] = user
    app_id = obj.get("app_id") if isinstance(obj.get("app_id"), str) else None
    app = extras.pop("app", None) if "app" in extras else (apps or {}).get(app_id, app_id) if app_id else None
    if isinstance(app, str):
        scope["app_id"] = app
    categories = None
    if isinstance(extras.get("categories"), list):
        categories = extras.pop("categories")
    elif isinstance(obj.get("category_ids"), list):
        categories = [(cats or {}).get(c, c) if isinstance(c, str) else c for c in obj["category_ids"]]
    return build(Memory, ctx.name, path, id=rid, provenance=ctx.prov(rid, "openmemory"),
                 extras={OPENMEMORY: extras} if extras else {}, scope=scope, categories=categories, **fields)


def status_event(h: Any, ctx: Ctx, path: str, memories: dict[str, tuple[str, str | None]]) -> HistoryEvent:
    """A :class:`HistoryEvent` from an OpenMemory ``status_history`` row.

    ``new_state`` deleted -> DELETE; ``old_state`` = ``new_state`` (OpenMemory's creation row,
    active -> active) -> ADD; any other change (pause, archive) -> UPDATE with the text unchanged,
    as mem0 writes a metadata-only update. ``created_at`` is the memory's, ``updated_at`` the
    ``changed_at``; the states and ``changed_by`` go to ``extras["openmemory"]``.

    Raises:
        InputInvalid: not an object or no ``memory_id``.
    """
    if not isinstance(h, dict):
        raise ctx.fail(path, f"expected a status-history row (an object), got {_type(h)}")
    mid = h.get("memory_id")
    if not isinstance(mid, str) or not mid:
        raise ctx.fail(_where(path, "memory_id"), "expected the id of the memory it changes (a string)")
    old, new = h.get("old_state"), h.get("new_state")
    event = "DELETE" if new == "deleted" else ("ADD" if old == new else "UPDATE")
    text, created = memories.get(mid, (None, None))
    extras = {k: v for k, v in h.items() if k not in ("id", "memory_id")}
    rid = h.get("id") if isinstance(h.get("id"), str) and h.get("id") else f"{mid}/status/{path}"
    return build(HistoryEvent, ctx.name, path, id=rid, provenance=ctx.prov(h["id"] if rid == h.get("id") else None,
                                                                            "openmemory"),
                 extras={OPENMEMORY: extras}, memory_id=mid, event=event,
                 old_text=None if event == "ADD" else text, new_text=None if event == "DELETE" else text,
                 created_at=created, updated_at=h.get("changed_at") if isinstance(h.get("changed_at"), str) else None,
                 is_deleted=new == "deleted")


def read_openmemory(doc: Any, ctx: Ctx) -> Iterator[Any]:
    """The canonical stream of an OpenMemory ``memories.json`` (parsed): header, memories, then the
    ``status_history`` rows as events.

    Header: version ``export_meta.version``, ``exported_at`` = ``export_meta.generated_at``,
    ``extras["openmemory"]`` = the ``user``, ``apps``, ``categories``, ``access_controls`` and
    ``export_meta`` sections verbatim.

    Raises:
        InputInvalid: no ``memories`` list, or a malformed memory or row.
    """
    if not isinstance(doc, dict) or not isinstance(doc.get("memories"), list):
        raise ctx.fail("memories", "expected the list of OpenMemory memories")
    meta = doc.get("export_meta") if isinstance(doc.get("export_meta"), dict) else {}
    ctx.version = str(meta["version"]) if meta.get("version") is not None else None
    user_doc = doc.get("user") if isinstance(doc.get("user"), dict) else {}
    user = user_doc.get("user_id") if isinstance(user_doc.get("user_id"), str) else None
    apps = {a["id"]: a.get("name") for a in _list_of(doc.get("apps")) if isinstance(a, dict) and isinstance(a.get("id"), str)}
    cats = {c["id"]: c.get("name") for c in _list_of(doc.get("categories"))
            if isinstance(c, dict) and isinstance(c.get("id"), str)}
    hx = {k: v for k, v in doc.items() if k not in ("memories", "memory_categories", "status_history")}
    yield Header(source_system=SYSTEM, source_format_version=ctx.version, source_variant="openmemory",
                 exported_at=meta.get("generated_at") if isinstance(meta.get("generated_at"), str) else None,
                 extras={OPENMEMORY: hx} if hx else {})
    texts: dict[str, tuple[str, str | None]] = {}
    for i, m in enumerate(doc["memories"]):
        rec = openmemory_record(m, ctx, f"memories[{i}]", user, apps, cats)
        texts[rec.id] = (rec.text, rec.created_at)
        yield rec
    history = doc.get("status_history")
    if history is not None and not isinstance(history, list):
        raise ctx.fail("status_history", f"expected a list, got {_type(history)}")
    for j, h in enumerate(history or []):
        yield status_event(h, ctx, f"status_history[{j}]", texts)


def read_openmemory_zip(inp: Input, report: Report) -> Iterator[Any]:
    """An OpenMemory backup zip, read in memory (:func:`memconv.archive.read_zip`, no extraction).

    ``memories.json`` is found by base name anywhere in the zip, as OpenMemory's importer does; it
    holds everything, so ``memories.jsonl.gz`` (the same memories, fewer fields) is read only when
    ``memories.json`` is missing.

    Raises:
        InputInvalid: not a zip, an unsafe member path, neither member present, bad JSON.
        LimitExceeded: a member over the archive caps.
    """
    with inp.open_raw() as fh:
        try:
            members = read_zip(inp.name, fh)
        except zlib.error as e:  # corrupt deflate data: read_zip does not catch zlib.error (yet)
            raise InputInvalid(f"{inp.name}: corrupt zip archive ({e})") from None
    by_base = {PurePosixPath(k).name: k for k in sorted(members)}
    if "memories.json" in by_base:
        name = f"{inp.name}: {by_base['memories.json']}"
        doc = loads(members[by_base["memories.json"]], name, report=report)
        yield from read_openmemory(doc, Ctx(name, report))
        return
    if "memories.jsonl.gz" in by_base:
        name = f"{inp.name}: {by_base['memories.jsonl.gz']}"
        data = _gunzip(members[by_base["memories.jsonl.gz"]], name)
        yield from read_jsonl_lines(io.BytesIO(data), name, report, variant="openmemory")
        return
    raise InputInvalid(f"{inp.name}: not an OpenMemory backup: the zip has no memories.json "
                       f"(members: {', '.join(sorted(members)) or 'none'})")


def _gunzip(data: bytes, name: str) -> bytes:
    out, size = [], 0
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            while chunk := gz.read(1 << 20):
                size += len(chunk)
                if size > DEFAULT_CAPS.member_bytes:
                    raise LimitExceeded(f"{name}: over {DEFAULT_CAPS.member_bytes} bytes uncompressed")
                out.append(chunk)
    except (OSError, EOFError, zlib.error) as e:
        raise InputUnreadable(f"{name}: corrupt gzip data ({e})") from None
    return b"".join(out)


# ---------------------------------------------------------------- documents


def read_results(ctx: Ctx, top: dict[str, Any], items: Iterable[tuple[int, Any]], has_relations: bool,
                 relations: Any, first: Any, history: Iterable[tuple[int, Any]] = (),
                 kept: Iterable[tuple[int, Any]] = ()) -> Iterator[Any]:
    """A ``{"results": [...]}`` document: OSS ``get_all``/``search`` or a Platform page.

    Args:
        top: the other top-level keys (``count``/``next``/``previous``...), kept in the header's
            ``extras["mem0"]`` so the same document can be written again.
        items: ``(index, item)`` pairs. relations: the ``relations`` value (when ``has_relations``).
        first: the first item (decides ``search``: its items carry ``score``).
        history: ``(index, row)`` pairs of the ``"history"`` list memconv's writer adds.
        kept: ``(index, record)`` pairs of the ``"memconv"`` list memconv's writer adds; read first
            (small kinds are yielded before the items, the others spooled to disk until after them and
            validated once, as they are read back).

    Warns: a Platform page that is not the whole listing; a ``get_all`` of exactly 20 or 100 items
    (mem0's default ``top_k``/``limit``, which truncates silently).
    """
    page = any(k in top for k in PAGE_KEYS)
    dest = has_relations and isinstance(relations, list) and any(
        isinstance(r, dict) and "destination" in r and "target" not in r for r in relations)
    search = (isinstance(first, dict) and "score" in first) or dest
    variant = "platform_page" if page else ("search" if search else "get_all")
    hx = {k: v for k, v in top.items() if k not in ("results", "relations", "history", EMBED_KEY)}
    if has_relations:
        hx["$relations"] = True
    yield Header(source_system=SYSTEM, source_variant=variant, extras={SYSTEM: hx} if hx else {})
    spool = Spool()
    try:
        later, last = Handles(), Handles()
        for i, obj in kept:
            kind = obj.get("kind") if isinstance(obj, dict) else None
            if kind in SMALL_KINDS:
                yield kept_record(obj, ctx, f"{EMBED_KEY}[{i}]")
            else:  # checked when it is read back from the spool, once
                (last if kind == "raw" else later).append(spool.add(dumps([i, obj])))

        def spooled(handles: Handles) -> Iterator[Base]:
            for blob in spool.all(handles):
                i, obj = loads(blob, ctx.name, undo_double=False)
                yield kept_record(obj, ctx, f"{EMBED_KEY}[{i}]")

        common = _CommonScope()
        embedded = Embedded(ctx)
        n = 0
        for i, obj in items:
            rec = embedded.record(obj, f"results[{i}]", variant)
            n += 1
            if rec is not None:
                if has_relations and isinstance(rec, Memory) and rec.came_from(SYSTEM):  # the listing's scope, for its graph
                    common.add(rec)
                yield rec
        yield from spooled(later)
        if has_relations and relations is not None:
            yield from relation_records(relations, ctx, "relations", variant, common.scope())
        for i, row in history:
            yield embedded.row(event_record(row, ctx, f"history[{i}]", "history"), row, f"history[{i}]")
        yield from spooled(last)
    finally:
        spool.close()
    if page:
        count, nxt = top.get("count"), top.get("next")
        if nxt or (isinstance(count, int) and count > n):
            ctx.report.warn(f"{ctx.name}: one page of a paginated mem0 Platform listing ({n} of "
                            f"{count if isinstance(count, int) else '?'} memories; next: {nxt}); give every "
                            f"page as an input to convert them all")
    elif variant == "get_all":
        _warn_top_k(ctx, n)


def _warn_top_k(ctx: Ctx, n: int) -> None:
    if n in TOP_K_DEFAULTS:
        ctx.report.warn(f"{ctx.name}: exactly {n} memories, mem0's default get_all cap (top_k=20 in 2.x, "
                        f"limit=100 before); if there are more, export again with a larger top_k")


def read_list(ctx: Ctx, items: Iterable[tuple[int, Any]], first: Any) -> Iterator[Any]:
    """A bare list: history rows (``Memory.history()``, Platform or TypeScript history) when the
    first element is a row, else legacy ``get_all`` items (v1.0).

    Raises:
        InputInvalid: an element of the wrong shape, naming its index.
    """
    if line_kind(first) == "history":
        yield Header(source_system=SYSTEM, source_variant="history")
        embedded = Embedded(ctx)
        for i, obj in items:
            yield embedded.row(event_record(obj, ctx, f"[{i}]", "history"), obj, f"[{i}]")
        return
    yield Header(source_system=SYSTEM, source_variant="legacy_list")
    n = 0
    embedded = Embedded(ctx)
    for i, obj in items:
        rec = embedded.record(obj, f"[{i}]", "legacy_list")
        if rec is not None:
            yield rec
        n += 1
    _warn_top_k(ctx, n)


def read_history_table(ctx: Ctx, top: dict[str, Any], rows: Iterable[tuple[int, Any]]) -> Iterator[Any]:
    """The raw SQLite ``history`` table dump ``{"schema": DDL, "rows": [...]}`` (``is_deleted`` 0/1)."""
    hx = {k: v for k, v in top.items() if k != "rows"}
    yield Header(source_system=SYSTEM, source_variant="history_table", extras={SYSTEM: hx} if hx else {})
    for i, obj in rows:
        yield event_record(obj, ctx, f"rows[{i}]", "history_table")


def read_migration(ctx: Ctx, top: dict[str, Any], records: Iterable[tuple[int, Any]]) -> Iterator[Any]:
    """The OSS-to-Platform migration file (``kind: mem0_oss_qdrant_export``, version 1).

    Records are items plus ``source`` and ``source_payload`` (the raw Qdrant payload), kept in
    extras. Header: version = ``version``, ``exported_at``, the other top-level keys in extras.
    Warns when ``record_count`` differs from the records read.
    """
    v = top.get("version")
    ctx.version = str(v) if v is not None else None
    hx = {k: v for k, v in top.items() if k != "records"}
    exported = top.get("exported_at")
    yield Header(source_system=SYSTEM, source_format_version=ctx.version, source_variant="oss_qdrant_export",
                 exported_at=exported if isinstance(exported, str) else None, extras={SYSTEM: hx} if hx else {})
    n = 0
    for i, obj in records:
        yield item_record(obj, ctx, f"records[{i}]", "oss_qdrant_export")
        n += 1
    count = top.get("record_count")
    if isinstance(count, int) and count != n:
        ctx.report.warn(f"{ctx.name}: record_count says {count} but the file has {n} records")


def read_parsed(doc: Any, ctx: Ctx) -> Iterator[Any]:
    """Dispatch a whole parsed JSON document to the reader of its shape.

    Raises:
        InputInvalid: not a mem0 shape (the message says what was expected).
    """
    if isinstance(doc, dict):
        if doc.get("kind") == MIGRATION_KIND:
            records = doc.get("records")
            if not isinstance(records, list):
                raise ctx.fail("records", f"expected a list of records, got {_type(records)}")
            yield from read_migration(ctx, {k: v for k, v in doc.items() if k != "records"}, enumerate(records))
        elif "results" in doc:
            results = doc["results"]
            if not isinstance(results, list):
                raise ctx.fail("results", f"expected a list of memory items, got {_type(results)}")
            history, kept = doc.get("history"), doc.get(EMBED_KEY)
            if history is not None and not isinstance(history, list):
                raise ctx.fail("history", f"expected a list of history rows, got {_type(history)}")
            if kept is not None and not isinstance(kept, list):
                raise ctx.fail(EMBED_KEY, f"expected memconv's list of canonical records, got {_type(kept)}")
            top = {k: v for k, v in doc.items() if k not in ("results", "relations", "history", EMBED_KEY)}
            yield from read_results(ctx, top, enumerate(results), "relations" in doc, doc.get("relations"),
                                    results[0] if results else None, enumerate(history or []),
                                    enumerate(kept or []))
        elif isinstance(doc.get("memories"), list) and any(k in doc for k in OPENMEMORY_MARKERS):
            yield from read_openmemory(doc, ctx)
        elif "rows" in doc and "schema" in doc:
            if not isinstance(doc["rows"], list):
                raise ctx.fail("rows", f"expected a list of history rows, got {_type(doc['rows'])}")
            yield from read_history_table(ctx, doc, enumerate(doc["rows"]))
        elif "id" in doc and "memory" in doc:
            yield Header(source_system=SYSTEM, source_variant="get")
            yield Embedded(ctx).record(doc, "$", "get")
        else:
            raise ctx.fail("", 'not a mem0 document: expected "results" (get_all, search, Platform page), '
                               'a memory item ("id", "memory"), an OpenMemory export ("memories", "export_meta") '
                               f'or "kind": "{MIGRATION_KIND}"')
    elif isinstance(doc, list):
        yield from read_list(ctx, enumerate(doc), doc[0] if doc else None)
    else:
        raise ctx.fail("", f"not a mem0 document: expected a JSON object or list, got {_type(doc)}")


# ---------------------------------------------------------------- streaming


def _ijson_error(inp: Input, e: Exception) -> Exception:
    """The one-line error of :func:`memconv.jsonutil.json_error` (line and column found again)."""
    return json_error(inp.name, inp.open, e)


def stream_items(inp: Input, prefix: str, label: str, ij: Any = ijson,
                 report: Any = None, times: int = 1) -> Iterator[tuple[int, Any]]:
    """``(index, object)`` for each element at ``prefix`` (``results.item``), parsed one at a time
    with the ijson backend ``ij``; an object with a key given twice is warned about through
    ``report``, with its JSON path (``results[7].metadata``). ``times``: how many times the
    top-level key is given; the elements of its last value are read.

    Raises:
        InputInvalid: bad JSON, with line and column (:func:`memconv.jsonutil.json_error`).
        InputUnreadable: bytes that are not UTF-8, or corrupt gzip.
    """
    with open_skip_bom(inp) as fh:
        try:
            items = ij.items(fh, prefix, use_float=True, map_type=DupDict) if times == 1 else \
                last_items(fh, label, times, ij)
            for i, obj in enumerate(items):
                check_dups(obj, report, inp.name, f"{label}[{i}]")
                yield i, obj
        except (ijson.JSONError, UnicodeDecodeError) as e:
            raise _ijson_error(inp, e) from None


def stream_value(inp: Input, prefix: str, ij: Any = ijson, report: Any = None, times: int = 1) -> Any:
    """The value at ``prefix`` (built whole; the last one of a key given ``times`` times), or
    ``_MISSING``; one pass over the input.

    Raises:
        InputInvalid / InputUnreadable: as :func:`stream_items`.
    """
    with open_skip_bom(inp) as fh:
        try:
            value = next(ij.items(fh, prefix, use_float=True, map_type=DupDict) if times == 1 else
                         last_items(fh, prefix, times, ij, whole=True), _MISSING)
        except (ijson.JSONError, UnicodeDecodeError) as e:
            raise _ijson_error(inp, e) from None
    check_dups(value, report, inp.name, prefix)
    return value


def _then_raise(items: Iterable[tuple[int, Any]], error: Exception) -> Iterator[tuple[int, Any]]:
    yield from items
    raise error


def head_values(head: bytes, skip: tuple[str, ...], ij: Any = None,
                types: dict[str, str] | None = None, twice: list[str] | None = None) -> dict[str, Any]:
    """Top-level keys whose values are complete within ``head`` (the start of a document), except
    the ``skip`` keys, whose (large) values are passed over without being built. ``types`` receives
    the first parse event of every top-level value seen (``start_array`` for a list); ``twice`` the
    top-level keys seen more than once."""
    out: dict[str, Any] = {}
    seen: set[str] = set()
    key: str | None = None
    builder: ObjectBuilder | None = None
    depth = 0
    ij = ij or ijson_backend(has_big_int(head))
    try:
        for prefix, event, value in ij.parse(io.BytesIO(head), use_float=True):
            if depth == 1 and event == "map_key":
                key, builder = value, (None if value in skip else ObjectBuilder(map_type=DupDict))
                if twice is not None and value in seen and value not in twice:
                    twice.append(value)
                seen.add(value)
                continue
            if depth == 1 and types is not None and key is not None and key not in types:
                types[key] = event
            if event in ("start_map", "start_array"):
                depth += 1
                if depth == 1:
                    continue
            elif event in ("end_map", "end_array"):
                depth -= 1
                if depth == 0:
                    break
            if builder is not None:
                builder.event(event, value)
                if depth == 1:
                    out[key] = builder.value
                    builder = None
    except (ijson.JSONError, UnicodeDecodeError):
        pass
    return out


def first_value(head: bytes, prefix: str) -> Any:
    """The first complete element at ``prefix`` within ``head``, or None."""
    ij = ijson_backend(has_big_int(head))
    try:
        return next(ij.items(io.BytesIO(head), prefix, use_float=True), None)
    except (ijson.JSONError, UnicodeDecodeError):
        return None


def read_streamed(inp: Input, ctx: Ctx, shape: str) -> Iterator[Any]:
    """Read a large document with ijson, one element at a time (``shape`` from :func:`sniff`).

    The top-level keys before the big list (Platform ``count``/``next``, the migration file's
    ``version``/``source``) come from the first :data:`HEAD_BYTES`; ``relations`` from a second pass
    and memconv's ``history`` list from a third.
    """
    head = inp.peek(HEAD_BYTES).lstrip(BOM + b" \t\r\n")
    with open_skip_bom(inp) as fh:
        # integers beyond 64 bits: ijson's C backend refuses them, the Python one keeps them exact
        ij = ijson_backend(scan_numbers(fh, inp.name))
    with open_skip_bom(inp) as fh:  # memconv's list of kept records: a parse pass only when it may be there
        maybe_kept = shape == "results" and contains(fh, b'"' + EMBED_KEY.encode() + b'"')
    types: dict[str, str] = {}
    twice: list[str] = []
    times: dict[str, int] = {}

    def top_dups() -> None:
        names = {"results": ("results", "relations", "history", EMBED_KEY), "migration": ("records",),
                 "history_table": ("rows",)}.get(shape, ())
        if names:  # a big list given twice, anywhere in the file: its last value is read
            times.update(top_keys_twice(lambda: open_skip_bom(inp), names, ij))
            twice.extend(k for k in times if k not in twice)
        if twice:
            ctx.report.warn(f"{ctx.name}: $: duplicate key(s) {', '.join(repr(k) for k in twice[:5])} in one "
                            f"object; the last value of each was used")

    def check_list(key: str) -> None:
        if key in types and types[key] != "start_array":
            raise ctx.fail(key, f"expected a list, got {types[key].replace('start_map', 'an object')}")

    if shape == "results":
        top = head_values(head, ("results", "relations", "history", EMBED_KEY), ij, types, twice)
        top_dups()
        check_list("results")
        items = stream_items(inp, "results.item", "results", ij, ctx.report, times.get("results", 1))
        try:
            rels = stream_value(inp, "relations", ij, ctx.report, times.get("relations", 1))
        except (InputInvalid, InputUnreadable) as e:
            # bad JSON somewhere: the items pass names the record when it is inside "results"
            rels, items = _MISSING, _then_raise(items, e)
        kept = stream_items(inp, f"{EMBED_KEY}.item", EMBED_KEY, ij, ctx.report,
                            times.get(EMBED_KEY, 1)) if maybe_kept else ()
        yield from read_results(ctx, top, items, rels is not _MISSING, None if rels is _MISSING else rels,
                                first_value(head, "results.item"), stream_items(inp, "history.item", "history", ij, ctx.report, times.get("history", 1)),
                                kept)
    elif shape == "list":
        yield from read_list(ctx, stream_items(inp, "item", "", ij, ctx.report), first_value(head, "item"))
    elif shape == "migration":
        top = head_values(head, ("records",), ij, types, twice)
        top_dups()
        check_list("records")
        yield from read_migration(ctx, top, stream_items(inp, "records.item", "records", ij, ctx.report,
                                                         times.get("records", 1)))
    elif shape == "history_table":
        top = head_values(head, ("rows",), ij, types, twice)
        top_dups()
        check_list("rows")
        yield from read_history_table(ctx, top, stream_items(inp, "rows.item", "rows", ij, ctx.report,
                                                             times.get("rows", 1)))
    else:  # pragma: no cover - read_document only streams the shapes above
        raise ctx.fail("", f"cannot stream a {shape} document")


STREAMED_SHAPES = ("results", "list", "migration", "history_table")


def read_document(inp: Input, report: Report, shape: str | None) -> Iterator[Any]:
    """Read a JSON document: parsed whole when small (or of a shape that is always small), streamed
    otherwise.

    Raises:
        InputInvalid / InputUnreadable: with the file name and line/column or record index.
    """
    ctx = Ctx(inp.name, report)
    size = inp.size()
    if shape in STREAMED_SHAPES and (size is None or size > SMALL_BYTES or inp.is_gzip):
        yield from read_streamed(inp, ctx, shape)
        return
    with inp.open() as fh:
        data = read_all(fh)
    doc = loads(data, inp.name, report=report)
    yield from read_parsed(doc, ctx)


# ---------------------------------------------------------------- JSON-L


def read_jsonl_lines(fh: Any, name: str, report: Report, variant: str = "jsonl") -> Iterator[Any]:
    """One record per line: memory items, history rows, relations (``{source, relationship,
    target}``; their endpoints are yielded as entities when first seen) or OpenMemory records.

    Header variant: ``jsonl`` (items), ``history_jsonl`` or ``openmemory_jsonl``, after the first line.

    Raises:
        InputInvalid: a line that is not JSON or not one of these shapes, naming its line number.
        InputUnreadable: a line that is not UTF-8.
    """
    ctx = Ctx(name, report)
    sent = False
    names: set[str] = set()
    embedded = Embedded(ctx)
    for lineno, raw, obj in json_lines(fh, name, report):
        where = f"line {lineno}"
        kind = line_kind(obj)
        if kind is None:
            raise ctx.fail(where, 'expected a mem0 memory item ("id", "memory"), a history row ("memory_id", '
                                  '"event"), a relation ("source", "relationship", "target"), an OpenMemory '
                                  'record ("id", "content", "state") or a record memconv kept ({"memconv": ...})')
        if not sent:
            sent = True
            hv = {"history": "history_jsonl", "openmemory": "openmemory_jsonl"}.get(kind, "jsonl")
            yield Header(source_system=SYSTEM, source_variant="openmemory" if variant == "openmemory" else hv)
        if kind == "item":
            rec = embedded.record(obj, where, "jsonl")
            if rec is not None:
                yield rec
        elif kind == "memconv":
            yield kept_record(obj[EMBED_KEY], ctx, f"{where}.{EMBED_KEY}")
        elif kind == "history":
            yield embedded.row(event_record(obj, ctx, where, "jsonl"), obj, where)
        elif kind == "openmemory":
            yield openmemory_record(obj, ctx, where)
        else:
            s, _, t, _ = _relation_parts(obj, ctx, where)
            plain = relation_record(obj, ctx, where, "jsonl", {})
            rec = embedded.row(plain, obj, where)
            for n in (s, t) if rec is plain else ():
                if n not in names:
                    names.add(n)
                    yield entity_record(n, ctx, where, "jsonl", {})
            yield rec
    if not sent:
        yield Header(source_system=SYSTEM, source_variant="jsonl")


def read_jsonl(inp: Input, report: Report) -> Iterator[Any]:
    """A JSON-L input, line by line (gzip undone by :class:`~memconv.io.Input`)."""
    with inp.open() as fh:
        yield from read_jsonl_lines(fh, inp.name, report)
