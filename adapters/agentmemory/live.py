"""A running AgentMemory server: pull its ``ExportData``, push into it, list what it holds.

REST contract of AgentMemory 0.9.29 (``shared/formats/agentmemory.md`` sections 2 and 4.1):

* auth: ``Authorization: Bearer <AGENTMEMORY_SECRET>`` when the server has a secret (401 otherwise);
* ``GET /agentmemory/export?maxSessions=N&offset=K``: sessions are paged (``maxSessions`` is capped at
  1000); ``pagination: {offset, limit, total, hasMore}`` comes with a paged answer. Observations and
  profiles come with their sessions' page; memories, summaries and the 16 other collections are not
  paged and come in full with every page. An answer over ~15 MiB is replaced by
  ``{"success": false, "oversized": true, ...}`` (HTTP 200);
* ``POST /agentmemory/import`` with ``{"exportData": ..., "strategy": "merge"|"replace"|"skip"}``: HTTP
  200 with ``{"success": false, "error": ...}`` is a refusal; a body over the engine's 16 MiB frame is
  refused, so memconv keeps each under ~15 MiB.

**Pull.** Pages of sessions are asked for until ``pagination.hasMore`` is false, starting at 1000
sessions a page; an oversized answer halves the page and asks again (the first time below the store's
session count, read from ``GET /agentmemory/sessions``). Sessions, their observations and profiles are
gathered from every page; the unpaged collections are taken from the first answer only. The result is
one ``ExportData`` document without ``pagination``, read by the AgentMemory reader.

When no page fits (still oversized at one session a page, at 8 or fewer, or three halved pages in a row
about as big: the unpaged collections are the bulk), or the export answer is dropped (the engine's 16 MiB
frame: agentmemory issues #1142 and #1228), the store is read collection by collection through the GET
routes of 0.9.29 (``src/triggers/api.ts``), see :func:`export_by_collection`: ``/agentmemory/sessions``,
``/agentmemory/observations?sessionId=``, ``/agentmemory/memories?limit=&offset=`` (paged), the rest from
an export page past the last session when it fits, else from ``/agentmemory/semantic``, ``/procedural``,
``/routines``, ``/checkpoints``, ``/sentinels``, ``/sketches``, ``/crystals``; the report names the
routes used and warns of the collections no route lists whole.

**Push.** The stream is written by the AgentMemory writer in parts (its ``--split`` machinery: each
part within every import cap and ~15 MiB, self-contained), and each part is one import. Before
anything is sent, the destination's keys are read (a paged export) and the plan is computed with
AgentMemory's own strategy semantics (:func:`memconv.strategies.merge_keyed` on the importer's keys),
so ``--dry-run`` and the real run count alike. Without ``--strategy`` a key that exists already stops
the push (exit 8) and the parts are imported with ``skip``; ``replace`` sends the first part with
``replace`` (the server wipes its store) and the rest with ``merge``. Imports are safe to repeat
(records are written by key), so a lost connection is retried. A failure after some parts were
imported raises :class:`~memconv.errors.PartialWrite` (exit 10) naming the parts and counts written;
``--strategy skip`` (or ``merge``) on the same command then imports the rest without duplicates.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Iterable, Iterator

import orjson

from memconv.errors import DestinationExists, MemconvError, RemoteError
from memconv.format import ReadOptions, WriteOptions
from memconv.io import Input
from memconv.remote import RemoteURL, WriteLog, check_loss, note, resolve_token, staging_options
from memconv.strategies import Plan, merge_keyed
from memconv.transport import HTTPError, Transport
from memconv.logmessages import INCOMPLETE_INPUT

from .shape import OPTIONAL_COLLECTIONS

MAX_PAGE = 1000
"""AgentMemory caps ``maxSessions`` at 1000."""
FALLBACK_BELOW = 8
"""A first page of this few sessions still oversized, or three halved pages in a row about as big (within
10 %): the unpaged collections are the bulk, so halving further cannot help; read collection by
collection at once (:func:`export_by_collection`)."""
MEMORY_PAGE = 5000
"""``GET /agentmemory/memories`` caps ``limit`` at 5000."""
LIST_ROUTES = {"semanticMemories": ("/agentmemory/semantic", "semantic", {}, ()),
               "proceduralMemories": ("/agentmemory/procedural", "procedural", {}, ()),
               "routines": ("/agentmemory/routines", "routines", {}, ()),
               "checkpoints": ("/agentmemory/checkpoints", "checkpoints", {}, ()),
               "sentinels": ("/agentmemory/sentinels", "sentinels", {}, ()),
               "sketches": ("/agentmemory/sketches", "sketches", {}, ("actionCount",)),
               "crystals": ("/agentmemory/crystals", "crystals", {"limit": 1_000_000_000}, ())}
"""Collections that AgentMemory 0.9.29 lists whole, unfiltered and without side effects on a GET
route: collection -> (route, answer key, query, fields the route adds to each record)."""
NO_FAITHFUL_ROUTE = ("profiles", "graphNodes", "graphEdges", "actions", "actionEdges", "facets", "lessons",
                     "insights", "signals", "accessLogs")
"""Collections no 0.9.29 GET route lists whole: ``/actions`` stops at 50, ``/lessons`` and ``/insights``
leave out deleted records, ``/signals`` marks what it reads as read, ``/profile`` recomputes a stale
profile, ``/facets`` answers one target's dimensions; graph nodes and edges, action edges and access logs
have no list route."""
KEY_FIELD = {"summaries": "sessionId", "profiles": "project", "accessLogs": "memoryId"}


def _transport(url: RemoteURL, options: Any, direction: str) -> Transport:
    return Transport(url.base_url, resolve_token(url, options.extra.get("token")), auth_scheme="Bearer",
                     label=url.display, token_hint=f"AGENTMEMORY_SECRET or --{direction}-token")


def export_all(t: Transport, url: RemoteURL, options: Any, page: int = MAX_PAGE) -> dict[str, Any]:
    """Every page of ``GET /agentmemory/export``, gathered into one ``ExportData`` (no ``pagination``).

    Raises:
        RemoteError: the server refuses, answers ``success: false``, or is oversized at one session a page.
    """
    size = max(1, min(int(page), MAX_PAGE))
    offset = 0
    doc: dict[str, Any] | None = None
    seen_sessions: set[Any] = set()
    projects: set[Any] = set()
    pages = 0
    sizes: list[int] = []  # bytes of the oversized answers, page after halved page
    total: int | None = None  # sessions in the store, asked for on the first oversized answer
    while True:
        try:
            ans = t.json("GET", "/agentmemory/export", params={"maxSessions": size, "offset": offset})
        except HTTPError as e:
            if e.status != 0 or doc is not None:
                raise
            # no answer at all: the engine drops an answer over its 16 MiB frame (agentmemory #1142, #1228)
            note(options, f"agentmemory: the export was dropped ({e.message}); reading collection by collection")
            return export_by_collection(t, url, options)
        if not isinstance(ans, dict):
            raise RemoteError(f"{url.display}: GET /agentmemory/export did not answer an object")
        if ans.get("success") is False:
            if ans.get("oversized"):
                sizes.append(ans.get("bytes") if isinstance(ans.get("bytes"), int) else 0)
                flat = len(sizes) >= 3 and min(sizes[-3:]) > 0.9 * max(sizes[-3:])
                if size == 1 or doc is None and (size <= FALLBACK_BELOW or flat):
                    note(options, f"agentmemory: the export is over its frame limit at {size} session(s) a page "
                                  f"({ans.get('bytes')} bytes); reading collection by collection")
                    return export_by_collection(t, url, options)
                if total is None:  # halving a page larger than the store changes nothing: start below it
                    total = len(_listed(t, url, "/agentmemory/sessions", "sessions", {"agentId": "*"}))
                    size = min(size, max(total - offset, 1))
                size = max(1, size // 2)
                note(options, f"agentmemory: answer over the frame limit; asking for {size} session(s) a page")
                continue
            raise RemoteError(f"{url.display}: the export failed: {ans.get('error') or ans}")
        for key in ("sessions", "observations", "memories", "summaries"):
            if key not in ans:
                raise RemoteError(f"{url.display}: the export answer has no {key!r}: not AgentMemory ExportData")
        pages += 1
        sessions = ans.get("sessions") or []
        if doc is None:
            doc = {k: v for k, v in ans.items() if k != "pagination"}
            doc["sessions"] = []
            doc["observations"] = {}
            doc.pop("profiles", None)
        for s in sessions:
            sid = s.get("id") if isinstance(s, dict) else None
            if sid in seen_sessions:
                continue
            seen_sessions.add(sid)
            doc["sessions"].append(s)
        for bucket, rows in (ans.get("observations") or {}).items():
            doc["observations"].setdefault(bucket, [])
            known = {o.get("id") for o in doc["observations"][bucket] if isinstance(o, dict)}
            doc["observations"][bucket] += [o for o in rows if not (isinstance(o, dict) and o.get("id") in known)]
        for p in ans.get("profiles") or []:
            key = p.get("project") if isinstance(p, dict) else orjson.dumps(p)
            if key not in projects:
                projects.add(key)
                doc.setdefault("profiles", []).append(p)
        pag = ans.get("pagination")
        if not isinstance(pag, dict):  # a server that does not page: everything came at once
            break
        note(options, f"agentmemory: page {pages}: {len(doc['sessions'])} of {pag.get('total')} session(s)")
        if not pag.get("hasMore"):
            break
        step = pag.get("limit") if isinstance(pag.get("limit"), int) and pag["limit"] > 0 else size
        if not sessions:
            raise RemoteError(f"{url.display}: the export says hasMore at offset {offset} but sent no session")
        offset += step
    assert doc is not None
    return doc


def _listed(t: Transport, url: RemoteURL, path: str, key: str, params: dict[str, Any] | None = None) -> list[Any]:
    ans = t.json("GET", path, params=params)
    rows = ans.get(key) if isinstance(ans, dict) else None
    if not isinstance(rows, list):
        raise RemoteError(f"{url.display}: GET {path} did not answer {{{key!r}: [...]}} "
                          f"({'error: ' + str(ans.get('error')) if isinstance(ans, dict) and ans.get('error') else 'not a list'})")
    return rows


def export_by_collection(t: Transport, url: RemoteURL, options: Any) -> dict[str, Any]:
    """The store as one ``ExportData`` (no ``pagination``), read through AgentMemory 0.9.29's per-collection
    GET routes, for a store whose export answer is over the engine's 16 MiB frame (agentmemory issues #1142,
    #1228; src/triggers/api.ts of 0.9.29):

    * ``/agentmemory/sessions?agentId=*`` (every session; its summary, when it has one, rides along as
      ``summary``, an object, over the session's own ``summary`` text: taken out into ``summaries``, with
      a warning that the text of those sessions cannot be read; a string ``summary`` is the session's own);
    * ``/agentmemory/observations?sessionId=ID&agentId=*`` for each session;
    * ``/agentmemory/memories?agentId=*&limit=N&offset=K`` (paged: 5000 a page, the route's cap, halved
      while the engine drops the answer);
    * the other collections from ``/agentmemory/export?maxSessions=1&offset=<past the last session>``
      (no session, no observation: only the unpaged collections) when that answer fits; else, from the
      routes of :data:`LIST_ROUTES`; the collections of :data:`NO_FAITHFUL_ROUTE` then cannot be read,
      and the report warns so (and says that profiles, which come only with an export page of their
      sessions, are not read either way).

    Raises:
        RemoteError: a route fails or answers something else than its list.
    """
    report = options.report
    scope = {"agentId": "*"}
    sessions = _listed(t, url, "/agentmemory/sessions", "sessions", scope)
    summaries: list[Any] = []
    shadowed = 0
    for s in sessions:
        # the route puts a session's SessionSummary (an object) over the session's own summary text (a
        # string, set by session/start's title): only an object is a summary to take out
        if isinstance(s, dict) and isinstance(s.get("summary"), dict):
            summaries.append(s.pop("summary"))
            shadowed += 1
    if shadowed:
        report.warn(f"{url.display}: GET /agentmemory/sessions answers {shadowed} session(s) with their "
                    f"SessionSummary in place of their own summary text (AgentMemory 0.9.29 api::sessions), and "
                    f"the store's export is too large to read them whole: the summary text of those sessions, "
                    f"where they had one, is not read", INCOMPLETE_INPUT)
    note(options, f"agentmemory: {len(sessions)} session(s); reading their observations")
    observations: dict[str, list[Any]] = {}
    for s in sessions:
        sid = s.get("id") if isinstance(s, dict) else None
        if isinstance(sid, str) and sid:
            rows = _listed(t, url, "/agentmemory/observations", "observations", {"sessionId": sid, **scope})
            if rows:
                observations[sid] = rows
    memories: list[Any] = []
    limit = MEMORY_PAGE
    while True:
        retries, t.retries = t.retries, 0  # a dropped page is retried smaller, not the same again
        try:
            ans = t.json("GET", "/agentmemory/memories", params={"limit": limit, "offset": len(memories), **scope})
        except HTTPError as e:
            if e.status != 0 or limit == 1:
                raise
            limit = max(1, limit // 2)  # the answer was dropped: over the engine's 16 MiB frame
            note(options, f"agentmemory: memories page dropped; asking for {limit} a page")
            continue
        finally:
            t.retries = retries
        rows = ans.get("memories") if isinstance(ans, dict) else None
        if not isinstance(rows, list):
            raise RemoteError(f"{url.display}: GET /agentmemory/memories did not answer {{'memories': [...]}}")
        memories += rows
        total = ans.get("total") if isinstance(ans.get("total"), int) else len(memories)
        if not rows or len(memories) >= total:
            break
    note(options, f"agentmemory: {len(memories)} memories")
    doc: dict[str, Any] = {"version": None, "exportedAt": None, "sessions": sessions, "observations": observations,
                           "memories": memories, "summaries": summaries}
    routes = ["GET /agentmemory/sessions", "GET /agentmemory/observations", "GET /agentmemory/memories"]
    try:
        rest = t.json("GET", "/agentmemory/export", params={"maxSessions": 1, "offset": max(len(sessions), 0)})
    except HTTPError as e:
        if e.status != 0:
            raise
        rest = None
    if isinstance(rest, dict) and rest.get("success") is not False and isinstance(rest.get("memories"), list):
        doc["version"], doc["exportedAt"] = rest.get("version"), rest.get("exportedAt")
        if isinstance(rest.get("summaries"), list):
            doc["summaries"] = rest["summaries"]
        for coll in OPTIONAL_COLLECTIONS:
            if coll != "profiles" and isinstance(rest.get(coll), list):
                doc[coll] = rest[coll]
        routes.append("GET /agentmemory/export (past the last session: the unpaged collections)")
        missing = ["profiles"]
    else:
        for coll, (path, key, params, added) in LIST_ROUTES.items():
            rows = _listed(t, url, path, key, params)
            if rows:
                doc[coll] = [{k: v for k, v in r.items() if k not in added} if isinstance(r, dict) else r
                             for r in rows]
            routes.append(f"GET {path}")
        missing = list(NO_FAITHFUL_ROUTE)
    if doc["version"] is None:
        from .shape import DEFAULT_VERSION

        doc["version"] = DEFAULT_VERSION
        doc["exportedAt"] = _now_iso()
    report.warn(f"{url.display}: AgentMemory's export is over its 16 MiB frame limit; read through "
                f"{', '.join(routes)}. Not read (no 0.9.29 route lists them whole): {', '.join(missing)}",
                INCOMPLETE_INPUT)
    report.info["agentmemory_routes"] = routes
    report.info["agentmemory_unread"] = missing
    return doc


def _now_iso() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# ---------------------------------------------------------------- pull


def pull(url: RemoteURL, options: ReadOptions) -> Iterator[Any]:
    """Yield the canonical stream of the whole store at ``url`` (see the module docstring).

    Raises:
        RemoteError: unreachable, 401, ``success: false``, oversized at one session a page.
    """
    from .reader import read_export

    with _transport(url, options, "source") as t:
        doc = export_all(t, url, options, options.extra.get("page_sessions") or MAX_PAGE)
    with tempfile.TemporaryDirectory(prefix="memconv-agentmemory-pull-") as d:
        path = os.path.join(d, "export.json")
        with open(path, "wb") as fh:
            fh.write(orjson.dumps(doc))
        del doc
        inp = Input(path)
        inp.name = url.display
        yield from read_export(inp, options.report)


# ---------------------------------------------------------------- keys


def _key(coll: str):
    field = KEY_FIELD.get(coll, "id")
    return lambda r: r.get(field) if isinstance(r, dict) else orjson.dumps(r)


def keys_of(doc: dict[str, Any]) -> dict[str, list[Any]]:
    """Per collection, the keys AgentMemory's importer writes by (observations: (bucket, id))."""
    out: dict[str, list[Any]] = {"sessions": [_key("sessions")(s) for s in doc.get("sessions") or []]}
    out["observations"] = [(b, o.get("id") if isinstance(o, dict) else None)
                           for b, rows in (doc.get("observations") or {}).items() if isinstance(rows, list)
                           for o in rows]
    for coll in ("memories", "summaries", *OPTIONAL_COLLECTIONS):
        rows = doc.get(coll)
        if isinstance(rows, list):
            out[coll] = [_key(coll)(r) for r in rows]
    return out


def _plan(old: dict[str, list[Any]], new: dict[str, list[Any]], strategy: str) -> Plan:
    plan = Plan(strategy)
    for coll in sorted(set(old) | set(new)):
        a, b = old.get(coll, []), list(dict.fromkeys(new.get(coll, [])))
        if a or b:
            merge_keyed(a, b, lambda k: k, strategy, plan, coll)
    return plan


# ---------------------------------------------------------------- push


def push(items: Iterable[Any], url: RemoteURL, options: WriteOptions) -> Plan:
    """Import the stream into the AgentMemory server at ``url``, part by part; return the plan.

    Raises:
        DestinationExists: keys exist and no strategy was given (nothing sent).
        RemoteError: the server failed before anything was imported. PartialWrite: after.
        LimitExceeded: one record is over the payload limit on its own.
    """
    from .writer import write_export

    report = options.report
    extra = options.extra
    strategy = extra.get("strategy")
    dry = bool(extra.get("dry_run"))
    with tempfile.TemporaryDirectory(prefix="memconv-agentmemory-push-") as d:
        out = os.path.join(d, "push.json")
        wopts = staging_options(options, out, split=True)
        write_export(items, None, wopts)  # type: ignore[arg-type]  # split: the writer writes the parts
        paths = report.info.pop("parts", [])
        check_loss(options, "agentmemory")
        new: dict[str, list[Any]] = {}
        for p in paths:
            with open(p, "rb") as fh:
                for coll, ks in keys_of(orjson.loads(fh.read())).items():
                    new.setdefault(coll, []).extend(ks)
        with _transport(url, options, "target") as t:
            report.info.pop("agentmemory_unread", None)  # (a source read before may have set it)
            old = keys_of(export_all(t, url, options))
            if strategy is None:
                clash = {c: len(set(old.get(c, [])) & set(ks)) for c, ks in new.items()}
                clash = {c: n for c, n in clash.items() if n}
                if clash:
                    shown = ", ".join(f"{n} {c}" for c, n in sorted(clash.items()))
                    raise DestinationExists(f"{url.display}: the store already holds records with these keys ({shown}); "
                                            f"choose --strategy merge|replace|skip (nothing was sent)")
            plan = _plan(old, new, strategy or "skip")
            plan.strategy = strategy
            unread = report.info.get("agentmemory_unread")
            if strategy == "replace" and unread:
                # the plan counts what could be read; AgentMemory's replace wipes every collection
                report.warn(f"{url.display}: --strategy replace empties the whole store, and these collections of "
                            f"it could not be read, so the plan does not count what they hold: "
                            f"{', '.join(unread)}; whatever is there is deleted too", INCOMPLETE_INPUT)
            report.info["remote"] = {"parts": len(paths)}
            if dry:
                return plan
            _import_parts(t, url, paths, strategy, options)
    return plan


def _import_parts(t: Transport, url: RemoteURL, paths: list[str], strategy: str | None, options: Any) -> None:
    report = options.report
    log = WriteLog(url)
    hint = ("Run the same command again with --strategy skip (or merge): AgentMemory writes records by key, so what "
            "was imported is not written twice.")
    for i, path in enumerate(paths):
        part_strategy = strategy or "skip"
        if strategy == "replace" and i > 0:
            part_strategy = "merge"
        with open(path, "rb") as fh:
            body = b'{"exportData":' + fh.read() + b',"strategy":' + orjson.dumps(part_strategy) + b"}"
        note(options, f"agentmemory: importing part {i + 1}/{len(paths)} ({len(body)} bytes, {part_strategy})")
        try:
            res = t.json("POST", "/agentmemory/import", content=body, headers={"Content-Type": "application/json"},
                         idempotent=True)
            if not isinstance(res, dict) or res.get("success") is not True:
                err = res.get("error") if isinstance(res, dict) else res
                raise RemoteError(f"{url.display}: the import of part {i + 1} of {len(paths)} was refused: {err}")
        except MemconvError as e:
            raise log.fail(e, hint, report) from None
        log.add("parts imported")
        for k in ("sessions", "observations", "memories", "summaries", "skipped"):
            if isinstance(res.get(k), int):
                log.add(k if k != "skipped" else "records skipped", res[k])
    report.info["remote_written"] = dict(log.steps)


# ---------------------------------------------------------------- list


def list_remote(url: RemoteURL, options: ReadOptions) -> list[dict[str, Any]]:
    """One row per collection with its record count (observations counted over every session)."""
    with _transport(url, options, "source") as t:
        doc = export_all(t, url, options)
    rows = [{"collection": "sessions", "count": len(doc.get("sessions") or [])},
            {"collection": "observations", "count": sum(len(v) for v in (doc.get("observations") or {}).values()
                                                        if isinstance(v, list))}]
    for coll in ("memories", "summaries", *OPTIONAL_COLLECTIONS):
        if isinstance(doc.get(coll), list) and doc[coll]:
            rows.append({"collection": coll, "count": len(doc[coll])})
    projects: dict[str, int] = {}
    for s in doc.get("sessions") or []:
        if isinstance(s, dict) and s.get("project"):
            projects[s["project"]] = projects.get(s["project"], 0) + 1
    for p, n in sorted(projects.items()):
        rows.append({"collection": "sessions", "project": p, "count": n})
    return rows


__all__ = ["export_all", "export_by_collection", "keys_of", "list_remote", "pull", "push"]
