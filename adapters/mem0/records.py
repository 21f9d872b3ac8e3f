"""mem0 objects as canonical records: memory items, history rows, graph relations and entities, and the
records memconv kept in a ``memconv`` list or key; the read context (:class:`Ctx`) that names places
in errors and warnings. Used by the document, JSON-L and OpenMemory readers alike.
"""

from __future__ import annotations

import uuid
from typing import Any, Iterator

from pydantic import ValidationError

from memconv.errors import InputInvalid
from memconv.fields import ABSENT, build, split
from memconv.jsonutil import json_type, json_type_at
from memconv.model import RECORD_ADAPTER, RECORD_TYPES, Base, Entity, HistoryEvent, Memory, Provenance, Relation
from memconv.report import Report
from memconv.logmessages import BAD_VALUE, DERIVED_ID, KEY_MOVED, MEMCONV_DATA_INVALID, RECORD_DROPPED

from .mapping import EMBED_KEY, ITEM_NATIVE, KEPT_KINDS, ROW_NATIVE
from .shape import (EVENTS, HISTORY_KEYS, HISTORY_KEYS_TS, HISTORY_ORDER, ITEM_CORE, ITEM_CORE_TS, ITEM_OPTIONAL,
                    SYSTEM, TS_SUFFIX, ordered)


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

    def prov_data(self, rid: str | None, variant: str) -> dict[str, Any]:
        """:meth:`prov` as the data the record's own validation checks (one validation a record, not two)."""
        return {"system": SYSTEM, "id": rid, "version": self.version, "variant": variant}


def list_of(v: Any) -> list[Any]:
    """``v`` when it is a list, else an empty one."""
    return v if isinstance(v, list) else []


def place_of(path: str, key: str) -> str:
    """The place of ``key`` inside the object at ``path`` (``results[3].metadata``, ``line 4: id``)."""
    if not path or path == "$":
        return key
    if path.startswith("line "):
        return f"{path}: {key}"
    return f"{path}.{key}"


DERIVED_IDS = uuid.UUID("0b5f3c2e-94a1-5e7d-8c6b-3f2a1d0e9c84")
"""The UUID5 namespace of the ids memconv derives for mem0 items that have none."""

MAX_ID_NOTES = 20
"""Items without a usable id warned about one by one; past this many, one line says there are more."""


def take_id(ctx: Ctx, obj: dict[str, Any], path: str, extras: dict[str, Any]) -> str:
    """The item's ``id`` (an integer id as its string, marked ``$int`` so it is written back as a number).

    An item with no usable id (missing, null, empty, not a string or an integer) is not refused: it is
    read under a derived id, a UUID5 of its JSON path (``results[3]``, ``line 4``) and its text (mem0's
    vector stores want UUIDs), with a warning naming the place and the id (the first :data:`MAX_ID_NOTES`, then one line for the
    rest; ``report.info["mem0_derived_ids"]`` counts them). The value found stays in the extras.
    """
    present = "id" in obj
    rid = obj.get("id")
    extras.pop("id", None)
    if isinstance(rid, bool) or not isinstance(rid, (str, int)) or rid == "":
        derived = str(uuid.uuid5(DERIVED_IDS, f"{path}\x1f{obj.get('memory')}"))
        n = ctx.report.info.get("mem0_derived_ids", 0) + 1
        ctx.report.info["mem0_derived_ids"] = n
        found = "no id" if not present else f"an id that is {json_type(rid) if rid != '' else 'empty'}"
        if n <= MAX_ID_NOTES:
            ctx.report.warn(f"{ctx.name}: {place_of(path, 'id')}: {found} (mem0 keys a memory by its id); read "
                            f"under the derived id {derived}", DERIVED_ID)
        elif n == MAX_ID_NOTES + 1:
            ctx.report.warn(f"{ctx.name}: more items without a usable id, each read under its JSON path "
                            f"(the count is in --report: mem0_derived_ids)", DERIVED_ID)
        if present:
            extras["id"] = rid
        return derived
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
    if isinstance(obj.get("memory"), str) and ("id" in obj or "hash" in obj or "user_id" in obj
                                                or "agent_id" in obj or "created_at" in obj):
        return "item"
    if "id" in obj and isinstance(obj.get("content"), str) and "state" in obj:
        return "openmemory"
    if "id" not in obj and "source" in obj and "relationship" in obj and ("target" in obj or "destination" in obj):
        return "relation"
    return None


# ---------------------------------------------------------------- records


_OPTIONAL_TO = {k: (f.startswith("scope."), f.removeprefix("scope.")) for k, f in ITEM_OPTIONAL.items()}
""":data:`.shape.ITEM_OPTIONAL` as ``key -> (on the scope?, field)``, worked out once."""
_ALL = {**ITEM_CORE, **ITEM_OPTIONAL}
_ALL_TS = {**ITEM_CORE_TS, **ITEM_OPTIONAL}
"""Every key an item's table can name, for the places of a validation error (:func:`memconv.fields.build`)."""


_CORE, _SCOPE, _FIELD, _EXTRA, _ID = range(5)


class _Layout:
    """What an item's key list decides, worked out once per distinct list (the items of one store share
    a handful): whether its times are camelCase (TypeScript OSS); where each key goes (``places``, in
    the item's key order: ``(key, field, where, check)``, ``where`` one of a core key, a scope key, an
    optional field, the extras or the id, ``check`` the type :func:`_typed` wants: ``str``, ``dict``,
    ``list`` or None for the text, checked by the caller); the core keys it lacks, in the table's order;
    and whether its keys are out of mem0's order."""

    __slots__ = ("ts", "core", "places", "absent", "reordered")

    def __init__(self, keys: tuple[str, ...]):
        self.ts = ("createdAt" in keys or "updatedAt" in keys) and "created_at" not in keys \
            and "updated_at" not in keys
        core = self.core = ITEM_CORE_TS if self.ts else ITEM_CORE
        places: list[tuple[str, str | None, int, str | None]] = []
        for k in keys:
            if k in core:
                places.append((k, core[k], _CORE, None if k == "memory" else "dict" if k == "metadata" else "str"))
            elif k in _OPTIONAL_TO:
                in_scope, name = _OPTIONAL_TO[k]
                places.append((k, name, _SCOPE if in_scope else _FIELD, "list" if k == "categories" else "str"))
            else:
                places.append((k, None, _ID if k == "id" else _EXTRA, None))
        self.places = tuple(places)
        self.absent = [k for k in core if k not in keys]
        self.reordered = list(keys) != ordered(list(keys))


_LAYOUTS: dict[tuple[str, ...], _Layout] = {}
MAX_LAYOUTS = 4096
"""Distinct key lists whose :class:`_Layout` is kept (items with ever new keys are laid out each time)."""


def item_record(obj: Any, ctx: Ctx, path: str, variant: str) -> Memory:
    """A canonical :class:`Memory` from one mem0 memory item (OSS, Platform, TypeScript OSS, or a
    migration-file record).

    Each key of the item's table (:data:`.shape.ITEM_CORE`, :data:`.shape.ITEM_OPTIONAL`) goes to its
    canonical field (the scope keys to ``scope``); a value of another type than mem0 gives it, an
    optional key that is null, and every other key are kept verbatim in ``extras["mem0"]``, with the
    core keys the item lacks (``$absent``), an integer id (``$int``) and a key order other than mem0's
    (``$order``), so the mem0 writer puts the item back as it was.

    Raises:
        InputInvalid: not an object, no string ``id``/``memory``, or a field of the wrong type.
    """
    if not isinstance(obj, dict):
        raise ctx.fail(path, f"expected a memory item (an object), got {json_type(obj)}")
    obj = unleak(obj, ctx, path)
    text = obj.get("memory")
    if not isinstance(text, str):
        raise ctx.fail(place_of(path, "memory"), f"expected the memory text (a string), got {json_type_at(obj, 'memory')}")
    keys = tuple(obj)
    lay = _LAYOUTS.get(keys)
    if lay is None:
        lay = _Layout(keys)
        if len(_LAYOUTS) < MAX_LAYOUTS:
            _LAYOUTS[keys] = lay
    # memconv.fields.split with the item's key table, in one pass, as its layout says (this runs once per
    # item of a mem0 store)
    fields: dict[str, Any] = {}
    scope: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    bad: list[str] = []
    for (k, name, where, check), v in zip(lay.places, obj.values()):
        if where >= _EXTRA:
            if where == _EXTRA:
                extras[k] = v
            continue
        if v is None:
            if where == _CORE:
                fields[name] = None  # type: ignore[index]
            else:
                extras[k] = None  # an optional key present but null: comes back as null
            continue
        if check is not None:  # (a string, or metadata an object: most values; _typed decides the rest)
            c = v.__class__
            if (check == "list" or (c is not dict if check == "dict" else c is not str)) and not _typed(k, v):
                bad.append(k)  # kept verbatim, as if absent (so the item is written back with it)
                extras[k] = v
                continue
        if where == _SCOPE:
            scope[name] = v  # type: ignore[index]
        else:
            fields[name] = v  # type: ignore[index]
    if bad:
        if lay.absent or any(k in lay.core for k in bad):
            extras[ABSENT] = [k for k in lay.core if k not in obj or k in bad]
        _bad_values(ctx, path, obj, bad)
    elif lay.absent:  # the core keys the item lacks: written back without them
        extras[ABSENT] = lay.absent[:]
    rid = obj.get("id")
    if rid.__class__ is not str or not rid:
        rid = take_id(ctx, obj, path, extras)
    meta = fields.get("metadata")
    mtype = meta.get("memory_type") if isinstance(meta, dict) and isinstance(meta.get("memory_type"), str) else None
    if lay.reordered:
        extras["$order"] = list(keys)
    return build(Memory, ctx.name, path, id=rid, provenance=ctx.prov_data(rid, variant + (TS_SUFFIX if lay.ts else "")),
                 extras={SYSTEM: extras} if extras else {}, scope=scope, memory_type=mtype,
                 _keys=_ALL_TS if lay.ts else _ALL, **fields)


def _typed(key: str, value: Any) -> bool:
    """True when an item's ``key`` holds a value of the type mem0 gives it: ``metadata`` an object,
    ``categories`` a list of strings, every other key of the item's table a string."""
    if key == "metadata":
        return isinstance(value, dict)
    if key == "categories":
        return isinstance(value, list) and all(isinstance(c, str) for c in value)
    return isinstance(value, str)


def _bad_values(ctx: Ctx, path: str, obj: dict[str, Any], keys: list[str]) -> None:
    """Warn of an item's values of another type than mem0 gives them (``"metadata": "None"``, as mem0's
    Platform docs show one; a number as a ``user_id``): each is read as absent and kept verbatim in the
    record's extras, so a mem0 output gets it back as it was. The first :data:`MAX_ID_NOTES` items are
    named, then one line; ``report.info["mem0_bad_values"]`` counts them."""
    n = ctx.report.info.get("mem0_bad_values", 0) + 1
    ctx.report.info["mem0_bad_values"] = n
    if n <= MAX_ID_NOTES:
        shown = ", ".join(f"{place_of(path, k)}: {json_type(obj[k])}" for k in keys)
        ctx.report.warn(f"{ctx.name}: {shown}: not of the type mem0 gives it (metadata an object, categories a list "
                        f"of strings, the other keys strings); kept as it is for mem0, not read as the "
                        f"memory's own", BAD_VALUE)
    elif n == MAX_ID_NOTES + 1:
        ctx.report.warn(f"{ctx.name}: more items with values of another type than mem0 gives them, each kept as "
                        f"it is (the count is in --report: mem0_bad_values)", BAD_VALUE)


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
    if not isinstance(meta, dict) or meta.keys().isdisjoint(LEAKED_KEYS):
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
        ctx.report.warn(f"{ctx.name}: {place_of(path, 'metadata')}: holds mem0's internal payload keys "
                        f"({', '.join(k for k in LEAKED_KEYS if k in obj['metadata'])}), as mem0's REST "
                        f"server leaks them (mem0 issue #6825); read as Memory.get_all() gives them: "
                        f"text_lemmatized dropped (mem0 recomputes it), actor_id, role and attributed_to "
                        f"as the item's own", KEY_MOVED)
    ctx.report.info["mem0_rest_leaks"] = n + 1
    return out


def kept_record(obj: Any, ctx: Ctx, path: str) -> Base:
    """A record of the ``"memconv"`` list (or a ``{"memconv": record}`` line): canonical JSON of a
    record mem0 has no item for (:data:`.mapping.KEPT_KINDS`, and empty blocks).

    Raises:
        InputInvalid: not a canonical record, or a field that does not validate (named).
    """
    kind = obj.get("kind") if isinstance(obj, dict) else None
    if not isinstance(kind, str) or kind not in RECORD_TYPES:
        raise ctx.fail(path, f"expected a canonical record memconv kept (an object with a \"kind\" such as "
                             f"{', '.join(KEPT_KINDS[:3])}...), got "
                             f"{'kind ' + repr(kind) if isinstance(obj, dict) else json_type(obj)}")
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
        self.deleted = 0

    def record(self, obj: Any, path: str, variant: str) -> Base | None:
        """The canonical record of item ``obj``; None for a repeat of a block already read, or for an
        item of an ``add()`` result that mem0 deleted (:meth:`_deleted`).

        Raises:
            InputInvalid: as :func:`item_record` (the item itself is checked first).
        """
        mem = item_record(obj, self.ctx, path, variant)
        if obj.get("event") == "DELETE":
            self._deleted(mem, path)
            return None
        meta = mem.metadata
        e = meta.get(EMBED_KEY) if isinstance(meta, dict) else None
        if not isinstance(e, dict) or not isinstance(e.get("kind"), str) or e["kind"] not in ITEM_NATIVE \
                or not isinstance(e.get("id"), str):
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

    def _deleted(self, mem: Memory, path: str) -> None:
        """An item whose ``event`` is ``DELETE``: ``Memory.add()`` returns ``{"results": [{id, memory,
        event}]}`` (mem0ai 2.x ``_add_to_vector_store``), and a ``DELETE`` item names a memory that add
        removed from the store. It is read (counted under ``read``) and left out as filtered
        (``info["filtered"]``), with a warning naming the place (the first :data:`MAX_ID_NOTES`, then
        one line for the rest): importing it would bring the deleted memory back."""
        report = self.ctx.report
        report.filter("memory", read=True)
        self.deleted += 1
        if self.deleted <= MAX_ID_NOTES:
            report.warn(f"{self.ctx.name}: {place_of(path, 'event')}: DELETE: mem0's add() result names memory "
                        f"{mem.id} as deleted; not read as a memory (counted as filtered)", RECORD_DROPPED)
        elif self.deleted == MAX_ID_NOTES + 1:
            report.warn(f"{self.ctx.name}: more items with event DELETE, each left out (the count is in "
                        f"--report: filtered)", RECORD_DROPPED)

    def row(self, plain: Base, obj: Any, path: str) -> Base:
        """The relation or history event memconv embedded in the ``memconv`` key of ``obj`` (a relation
        object or a history row, already read as ``plain``), with the row's own values
        (:data:`.mapping.ROW_NATIVE`); ``plain`` when there is no such key or it is not a record."""
        e = obj.get(EMBED_KEY) if isinstance(obj, dict) else None
        if not isinstance(e, dict) or e.get("kind") != plain.kind or not isinstance(e.get("id"), str):
            return plain
        fields = dict(e)
        fields.update({k: getattr(plain, k) for k in ROW_NATIVE[plain.kind]})
        return self._valid(fields, plain, place_of(path, EMBED_KEY))

    def _valid(self, fields: dict[str, Any], plain: Base, where: str) -> Base:
        try:
            return RECORD_ADAPTER.validate_python(fields)
        except ValidationError as err:
            first = err.errors()[0]
            loc = list(first["loc"])[1:]  # the first step is the union's tag (the kind)
            self.ctx.report.warn(f"{self.ctx.name}: {where}: {'.'.join(map(str, loc))}: {first['msg'].lower()}; "
                                 f"read as a plain mem0 {'memory' if plain.kind == 'memory' else plain.kind}",
                                 MEMCONV_DATA_INVALID)
            return plain


def event_record(obj: Any, ctx: Ctx, path: str, variant: str) -> HistoryEvent:
    """A canonical :class:`HistoryEvent` from one history row (Python OSS ``history()``, the raw
    SQLite table, Platform ``/v1/memories/{id}/history/``, or TypeScript OSS ``memory_history``).

    Raises:
        InputInvalid: no id or ``memory_id``, an event other than ADD/UPDATE/DELETE, a bad type.
    """
    if not isinstance(obj, dict):
        raise ctx.fail(path, f"expected a history row (an object), got {json_type(obj)}")
    ts = "action" in obj and "event" not in obj
    fields, extras = split(obj, HISTORY_KEYS_TS if ts else HISTORY_KEYS)
    rid = take_id(ctx, obj, path, extras)
    if not isinstance(fields.get("memory_id"), str) or not fields["memory_id"]:
        raise ctx.fail(place_of(path, "memory_id"), "expected the id of the memory it changes (a string)")
    if fields.get("event") not in EVENTS:
        raise ctx.fail(place_of(path, "action" if ts else "event"),
                       f"expected ADD, UPDATE or DELETE, got {fields.get('event')!r}")
    deleted = fields.get("is_deleted")
    if isinstance(deleted, int) and not isinstance(deleted, bool):
        if deleted not in (0, 1):
            raise ctx.fail(place_of(path, "is_deleted"), f"expected 0 or 1, got {deleted}")
        fields["is_deleted"] = bool(deleted)
        extras.setdefault("$int", []).append("is_deleted")
    order = list(obj)
    if order != ordered(order, HISTORY_ORDER):
        extras["$order"] = order
    return build(HistoryEvent, ctx.name, path, id=rid,
                 provenance=ctx.prov(rid, variant + (TS_SUFFIX if ts else "")),
                 extras={SYSTEM: extras} if extras else {},
                 _places={v: k for k, v in (HISTORY_KEYS_TS if ts else HISTORY_KEYS).items()}, **fields)


def relation_parts(r: Any, ctx: Ctx, path: str) -> tuple[str, str, str, bool]:
    if not isinstance(r, dict):
        raise ctx.fail(path, f"expected a relation {{source, relationship, target}}, got {json_type(r)}")
    dest = "target" not in r and "destination" in r
    tkey = "destination" if dest else "target"
    for k in ("source", "relationship", tkey):
        if not isinstance(r.get(k), str):
            raise ctx.fail(place_of(path, k), f"expected a string, got {json_type_at(r, k)}")
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
    s, rel, t, dest = relation_parts(r, ctx, path)
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
    if isinstance(rels, dict) and rels and set(rels) <= set(ADD_RESULT_KEYS):
        listed = _add_result_relations(rels, ctx, path)
    elif not isinstance(rels, list):
        raise ctx.fail(path, f"expected a list of relations, got {json_type(rels)}")
    else:
        listed = [(f"{path}[{i}]", r) for i, r in enumerate(rels)]
    embedded = Embedded(ctx)
    out = []
    names: dict[str, str] = {}
    for where, r in listed:
        s, _, t, _ = relation_parts(r, ctx, where)
        plain = relation_record(r, ctx, where, variant, scope)
        rec = embedded.row(plain, r, where)
        out.append(rec)
        if rec is plain:  # memconv's relations name their entities, which its list holds
            names.setdefault(s, f"{where}.source")
            names.setdefault(t, f"{where}.target")
    for name, where in names.items():
        yield entity_record(name, ctx, where, variant, scope)
    yield from out


ADD_RESULT_KEYS = ("added_entities", "deleted_entities")
"""The ``relations`` of a graph store's ``Memory.add()`` result (mem0ai 2.x ``MemoryGraph.add``):
``{"deleted_entities": [[relation...]...], "added_entities": [[relation...]...]}``, one inner list per
query the add ran."""


def _add_result_relations(rels: dict[str, Any], ctx: Ctx, path: str) -> list[tuple[str, Any]]:
    """The relations an ``add()`` result added, with their places (``relations.added_entities[0][1]``).
    The ones it deleted are counted as read and filtered, with one warning: importing them would bring
    back relations the store no longer holds.

    Raises:
        InputInvalid: a value that is not a list of lists, named.
    """
    out: list[tuple[str, Any]] = []
    deleted = 0
    for key in ADD_RESULT_KEYS:
        groups = rels.get(key, [])
        if not isinstance(groups, list):
            raise ctx.fail(f"{path}.{key}", f"expected a list of lists of relations, got {json_type(groups)}")
        for i, group in enumerate(groups):
            items = group if isinstance(group, list) else [group]  # one query's rows, or a row alone
            for j, r in enumerate(items):
                where = f"{path}.{key}[{i}][{j}]" if isinstance(group, list) else f"{path}.{key}[{i}]"
                if key == "added_entities":
                    out.append((where, r))
                else:
                    relation_parts(r, ctx, where)  # checked as any relation
                    deleted += 1
    if deleted:
        ctx.report.filter("relation", deleted, read=True)
        ctx.report.warn(f"{ctx.name}: {path}.deleted_entities: mem0's add() result names {deleted} relation(s) it "
                    f"deleted; not read as relations (counted as filtered)", RECORD_DROPPED)
    return out


class CommonScope:
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
