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
sessions a page; an oversized answer halves the page and asks again (down to one session a page; if
even that is oversized, the unpaged collections alone are over the limit and the export cannot be
had through this API). Sessions, their observations and profiles are gathered from every page; the
unpaged collections are taken from the first answer only. The result is one ``ExportData`` document
without ``pagination``, read by the AgentMemory reader.

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
from memconv.transport import Transport

from .shape import OPTIONAL_COLLECTIONS

MAX_PAGE = 1000
"""AgentMemory caps ``maxSessions`` at 1000."""
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
    while True:
        ans = t.json("GET", "/agentmemory/export", params={"maxSessions": size, "offset": offset})
        if not isinstance(ans, dict):
            raise RemoteError(f"{url.display}: GET /agentmemory/export did not answer an object")
        if ans.get("success") is False:
            if ans.get("oversized"):
                if size == 1:
                    raise RemoteError(f"{url.display}: AgentMemory's export is over its ~15 MiB frame limit even at "
                                      f"one session a page ({ans.get('bytes')} bytes): the collections it does not "
                                      f"page (memories, summaries...) or one session's observations are too big "
                                      f"for its export API")
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


__all__ = ["export_all", "keys_of", "list_remote", "pull", "push"]
