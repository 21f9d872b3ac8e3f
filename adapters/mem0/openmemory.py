"""OpenMemory backups: its export zip (``memories.json``, ``memories.jsonl.gz``) and rows, read as mem0
memories with their state and status history (OpenMemory export format 1).
"""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import PurePosixPath
from typing import Any, Iterator

from memconv.archive import DEFAULT_CAPS, read_zip
from memconv.errors import InputInvalid, InputUnreadable, LimitExceeded
from memconv.fields import build, split
from memconv.io import Input
from memconv.jsonutil import json_type, json_type_at, loads
from memconv.model import Header, HistoryEvent, Memory
from memconv.report import Report

from .records import Ctx, list_of, place_of, take_id
from .shape import OPENMEMORY, OPENMEMORY_KEYS, SYSTEM


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
        raise ctx.fail(path, f"expected an OpenMemory memory (an object), got {json_type(obj)}")
    if not isinstance(obj.get("content"), str):
        raise ctx.fail(place_of(path, "content"), f"expected the memory text (a string), got {json_type_at(obj, 'content')}")
    fields, extras = split(obj, OPENMEMORY_KEYS)
    extras.pop("$absent", None)
    rid = take_id(ctx, obj, path, extras)
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
        raise ctx.fail(path, f"expected a status-history row (an object), got {json_type(h)}")
    mid = h.get("memory_id")
    if not isinstance(mid, str) or not mid:
        raise ctx.fail(place_of(path, "memory_id"), "expected the id of the memory it changes (a string)")
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
    apps = {a["id"]: a.get("name") for a in list_of(doc.get("apps")) if isinstance(a, dict) and isinstance(a.get("id"), str)}
    cats = {c["id"]: c.get("name") for c in list_of(doc.get("categories"))
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
        raise ctx.fail("status_history", f"expected a list, got {json_type(history)}")
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
    from .reader import read_jsonl_lines  # here: the reader imports this module (its JSON-L lines hold OpenMemory rows too)
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
