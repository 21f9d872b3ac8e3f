"""Write the canonical stream as mem0 JSON (``get_all`` output) or JSON-L.

Output shapes:

* default (``--target-version v1.1``): ``{"results": [item, ...]}`` as OSS ``Memory.get_all()``
  returns it, plus ``"relations": [{source, relationship, target}]`` when there are relations (or the
  source document had the key), plus ``"history": [row, ...]`` when the stream has history events;
  written item by item, never built whole in memory (relations and history rows are spooled to a
  temporary file and written at the end);
* ``--target-version v1.0``: the legacy bare list ``[item, ...]`` (the default when the source was a
  legacy list); relations and history have no place in it and are reported as lost;
* ``--jsonl``: one item per line, then one line per relation, then one line per history row (rows
  are told apart by their ``memory_id`` and ``event`` keys; memconv reads all three kinds back);
* a stream of history events only (a ``history()`` file read alone) is written as mem0 writes it:
  the bare list of rows (or the raw table's ``{"schema", "rows"}`` when that was the source);
  a single ``get`` item read alone is written back as the bare object.

Why history goes into the same document rather than a sidecar file: the output is then one
atomic file, so ``--fail-on-loss``, ``--dry-run`` and ``--strategy`` (which write to temporary paths)
never leave a stray or stale sidecar behind, and standard output can carry it too. ``doc["history"]``
is exactly the list ``Memory.history()`` returns, for every memory at once; consumers of
``doc["results"]`` ignore the extra key, as they ignore the Platform's ``count``/``next``.

Items: key order ``id, memory, hash, metadata, created_at, updated_at`` then the promoted keys
``user_id, agent_id, run_id, actor_id, role, attributed_to, expiration_date`` when set; ``metadata``
null when empty (``{}`` kept when the source had ``{}``). Records that came from mem0 go back
exactly as read (``extras["mem0"]`` restored with :func:`memconv.fields.join`, key order and
integer types included), so a mem0 -> canonical -> mem0 round trip gives the same JSON.

Records from other systems (and OpenMemory rows, which are not mem0 items):

* ``memory`` and ``passage`` -> an item. ``id``: the source id when it is a UUID, else a UUID5 of
  ``<system>:<id>`` (mem0's vector stores want UUIDs); ``hash``: the record's, else md5 of the text;
  ``updated_at`` defaults to ``created_at``; scope ``user_id``/``agent_id``/``run_id`` (``session_id``
  when there is no ``run_id``)/``actor_id``; ``agent_id`` of a Letta passage is its agent's *name*
  (agents come first in the stream), its Letta id going to ``metadata.memconv_agent_id``.
* ``block`` (Letta core memory) -> an item per owning agent, ``metadata.block_label`` = the label;
  an empty block (a mem0 memory needs text) is kept whole in the ``memconv`` list, with a warning.
* metadata gains, never overwriting a key the record already has (its value is in the embed anyway): ``memconv_source`` (system),
  ``memconv_source_id``, ``memconv_source_kind`` (passage, block) - not for mem0's own records - and
  ``title``, ``type`` (``memory_type``; ``memory_type`` itself for ``procedural_memory``, as mem0
  writes it), ``categories``, ``concepts``, ``tags``, ``app_id``, ``project``, ``session_id``; last,
  ``memconv``: the canonical record (``kind``, ``id``, provenance, extras, block ``limit`` and
  ``read_only``, the passage's Letta scope...) minus what the item holds itself (text or value,
  label, ``created_at``) and minus vectors, so the mem0 reader rebuilds the record exactly.
* ``relation`` -> ``relations[]`` with the endpoints' entity *names*; ``event`` -> a history row.
* everything else (agents, messages, tools, sessions, observations, summaries, raw records) has no
  mem0 item: each is kept whole in the top-level ``"memconv"`` list after ``"history"`` (spooled,
  written at the end), or as a ``{"memconv": record}`` line in JSON-L, written where it comes in the
  stream (so small kinds lead, as the canonical order wants). The v1.0 bare list has no place for
  them: they are reported lost.
* the source's header leads the ``memconv`` list (the first JSON-L line) when it holds what mem0 has
  no place for: its export time (an ``.af``'s ``created_at``, AgentMemory's ``exportedAt``) or other
  systems' header fields; the reader takes it back into its header.

Every record is accounted to :data:`.mapping.MAPPING`, which the loss report and ``docs/mappings.md``
read.
"""

from __future__ import annotations

from typing import Any, BinaryIO, Iterable

from memconv.errors import UnsupportedVersion, UsageError
from memconv.fields import join, set_fields
from memconv.jsonutil import dumps
from memconv.format import WriteOptions
from memconv.mapping import account_header
from memconv.model import Agent, Base, Header, Memory, RecordKind, Scope, is_marker
from memconv.spool import Handles, Spool, write_joined
from memconv.uniqueids import UniqueIds
from memconv.logmessages import BUILT_RECORD_LEFT_OUT, INACTIVE_AS_LIVE, RECORD_DROPPED

from .mapping import EMBED_KEY, EPISODE_OUT, HISTORY_OUT, ITEM_META_OUT, ITEM_NATIVE, ITEM_OUT, KEPT_KINDS, MAPPING, NO_VECTORS, ROW_NATIVE
from .shape import (md5_hex, mem0_id, HISTORY_KEYS, HISTORY_KEYS_TS, HISTORY_ORDER, ITEM_OPTIONAL, ITEM_ORDER, OPENMEMORY,
                    SYSTEM, TS_SUFFIX, ordered_keys)

VERSIONS = ("v1.1", "v1.0")
"""What ``--target-version`` accepts: mem0's ``MemoryConfig.version`` output shapes."""
DEFAULT_VERSION = "v1.1"

RESULTS_OPEN = b'{"results":['
"""How the v1.1 document opens (:meth:`_Writer.open_results`)."""

DOCUMENT_FRAME = (RESULTS_OPEN + b"\n", b"\n]}\n")
"""What a v1.1 document of items alone puts around them (the first item follows a newline, the rest
``,\n``; ``finish`` closes the list and the object): :attr:`memconv.format.Format.document_frame`."""

_MARKERS = frozenset({"$order", "$int", "$dest"})
"""This adapter's markers in a record's extras: not keys of the mem0 object."""


def choose_version(options: WriteOptions, header: Header) -> str:
    """``--target-version`` (``v1.1``/``1.1``, ``v1.0``/``1.0``), else ``v1.0`` when the source was a
    legacy mem0 bare list, else ``v1.1``.

    Raises:
        UnsupportedVersion: any other version.
    """
    v = options.target_version
    if v is None:
        legacy = header.source_system == SYSTEM and header.source_variant == "legacy_list"
        return "v1.0" if legacy else DEFAULT_VERSION
    norm = v.strip().lower()
    norm = norm if norm.startswith("v") else "v" + norm
    if norm not in VERSIONS:
        raise UnsupportedVersion(f"mem0 output version {v!r} is not one memconv writes; choose v1.1 "
                                 f"(get_all {{\"results\": [...]}}, the default) or v1.0 (the legacy bare list)")
    return norm


def _dump(obj: Any) -> bytes:
    return dumps(obj)  # orjson; integers beyond 64 bits written exactly


def restore(values: dict[str, Any], extras: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    """Rebuild a mem0 object read by this adapter: :func:`memconv.fields.join` of ``values`` and
    ``extras``, then the ``$int`` keys made integers again and the keys put in ``$order`` (or mem0's
    default ``order``)."""
    obj = join(values, extras, skip=_MARKERS)
    for k in extras.get("$int", ()):
        v = obj.get(k)
        if isinstance(v, bool):
            obj[k] = int(v)
        elif isinstance(v, str) and v.lstrip("-").isdigit():
            obj[k] = int(v)
    keys = extras.get("$order")
    if keys is None:  # mem0's own order: every key of obj, ranked (memoised per key list)
        return {k: obj[k] for k in ordered_keys(tuple(obj), order)}
    out = {k: obj[k] for k in keys if k in obj}
    out.update((k, v) for k, v in obj.items() if k not in out)
    return out


_NO_MEM0_KEY = {"memory": ("title", "tags", "concepts"), "relation": ("weight", "created_at"),
                "entity": ("entity_type", "properties", "aliases", "created_at", "updated_at")}
"""Canonical fields a record read from mem0 can carry (after an edit) that its mem0 object has no key for."""

_NATIVE = {**ITEM_NATIVE, **ROW_NATIVE}

_EMBED_SKIP: dict[str, frozenset[str]] = {}
"""Per kind, what :func:`embed` leaves out, worked out once."""

_OPTIONAL = tuple((key, f.startswith("scope."), f.removeprefix("scope.")) for key, f in ITEM_OPTIONAL.items())
""":data:`.shape.ITEM_OPTIONAL` as ``(item key, on the scope?, attribute)``, worked out once."""


def embed(rec: Base, system: str) -> dict[str, Any]:
    """``metadata.memconv`` of the item written for ``rec`` (a memory, passage or block), or the
    ``memconv`` key of the relation object or history row written for another system's relation or
    event: ``kind``, ``id``, then every set field except what the item or row holds
    (:data:`.mapping.ITEM_NATIVE`, :data:`.mapping.ROW_NATIVE`) and vectors (JSON types).
    A record without provenance gets ``{"system": system}`` (the stream's source system), so that the
    record read back is written again the same way."""
    skip = _EMBED_SKIP.get(rec.kind) or _EMBED_SKIP.setdefault(rec.kind, frozenset(_NATIVE[rec.kind] | NO_VECTORS
                                                                                 | {"kind", "id"}))
    out: dict[str, Any] = {"kind": rec.kind, "id": rec.id}
    if rec.provenance is None:
        out["provenance"] = {"system": system}
    out.update(set_fields(rec, skip))
    return out


def _from_mem0(rec: Base) -> bool:
    """True for records this adapter read from a mem0 object it can put back key for key."""
    return rec.came_from(SYSTEM) and rec.provenance.variant != "openmemory"  # type: ignore[union-attr]


class _Writer:
    def __init__(self, out: BinaryIO, options: WriteOptions):
        self.out = out
        self.opts = options
        self.report = options.report
        self.header = Header()
        self.version = DEFAULT_VERSION
        self.has_list = True
        self.n_items = 0
        self.pending: bytes | None = None
        self.hold_first = False
        self.rels = Spool()
        self.events = Spool()
        self.rel_handles: list[tuple[int, int]] = []
        self.event_handles: list[tuple[int, int]] = []
        self.agents: dict[str, Agent] = {}
        self.block_owners: dict[str, list[Agent]] = {}
        self.entities: dict[str, str] = {}
        self.used_entities: set[str] = set()
        self.empty_blocks = 0
        self.built_blocks = 0
        self.superseded = 0
        self.inactive = 0
        self.kept = Spool()
        self.kept_handles = Handles()
        self.kept_entities: set[str] = set()
        self.head: bytes | None = None  # the source's header entry, still to be written (header_blob)
        self.carried = False  # the header entry was written: the JSON-L's first line, or memconv's list's first
        self.own_native = False  # mem0's own top-level keys written back as keys of the document
        self.sessions: dict[str, tuple[str | None, str | None]] = {}
        self.ids = UniqueIds(self.report, SYSTEM, lambda rid, n: mem0_id("memconv", f"{rid}#{n}"))

    # ------------------------------------------------------------------ helpers

    def system_of(self, rec: Base) -> str:
        if rec.provenance is not None:
            return rec.provenance.system
        return self.header.source_system or "canonical"

    def emit_item(self, obj: dict[str, Any]) -> None:
        obj["id"] = self.ids.claim("memories", obj["id"])
        blob = _dump(obj)
        self.report.wrote("mem0:results")
        if self.opts.jsonl:
            self.out.write(blob + b"\n")
            self.n_items += 1
            return
        if self.n_items == 0 and self.hold_first:
            self.pending = blob
            self.n_items = 1
            return
        if self.n_items == 0 or self.pending is not None:
            self.open_results()
        self.out.write((b"\n" if self.n_items == 0 else b",\n") + blob)
        self.n_items += 1

    def open_results(self) -> None:
        self.out.write(b"[" if self.version == "v1.0" else RESULTS_OPEN)
        if self.pending is not None:
            self.out.write(b"\n" + self.pending)
            self.pending = None

    # ------------------------------------------------------------------ memories

    def memory(self, rec: Any) -> None:
        if not MAPPING.account(rec, self.report):
            return
        if _from_mem0(rec) and rec.kind == "memory":
            self.as_read(rec)
            self.emit_item(self.restore_item(rec))
        else:
            if rec.extra(OPENMEMORY).get("state") not in (None, "active"):
                self.inactive += 1
            if rec.extra("agentmemory").get("isLatest") is False:
                self.superseded += 1
            for agent in self.owners_of(rec):
                self.emit_item(self.foreign_item(rec, rec.kind, agent=agent))

    def mem0_own(self, rec: Base) -> bool:
        """True for a record written in mem0's own shape, with no ``memconv`` key: one read from mem0
        (:func:`_from_mem0`), or a bare one (no provenance) of a mem0 stream."""
        return _from_mem0(rec) or (rec.provenance is None and self.system_of(rec) == SYSTEM)

    def as_read(self, rec: Base, fields: bool = True) -> None:
        """Report what a record written in mem0's own shape gained elsewhere and has no key for there
        (``fields``: the canonical fields of :data:`_NO_MEM0_KEY` too, when its object is put back as
        read rather than built), and other systems' extras."""
        for f in _NO_MEM0_KEY.get(rec.kind, ()) if fields else ():
            if getattr(rec, f):
                self.report.lost(rec.kind, f, f"a {rec.kind} read from mem0 is written back as it was read")
        for system, extra in rec.extras.items():
            if system != SYSTEM and any(not is_marker(k) for k in extra):
                self.report.lost(rec.kind, f"extras.{system}", f"a record in mem0's own shape has no memconv key "
                                                               f"for what only {system} holds",
                                 names=[k for k in extra if not is_marker(k)])

    def embed_or_account(self, rec: Base, obj: dict[str, Any]) -> None:
        """Account a relation or history event written as ``obj``: another system's gets the rest of
        it in ``obj``'s ``memconv`` key; mem0's own (:meth:`mem0_own`) is reported by :meth:`as_read`."""
        MAPPING.account(rec, self.report)
        if self.mem0_own(rec):
            self.as_read(rec)
        else:
            obj[EMBED_KEY] = embed(rec, self.system_of(rec))

    def keep(self, rec: Base, place: bool = True) -> None:
        """A record mem0 has no item for: whole into the ``memconv`` list (a line of JSON-L), memconv's
        side channel (``place``: counted so in the report's ledger; False leaves it to the caller)."""
        MAPPING.account(rec, self.report, place="side_channel" if place and self.has_list else False)
        if not self.has_list:
            self.report.lost(rec.kind, "*", "the v1.0 bare list has no place for memconv's list of the records mem0 "
                                            "has no item for; write v1.1", was=None)
            return
        blob = rec.__pydantic_serializer__.to_json(rec, exclude_none=True)
        self.report.wrote("mem0:memconv")
        if self.opts.jsonl:
            self.out.write(b'{"memconv":' + blob + b"}\n")
        else:
            self.kept_handles.append(self.kept.add(blob))

    def owners_of(self, rec: Any) -> list[Agent | None]:
        a = self.agents.get(rec.scope.agent_id or "")
        return [a] if a else [None]

    def restore_item(self, rec: Memory) -> dict[str, Any]:
        ts = (rec.provenance.variant or "").endswith(TS_SUFFIX)
        values: dict[str, Any] = {"id": rec.id, "memory": rec.text, "hash": rec.hash, "metadata": rec.metadata,
                                  ("createdAt" if ts else "created_at"): rec.created_at,
                                  ("updatedAt" if ts else "updated_at"): rec.updated_at}
        scope = rec.scope
        for key, in_scope, attr in _OPTIONAL:
            v = getattr(scope if in_scope else rec, attr)
            if v is not None:
                values[key] = v
        extras = rec.extras.get(SYSTEM)
        if not extras:  # (most items: read with every core key, in mem0's order) what restore gives then
            return {k: values[k] for k in ordered_keys(tuple(values), ITEM_ORDER)}
        return restore(values, extras, ITEM_ORDER)

    def foreign_item(self, rec: Any, kind: RecordKind, agent: Agent | None = None,
                     adds: dict[str, Any] | None = None, source: Base | None = None) -> dict[str, Any]:
        """An OSS item from a record of another system (or an OpenMemory row); ``source``: the record
        embedded in ``metadata.memconv`` when it is not ``rec`` (a block written as a memory)."""
        system = self.system_of(rec)
        meta_adds: dict[str, Any] = {}
        if system != SYSTEM:
            meta_adds["memconv_source"] = system
            meta_adds["memconv_source_id"] = rec.original_id
            if kind != "memory":
                meta_adds["memconv_source_kind"] = kind
        meta_adds.update(adds or {})
        if agent is not None and agent.name != agent.id:
            meta_adds["memconv_agent_id"] = agent.original_id
        ITEM_META_OUT.fill(meta_adds, rec, agent)
        if kind != "memory" or not self.mem0_own(rec):
            meta_adds[EMBED_KEY] = embed(source if source is not None else rec, system)
        else:  # a bare memory of a mem0 stream is written as a plain mem0 memory
            self.as_read(rec, fields=False)
        meta = dict(rec.metadata) if rec.metadata is not None else None
        if meta_adds:
            meta = meta if meta is not None else {}
            for k, v in meta_adds.items():
                if k not in meta:
                    meta[k] = v
                elif k == EMBED_KEY and meta[k] != v:  # the other keys' values are in the embed too
                    self.report.lost(kind, f"metadata.{EMBED_KEY}", "the record's metadata already has a key of that "
                                                                    "name, so memconv cannot keep its other fields")
        rid = rec.id if agent is None or len(self.block_owners.get(rec.id, [])) < 2 else f"{rec.id}/{agent.id}"
        return ITEM_OUT.fill({"id": mem0_id(system, rid)}, rec, (meta, agent))

    def episode(self, rec: Any) -> None:
        """An AgentMemory observation or session summary as a mem0 memory item: its text composed from
        title, subtitle, narrative, facts (key decisions, files modified), ``run_id`` = its session,
        ``agent_id`` = its (session's) agentId, ``metadata.memconv`` = the whole record."""
        MAPPING.account(rec, self.report)
        system = self.system_of(rec)
        agent_id, project = self.sessions.get(rec.session_id, (None, None))
        meta_table, item_table = EPISODE_OUT[rec.kind]
        metadata: dict[str, Any] = {"memconv_source": system, "memconv_source_id": rec.original_id,
                                    "memconv_source_kind": rec.kind}
        meta_table.fill(metadata, rec, project)
        metadata[EMBED_KEY] = embed(rec, system)
        obj = item_table.fill({"id": mem0_id(system, f"{rec.kind}:{rec.id}")}, rec, (metadata, agent_id))
        self.emit_item(obj)

    def block(self, b: Any) -> None:
        if not b.value.strip():
            self.empty_blocks += 1
            self.keep(b)
            return
        owners = self.block_owners.get(b.id) or []
        if owners and all(a.built_by_memconv() for a in owners) and not b.edited_since_built():
            self.built_blocks += 1  # memconv's own scaffolding, not a memory of the user's (unless edited since)
            self.keep(b)
            return
        MAPPING.account(b, self.report)
        as_memory = Memory(id=b.id, provenance=b.provenance, text=b.value, metadata=b.metadata, tags=b.tags,
                           created_at=b.created_at, updated_at=b.updated_at)
        scopes = [a.built_for() for a in owners]
        if owners and all(k is not None and k[0] in ("user", "agent") for k in scopes):
            # a built agent's block edited since: the user's words, under the scope the agent was built
            # for (user_id alice), not the agent memconv named ("mem0 alice"), which mem0 never had
            as_memory.scope = Scope(**{f"{k[0]}_id": k[1] for k in scopes if k is not None})
            owners = []
        for agent in owners or [None]:
            self.emit_item(self.foreign_item(as_memory, "block", agent=agent, adds={"block_label": b.label},
                                             source=b))

    # ------------------------------------------------------------------ graph and history

    def entity(self, e: Any) -> None:
        """An entity lives in mem0 only as the end of a relation; where it ends up (native when a
        relation names it, else kept in the memconv list or lost) is counted at :meth:`finish`."""
        self.entities[e.id] = e.name
        if self.mem0_own(e):
            MAPPING.account(e, self.report, place=False)
            self.as_read(e)
        else:  # another system's entity: whole into the memconv list (mem0 keeps only relation ends)
            self.keep(e, place=False)
            self.kept_entities.add(e.id)

    def relation(self, r: Any) -> None:
        self.used_entities.update((r.source, r.target))
        if _from_mem0(r):
            ex = r.extra(SYSTEM)
            values = {"source": r.source, "relationship": r.relationship,
                      ("destination" if ex.get("$dest") else "target"): r.target}
            obj = restore(values, ex, ("source", "relationship", "target", "destination"))
        else:
            obj = {"source": self.entities.get(r.source, r.source), "relationship": r.relationship,
                   "target": self.entities.get(r.target, r.target)}
        self.embed_or_account(r, obj)
        self.rel_handles.append(self.rels.add(_dump(obj)))
        self.report.wrote("mem0:relations")

    def event(self, e: Any) -> None:
        if _from_mem0(e):
            ts = (e.provenance.variant or "").endswith(TS_SUFFIX)
            keys = HISTORY_KEYS_TS if ts else HISTORY_KEYS
            values = {"id": e.id, **{k: getattr(e, f) for k, f in keys.items()}}
            row = restore(values, e.extra(SYSTEM), HISTORY_ORDER)
        else:
            system = self.system_of(e)
            row = HISTORY_OUT.fill({"id": mem0_id(system, e.id)}, e, system)
        self.embed_or_account(e, row)
        row["id"] = self.ids.claim("history events", row["id"])
        self.event_handles.append(self.events.add(_dump(row)))

    def header_blob(self) -> bytes | None:
        """The source's header as the first entry of the ``memconv`` list, when it holds what mem0 has
        no place for: its export time (an ``.af``'s ``created_at``, AgentMemory's ``exportedAt``) and
        other systems' header fields. The reader takes them back (:func:`.reader.read_results`). None
        when there is nothing to keep (a mem0 document read and written again stays the same)."""
        h = self.header
        other = {k: v for k, v in h.extras.items() if k != SYSTEM}
        if not h.exported_at and not other:
            return None
        keep = h.model_copy(update={"extras": other})
        return keep.__pydantic_serializer__.to_json(keep, exclude_none=True)

    # ------------------------------------------------------------------ run

    def run(self, items: Iterable[Any]) -> None:
        if self.opts.extra.get("split"):
            raise UsageError("--split is not supported for mem0 output (mem0 has no import caps)")
        it = iter(items)
        self.header = next(it)
        self.version = choose_version(self.opts, self.header)
        self.has_list = self.version != "v1.0" or bool(self.opts.jsonl)  # a place for the memconv list
        mine = self.header.source_system == SYSTEM
        self.hold_first = mine and self.header.source_variant == "get" and not self.opts.jsonl \
            and self.version == DEFAULT_VERSION
        self.report.info["target"] = {"format": "mem0", "version": self.version,
                                      "form": "jsonl" if self.opts.jsonl else "json"}
        self.head = self.header_blob() if self.has_list and not self.hold_first else None
        if self.head is not None and self.opts.jsonl:
            self.out.write(b'{"memconv":' + self.head + b"}\n")
            self.head, self.carried = None, True
        try:
            for rec in it:
                kind = rec.kind
                if kind in ("memory", "passage"):
                    self.memory(rec)
                elif kind == "block":
                    self.block(rec)
                elif kind == "session":
                    self.keep(rec)
                    self.sessions[rec.id] = (rec.agent_id, rec.project)
                elif kind == "agent":
                    self.keep(rec)
                    self.agents[rec.id] = rec
                    for bid in rec.block_ids:
                        self.block_owners.setdefault(bid, []).append(rec)
                elif kind == "entity":
                    self.entity(rec)
                elif kind in ("observation", "summary"):
                    self.episode(rec)
                elif kind == "relation":
                    self.relation(rec)
                elif kind == "event":
                    self.event(rec)
                elif kind in KEPT_KINDS:
                    self.keep(rec)
                else:
                    MAPPING.account(rec, self.report)
            self.finish()
            self.account_header()
        finally:
            self.rels.close()
            self.events.close()
            self.kept.close()

    def finish(self) -> None:
        o = self.out
        self.ids.finish()
        if self.empty_blocks:
            where = "kept in the memconv list only" if self.has_list else "not written"
            self.report.warn(f"{self.empty_blocks} empty Letta block(s) {where}: a mem0 memory needs text",
                             RECORD_DROPPED)
        if self.built_blocks:
            where = "kept in the memconv list only" if self.has_list else "not written"
            self.report.warn(f"{self.built_blocks} core-memory block(s) of agents memconv built around archival "
                             f"memories when it wrote a Letta file (tag \"memconv\") {where}: they describe the "
                             f"agent, not the user's memories", BUILT_RECORD_LEFT_OUT)
        if self.superseded:
            self.report.warn(f"{self.superseded} AgentMemory memories are superseded by newer versions (isLatest "
                             f"false); mem0 has no such state, so they are written as live memories (the flag is "
                             f"kept in metadata.memconv)", INACTIVE_AS_LIVE)
        if self.inactive:
            self.report.warn(f"{self.inactive} OpenMemory memories are paused, archived or deleted; mem0 has no "
                             f"state, so they are written as live memories", INACTIVE_AS_LIVE)
        unused = [e for e in self.entities if e not in self.used_entities and e not in self.kept_entities]
        if unused:
            self.report.lost("entity", "*", "mem0 keeps a graph entity only as the end of a relation, and no "
                                            "relation names these entities", len(unused), was=None)
        placed = [e for e in self.entities if self.has_list or e not in self.kept_entities]  # else lost in keep()
        ends = self.version != "v1.0" or bool(self.opts.jsonl)  # relations are written
        self.report.place("entity", "native", sum(1 for e in placed if e in self.used_entities and ends))
        self.report.place("entity", "side_channel", sum(1 for e in placed if e in self.kept_entities
                                                         and not (e in self.used_entities and ends)))
        dropped = sum(1 for e in placed if e in self.used_entities and not ends and e not in self.kept_entities)
        if dropped:
            self.report.lost("entity", "*", "the v1.0 bare list has no place for relations, whose ends these "
                                            "entities are; write v1.1", dropped, was=None)
        n_rels, n_events, n_kept = len(self.rel_handles), len(self.event_handles), len(self.kept_handles)
        if self.opts.jsonl:
            for blob in self.rels.all(self.rel_handles):
                o.write(blob + b"\n")
            for blob in self.events.all(self.event_handles):
                o.write(blob + b"\n")
            if n_events:
                self.report.wrote("mem0:history", n_events)
            return
        mine = self.header.source_system == SYSTEM
        variant = self.header.source_variant if mine else None
        hx = self.header.extras.get(SYSTEM, {}) if mine else {}
        single = len(self.report.info.get("inputs") or []) <= 1
        top = {k: v for k, v in hx.items() if not is_marker(k) and k not in ("results", "relations", "history")}
        if self.n_items == 0 and n_rels == 0 and n_events and not n_kept:
            if variant == "history_table" and single:
                o.write(b"{" + b"".join(_dump(k) + b":" + _dump(v) + b"," for k, v in top.items() if k != "rows")
                        + b'"rows":[')
                self._rows(b"]}\n")
            else:
                o.write(b"[")
                self._rows(b"]\n")
            self.own_native = variant == "history_table" and single
            return
        if self.pending is not None and single and not n_rels and not n_events and not n_kept \
                and not hx.get("$relations"):
            o.write(self.pending + b"\n")
            return
        if self.n_items == 0 or self.pending is not None:
            self.open_results()
        o.write(b"\n]" if self.n_items else b"]")
        if self.version == "v1.0":
            o.write(b"\n")
            if n_rels:
                self.report.lost("relation", "*", "the v1.0 bare list has no place for relations; write v1.1", n_rels)
            if n_events:
                self.report.lost("event", "*", "the v1.0 bare list has no place for history; write v1.1", n_events)
            return
        if n_rels or hx.get("$relations"):
            o.write(b',\n"relations":[')
            for i, blob in enumerate(self.rels.all(self.rel_handles)):
                o.write((b"\n" if i == 0 else b",\n") + blob)
            o.write(b"\n]" if n_rels else b"]")
        if n_events:
            o.write(b',\n"history":[')
            self._rows(b"]")
        if n_kept or self.head is not None:  # the source's header leads memconv's list (header_blob)
            o.write(b',\n"memconv":[\n')
            if self.head is not None:
                o.write(self.head + (b",\n" if n_kept else b""))
                self.carried = True
            write_joined(o, self.kept.all(self.kept_handles), b",\n")
            o.write(b"\n]")
        if single and variant in ("get_all", "search", "platform_page"):
            self.own_native = True
            for k, v in top.items():
                o.write(b",\n" + _dump(k) + b":" + _dump(v))
        o.write(b"}\n")

    def account_header(self) -> None:
        """Report what of the source's header this output does not hold (:func:`memconv.mapping.account_header`):
        other systems' fields and the export time ride in the header entry of memconv's list when it was
        written; mem0's own top-level keys go back as keys only in the shapes that have them."""
        h = self.header
        others = [k for k in h.extras if k != SYSTEM]
        account_header(h, self.report, "mem0", kept=([*others] if self.carried else []) + ([SYSTEM] if self.own_native else []))
        if h.exported_at and not self.carried and not (self.own_native and "exported_at" in (h.extras.get(SYSTEM) or {})):
            self.report.lost("header", "exported_at", "this mem0 output has no place for the source's export time",
                             was=None)

    def _rows(self, close: bytes) -> None:
        n = 0
        for n, blob in enumerate(self.events.all(self.event_handles), 1):
            self.out.write((b"\n" if n == 1 else b",\n") + blob)
        self.out.write((b"\n" if n else b"") + close)
        self.report.wrote("mem0:history", n)


def write_mem0(items: Iterable[Any], out: BinaryIO, options: WriteOptions) -> None:
    """Write ``items`` (a header, then records) as mem0 JSON or JSON-L to ``out``.

    Raises:
        UnsupportedVersion: ``--target-version`` other than v1.1 / v1.0.
        UsageError: ``--split`` (mem0 output is never split).
    """
    _Writer(out, options).run(items)


__all__ = ["write_mem0", "DOCUMENT_FRAME", "choose_version", "mem0_id", "md5_hex", "restore", "VERSIONS",
           "DEFAULT_VERSION", "OPENMEMORY"]
