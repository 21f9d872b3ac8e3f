"""Live mem0: a self-hosted store through the mem0ai library, and the hosted Platform's REST API.

**Self-hosted** (``mem0+config:PATH``, PATH = the user's mem0 config, JSON or YAML, as given to
``Memory.from_config``). Needs the optional mem0ai library (``pip install 'memconv[mem0]'``).
memconv sets ``MEM0_TELEMETRY=False`` unless the environment says otherwise.

* Pull: every memory through the vector store's own listing, ``m.vector_store.list(filters=None,
  top_k=N)``, asking again with a larger ``N`` until fewer than ``N`` come back (OSS ``get_all``
  needs a user/agent/run filter and truncates at ``top_k``, mem0 issues #3751/#6438). Each point's
  payload becomes the item ``get_all`` would return (same promoted keys and metadata rule; expired
  memories included). History: every row of the SQLite ``history`` table (deleted memories' rows
  too), else ``m.db.get_history(id)`` per memory.
* Push: original ids and timestamps are kept by writing the vector store directly,
  ``m.vector_store.insert(vectors=[...], ids=[...], payloads=[...])`` (``add`` would mint new ids),
  with the payload mem0's ``_create_memory`` writes (``data``, ``hash``, ``created_at``, ``updated_at``,
  ``text_lemmatized``, the scope keys, metadata flat), in batches of 64; vectors come from the config's
  embedder. History rows are records of their own, keyed by their ids: each batch's rows go into the
  ``history`` table right after its memories (``INSERT OR IGNORE``: a row whose id is there is not
  written twice, whatever the memory strategy; through ``m.db.add_history`` when the store is not
  SQLite, where that guarantee does not hold), and the rows of memories not written (skipped, or
  deleted at the source) at the end. A new memory that arrives without history gets the ``ADD`` row
  mem0 writes, with an id derived from the memory's, for the same reason. Strategies by memory id:
  none (an existing id stops the push, exit 8), ``skip``, ``merge`` (overwrite), ``replace`` (also
  deletes the store's other memories and their history). An item's ``metadata.memconv`` (the rest of
  a record from another system) is stored with it; the records a file keeps in its top-level
  ``memconv`` list (agents, messages, tools...) have no place in a store and are reported lost.

**Platform** (``mem0+https://HOST``, ``MEM0_API_KEY`` sent as ``Authorization: Token ...``): pull only,
through the paged listing ``POST /v3/memories/?page=&page_size=200`` with a filter matching every
user, agent, app and run, until ``next`` is empty; then ``GET /v1/memories/{id}/history/`` per memory
(skipped with ``--exclude history``). Writing to the Platform is refused: its API gives every memory a
new id, so a migration could not be checked or retried without duplicates.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

import orjson

from memconv.errors import DestinationExists, MemconvError, RemoteError, UsageError
from memconv.format import ReadOptions, WriteOptions
from memconv.remote import RemoteURL, WriteLog, check_loss, note, resolve_token, staging_options
from memconv.strategies import Plan, merge_keyed
from memconv.transport import Transport, redact, register_secret
from memconv.logmessages import INCOMPLETE_INPUT, KEY_MOVED, UNSCOPED_RECORD

PROMOTED = ("user_id", "agent_id", "run_id", "actor_id", "role", "attributed_to", "expiration_date")
"""Payload keys ``get_all`` copies to the top level of an item (mem0ai 2.x), in its order."""
CORE = frozenset({"data", "hash", "created_at", "updated_at", "id", "text_lemmatized", "attributed_to", *PROMOTED})
"""Payload keys that are not metadata."""
ITEM_KEYS = frozenset({"id", "memory", "hash", "metadata", "created_at", "updated_at", "score", *PROMOTED})
HISTORY_COLUMNS = ("id", "memory_id", "old_memory", "new_memory", "event", "created_at", "updated_at", "is_deleted",
                   "actor_id", "role")
BATCH = 64
NAMESPACE = uuid.UUID("2f0c3b1e-7d4a-5b6c-9e8f-0a1b2c3d4e5f")
"""UUID5 namespace of the ``ADD`` history rows memconv writes for memories that came without history."""
PLATFORM_FILTER = {"OR": [{"user_id": "*"}, {"agent_id": "*"}, {"app_id": "*"}, {"run_id": "*"}]}
PLATFORM_PAGE = 200

_OPEN: dict[str, list[Any]] = {}


# ---------------------------------------------------------------- the self-hosted store


def load_config(path: str) -> dict[str, Any]:
    """The mem0 config file as a dict (JSON, or YAML when PyYAML is installed). String values under
    keys naming a key, token, password or secret are registered for redaction.

    Raises:
        UsageError: missing, unreadable, or not a JSON/YAML object.
    """
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as e:
        raise UsageError(f"mem0+config:{path}: {e.strerror or e}") from None
    try:
        cfg = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            import yaml  # type: ignore[import-untyped]
        except ImportError:
            raise UsageError(f"mem0+config:{path}: not JSON (a YAML config needs PyYAML: pip install pyyaml)") from None
        try:
            cfg = yaml.safe_load(raw)
        except yaml.YAMLError as e:
            raise UsageError(f"mem0+config:{path}: neither JSON nor YAML ({' '.join(str(e).split())})") from None
    if not isinstance(cfg, dict):
        raise UsageError(f"mem0+config:{path}: expected a mem0 config object (vector_store, embedder, llm...)")
    _register(cfg)
    return cfg


def _register(obj: Any, key: str = "") -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            _register(v, str(k).lower())
    elif isinstance(obj, list):
        for v in obj:
            _register(v, key)
    elif isinstance(obj, str) and any(w in key for w in ("key", "token", "password", "secret")):
        register_secret(obj)


@contextmanager
def open_memory(url: RemoteURL) -> Iterator[Any]:
    """A ``mem0.Memory`` built from the config of ``url``, shared by a pull and a push of the same
    store in one run (embedded vector stores such as Qdrant's local mode lock their folder).

    Raises:
        UsageError: mem0ai is not installed, or the config is unusable. RemoteError: mem0 failed to start.
    """
    assert url.config_path is not None
    key = os.path.realpath(url.config_path)
    if key in _OPEN:
        _OPEN[key][1] += 1
    else:
        cfg = load_config(url.config_path)
        os.environ.setdefault("MEM0_TELEMETRY", "False")
        try:
            from mem0 import Memory
        except ImportError:
            raise UsageError(f"{url.display}: reading or writing a self-hosted mem0 store needs the mem0ai library: "
                             f"pip install 'memconv[mem0]'") from None
        try:
            m = Memory.from_config(cfg)
        except Exception as e:  # mem0 raises whatever its providers raise
            raise RemoteError(f"{url.display}: mem0 could not open the store: {type(e).__name__}: "
                              f"{redact(' '.join(str(e).split()))[:400]}") from None
        _OPEN[key] = [m, 1]
    try:
        yield _OPEN[key][0]
    finally:
        _OPEN[key][1] -= 1
        if _OPEN[key][1] == 0:
            m = _OPEN.pop(key)[0]
            _close(m)


def _close(m: Any) -> None:
    client = getattr(getattr(m, "vector_store", None), "client", None)
    for obj in (client, getattr(m, "db", None)):
        close = getattr(obj, "close", None)
        if callable(close):
            try:
                close()
            except Exception:
                pass


def points(m: Any) -> list[Any]:
    """Every point of the store (id and payload), through ``vector_store.list`` with a growing ``top_k``."""
    k = 1000
    while True:
        res = m.vector_store.list(filters=None, top_k=k)
        pts = _unwrap(res)
        if len(pts) < k:
            return pts
        k *= 4


def _unwrap(res: Any) -> list[Any]:
    """The points of a ``list()`` answer, whose shape differs by store (mem0's own rule)."""
    if isinstance(res, (tuple, list)) and res:
        first = res[0]
        return list(first) if isinstance(first, (list, tuple)) else list(res)
    return list(res or [])


def item_of(point: Any) -> dict[str, Any]:
    """The item ``Memory.get_all`` would return for a point (without dropping expired ones)."""
    payload = dict(getattr(point, "payload", None) or {})
    item: dict[str, Any] = {"id": str(point.id), "memory": payload.get("data", ""), "hash": payload.get("hash"),
                            "metadata": {k: v for k, v in payload.items() if k not in CORE} or None,
                            "created_at": payload.get("created_at"), "updated_at": payload.get("updated_at")}
    for key in PROMOTED:
        if key in payload:
            item[key] = payload[key]
    return item


def _sqlite(m: Any) -> sqlite3.Connection | None:
    conn = getattr(getattr(m, "db", None), "connection", None)
    return conn if isinstance(conn, sqlite3.Connection) else None


def history_rows(m: Any, ids: Iterable[str], report: Any = None, name: str = "mem0") -> list[dict[str, Any]]:
    """The store's history rows: from the SQLite ``history`` table, the rows of its memories (``ids``,
    the live ones) and of deleted memories (rows with no live memory whose last event is ``DELETE``),
    else ``m.db.get_history(id)`` for each of ``ids``.

    mem0 keeps every store's history in one file unless the config names one (``history_db_path``,
    default ``$MEM0_DIR/history.db``), and reads it by memory id (``SQLiteManager.get_history``). Rows
    of a memory that is not deleted and not in this store are another store's: they are not read, and
    ``report`` is warned with their count (a deleted memory's rows cannot be told apart, and are read).
    """
    conn = _sqlite(m)
    if conn is not None:
        lock = getattr(m.db, "_lock", None)
        sql = (f"SELECT {', '.join(HISTORY_COLUMNS)} FROM history "
               f"ORDER BY created_at ASC, DATETIME(updated_at) ASC, rowid ASC")
        order = "SELECT memory_id, event FROM history ORDER BY rowid ASC"  # as written: the last one is the last
        if lock is not None:
            with lock:
                rows = conn.execute(sql).fetchall()
                written = conn.execute(order).fetchall()
        else:
            rows = conn.execute(sql).fetchall()
            written = conn.execute(order).fetchall()
        live = set(ids)
        # each memory's last event, in the order the rows were written (a row's times are the memory's
        # and may tie: a memory deleted, then brought back, has its ADD written after its DELETE)
        last: dict[Any, Any] = {mid: event for mid, event in written}
        deleted = {mid for mid, event in last.items() if event == "DELETE"}
        out, others = [], set()
        for r in rows:
            row = dict(zip(HISTORY_COLUMNS, r))
            mid = row["memory_id"]
            if mid not in live and mid not in deleted:
                others.add(mid)
                continue
            row["is_deleted"] = bool(row["is_deleted"])
            out.append(row)
        if others and report is not None:
            report.warn(f"{name}: the history file holds rows of {len(others)} memories that are neither in this "
                        f"store nor deleted (another store's: mem0 keeps every store's history in one file unless "
                        f"the config names one, history_db_path); not read", INCOMPLETE_INPUT)
        return out
    out = []
    for i in ids:
        out += list(m.db.get_history(i) or [])
    return out


def _read_lines(lines: list[bytes], name: str, report: Any) -> Iterator[Any]:
    from .reader import read_jsonl_lines

    yield from read_jsonl_lines(iter(lines), name, report)


def pull(url: RemoteURL, options: ReadOptions) -> Iterator[Any]:
    """Yield the canonical stream of the store (``mem0+config:``) or the Platform account at ``url``.

    Raises:
        UsageError: mem0ai missing, bad config. RemoteError: the store or the Platform failed.
    """
    if url.transport != "config":
        yield from _pull_platform(url, options)
        return
    skip = set(options.extra.get("skip_kinds") or ())
    with open_memory(url) as m:
        try:
            items = [item_of(p) for p in points(m)]
            rows = [] if "event" in skip else history_rows(m, [i["id"] for i in items], options.report,
                                                              url.display)
        except MemconvError:
            raise
        except Exception as e:
            raise RemoteError(f"{url.display}: mem0 failed while listing: {type(e).__name__}: "
                              f"{redact(' '.join(str(e).split()))[:400]}") from None
    note(options, f"mem0: {len(items)} memories and {len(rows)} history row(s) in {url.display}")
    yield from _read_lines([orjson.dumps(x) for x in [*items, *rows]], url.display, options.report)


def list_remote(url: RemoteURL, options: ReadOptions) -> list[dict[str, Any]]:
    """Memories per user, agent and run (a memory with several scopes counts under each), the total,
    and the history rows."""
    if url.transport != "config":
        items, rows = _platform_items(url, options, history=False)
    else:
        with open_memory(url) as m:
            items = [item_of(p) for p in points(m)]
            rows = history_rows(m, [i["id"] for i in items])
    out: dict[tuple[str, str], int] = {}
    for it in items:
        scoped = False
        for key in ("user_id", "agent_id", "run_id", "session_id", "app_id"):
            if it.get(key):
                out[(key, str(it[key]))] = out.get((key, str(it[key])), 0) + 1
                scoped = True
        if not scoped:
            out[("(no scope)", "")] = out.get(("(no scope)", ""), 0) + 1
    result = [{"scope": k, "id": v, "memories": n} for (k, v), n in sorted(out.items())]
    result.append({"scope": "(all)", "id": "", "memories": len(items), "history": len(rows)})
    return result


# ---------------------------------------------------------------- Platform


def _platform_items(url: RemoteURL, options: Any, history: bool) -> tuple[list[dict[str, Any]], list[Any]]:
    token = resolve_token(url, options.extra.get("token"))
    items: list[dict[str, Any]] = []
    rows: list[Any] = []
    with Transport(url.base_url, token, auth_scheme="Token", label=url.display,
                   token_hint="MEM0_API_KEY or --source-token") as t:
        seen: set[Any] = set()
        page = 1
        while True:
            from memconv.transport import HTTPError

            try:
                ans = t.json("POST", "/v3/memories/", params={"page": page, "page_size": PLATFORM_PAGE},
                             json={"filters": PLATFORM_FILTER}, idempotent=True)
            except HTTPError as e:
                if e.status == 404 and page > 1:  # past the last page
                    break
                raise
            results = ans.get("results") if isinstance(ans, dict) else ans
            if not isinstance(results, list):
                raise RemoteError(f"{url.display}: POST /v3/memories/ did not answer a page of memories")
            fresh = [r for r in results if isinstance(r, dict) and r.get("id") not in seen]
            seen.update(r.get("id") for r in fresh)
            items += fresh
            note(options, f"mem0: page {page}: {len(items)} of {ans.get('count') if isinstance(ans, dict) else '?'}")
            if not isinstance(ans, dict) or not ans.get("next") or not fresh:
                break
            page += 1
        if history:
            for it in items:
                got = t.json("GET", f"/v1/memories/{it['id']}/history/")
                if isinstance(got, list):
                    rows += got
    return items, rows


def _pull_platform(url: RemoteURL, options: ReadOptions) -> Iterator[Any]:
    skip = set(options.extra.get("skip_kinds") or ())
    items, rows = _platform_items(url, options, history="event" not in skip)
    yield from _read_lines([orjson.dumps(x) for x in [*items, *rows]], url.display, options.report)


# ---------------------------------------------------------------- push


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _lemmatize(text: str) -> str:
    try:
        from mem0.utils.lemmatization import lemmatize_for_bm25

        return lemmatize_for_bm25(text)
    except Exception:
        return text


def payload_of(item: dict[str, Any], report: Any) -> dict[str, Any]:
    """The vector-store payload mem0 writes for ``item`` (``_create_memory``), its metadata flat."""
    p: dict[str, Any] = dict(item.get("metadata") or {})
    # mem0's payload is flat: one value a key; where the item and its metadata both give one, the
    # metadata's stays and the item's is lost (one memory, the keys named)
    clashing = [k for k in item if k not in ITEM_KEYS and k in p and p[k] != item[k]]
    if clashing:
        report.lost("memory", "extras.mem0", "an item key its metadata also gives has one place in a mem0 payload; "
                                             "the metadata's value is kept", names=clashing)
    moved = [k for k in item if k not in ITEM_KEYS and k not in clashing]
    for k in moved:
        p[k] = item[k]
    if moved:
        report.warn(f"mem0: item keys {sorted(set(moved))} have no place in a self-hosted store's payload; "
                    f"written as metadata", KEY_MOVED)
    clash = [k for k in ("data", "hash", "created_at", "updated_at", "text_lemmatized") if k in p]
    if clash:
        report.lost("memory", "metadata." + clash[0], "a mem0 payload keeps that key for itself")
    text = item.get("memory") or ""
    created = item.get("created_at") or datetime.now(timezone.utc).isoformat()
    p.update({"data": text, "hash": item.get("hash") or _md5(text), "created_at": created,
              "updated_at": item.get("updated_at") or created, "text_lemmatized": _lemmatize(text)})
    for key in PROMOTED:
        if item.get(key) is not None:
            p[key] = item[key]
    return p


def _add_row(item: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(uuid.uuid5(NAMESPACE, f"{item['id']}:ADD")), "memory_id": item["id"], "old_memory": None,
            "new_memory": payload["data"], "event": "ADD", "created_at": payload["created_at"],
            "updated_at": payload["updated_at"], "is_deleted": False, "actor_id": payload.get("actor_id"),
            "role": payload.get("role")}


def _update_row(mid: str, old: dict[str, Any], payload: dict[str, Any], now: str) -> dict[str, Any]:
    """The history row mem0's ``_update_memory`` writes when a memory's text changes (``UPDATE``, old
    text -> new, ``created_at`` the memory's, ``updated_at`` the time of the change: ``now``, the push's,
    so it sorts after the store's earlier rows), for a memory the push rewrites with another text and
    no history of its own. Its id is one per change (the texts and ``now``): a later change back and
    forth is a row of its own, not one ``INSERT OR IGNORE`` drops."""
    key = f"{mid}:UPDATE:{old.get('data')}\x1f{payload['data']}\x1f{now}"
    return {"id": str(uuid.uuid5(NAMESPACE, key)), "memory_id": mid,
            "old_memory": old.get("data"), "new_memory": payload["data"], "event": "UPDATE",
            "created_at": old.get("created_at") or payload["created_at"], "updated_at": now,
            "is_deleted": False, "actor_id": payload.get("actor_id"), "role": payload.get("role")}


def _embed(m: Any, texts: list[str]) -> list[list[float]]:
    emb = m.embedding_model
    batch = getattr(emb, "embed_batch", None)
    if callable(batch) and len(texts) > 1:
        try:
            vecs = batch(texts, memory_action="add")
            if isinstance(vecs, list) and len(vecs) == len(texts):
                return vecs
        except NotImplementedError:
            pass
    return [emb.embed(t, memory_action="add") for t in texts]


def push(items: Iterable[Any], url: RemoteURL, options: WriteOptions) -> Plan:
    """Write the stream into the self-hosted store at ``url`` keeping ids and timestamps; return the plan.

    Raises:
        UsageError: a Platform address. DestinationExists: ids exist and no strategy was given.
        RemoteError: mem0 failed before anything was written. PartialWrite: after.
    """
    from .records import line_kind
    from .writer import write_mem0

    if url.transport != "config":
        raise UsageError(f"{url.display}: writing to the mem0 Platform is not supported (its API gives every memory a "
                         f"new id); write a file, or into a self-hosted store with -o mem0+config:PATH")
    report = options.report
    extra = options.extra
    strategy = extra.get("strategy")
    dry = bool(extra.get("dry_run"))
    with tempfile.TemporaryDirectory(prefix="memconv-mem0-push-") as d:
        path = os.path.join(d, "push.jsonl")
        wopts = staging_options(options, path, jsonl=True)
        with open(path, "wb") as fh:
            write_mem0(items, fh, wopts)
        new_items: list[dict[str, Any]] = []
        new_rows: list[dict[str, Any]] = []
        relations = 0
        kept: dict[str, int] = {}
        head: dict[str, Any] = {}
        with open(path, "rb") as fh:
            for raw in fh:
                if not raw.strip():
                    continue
                obj = orjson.loads(raw)
                kind = line_kind(obj)
                if kind == "item":
                    new_items.append(obj)
                elif kind == "history":
                    new_rows.append(obj)
                elif kind == "memconv":
                    k = str(obj["memconv"].get("kind"))
                    kept[k] = kept.get(k, 0) + 1
                    if k == "header":
                        head = obj["memconv"]
                else:
                    relations += 1
    embedded_rows = sum(1 for r in new_rows if isinstance(r.get("memconv"), dict))
    if embedded_rows:
        report.lost("event", "memconv", "a store's history table has fixed columns: the source ids, provenance and "
                                        "extras of other systems' history events are not kept", embedded_rows)
    for k, n in kept.items():
        if k == "header":  # the source document's top-level fields (not a record: no ledger row)
            extras = head.get("extras") if isinstance(head.get("extras"), dict) else {}
            report.lost("header", "extras", "a mem0 store has no place for the source document's top-level fields "
                                            "(a file keeps them in its memconv list)",
                        names=[f"{system}.{key}" for system, fields in extras.items() if isinstance(fields, dict)
                               for key in fields] + (["exported_at"] if head.get("exported_at") else [])
                        or ["header"], was=None)
            continue
        why = "a mem0 store holds memories and their history only (a file keeps these records in its memconv list)"
        side = min(n, report.placed.get(k, {}).get("side_channel", 0))  # where the writer placed them: its
        if side:                                                       # list, or native (an entity of a
            report.lost(k, "*", why, side, was="side_channel")         # relation, also kept whole there)
        if n - side:
            report.lost(k, "*", why, n - side, was="native")
    if relations:
        report.lost("relation", "*", "memconv writes a self-hosted store's vector memories and history, not its "
                                     "graph store", relations)
    check_loss(options, "mem0")
    unscoped = sum(1 for it in new_items if not any(it.get(k) for k in ("user_id", "agent_id", "run_id")))
    if unscoped:
        report.warn(f"mem0: {unscoped} memories have no user_id, agent_id or run_id; mem0's get_all and search "
                    f"cannot reach them (memconv can)", UNSCOPED_RECORD)
    with open_memory(url) as m:
        try:
            existing = {str(p.id): dict(getattr(p, "payload", None) or {}) for p in points(m)}
            old_rows = {r["id"]: str(r.get("memory_id")) for r in history_rows(m, list(existing))
                        if isinstance(r, dict) and r.get("id")}
        except MemconvError:
            raise
        except Exception as e:
            raise RemoteError(f"{url.display}: mem0 failed while listing: {type(e).__name__}: "
                              f"{redact(' '.join(str(e).split()))[:400]}") from None
        ids = list(dict.fromkeys(str(it["id"]) for it in new_items))
        if strategy is None:
            clash = [i for i in ids if i in existing]
            if clash:
                raise DestinationExists(f"{url.display}: {len(clash)} memory id(s) exist in the store (the first: "
                                        f"{clash[0]}); choose --strategy merge|replace|skip (nothing was written)")
        plan = Plan(strategy)
        merge_keyed(list(existing), ids, lambda k: k, strategy or "skip", plan, "memories")
        write_ids = {i for i in ids if not (i in existing and (strategy or "skip") == "skip")}
        delete_ids = [i for i in existing if i not in set(ids)] if strategy == "replace" else []
        by_id = {str(it["id"]): it for it in new_items}
        payloads = {i: payload_of(by_id[i], report) for i in ids if i in write_ids}
        with_history = {str(r.get("memory_id")) for r in new_rows}
        rows = list(new_rows) + [_add_row(by_id[i], payloads[i]) for i in ids
                                 if i in write_ids and i not in with_history and i not in existing]
        # a memory rewritten with another text keeps its history and gains the UPDATE row mem0 writes
        now = datetime.now(timezone.utc).isoformat()
        rows += [_update_row(i, existing[i], payloads[i], now) for i in ids if i in write_ids and i in existing
                 and i not in with_history and existing[i].get("data") != payloads[i]["data"]]
        # replace: the history of the memories it deletes goes, and of those the input gives a history of
        # (theirs replaces it); a memory the input gives no history of keeps the store's (a get_all dump
        # holds none: replacing a store with its own dump leaves it as it was)
        dropped_rows = set(delete_ids) | ({i for i in write_ids if i in existing and i in with_history}
                                          if strategy == "replace" else set())
        kept_old = {r for r, mid in old_rows.items() if mid not in dropped_rows}
        fresh_rows = [r for r in rows if r.get("id") not in kept_old]
        plan.add("history", "insert", len(fresh_rows))
        plan.add("history", "skip", len(rows) - len(fresh_rows))
        plan.add("history", "delete", sum(1 for mid in old_rows.values() if mid in dropped_rows))
        if dry:
            return plan
        _write(m, url, options, ids, write_ids, existing, delete_ids, payloads, fresh_rows, dropped_rows)
    return plan


def _write(m: Any, url: RemoteURL, options: Any, ids: list[str], write_ids: set[str], existing: dict[str, Any],
           delete_ids: list[str], payloads: dict[str, dict[str, Any]], rows: list[dict[str, Any]],
           dropped_rows: set[str]) -> None:
    report = options.report
    log = WriteLog(url)
    hint = ("Run the same command again with --strategy skip (or merge): memories are written by id and history "
            "rows by their own ids, so nothing is written twice.")
    conn = _sqlite(m)
    by_memory: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_memory.setdefault(str(r.get("memory_id")), []).append(r)

    def history(mids: Iterable[str]) -> None:
        """Insert the history rows of these memories (right after them, so that a failure part-way
        leaves every written memory with its history)."""
        batch = [r for mid in mids for r in by_memory.pop(mid, [])]
        if not batch:
            return
        if conn is not None:
            with conn:
                cur = conn.executemany(
                    f"INSERT OR IGNORE INTO history ({', '.join(HISTORY_COLUMNS)}) VALUES "
                    f"({', '.join('?' for _ in HISTORY_COLUMNS)})",
                    [tuple(int(bool(r.get(c))) if c == "is_deleted" else r.get(c) for c in HISTORY_COLUMNS)
                     for r in batch])
            log.add("history rows", cur.rowcount if cur.rowcount >= 0 else len(batch))
            return
        for r in batch:
            m.db.add_history(r.get("memory_id"), r.get("old_memory"), r.get("new_memory"), r.get("event"),
                             created_at=r.get("created_at"), updated_at=r.get("updated_at"),
                             is_deleted=int(bool(r.get("is_deleted"))), actor_id=r.get("actor_id"), role=r.get("role"))
            log.add("history rows")

    try:
        for i in delete_ids:
            m.vector_store.delete(vector_id=i)
            log.add("memories deleted")
        if conn is not None and dropped_rows:
            with conn:
                conn.executemany("DELETE FROM history WHERE memory_id = ?", [(i,) for i in dropped_rows])
        todo = [i for i in ids if i in write_ids]
        for start in range(0, len(todo), BATCH):
            chunk = todo[start:start + BATCH]
            vectors = _embed(m, [payloads[i]["data"] for i in chunk])
            new = [(i, v) for i, v in zip(chunk, vectors) if i not in existing]
            if new:
                m.vector_store.insert(vectors=[v for _, v in new], ids=[i for i, _ in new],
                                      payloads=[payloads[i] for i, _ in new])
                log.add("memories inserted", len(new))
            for i, v in zip(chunk, vectors):
                if i in existing:
                    m.vector_store.update(vector_id=i, vector=v, payload=payloads[i])
                    log.add("memories updated")
            history(chunk)
            note(options, f"mem0: {min(start + BATCH, len(todo))} of {len(todo)} memories written")
        history(list(by_memory))  # rows of skipped memories and of memories no longer in the store
    except MemconvError as e:
        raise log.fail(e, hint, report) from None
    except Exception as e:  # the store's or the embedder's own errors
        err = RemoteError(f"{url.display}: mem0 failed: {type(e).__name__}: {redact(' '.join(str(e).split()))[:400]}")
        raise log.fail(err, hint, report) from None
    report.info["remote_written"] = dict(log.steps)


__all__ = ["item_of", "list_remote", "load_config", "open_memory", "payload_of", "points", "pull", "push"]
