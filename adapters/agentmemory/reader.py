"""Read AgentMemory ``ExportData`` (``GET /agentmemory/export``, versions 0.3.0 to 0.9.29).

Source: ``@agentmemory/agentmemory`` 0.9.29, ``src/types.ts`` (``ExportData`` and its record types) and
``src/functions/export-import.ts`` (``mem::import``'s checks), summarised in
``shared/formats/agentmemory.md``.

What becomes what:

* the document -> :class:`~memconv.model.Header` (``version``, ``exportedAt``; ``pagination``, unknown
  top-level keys and empty or ignored optional collections in ``extras["agentmemory"]``);
* ``sessions[]`` -> :class:`Session`; ``observations{<bucket>: []}`` -> :class:`Observation` with
  ``session_id`` = bucket key (``RawObservation`` rows too: their ``hookType``/``raw``/``tool*`` keys go to
  extras and the provenance variant is ``"raw"``); ``memories[]`` -> :class:`Memory` (``agentId`` and
  ``project`` into ``scope``); ``summaries[]`` -> :class:`Summary` (id = ``sessionId``);
  ``graphNodes[]`` -> :class:`Entity`; ``graphEdges[]`` -> :class:`Relation`; every other optional
  collection -> :class:`Raw` (``system="agentmemory"``, the collection's name, the row verbatim).
* Keys with no canonical field go to ``extras["agentmemory"]`` verbatim; mapped keys the row did not
  have are listed in ``extras["agentmemory"]["$absent"]`` (:func:`memconv.fields.split`), and a mapped
  key whose value does not fit the canonical field's type (a string ``importance``...) is kept
  verbatim in extras and listed as absent, so that the writer puts every row back exactly.
* Records memconv's own writer produced carry an undeclared ``memconv`` key (``shape.EMBED_KEY``):
  they are rebuilt as the canonical record they came from (a Letta block, tool, agent, message, a mem0
  memory...), the embedded fields plus the ones AgentMemory holds natively
  (``mapping._NATIVE``). Records with ``letta:`` concepts and no embed (edited by hand) are mapped back
  to their Letta kinds on a best-effort basis.

Leniency (as ``mem::import`` 0.9.29, which checks only the version, the four top-level shapes, the
bucket arrays and the caps, and stores records as they are):

* a row without a usable id (missing, null, a number, ``""``; a real 0.9.2x export holds a session
  that is only ``{endedAt, status}``) is read under a derived id, its JSON path (``sessions[3]``),
  with a warning (:meth:`_Reader.row_id`); a writer gives it that id;
* every record is checked against its ``types.ts`` type (:mod:`.schema`): each mismatch is a
  warning with its JSON path (the first :data:`MAX_NOTES`, then a count), the value is read as it
  is, and :func:`type_problems` lists every one for ``memconv validate``;
* ``exportedAt`` of the wrong type is a warning (the importer never reads it);
* refused (exit 4): a record that is not an object, as the importer fails on it too.

Streaming: the document is read in several passes with ijson (each pass a fresh stream from
:meth:`memconv.io.Input.open`): a structure pass that also keeps the sessions and the few memories
needed early (Letta small kinds, system prompts), then memories, then observation buckets (one bucket
in memory at a time), then summaries and graph, then the other collections. Only sessions and those
memories are ever held whole. The structure pass builds every memory anyway, so it keeps them in a
disk spool and the memories are read back from there, not parsed out of the document a second time
(except in a document with integers past 64 bits, which orjson cannot write).
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any, Iterator, Union

import ijson
import orjson
from pydantic import ValidationError

from memconv.errors import InputInvalid, MemconvError, UnsupportedVersion
from memconv.fields import ABSENT, build, split
from memconv.io import Input
from memconv.jsonutil import (DupDict, build_value, check_dups, ijson_backend, jpath, json_error, json_type,
                              open_skip_bom, scan_numbers)
from memconv.spool import Handles, Spool
from memconv.model import (KIND_ORDER, RECORD_TYPES, SMALL_KINDS, Agent, Base, Entity, Header, Memory,
                           Message, Observation, Relation, Raw, Scope, Session,
                           Summary)
from memconv.report import Report
from memconv.timeutil import conversation_keys
from memconv.logmessages import (BAD_VALUE, DERIVED_ID, DUPLICATE_KEY, INCOMPLETE_INPUT, MEMCONV_DATA_INVALID,
                                 VERSION_GUESSED, LogMessage)

from .schema import COLLECTION_TYPES, mismatches, observation_type
from .shape import (SYSTEM, EMBED_KEY, SEQ_KEY, GRAPH_EDGE_KEYS, GRAPH_NODE_KEYS, LETTA_CONCEPT, MEMORY_KEYS,
                    MEMORY_SCOPE_KEYS, NATURAL_KEYS, OBSERVATION_KEYS, OPTIONAL_COLLECTIONS,
                    RAW_OBSERVATION_MARKERS, SESSION_KEYS, SHIM_KEYS, SUMMARY_KEYS, SUPPORTED_VERSIONS,
                    TITLE_PREFIXES, allow_list)


_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})
_EVENT_TYPE = {"start_map": "an object", "start_array": "an array", "string": "a string",
               "number": "a number", "integer": "a number", "double": "a number", "boolean": "a boolean",
               "null": "null"}
_RAW_COLLECTIONS = tuple(c for c in OPTIONAL_COLLECTIONS if c not in ("graphNodes", "graphEdges"))
_LETTA_SMALL_CONCEPTS = (("letta:block:", "block"), ("letta:tool:", "tool"), ("letta:skill:", "skill"),
                         ("letta:mcp_server:", "mcp_server"))
_LETTA_SMALL_EXACT = {"letta:source": "source", "letta:file": "file", "letta:group": "group"}
_CODE_BLOCK = re.compile(r"\n*```([^\n`]*)\n(.*)\n```\s*$", re.S)
MAX_NOTES = 20
"""Type mismatches and derived ids warned about one by one in a conversion; past this many, the
reader counts them and ends with one line (``memconv validate`` lists every one)."""
MAX_PROBLEMS = 100_000
"""Problems :func:`type_problems` lists at most (then one line with the count)."""


# ---------------------------------------------------------------- type fit (values kept exactly)


_NONE = type(None)


def _spec(ann: Any) -> tuple[frozenset[type] | None, frozenset[type] | None]:
    """``(types, list_items)`` a value must have to fit ``ann`` exactly (no coercion): its exact type
    in ``types`` (None: anything), or a list whose items' types are in ``list_items`` (None: no list;
    an empty set: items of any type). ``bool`` is not an ``int`` here; an ``int`` fits a ``float``."""
    origin = typing.get_origin(ann)
    if origin in (Union, types.UnionType):
        kinds: set[type] = set()
        items: set[type] | None = None
        for a in typing.get_args(ann):
            k, i = _spec(a)
            if k is None:
                return None, None
            kinds |= k
            if i is not None:
                items = (items or set()) | i
        return frozenset(kinds), frozenset(items) if items is not None else None
    if ann is _NONE:
        return frozenset({_NONE}), None
    if ann in (str, bool, int):
        return frozenset({ann}), None
    if ann is float:
        return frozenset({int, float}), None
    if origin is dict or ann is dict:
        return frozenset({dict}), None
    if origin is list:
        args = typing.get_args(ann)
        k, _ = _spec(args[0]) if args else (None, None)
        return frozenset(), frozenset(k) if k is not None else frozenset()
    return None, None


_PLANS: dict[tuple[type, int], list[tuple[str, str, frozenset[type] | None, frozenset[type] | None]]] = {}


def _fit(cls: type, fields: dict[str, Any], extras: dict[str, Any], keys: dict[str, str]) -> None:
    """Move mapped values that do not fit ``cls`` exactly back to ``extras`` (and mark them absent),
    so the canonical record stays valid and the writer's :func:`~memconv.fields.join` restores them."""
    plan = _PLANS.get((cls, id(keys)))
    if plan is None:
        plan = _PLANS[(cls, id(keys))] = [
            (src, f, *_spec(cls.model_fields[f].annotation)) for src, f in keys.items() if f in cls.model_fields]
    for src, f, kinds, items in plan:
        if f not in fields:
            continue
        v = fields[f]
        if kinds is None or type(v) in kinds or _json_kind(v) in kinds:  # the exact type first: no call
            continue
        if items is not None and type(v) is list and (not items or all(type(x) in items for x in v)
                                                      or all(_json_kind(x) in items for x in v)):
            continue
        extras[src] = fields.pop(f)
        extras.setdefault(ABSENT, []).append(src)


def _json_kind(v: Any) -> type:
    """``type(v)``, with an object built by the streaming parser (``DupDict``, a ``dict`` subclass that
    notes repeated keys) counted as a ``dict``."""
    t = type(v)
    return dict if t is not dict and isinstance(v, dict) else t


_REQUIRED: dict[type, tuple[str, ...]] = {}


def _required(cls: type) -> tuple[str, ...]:
    """Required fields of ``cls`` other than ``id`` (all strings in the kinds read natively)."""
    if cls not in _REQUIRED:
        _REQUIRED[cls] = tuple(f for f, i in cls.model_fields.items() if i.is_required() and f != "id")
    return _REQUIRED[cls]


def _newer_release(v: Any) -> bool:
    """True for a release string ``X.Y.Z`` newer than the last upstream version in
    :data:`SUPPORTED_VERSIONS` (0.9.29): a fork's export (safeblock-lab/agentmemory publishes 0.9.30 to
    0.9.33, whose importer's allow-list adds them), read with a warning, never refused."""
    if not isinstance(v, str) or not re.fullmatch(r"\d{1,6}\.\d{1,6}\.\d{1,6}", v):
        return False
    return tuple(map(int, v.split("."))) > tuple(map(int, SUPPORTED_VERSIONS[-1].split(".")))


# ---------------------------------------------------------------- JSON event helpers


def _skip(it: Iterator[tuple[str, Any]], ev: str) -> None:
    """Consume the rest of the value that starts with event ``ev``."""
    if ev not in _OPEN:
        return
    depth = 1
    for ev, _ in it:
        if ev in _OPEN:
            depth += 1
        elif ev in _CLOSE:
            depth -= 1
            if not depth:
                return


def _concepts(row: dict[str, Any]) -> list[str]:
    c = row.get("concepts")
    return [x for x in c if isinstance(x, str)] if isinstance(c, list) else []


def _suffix(concepts: list[str], prefix: str, allow_empty: bool = False) -> str | None:
    """What follows ``prefix`` in the first concept that starts with it (``allow_empty``: the prefix
    alone counts, giving ``""``, as memconv's writer gives a message with role ``""``)."""
    for c in concepts:
        if c.startswith(prefix) and (allow_empty or len(c) > len(prefix)):
            return c[len(prefix):]
    return None


def _strip(title: Any, prefix: str) -> str | None:
    if not isinstance(title, str):
        return None
    return title[len(prefix):] if title.startswith(prefix) else title


def _embed(row: Any) -> dict[str, Any] | None:
    e = row.get(EMBED_KEY) if isinstance(row, dict) else None
    return e if isinstance(e, dict) and isinstance(e.get("kind"), str) else None


def letta_kind(row: dict[str, Any]) -> str | None:
    """The Letta kind a hand-edited memory (``letta:`` concepts, no ``memconv`` key) stands for:
    ``block``, ``tool``, ``skill``, ``mcp_server``, ``source``, ``file``, ``group``, ``system``,
    ``passage``; None for an ordinary memory."""
    concepts = _concepts(row)
    if not any(c.startswith(LETTA_CONCEPT) for c in concepts):
        return None
    for prefix, kind in _LETTA_SMALL_CONCEPTS:
        if _suffix(concepts, prefix):
            return kind
    for c in concepts:
        if c in _LETTA_SMALL_EXACT:
            return _LETTA_SMALL_EXACT[c]
    if "letta:system" in concepts:
        return "system"
    if "letta:passage" in concepts:
        return "passage"
    return None


# ---------------------------------------------------------------- the structure pass


class _Top:
    """What the structure pass learnt about the document."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.types: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self.sessions: list[Any] = []
        self.early: list[tuple[int, Any]] = []
        self.nonempty: set[str] = set()
        self.bad_bucket: tuple[str, str] | None = None
        self.times: dict[str, int] = {}  # how many times each top-level key is given
        self.bucket_times: dict[str, int] = {}  # the same for the buckets of (the last) observations
        self.memories: _Kept | None = None  # the (last) memories array, as the structure pass built it


class _Kept:
    """The rows of one top-level array the structure pass built, kept on disk (a :class:`Spool` of
    their JSON, so memory stays flat) with the duplicate-key warnings of each, to be given when the
    row is read: a later pass reads them back instead of parsing the whole document once more."""

    def __init__(self) -> None:
        self.spool = Spool()
        self.handles = Handles()
        self.warnings: dict[int, list[tuple[str, str]]] = {}

    def add(self, row: Any, name: str, path: str) -> None:
        """Keep ``row`` (built as :class:`DupDict`), with the warnings :func:`check_dups` gives it."""
        notes = _Notes()
        check_dups(row, notes, name, path)
        if notes.said:
            self.warnings[len(self.handles)] = notes.said
        self.handles.append(self.spool.add(orjson.dumps(row)))

    def rows(self, report: Report) -> Iterator[tuple[int, Any]]:
        """``(index, row)`` of every row kept, in order, each row's warnings given to ``report`` first."""
        try:
            for i, handle in enumerate(self.handles):
                for message, kind in self.warnings.get(i, ()):
                    report.warn(message, kind)
                yield i, orjson.loads(self.spool.get(handle))
        finally:
            self.spool.close()


class _Notes:
    """Takes the warnings :func:`check_dups` gives, to be given later."""

    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []

    def warn(self, message: str, kind: str) -> None:
        self.said.append((message, kind))


class _Reader:
    """One read of one input (see the module docstring)."""

    def __init__(self, inp: Input, report: Report, collect: list[str] | None = None):
        self.inp = inp
        self.collect = collect
        self.name = inp.name
        self.report = report
        self.version: str | None = None
        self.top = _Top()
        self.consumed: set[int] = set()
        self.agent_of_session: dict[str, str] = {}
        self.system_by_session: dict[str, tuple[int, str]] = {}
        self.system_by_agent: dict[str, tuple[int, str]] = {}
        self.context_of_session: dict[str, dict[str, int]] = {}
        self.notes = 0
        self.quiet_notes = 0

    # -------------------------------------------------------------- plumbing

    def note(self, message: str, kind: LogMessage) -> None:
        """A warning of ``kind`` about one record (a type mismatch, a derived id); past :data:`MAX_NOTES`
        only counted, and summed up by :meth:`run` at the end."""
        self.notes += 1
        if self.collect is not None:
            if len(self.collect) < MAX_PROBLEMS:
                self.collect.append(f"{self.name}: {message}")
        elif self.notes <= MAX_NOTES:
            self.report.warn(f"{self.name}: {message}", kind)
        else:
            self.quiet_notes += 1

    def typecheck(self, ts_type: str, row: Any, path: str, id_key: str | None = "id") -> None:
        """Warn (:meth:`note`, one line per record) about the fields of ``row`` that do not fit their
        ``types.ts`` type (:func:`.schema.mismatches`); the values are read as they are (kept
        verbatim in extras when their canonical field cannot hold them). ``id_key``: left to
        :meth:`row_id`, which says more."""
        found = [(w, what) for w, what in mismatches(ts_type, row) if id_key is None or w != id_key]
        if not found:
            return
        if found[0][0] == "":
            self.note(f"{path}: {found[0][1]}", BAD_VALUE)
            return
        parts = "; ".join(f"{jpath(path, w)}: {what}" for w, what in found)
        self.note(f"{parts}; read as {'they are' if len(found) > 1 else 'it is'} (AgentMemory's importer "
                  f"does not check record types)", BAD_VALUE)

    def fail(self, path: str, what: str) -> InputInvalid:
        return InputInvalid(f"{self.name}: {path}: {what}" if path else f"{self.name}: {what}")

    def prov(self, rid: str | None, variant: str | None = None) -> dict[str, Any]:
        """The record's :class:`Provenance`, as the fields its record's one validation checks."""
        return {"system": SYSTEM, "id": rid, "version": self.version, "variant": variant}

    def _open(self) -> Any:
        return open_skip_bom(self.inp)

    @property
    def ij(self) -> Any:
        """ijson's C backend, or its Python one when the file may hold integers beyond 64 bits."""
        if getattr(self, "_ij", None) is None:
            with self._open() as fh:
                self._big = scan_numbers(fh, self.name)
                self._ij = ijson_backend(self._big)
        return self._ij

    def _json_error(self, e: Exception) -> Exception:
        """The one-line error of :func:`memconv.jsonutil.json_error` (line and column found again;
        exit 3 for bytes that are not UTF-8)."""
        return json_error(self.name, self.inp.open, e)

    def events(self) -> Iterator[tuple[str, Any]]:
        """``ijson.basic_parse`` events of a fresh stream (numbers as int/float, never Decimal)."""
        with self._open() as fh:
            try:
                yield from self.ij.basic_parse(fh, use_float=True)
            except (ijson.JSONError, UnicodeDecodeError) as e:
                raise self._json_error(e) from None

    def stream(self, wanted: tuple[str, ...]) -> Iterator[tuple[str, int, Any]]:
        """``(key, index, item)`` for every item of the top-level arrays named in ``wanted``, in
        document order, building one item at a time."""
        wanted_set = set(wanted) & self.top.nonempty
        if not wanted_set:
            return
        times = self.top.times
        if len(wanted_set) == 1 and times.get(next(iter(wanted_set)), 1) == 1:
            (key,) = wanted_set
            with self._open() as fh:
                try:
                    for i, item in enumerate(self.ij.items(fh, f"{key}.item", use_float=True, map_type=DupDict)):
                        check_dups(item, self.report, self.name, jpath(key, i))
                        yield key, i, item
                except (ijson.JSONError, UnicodeDecodeError) as e:
                    raise self._json_error(e) from None
            return
        it = self.events()
        ev, _ = next(it, ("", None))
        if ev != "start_map":
            return
        given: dict[str, int] = {}
        for ev, key in it:
            if ev != "map_key":
                break
            ev, val = next(it)
            given[key] = given.get(key, 0) + 1
            # a key given twice: the last value, as AgentMemory's JSON.parse keeps it
            if key in wanted_set and ev == "start_array" and given[key] == times.get(key, 1):
                i = 0
                for ev, val in it:
                    if ev == "end_array":
                        break
                    item = build_value(it, ev, val)
                    check_dups(item, self.report, self.name, jpath(key, i))
                    yield key, i, item
                    i += 1
            else:
                _skip(it, ev)

    def _buckets(self, fh: Any) -> Iterator[tuple[str, Any]]:
        """``(session id, rows)`` of every observation bucket. A key given twice (``observations``
        itself, or a bucket) gives its last value, as AgentMemory's ``JSON.parse`` does (the structure
        pass warned about it)."""
        times = self.top.bucket_times
        given: dict[str, int] = {}

        def last(bucket: str, rows: Any) -> bool:
            given[bucket] = given.get(bucket, 0) + 1
            keep = given[bucket] == times.get(bucket, 1)
            check_dups(rows, self.report if keep else None, self.name, jpath("observations", bucket))
            return keep

        if self.top.times.get("observations", 1) == 1:
            for bucket, rows in self.ij.kvitems(fh, "observations", use_float=True, map_type=DupDict):
                if last(bucket, rows):
                    yield bucket, rows
            return
        it = self.events()
        ev, _ = next(it, ("", None))
        n = 0
        for ev, key in it:
            if ev != "map_key":
                break
            ev, val = next(it)
            n += key == "observations"
            if key != "observations" or ev != "start_map" or n != self.top.times["observations"]:
                _skip(it, ev)
                continue
            for ev, bucket in it:
                if ev != "map_key":
                    break
                ev, val = next(it)
                rows = build_value(it, ev, val)
                if last(bucket, rows):
                    yield bucket, rows

    # -------------------------------------------------------------- pass 1: structure

    def scan(self) -> None:
        """Walk the whole document once: top-level keys and their types, small top-level values,
        the sessions, the memories needed before the others, non-array observation buckets."""
        top = self.top
        it = self.events()
        ev, val = next(it, ("", None))
        if ev != "start_map":
            what = _EVENT_TYPE.get(ev, "nothing") if ev else "nothing"
            raise self.fail("", f"expected an AgentMemory ExportData object at the top level, got {what}")
        for ev, key in it:
            if ev != "map_key":
                break
            ev, val = next(it)
            if key not in top.types:
                top.keys.append(key)
            else:
                self.report.warn(f"{self.name}: $: duplicate key(s) {key!r} in one object; the last value "
                                 f"of each was used", DUPLICATE_KEY)
                if key == "sessions":
                    top.sessions.clear()
                if key == "memories":
                    top.early.clear()
                    if top.memories is not None:
                        top.memories.spool.close()
                        top.memories = None
                top.nonempty.discard(key)
                if key == "observations":
                    top.bucket_times, top.bad_bucket = {}, None
            top.times[key] = top.times.get(key, 0) + 1
            top.types[key] = _EVENT_TYPE.get(ev, ev)
            if ev == "start_array" and (key in ("sessions", "memories", "summaries") or key in OPTIONAL_COLLECTIONS):
                i = 0
                # orjson writes what ijson's C backend reads; integers past 64 bits (its Python
                # backend) are left to a pass of their own
                kept = _Kept() if key == "memories" and not self._big else None
                if kept is not None:
                    top.memories = kept
                for ev, val in it:
                    if ev == "end_array":
                        break
                    top.nonempty.add(key)
                    if key == "sessions":
                        top.sessions.append(build_value(it, ev, val))
                        check_dups(top.sessions[-1], self.report, self.name, jpath(key, i))
                    elif key == "memories":
                        row = build_value(it, ev, val)
                        if kept is not None:
                            kept.add(row, self.name, jpath(key, i))  # warned about when memories are read
                        else:
                            check_dups(row, None, self.name, "")  # warned about when memories are read
                        if self._needed_early(row):
                            top.early.append((i, row))
                    else:
                        _skip(it, ev)
                    i += 1
            elif ev == "start_map" and key == "observations":
                for ev, bucket in it:
                    if ev != "map_key":
                        break
                    ev, val = next(it)
                    if bucket in top.bucket_times:
                        self.report.warn(f"{self.name}: observations: duplicate key(s) {bucket!r} in one object; "
                                         f"the last value of each was used", DUPLICATE_KEY)
                    top.bucket_times[bucket] = top.bucket_times.get(bucket, 0) + 1
                    if ev != "start_array":
                        if top.bad_bucket is None:
                            top.bad_bucket = (bucket, _EVENT_TYPE.get(ev, ev))
                        _skip(it, ev)
                        continue
                    ev, val = next(it)
                    if ev != "end_array":
                        top.nonempty.add(key)
                        _skip(it, ev)
                        for ev, val in it:
                            if ev == "end_array":
                                break
                            _skip(it, ev)
            else:
                top.values[key] = build_value(it, ev, val)
                check_dups(top.values[key], self.report, self.name, key)

    @staticmethod
    def _needed_early(row: Any) -> bool:
        if not isinstance(row, dict):
            return False
        e = _embed(row)
        if e is not None:
            return e["kind"] in SMALL_KINDS
        kind = letta_kind(row)
        return kind is not None and kind != "passage"

    # -------------------------------------------------------------- checks (mem::import's order)

    def check(self) -> str | None:
        """Check the document as AgentMemory's importer does; return the variant (None or
        ``"mcp-shim"``).

        Raises:
            InputInvalid: not an export (the oversized-error object, another error object), a
                required key missing or of the wrong type.
            UnsupportedVersion: ``version`` is not a string AgentMemory 0.9.29 imports.
        """
        top = self.top
        keys = set(top.types)
        if top.values.get("success") is False and "version" not in keys:
            if top.values.get("oversized") is True:
                size = top.values.get("bytes")
                mib = f"{size / 1048576:.1f} MiB" if isinstance(size, (int, float)) else "too large"
                raise InputInvalid(
                    f"{self.name}: not an export but AgentMemory's oversized-export error (the export is "
                    f"{mib}, over the ~15 MiB transport frame limit); export in pages with "
                    f"GET /agentmemory/export?maxSessions=<n>&offset=<k> and convert each page")
            err = top.values.get("error")
            raise InputInvalid(f"{self.name}: not an export but an AgentMemory error answer"
                               f"{': ' + repr(err) if isinstance(err, str) else ''}")
        if "version" not in keys:
            raise self.fail("version", "missing (AgentMemory's importer requires a string version "
                                       "such as \"0.9.29\")")
        v = top.values.get("version")
        if _newer_release(v):
            self.report.warn(f"{self.name}: version: {v!r} is newer than upstream AgentMemory "
                             f"{SUPPORTED_VERSIONS[-1]}, whose importer refuses it ('Unsupported export "
                             f"version'); read in {SUPPORTED_VERSIONS[-1]}'s shape, unknown fields kept (a fork's "
                             f"release, such as safeblock-lab/agentmemory 0.9.30 to 0.9.33, writes it)",
                             VERSION_GUESSED)
        elif not isinstance(v, str) or v not in SUPPORTED_VERSIONS:
            shown = repr(v) if isinstance(v, str) else f"{json_type(v)} {v!r}" if not isinstance(
                v, (dict, list)) else json_type(v)
            if len(shown) > 60:  # a value of any length: the line stays one line to read
                shown = shown[:57] + "..."
            why = ("0.7.8 is refused, as AgentMemory refuses it (its 0.7.9 release replaced 0.7.8 in "
                   "supportedVersions)" if v == "0.7.8" else
                   f"exact strings only: {allow_list()}")
            raise UnsupportedVersion(
                f"{self.name}: version: {shown} is not an AgentMemory export version memconv reads; "
                f"supported: the strings AgentMemory 0.9.29 imports, {SUPPORTED_VERSIONS[0]} to "
                f"{SUPPORTED_VERSIONS[-1]} ({why})")
        self.version = v
        if keys == SHIM_KEYS and top.types["sessions"] == "an array" and top.types["memories"] == "an array":
            self.report.warn(f"{self.name}: the MCP shim's local export {{version, memories, sessions}}: "
                             f"no observations, summaries or export time; read as an export without them",
                             INCOMPLETE_INPUT)
            return "mcp-shim"
        for key in ("sessions", "memories", "summaries"):
            if key not in keys:
                raise self.fail(key, "missing (AgentMemory's importer requires an array)")
            if top.types[key] != "an array":
                raise self.fail(key, f"expected an array, got {top.types[key]} "
                                     f"(AgentMemory's importer: '{key} must be an array')")
        if "observations" not in keys:
            raise self.fail("observations", "missing (AgentMemory's importer requires an object of "
                                            "session id -> observation array)")
        if top.types["observations"] != "an object":
            raise self.fail("observations", f"expected an object, got {top.types['observations']} "
                                            f"(AgentMemory's importer: 'observations must be an object')")
        if top.bad_bucket is not None:
            bucket, got = top.bad_bucket
            raise self.fail(jpath("observations", bucket), f"expected an array, got {got} (AgentMemory's "
                                                           f"importer: 'observation values must be arrays')")
        if "exportedAt" in keys and not isinstance(top.values.get("exportedAt"), str):
            # AgentMemory's importer never reads exportedAt: a warning, not a refusal
            self.note(f"exportedAt: expected a string (an ISO-8601 time, types.ts "
                             f"ExportData.exportedAt), got {json_type(top.values.get('exportedAt'))}; "
                             f"AgentMemory's importer does not read it; read as missing (writing "
                             f"AgentMemory again stamps the conversion time)", BAD_VALUE)
        if "exportedAt" not in keys:
            self.report.warn(f"{self.name}: exportedAt missing; writing AgentMemory again stamps the "
                             f"conversion time", BAD_VALUE)
        logs = top.values.get("accessLogs") if "accessLogs" in keys else None
        if "accessLogs" in keys and top.types["accessLogs"] != "an array" and logs:
            # mem::import: `if (importData.accessLogs) { if (!Array.isArray(...)) return {success: false} }`
            raise self.fail("accessLogs", f"expected an array, got {top.types['accessLogs']} (AgentMemory's "
                                          f"importer: 'accessLogs must be an array', and the import fails)")
        for key in OPTIONAL_COLLECTIONS:
            if key in keys and top.types[key] != "an array":
                self.report.warn(f"{self.name}: {key}: {top.types[key]}, not an array; AgentMemory's "
                                 f"importer ignores it; kept as is in the header", BAD_VALUE)
        return None

    def header(self, variant: str | None) -> Header:
        top = self.top
        extras: dict[str, Any] = {}
        for key in top.keys:
            if key in ("version", "exportedAt", "sessions", "memories", "summaries", "observations"):
                continue
            if key in OPTIONAL_COLLECTIONS and top.types[key] == "an array":
                if key not in top.nonempty:
                    extras[key] = []  # present but empty: kept so that the writer puts it back
                continue
            extras[key] = top.values.get(key)
        exported = top.values.get("exportedAt")
        return Header(source_system=SYSTEM, source_format_version=self.version, source_variant=variant,
                      exported_at=exported if isinstance(exported, str) else None,
                      extras={SYSTEM: extras} if extras else {})

    # -------------------------------------------------------------- native records

    def native(self, cls: type, row: dict[str, Any], keys: dict[str, str], path: str, rid: str,
               variant: str | None = None, scope_keys: dict[str, str] | None = None,
               **more: Any) -> Any:
        """A canonical record from an AgentMemory row: mapped keys as fields (if they fit exactly),
        the rest verbatim in ``extras["agentmemory"]`` with ``$absent``."""
        all_keys = {**keys, **scope_keys} if scope_keys else keys
        fields, extras = split(row, all_keys)
        extras.pop("id", None)
        scope: dict[str, Any] = {}
        if scope_keys:
            for f in scope_keys.values():
                if f in fields:
                    scope[f] = fields.pop(f)
            _fit(Scope, scope, extras, scope_keys)
        _fit(cls, fields, extras, keys)
        fields.update(more)
        for f in _required(cls):
            if f not in fields:
                fields[f] = ""
        if scope_keys:
            fields["scope"] = Scope(**scope)
        return build(cls, self.name, path, id=rid, provenance=self.prov(rid, variant),
                     extras={SYSTEM: extras} if extras else {}, **fields)

    def row_id(self, row: Any, path: str, key: str = "id") -> str:
        """The id of ``row`` (its ``key``): a non-empty string as it is; otherwise (missing, null, a
        number, an empty string...) the derived id ``path`` (``sessions[3]``), with a warning.

        AgentMemory's importer takes such rows (it stores them under ``String(row.id)``, so all the
        rows without an id share the key ``"undefined"``; a real 0.9.2x export holds a session that
        is only ``{endedAt, status}``); the derived id keeps each row apart, and a writer gives it
        that id.

        Raises:
            InputInvalid: ``row`` is not an object (AgentMemory's importer fails on such a row too).
        """
        if not isinstance(row, dict):
            raise self.fail(path, f"expected an object, got {json_type(row)}")
        rid = row.get(key)
        if isinstance(rid, str) and rid:
            return rid
        got = "missing" if key not in row else json_type(rid) + (
            f" ({rid!r})" if isinstance(rid, (int, float, str)) and not isinstance(rid, bool) else "")
        self.note(f"{jpath(path, key)}: {got}, not a string id (types.ts); AgentMemory's importer accepts "
                  f"such a row; read under the derived id {path!r}", DERIVED_ID)
        return path

    def restore(self, row: dict[str, Any], path: str, native: dict[str, Any], *, small: bool) -> Base | None:
        """The canonical record memconv's writer embedded in ``row`` (``memconv`` key) plus the fields
        AgentMemory holds natively; None (with a warning) when the embed is not a valid record or not
        of a kind that belongs where it was found (``small``: agents, blocks... in sessions and
        memories; the other kinds everywhere else)."""
        e = _embed(row)
        assert e is not None
        cls = RECORD_TYPES.get(e["kind"])
        if cls is None or not isinstance(e.get("id"), str) or (e["kind"] in SMALL_KINDS) != small:
            self.report.warn(f"{self.name}: {path}.{EMBED_KEY}: not a memconv record that belongs here "
                             f"(kind {e.get('kind')!r}); read as a plain AgentMemory record", MEMCONV_DATA_INVALID)
            return None
        fields = {k: v for k, v in e.items() if k not in ("kind", SEQ_KEY)}
        # a native value wins, but a missing one (None) does not erase what the embed kept
        fields.update({k: v for k, v in native.items() if k in cls.model_fields and (v is not None or k not in fields)})
        try:
            return cls(**fields)
        except ValidationError as err:
            first = err.errors()[0]
            self.report.warn(f"{self.name}: {path}.{EMBED_KEY}: {'.'.join(map(str, first['loc']))}: "
                             f"{first['msg'].lower()}; read as a plain AgentMemory record", MEMCONV_DATA_INVALID)
            return None

    # -------------------------------------------------------------- sessions and agents

    def prepare(self) -> None:
        """Index agents' sessions and system-prompt memories (both from the structure pass)."""
        for i, s in enumerate(self.top.sessions):
            e = _embed(s)
            if e is not None and e["kind"] == "agent" and isinstance(e.get("id"), str) and isinstance(s.get("id"), str):
                self.agent_of_session[s["id"]] = e["id"]
        for i, row in self.top.early:
            if _embed(row) is None and letta_kind(row) == "system" and isinstance(row.get("content"), str):
                sids = row.get("sessionIds") if isinstance(row.get("sessionIds"), list) else []  # types.ts: string[]
                for sid in sids:
                    if isinstance(sid, str):
                        self.system_by_session.setdefault(sid, (i, row["content"]))
                linked = any(isinstance(sid, str) for sid in sids)
                if isinstance(row.get("agentId"), str) and not linked:  # by name only when no session is named
                    self.system_by_agent.setdefault(row["agentId"], (i, row["content"]))

    def session(self, i: int, s: Any) -> Base:
        path = f"sessions[{i}]"
        rid = self.row_id(s, path)
        self.typecheck("Session", s, path)
        if _embed(s) is not None:
            native: dict[str, Any] = {}
            if _embed(s)["kind"] == "agent":
                name = s.get("project") if isinstance(s.get("project"), str) and s.get("project") else \
                    s.get("agentId") if isinstance(s.get("agentId"), str) else None
                native = {"description": s.get("summary") if isinstance(s.get("summary"), str) else None,
                          "tags": [t for t in s.get("tags") or [] if isinstance(t, str)]}
                if name is not None:
                    native["name"] = name
                found = self.system_by_session.get(rid) or self.system_by_agent.get(str(name))
                if found is not None:
                    self.consumed.add(found[0])
                    native["system"] = found[1]
            rec = self.restore(s, path, native, small=True)
            if isinstance(rec, Agent):
                self.context_of_session[rid] = {m: n for n, m in enumerate(rec.in_context_message_ids)}
            if rec is not None:
                return rec
            self.agent_of_session.pop(rid, None)
        return self.native(Session, s, SESSION_KEYS, path, rid)

    # -------------------------------------------------------------- memories

    def memory(self, i: int, row: Any) -> Base:
        path = f"memories[{i}]"
        if not isinstance(row, dict):
            raise self.fail(path, f"expected an object, got {json_type(row)}")
        self.typecheck("Memory", row, path)
        e = _embed(row)
        title, content, concepts = row.get("title"), row.get("content"), _concepts(row)
        if e is not None:
            kind = e["kind"]
            native: dict[str, Any] = {}
            if kind == "block":
                native = {"label": title if isinstance(title, str) else _suffix(concepts, "letta:block:"),
                          "value": content}
            elif kind in ("tool", "skill", "mcp_server"):
                field = {"tool": "name", "skill": "name", "mcp_server": "server_name"}[kind]
                native = {field: _suffix(concepts, f"letta:{kind}:") or _strip(title, TITLE_PREFIXES[kind])}
            elif kind == "source":
                native = {"name": _strip(title, TITLE_PREFIXES["source"])}
            elif kind == "file":
                files = row.get("files")
                native = {"file_name": files[0] if isinstance(files, list) and files else None,
                          "content": content}
            elif kind in ("memory", "passage"):
                native = {"text": content}
            rec = self.restore(row, path, native, small=kind in SMALL_KINDS)
            if rec is not None:
                return rec
        else:
            rec = self.letta_memory(i, row)
            if rec is not None:
                return rec
        rid = self.row_id(row, path)
        return self.native(Memory, row, MEMORY_KEYS, path, rid, scope_keys=MEMORY_SCOPE_KEYS)

    def letta_memory(self, i: int, row: dict[str, Any]) -> Base | None:
        """Best effort for a memory with ``letta:`` concepts and no ``memconv`` key (edited by hand)."""
        kind = letta_kind(row)
        if kind is None or kind == "system":
            return None
        path = f"memories[{i}]"
        rid = self.row_id(row, path)
        title, content, concepts = row.get("title"), row.get("content"), _concepts(row)
        title = title if isinstance(title, str) else None
        content = content if isinstance(content, str) else ""
        created = row.get("createdAt") if isinstance(row.get("createdAt"), str) else None
        cls = RECORD_TYPES[kind]
        fields: dict[str, Any] = {}
        if kind == "block":
            fields = {"label": _suffix(concepts, "letta:block:") or title or rid, "value": content,
                      "created_at": created}
        elif kind == "tool":
            name = _suffix(concepts, "letta:tool:") or _strip(title, TITLE_PREFIXES["tool"])
            m = _CODE_BLOCK.search(content)
            if m:
                fields = {"description": content[: m.start()].strip() or None,
                          "source_type": m.group(1) or None, "source_code": m.group(2)}
            else:
                fields = {"description": content or None}
            fields["name"] = name
        elif kind == "skill":
            fields = {"name": _suffix(concepts, "letta:skill:") or _strip(title, TITLE_PREFIXES["skill"]) or rid,
                      "files": {"SKILL.md": content} if content else None}
        elif kind == "mcp_server":
            fields = {"server_name": _suffix(concepts, "letta:mcp_server:")
                      or _strip(title, TITLE_PREFIXES["mcp_server"]) or rid}
        elif kind == "source":
            fields = {"name": _strip(title, TITLE_PREFIXES["source"]) or rid, "description": content or None}
        elif kind == "file":
            files = row.get("files")
            fields = {"file_name": files[0] if isinstance(files, list) and files and isinstance(files[0], str)
                      else title, "content": content, "created_at": created}
        elif kind == "group":
            agents = [self.agent_of_session[s] for s in row.get("sessionIds") or []
                      if isinstance(s, str) and s in self.agent_of_session]
            fields = {"description": content or None, "agent_ids": agents}
        elif kind == "passage":
            sids = [s for s in row.get("sessionIds") or [] if isinstance(s, str)]
            agent = next((self.agent_of_session[s] for s in sids if s in self.agent_of_session), None)
            fields = {"text": content, "title": title, "created_at": created,
                      "updated_at": row.get("updatedAt") if isinstance(row.get("updatedAt"), str) else None,
                      "tags": [c for c in concepts if not c.startswith(LETTA_CONCEPT)] or None,
                      "scope": Scope(agent_id=agent)}
        return build(cls, self.name, path, id=rid, provenance=self.prov(rid, "letta-concepts"), **fields)

    # -------------------------------------------------------------- observations

    def observation(self, bucket: str, j: int, row: Any) -> Base:
        path = jpath("observations", bucket, j)
        if not isinstance(row, dict):
            raise self.fail(path, f"expected an object, got {json_type(row)}")
        self.typecheck(observation_type(row), row, path)
        e = _embed(row)
        concepts = _concepts(row)
        agent = self.agent_of_session.get(bucket)
        if e is not None:
            native: dict[str, Any] = {}
            if e["kind"] == "message":
                role = _suffix(concepts, "letta:role:", allow_empty=True)
                native = {"role": role if role is not None else self._role_from_title(row), "agent_id": agent}
            rec = self.restore(row, path, native, small=False)
            if rec is not None:
                return rec
        elif "letta:message" in concepts:
            rid = self.row_id(row, path)
            text = row.get("narrative") if isinstance(row.get("narrative"), str) else ""
            ts = row.get("timestamp") if isinstance(row.get("timestamp"), str) and row.get("timestamp") else None
            return build(Message, self.name, path, id=rid, provenance=self.prov(rid, "letta-concepts"),
                         role=_suffix(concepts, "letta:role:") or self._role_from_title(row) or "user",
                         agent_id=agent, content=[{"type": "text", "text": text}] if text else [],
                         created_at=ts)
        rid = self.row_id(row, path)
        variant = "raw" if all(k in row for k in RAW_OBSERVATION_MARKERS) else None
        rec = self.native(Observation, row, OBSERVATION_KEYS, path, rid, variant=variant)
        if rec.session_id != bucket:
            # The row's own sessionId differs from its bucket key (AgentMemory stores by bucket key):
            # keep the row's value in extras, where the writer finds it.
            ext = rec.extras.setdefault(SYSTEM, {})
            if rec.session_id:
                ext["sessionId"] = rec.session_id
            rec.session_id = bucket
        return rec

    @staticmethod
    def _role_from_title(row: dict[str, Any]) -> str | None:
        t = row.get("title")
        if isinstance(t, str) and ":" in t:
            role = t.split(":", 1)[0]
            return role if role.isidentifier() else None
        return None

    # -------------------------------------------------------------- summaries, graph, raw

    def summary(self, i: int, row: Any) -> Base:
        path = f"summaries[{i}]"
        rid = self.row_id(row, path, "sessionId")
        self.typecheck("SessionSummary", row, path, "sessionId")
        if _embed(row) is not None:
            rec = self.restore(row, path, {}, small=False)
            if rec is not None:
                return rec
        return self.native(Summary, row, SUMMARY_KEYS, path, rid)

    def graph(self, coll: str, i: int, row: Any) -> Base:
        path = f"{coll}[{i}]"
        rid = self.row_id(row, path)
        self.typecheck(COLLECTION_TYPES[coll], row, path)
        if _embed(row) is not None:
            rec = self.restore(row, path, {}, small=False)
            if rec is not None:
                return rec
        if coll == "graphNodes":
            return self.native(Entity, row, GRAPH_NODE_KEYS, path, rid)
        return self.native(Relation, row, GRAPH_EDGE_KEYS, path, rid)

    def raw(self, coll: str, i: int, row: Any, seen: set[str]) -> Raw:
        key = NATURAL_KEYS.get(coll, "id")
        self.typecheck(COLLECTION_TYPES[coll], row, f"{coll}[{i}]", None)
        natural = row.get(key) if isinstance(row, dict) else None
        rid = f"{coll}:{natural}" if isinstance(natural, str) and natural else f"{coll}[{i}]"
        if rid in seen:
            rid = f"{coll}[{i}]"
        seen.add(rid)
        return Raw(id=rid, system=SYSTEM, collection=coll, data=row,
                   provenance=self.prov(natural if isinstance(natural, str) else None))

    # -------------------------------------------------------------- the stream

    def run(self) -> Iterator[Any]:
        self.scan()
        variant = self.check()
        yield self.header(variant)
        self.prepare()

        small: list[Base] = [self.session(i, s) for i, s in enumerate(self.top.sessions)]
        for i, row in self.top.early:
            if _embed(row) is None and letta_kind(row) == "system":
                continue
            self.consumed.add(i)
            small.append(self.memory(i, row))
        order = {k: n for n, k in enumerate(KIND_ORDER)}
        small.sort(key=lambda r: order[r.kind])
        yield from small

        if "memories" in self.top.nonempty:
            kept = self.top.memories
            for _, i, row in (((None, i, row) for i, row in kept.rows(self.report)) if kept is not None
                              else self.stream(("memories",))):
                if i in self.consumed:
                    continue
                yield self.memory(i, row)

        if "observations" in self.top.nonempty:
            with self._open() as fh:
                try:
                    for bucket, rows in self._buckets(fh):
                        context = self.context_of_session.get(bucket)
                        if not context:
                            for j, row in enumerate(rows):
                                yield self.observation(bucket, j, row)
                            continue
                        # An agent's bucket: in conversation order (time, then as listed; the rule
                        # the writer follows, timeutil.conversation_keys). What memconv wrote is
                        # already so; AgentMemory's own export lists a bucket in storage order.
                        pairs = [(self.observation(bucket, j, row), (_embed(row) or {}).get(SEQ_KEY))
                                 for j, row in enumerate(rows)]
                        recs = [r for r, _ in pairs]
                        keys = conversation_keys(r.created_at if r.kind == "message" else getattr(r, "timestamp", None)
                                                 for r in recs)
                        order = sorted(range(len(recs)), key=keys.__getitem__)
                        # messages memconv wrote go back to the source's order (shape.SEQ_KEY), in the
                        # places the messages hold in the time order
                        slots = [n for n in order if recs[n].kind == "message"]
                        if slots and all(type(pairs[n][1]) is int for n in slots):
                            by_seq = iter(sorted(slots, key=lambda n: pairs[n][1]))
                            order = [next(by_seq) if recs[n].kind == "message" else n for n in order]
                        yield from (recs[n] for n in order)
                except (ijson.JSONError, UnicodeDecodeError) as e:
                    raise self._json_error(e) from None

        for coll, i, row in self.stream(("summaries", "graphNodes", "graphEdges")):
            yield self.summary(i, row) if coll == "summaries" else self.graph(coll, i, row)

        seen: dict[str, set[str]] = {}
        for coll, i, row in self.stream(_RAW_COLLECTIONS):
            yield self.raw(coll, i, row, seen.setdefault(coll, set()))
        if self.collect is not None and self.notes > len(self.collect):
            self.collect.append(f"{self.name}: {self.notes - len(self.collect)} more records differ from "
                                f"AgentMemory's types.ts (not listed)")
        if self.quiet_notes:
            self.report.warn(f"{self.name}: {self.quiet_notes} more records or fields differ from "
                             f"AgentMemory's types.ts ({self.notes} in all; read as they are); "
                             f"'memconv validate {self.name}' lists every one", BAD_VALUE)


def type_problems(inp: Input) -> list[str]:
    """Every place where the records of an ``ExportData`` differ from AgentMemory's ``types.ts``
    (one line per record, each field with its JSON path), and every row read under a derived id:
    what a conversion warns about (the first :data:`MAX_NOTES`), for ``memconv validate``.

    Returns:
        Lines ``"<name>: <path>: <what>"``; empty when the records fit, or when the document
        cannot be read (the reader's own error says why; ``validate`` lists it already).
    """
    found: list[str] = []
    try:
        for _ in _Reader(inp, Report(), collect=found).run():
            pass
    except MemconvError:
        pass
    return found


def read_export(inp: Input, report: Report) -> Iterator[Any]:
    """Yield the canonical stream of one AgentMemory ``ExportData`` document.

    Yields:
        A :class:`~memconv.model.Header`, then agents, groups, blocks, tools, sources, files, MCP
        servers, skills and sessions, then memories and passages, then messages and observations
        (bucket by bucket), then summaries, entities and relations, then raw records.

    Raises:
        InputInvalid: invalid JSON, not an object, the oversized-error object, a required key missing
            or not of the type AgentMemory's importer checks, a record that is not an object (the
            message names the JSON path). A record without a usable id, or with values that do not
            fit ``types.ts``, is read with a warning instead.
        UnsupportedVersion: ``version`` is not one of the 57 strings AgentMemory 0.9.29 imports.
    """
    yield from _Reader(inp, report).run()
