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

import itertools
from typing import Any, Iterable, Iterator

from memconv.errors import InputInvalid, InputUnreadable
from memconv.fields import build
from memconv.io import Input, read_all
from memconv.jsonstream import MISSING, first_value, head_values, list_items, stream_items, stream_value, then_raise
from memconv.jsonutil import (BOM, dumps, ijson_backend, json_lines, json_type, loads, open_skip_bom,
                              scan_numbers, top_keys_twice)
from memconv.model import SMALL_KINDS, Base, Header, Memory
from memconv.report import Report
from memconv.spool import Handles, Spool
from memconv.logmessages import (COUNT_MISMATCH, DUPLICATE_KEY, INCOMPLETE_INPUT, KEY_DROPPED, KEY_MOVED,
                                 RECORD_DROPPED)

from .mapping import EMBED_KEY
from .openmemory import openmemory_record, read_openmemory
from .records import (CommonScope, Ctx, Embedded, entity_record, event_record, item_record, kept_record, line_kind,
                      place_of, relation_parts, relation_record, relation_records)
from .shape import (CLI_KEYS, CLI_MEMORY_COMMANDS, ITEM_OPTIONAL, MIGRATION_KIND, OPENMEMORY_MARKERS, PAGE_KEYS,
                    SYSTEM, TOP_K_DEFAULTS)

SMALL_BYTES = 8 * 1024 * 1024
"""Documents up to this many bytes are parsed whole; larger (and gzipped) ones are streamed."""

RESULTS_LISTS = ("results", "relations", "history", EMBED_KEY)
"""The top-level lists of a ``{"results": [...]}`` document: mem0's items, its graph relations, and the
``history`` and ``memconv`` lists memconv's writer adds."""

LISTED_DOCUMENT = (RESULTS_LISTS[0], RESULTS_LISTS[1:])
"""``{"results": [...]}`` as one list when none of the other lists is there
(:attr:`memconv.format.Format.listed_document`: read in pieces, and cut by ``--jobs``)."""

HEAD_BYTES = 256 * 1024
"""How much of a streamed document is parsed up front for its top-level keys and first item."""


# ---------------------------------------------------------------- documents


def read_results(ctx: Ctx, top: dict[str, Any], items: Iterable[tuple[int, Any]], has_relations: bool,
                 relations: Any, first: Any, history: Iterable[tuple[int, Any]] = (),
                 kept: Iterable[tuple[int, Any]] = (), path: str = "results", page: bool | None = None) -> Iterator[Any]:
    """A ``{"results": [...]}`` document: OSS ``get_all``/``search`` or a Platform page (``path``: the
    items' list in messages, ``data`` for the CLI's output, :func:`read_cli`; ``page``: whether it is a
    Platform page, when the top-level keys do not say).

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
    page = any(k in top for k in PAGE_KEYS) if page is None else page
    dest = has_relations and isinstance(relations, list) and any(
        isinstance(r, dict) and "destination" in r and "target" not in r for r in relations)
    search = (isinstance(first, dict) and "score" in first) or dest
    variant = "platform_page" if page else ("search" if search else "get_all")
    hx = {k: v for k, v in top.items() if k not in RESULTS_LISTS}
    if has_relations:
        hx["$relations"] = True
    kept, source = kept_header(kept, ctx)
    yield mem0_header(variant, source, hx)
    spool = Spool()
    try:
        later, last = Handles(), Handles()
        for i, obj in kept:
            kind = obj.get("kind") if isinstance(obj, dict) and isinstance(obj.get("kind"), str) else None
            if kind in SMALL_KINDS:
                yield kept_record(obj, ctx, f"{EMBED_KEY}[{i}]")
            else:  # checked when it is read back from the spool, once
                (last if kind == "raw" else later).append(spool.add(dumps([i, obj])))

        def spooled(handles: Handles) -> Iterator[Base]:
            for blob in spool.all(handles):
                i, obj = loads(blob, ctx.name, undo_double=False)
                yield kept_record(obj, ctx, f"{EMBED_KEY}[{i}]")

        common = CommonScope()
        embedded = Embedded(ctx)
        n = 0
        for i, obj in items:
            rec = embedded.record(obj, f"{path}[{i}]", variant)
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
                            f"page as an input to convert them all", INCOMPLETE_INPUT)
    elif variant == "get_all":
        _warn_top_k(ctx, n)


def _warn_top_k(ctx: Ctx, n: int) -> None:
    if n in TOP_K_DEFAULTS:
        ctx.report.warn(f"{ctx.name}: exactly {n} memories, mem0's default get_all cap (top_k=20 in 2.x, "
                        f"limit=100 before); if there are more, export again with a larger top_k", INCOMPLETE_INPUT)


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
        ctx.report.warn(f"{ctx.name}: record_count says {count} but the file has {n} records", COUNT_MISMATCH)


def read_parsed(doc: Any, ctx: Ctx) -> Iterator[Any]:
    """Dispatch a whole parsed JSON document to the reader of its shape.

    Raises:
        InputInvalid: not a mem0 shape (the message says what was expected).
    """
    if isinstance(doc, dict):
        if doc.get("kind") == MIGRATION_KIND:
            records = doc.get("records")
            if not isinstance(records, list):
                raise ctx.fail("records", f"expected a list of records, got {json_type(records)}")
            yield from read_migration(ctx, {k: v for k, v in doc.items() if k != "records"}, enumerate(records))
        elif "results" in doc:
            results = doc["results"]
            if not isinstance(results, list):
                raise ctx.fail("results", f"expected a list of memory items, got {json_type(results)}")
            history, kept = doc.get("history"), doc.get(EMBED_KEY)
            if history is not None and not isinstance(history, list):
                raise ctx.fail("history", f"expected a list of history rows, got {json_type(history)}")
            if kept is not None and not isinstance(kept, list):
                raise ctx.fail(EMBED_KEY, f"expected memconv's list of canonical records, got {json_type(kept)}")
            top = {k: v for k, v in doc.items() if k not in RESULTS_LISTS}
            yield from read_results(ctx, top, enumerate(results), "relations" in doc, doc.get("relations"),
                                    results[0] if results else None, enumerate(history or []),
                                    enumerate(kept or []))
        elif isinstance(doc.get("memories"), list) and any(k in doc for k in OPENMEMORY_MARKERS):
            yield from read_openmemory(doc, ctx)
        elif "rows" in doc and "schema" in doc:
            if not isinstance(doc["rows"], list):
                raise ctx.fail("rows", f"expected a list of history rows, got {json_type(doc['rows'])}")
            yield from read_history_table(ctx, doc, enumerate(doc["rows"]))
        elif "id" in doc and "memory" in doc:
            yield Header(source_system=SYSTEM, source_variant="get")
            yield Embedded(ctx).record(doc, "$", "get")
        elif all(k in doc for k in CLI_KEYS):
            yield from read_cli(doc, ctx)
        else:
            raise ctx.fail("", 'not a mem0 document: expected "results" (get_all, search, Platform page), '
                               'a memory item ("id", "memory"), an OpenMemory export ("memories", "export_meta"), '
                               f'"kind": "{MIGRATION_KIND}" or the mem0 CLI\'s JSON ("status", "command", "data")')
    elif isinstance(doc, list):
        yield from read_list(ctx, enumerate(doc), doc[0] if doc else None)
    else:
        raise ctx.fail("", f"not a mem0 document: expected a JSON object or list, got {json_type(doc)}")



def read_cli(doc: dict[str, Any], ctx: Ctx) -> Iterator[Any]:
    """The JSON envelope the mem0 CLI prints (``mem0 list|search|get|add --agent``, ``mem0 list --output json``; mem0ai/mem0
    ``cli/node/src/output.ts``): ``{"status", "command", "duration_ms"?, "scope"?, "count"?, "data"}``. Its
    ``data`` is read as a ``get_all`` (``search`` when the items carry ``score``) of those items; the
    envelope's other keys (``status``, ``command``, ``duration_ms``, ``count``) say how the command ran and
    are not kept (a warning names them); an add the Platform queued (``{"status": "PENDING", "event_id"}``)
    holds no memory yet and is skipped with a warning. The CLI leaves the scope out of each item (``--agent`` keeps ``id``, ``memory``,
    ``created_at``, ``categories``): the envelope's ``scope`` (``user_id``, ``agent_id``, ``app_id``,
    ``run_id``) is given to each item that has no value of its own for a key, with a warning.

    Raises:
        InputInvalid: an error envelope (``status`` other than success), or a command whose ``data`` holds
            no memories (``entity list``, ``event list``, ``delete``...), or ``data`` of another shape.
    """
    command, status = doc.get("command"), doc.get("status")
    if status != "success":
        raise ctx.fail("status", f"the mem0 CLI reported {status!r} for {command!r}"
                                 f"{': ' + str(doc['error']) if doc.get('error') else ''}; no memories to read")
    data = doc.get("data")
    if command not in CLI_MEMORY_COMMANDS:
        raise ctx.fail("command", f"mem0 CLI output of {command!r} holds no memories (expected the output of "
                                  f"{', '.join(CLI_MEMORY_COMMANDS)})")
    items = [data] if command == "get" and isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ctx.fail("data", f"expected a list of memory items, got {json_type(data)}")
    queued = [i for i, it in enumerate(items) if isinstance(it, dict) and it.get("status") == "PENDING"
              and "memory" not in it]
    if queued:  # `mem0 add --agent` on the Platform: the add runs later, and says so by its event id
        ctx.report.warn(f"{ctx.name}: data[{queued[0]}]{' and ' + str(len(queued) - 1) + ' more' if len(queued) > 1 else ''}: "
                        f"an add the Platform queued (status PENDING, event_id "
                        f"{items[queued[0]].get('event_id')!r}): no memory yet; nothing to read there "
                        f"(`mem0 event status <event_id>` tells what it added)", RECORD_DROPPED)
    skip = set(queued)
    pairs = [(i, it) for i, it in enumerate(items) if i not in skip]  # each item keeps its place, data[i]
    scope = doc.get("scope") if isinstance(doc.get("scope"), dict) else {}
    scope = {k: v for k, v in scope.items() if k in ITEM_OPTIONAL and isinstance(v, str) and v}
    given = 0
    if scope:
        for n, (i, item) in enumerate(pairs):
            if isinstance(item, dict) and any(item.get(k) is None for k in scope):
                pairs[n] = (i, {**item, **{k: v for k, v in scope.items() if item.get(k) is None}})
                given += 1
    if given:
        ctx.report.warn(f"{ctx.name}: scope: {', '.join(f'{k}={v}' for k, v in scope.items())}: the mem0 CLI names "
                        f"the scope once, not on each item; given to the {given} item(s) without their own",
                        KEY_MOVED)
    envelope = [k for k in doc if k not in ("data", "scope")]
    ctx.report.warn(f"{ctx.name}: the mem0 CLI's envelope ({', '.join(envelope)}) says how the command ran, not "
                    f"what a memory holds; not kept", KEY_DROPPED)
    yield from read_results(ctx, {}, pairs, False, None, pairs[0][1] if pairs else None, path="data", page=False)


def read_streamed(inp: Input, ctx: Ctx, shape: str) -> Iterator[Any]:
    """Read a large document with ijson, one element at a time (``shape`` from :func:`sniff`).

    The top-level keys before the big list (Platform ``count``/``next``, the migration file's
    ``version``/``source``) come from the first :data:`HEAD_BYTES`; ``relations``, memconv's ``history``
    and ``memconv`` lists each from a pass of their own, run only when the quoted key occurs in the bytes
    (:func:`memconv.jsonutil.top_keys_twice` counts them in the byte scan it makes anyway).
    """
    head = inp.peek(HEAD_BYTES).lstrip(BOM + b" \t\r\n")
    with open_skip_bom(inp) as fh:
        # integers beyond 64 bits: ijson's C backend refuses them, the Python one keeps them exact
        ij = ijson_backend(scan_numbers(fh, inp.name))
    types: dict[str, str] = {}
    twice: list[str] = []
    times: dict[str, int] = {}
    found: dict[str, int] = {}  # byte counts of the quoted names: a streamed pass only where one may be

    def top_dups() -> None:
        names = {"results": RESULTS_LISTS, "migration": ("records",),
                 "history_table": ("rows",)}.get(shape, ())
        if names:  # a big list given twice, anywhere in the file: its last value is read
            times.update(top_keys_twice(lambda: open_skip_bom(inp), names, ij, found))
            twice.extend(k for k in times if k not in twice)
        if twice:
            ctx.report.warn(f"{ctx.name}: $: duplicate key(s) {', '.join(repr(k) for k in twice[:5])} in one "
                            f"object; the last value of each was used", DUPLICATE_KEY)

    def check_list(key: str) -> None:
        if key in types and types[key] != "start_array":
            raise ctx.fail(key, f"expected a list, got {types[key].replace('start_map', 'an object')}")

    if shape == "results":
        top = head_values(head, RESULTS_LISTS, ij, types, twice)
        # a document that is the list alone ({"results": [...]}, as Memory.get_all() gives it: "results"
        # once, no other list) is read in pieces with orjson; anything else item by item with ijson
        pieces = None if twice else list_items(inp, *LISTED_DOCUMENT, "results", ij, ctx.report)
        if pieces is None:
            top_dups()
        check_list("results")
        # every pass parses the whole document (bad JSON anywhere fails the first), so a pass over a key
        # whose quoted name occurs nowhere in the bytes is skipped: it could only find nothing
        items = pieces or stream_items(inp, "results.item", "results", ij, ctx.report, times.get("results", 1))
        rels: Any = MISSING
        if found.get("relations"):
            try:
                rels = stream_value(inp, "relations", ij, ctx.report, times.get("relations", 1))
            except (InputInvalid, InputUnreadable) as e:
                # bad JSON somewhere: the items pass names the record when it is inside "results"
                rels, items = MISSING, then_raise(items, e)
        kept = stream_items(inp, f"{EMBED_KEY}.item", EMBED_KEY, ij, ctx.report,
                            times.get(EMBED_KEY, 1)) if found.get(EMBED_KEY) else ()
        history = stream_items(inp, "history.item", "history", ij, ctx.report,
                               times.get("history", 1)) if found.get("history") else ()
        yield from read_results(ctx, top, items, rels is not MISSING, None if rels is MISSING else rels,
                                first_value(head, "results.item"), history, kept)
    elif shape == "list":
        items = list_items(inp, None, (), "", ij, ctx.report) or stream_items(inp, "item", "", ij, ctx.report)
        yield from read_list(ctx, items, first_value(head, "item"))
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


def source_header(obj: Any, name: str, path: str) -> Header | None:
    """The source's header when ``obj`` (an entry of the ``memconv`` list, or a JSON-L line's
    ``memconv`` value) is the one memconv's writer put first (:meth:`.writer._Writer.header_blob`: the
    export time and other systems' header fields), else None.

    Raises:
        InputInvalid: a header entry that does not validate (named).
    """
    if isinstance(obj, dict) and obj.get("kind") == "header":
        return build(Header, name, path, **{k: v for k, v in obj.items() if k != "kind"})
    return None


def mem0_header(variant: str, source: Header | None, hx: dict[str, Any] | None = None) -> Header:
    """The header of a mem0 input of ``variant``: ``hx`` (its own top-level keys) as mem0's extras, the
    export time and other systems' fields from the ``source`` header memconv kept, if any."""
    return Header(source_system=SYSTEM, source_variant=variant, exported_at=source.exported_at if source else None,
                  extras={**(source.extras if source else {}), **({SYSTEM: hx} if hx else {})})


def kept_header(kept: Iterable[tuple[int, Any]], ctx: Ctx) -> tuple[Iterable[tuple[int, Any]], Header | None]:
    """The source's header memconv's writer put first in the ``memconv`` list (:func:`source_header`), and
    the rest of the list.

    Raises:
        InputInvalid: a header entry that does not validate (named).
    """
    it = iter(kept)
    first = next(it, None)
    if first is None:
        return (), None
    i, obj = first
    source = source_header(obj, ctx.name, f"{EMBED_KEY}[{i}]")
    return (it, source) if source is not None else (itertools.chain((first,), it), None)


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
    source: Header | None = None
    for lineno, raw, obj in json_lines(fh, name, report):
        where = f"line {lineno}"
        kind = line_kind(obj)
        if not sent and source is None and kind == "memconv":  # the source's header leads (writer.header_blob)
            source = source_header(obj[EMBED_KEY], name, place_of(where, EMBED_KEY))
            if source is not None:
                continue
        if kind is None:
            raise ctx.fail(where, 'expected a mem0 memory item ("id", "memory"), a history row ("memory_id", '
                                  '"event"), a relation ("source", "relationship", "target"), an OpenMemory '
                                  'record ("id", "content", "state") or a record memconv kept ({"memconv": ...})')
        if not sent:
            sent = True
            hv = {"history": "history_jsonl", "openmemory": "openmemory_jsonl"}.get(kind, "jsonl")
            yield mem0_header("openmemory" if variant == "openmemory" else hv, source)
        if kind == "item":
            rec = embedded.record(obj, where, "jsonl")
            if rec is not None:
                yield rec
        elif kind == "memconv":
            yield kept_record(obj[EMBED_KEY], ctx, place_of(where, EMBED_KEY))
        elif kind == "history":
            yield embedded.row(event_record(obj, ctx, where, "jsonl"), obj, where)
        elif kind == "openmemory":
            yield openmemory_record(obj, ctx, where)
        else:
            s, _, t, _ = relation_parts(obj, ctx, where)
            plain = relation_record(obj, ctx, where, "jsonl", {})
            rec = embedded.row(plain, obj, where)
            for n in (s, t) if rec is plain else ():
                if n not in names:
                    names.add(n)
                    yield entity_record(n, ctx, where, "jsonl", {})
            yield rec
    if not sent:
        yield mem0_header("jsonl", source)


def read_jsonl(inp: Input, report: Report) -> Iterator[Any]:
    """A JSON-L input, line by line (gzip undone by :class:`~memconv.io.Input`)."""
    with inp.open() as fh:
        yield from read_jsonl_lines(fh, inp.name, report)
