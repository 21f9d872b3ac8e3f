"""In-process stand-ins for live systems that cannot run here, used by ``tests/test_live_*.py``.

* :class:`AgentMemoryServer`: AgentMemory 0.9.29's REST export and import. **No real AgentMemory
  server can run here** (its engine is a native binary outside the package registries), so this
  stand-in follows the documented contract exactly (``shared/formats/agentmemory.md`` sections 2 and
  4.1): Bearer-secret auth with 401 ``{"error": "unauthorized"}``; ``GET /agentmemory/export`` with
  ``maxSessions``/``offset`` (integer strings only, ``maxSessions`` capped at 1000), paged sessions
  with their observations and profiles, unpaged memories, summaries and the 16 other collections (empty
  ones left out), ``pagination`` only when ``maxSessions`` was given, and the ``oversized`` answer
  (HTTP 200) over the frame limit; ``POST /agentmemory/import`` with HTTP 400 ``exportData is
  required``, then the checks of section 2.3 in their order (each ``{"success": false, "error"}`` on
  HTTP 200), the caps, merge/replace/skip per record key as in section 2.4 (replace wipes first), the
  late ``accessLogs`` check, ``normalizeAccessLog`` and the memory-id filter, ``importOrigin``, and the
  result ``{success, strategy, sessions, observations, memories, summaries, skipped}``; and the
  per-collection GET routes a pull falls back to (sessions, observations, memories, semantic...).
  Used only for faults the real worker (``tests/agentmemory_server.py``) cannot be made to show.
  Failure injection: ``fail_after_imports=N`` makes every import after the Nth successful one fail
  (HTTP 500, or ``success: false`` with ``fail_mode="success_false"``) without writing.
* :class:`Mem0PlatformServer`: the mem0 Platform's paged listing ``POST /v3/memories/?page=&page_size=``
  (``Authorization: Token <key>``, body ``{"filters": ...}``, answer ``{count, next, previous,
  results}``, page_size at most 200, an out-of-range page is 404 ``Invalid page.``) and
  ``GET /v1/memories/{id}/history/`` (``shared/formats/mem0.md`` section 2). Also a stand-in: the
  Platform is a hosted service.
* :class:`EmbeddingServer`: an OpenAI-compatible ``POST /v1/embeddings`` answering deterministic
  hashing vectors, so that the real mem0ai library embeds offline through its ``openai`` embedder.

All bind 127.0.0.1 on a free port and serve from a daemon thread; use them as context managers.
"""

from __future__ import annotations

import hashlib
import json
import math
import socket
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SUPPORTED_VERSIONS = set("""
0.3.0 0.4.0 0.5.0 0.6.0 0.6.1 0.7.0 0.7.2 0.7.3 0.7.4 0.7.5 0.7.6 0.7.7 0.7.9
0.8.0 0.8.1 0.8.2 0.8.3 0.8.4 0.8.5 0.8.6 0.8.7 0.8.8 0.8.9 0.8.10 0.8.11 0.8.12 0.8.13
0.9.0 0.9.1 0.9.2 0.9.3 0.9.4 0.9.5 0.9.6 0.9.7 0.9.8 0.9.9 0.9.10 0.9.11 0.9.12 0.9.13 0.9.14
0.9.15 0.9.16 0.9.17 0.9.18 0.9.19 0.9.20 0.9.21 0.9.22 0.9.23 0.9.24 0.9.25 0.9.26 0.9.27 0.9.28 0.9.29
""".split())
OPTIONAL = ("graphNodes", "graphEdges", "semanticMemories", "proceduralMemories", "actions", "actionEdges",
            "sentinels", "sketches", "crystals", "facets", "lessons", "insights", "routines", "signals",
            "checkpoints", "accessLogs")
"""The 16 collections ``mem::export`` lists in full, in its order."""
WRITE_ORDER = ("graphNodes", "graphEdges", "semanticMemories", "proceduralMemories", "actions", "actionEdges",
               "routines", "signals", "checkpoints", "sentinels", "sketches", "crystals", "facets", "lessons",
               "insights")
"""Import's write order after profiles (accessLogs last)."""
CAPS = {"MAX_SESSIONS": 10_000, "MAX_MEMORIES": 50_000, "MAX_SUMMARIES": 10_000, "MAX_OBS_BUCKETS": 10_000,
        "MAX_OBS_PER_SESSION": 5_000, "MAX_TOTAL_OBSERVATIONS": 500_000, "MAX_ACCESS_LOGS": 50_000}
LIST_ROUTES = {"/agentmemory/sessions": (None, "sessions"), "/agentmemory/observations": (None, "observations"),
               "/agentmemory/memories": (None, "memories"),
               "/agentmemory/semantic": ("semanticMemories", "semantic"),
               "/agentmemory/procedural": ("proceduralMemories", "procedural"),
               "/agentmemory/routines": ("routines", "routines"), "/agentmemory/checkpoints": ("checkpoints", "checkpoints"),
               "/agentmemory/sentinels": ("sentinels", "sentinels"), "/agentmemory/sketches": ("sketches", "sketches"),
               "/agentmemory/crystals": ("crystals", "crystals")}
"""0.9.29's GET routes that list a collection (path -> (collection, answer key))."""
SAFE_PAYLOAD_BYTES = 15 * 1024 * 1024
FRAME_LIMIT_BYTES = 16 * 1024 * 1024


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1 serving ``self.handle(method, path, query, headers, body)``."""

    def __init__(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()  # headers and body go in two writes: without this, Nagle delays each answer
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _do(self) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                parts = urlsplit(self.path)
                q = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                with outer.lock:
                    status, obj = outer.handle(self.command, parts.path, q, self.headers, body)
                data = json.dumps(obj).encode() if not isinstance(obj, bytes) else obj
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _do

        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def handle(self, method: str, path: str, q: dict[str, str], headers: Any, body: bytes) -> tuple[int, Any]:
        raise NotImplementedError

    def __enter__(self) -> "_Server":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# ---------------------------------------------------------------- AgentMemory


class AgentMemoryServer(_Server):
    """AgentMemory 0.9.29's export/import over REST, in memory (see the module docstring).

    Args:
        secret: the ``AGENTMEMORY_SECRET`` (None: no auth, as on an open loopback server).
        safe_payload_bytes: the export's oversized threshold (15 MiB in AgentMemory; tests lower it).
        frame_limit_bytes: import bodies larger than this fail as the engine's frame cap would.
        fail_after_imports: imports after this many successful ones fail (None: never).
        fail_mode: ``"http500"`` or ``"success_false"``.
    """

    def __init__(self, secret: str | None = None, safe_payload_bytes: int = SAFE_PAYLOAD_BYTES,
                 frame_limit_bytes: int = FRAME_LIMIT_BYTES, fail_after_imports: int | None = None,
                 fail_mode: str = "http500"):
        super().__init__()
        self.secret = secret
        self.safe_payload_bytes = safe_payload_bytes
        self.frame_limit_bytes = frame_limit_bytes
        self.fail_after_imports = fail_after_imports
        self.fail_mode = fail_mode
        self.caps = dict(CAPS)
        self.sessions: dict[str, Any] = {}
        self.obs: dict[str, dict[str, Any]] = {}
        self.memories: dict[str, Any] = {}
        self.summaries: dict[str, Any] = {}
        self.profiles: dict[str, Any] = {}
        self.colls: dict[str, dict[str, Any]] = {c: {} for c in OPTIONAL}
        self.imports: list[dict[str, Any]] = []
        self.exports: list[dict[str, Any]] = []
        self.succeeded = 0
        self.max_body = 0

    # -------------------------------------------------------------- helpers for tests

    def counts(self) -> dict[str, int]:
        """Records held per collection."""
        out = {"sessions": len(self.sessions), "observations": sum(len(b) for b in self.obs.values()),
               "memories": len(self.memories), "summaries": len(self.summaries), "profiles": len(self.profiles)}
        out.update({c: len(v) for c, v in self.colls.items() if v})
        return out

    # -------------------------------------------------------------- HTTP

    def handle(self, method: str, path: str, q: dict[str, str], headers: Any, body: bytes) -> tuple[int, Any]:
        if path in ("/agentmemory/livez", "/agentmemory/health"):
            return 200, {"status": "ok"}
        if self.secret is not None and headers.get("Authorization") != f"Bearer {self.secret}":
            return 401, {"error": "unauthorized"}
        if method == "GET" and path == "/agentmemory/export":
            return 200, self.export(q)
        if method == "GET" and path in LIST_ROUTES:
            return self.listed(path, q)
        if method == "POST" and path == "/agentmemory/import":
            self.max_body = max(self.max_body, len(body))
            if len(body) > self.frame_limit_bytes:
                return 500, {"error": f"invocation frame of {len(body)} bytes over the engine's limit"}
            try:
                req = json.loads(body or b"null")
            except ValueError:
                return 400, {"error": "invalid JSON"}
            if not isinstance(req, dict) or not req.get("exportData"):
                return 400, {"error": "exportData is required"}
            if self.fail_after_imports is not None and self.succeeded >= self.fail_after_imports:
                self.imports.append({"strategy": req.get("strategy"), "failed": True, "bytes": len(body)})
                if self.fail_mode == "success_false":
                    return 200, {"success": False, "error": "state backend unavailable"}
                return 500, {"error": "internal error: state backend unavailable"}
            res = self.import_(req["exportData"], req.get("strategy") or "merge")
            self.imports.append({"strategy": req.get("strategy"), "result": res, "bytes": len(body)})
            if res.get("success"):
                self.succeeded += 1
            return 200, res
        return 404, {"error": "not found"}

    # -------------------------------------------------------------- per-collection GET routes

    def listed(self, path: str, q: dict[str, str]) -> tuple[int, Any]:
        """``api::sessions`` (summary attached), ``api::observations`` (``sessionId`` required),
        ``api::memories`` (``limit`` capped at 5000, ``offset``, ``total``) and the whole-list routes of
        0.9.29 (``src/triggers/api.ts``)."""
        if path == "/agentmemory/sessions":
            return 200, {"sessions": [s | {"summary": self.summaries[sid]} if sid in self.summaries else s
                                      for sid, s in self.sessions.items()]}
        if path == "/agentmemory/observations":
            if not q.get("sessionId"):
                return 400, {"error": "sessionId required"}
            return 200, {"observations": list(self.obs.get(q["sessionId"], {}).values())}
        if path == "/agentmemory/memories":
            rows = list(self.memories.values())
            limit = int(q["limit"]) if q.get("limit", "").isdigit() and int(q["limit"]) > 0 else None
            offset = int(q["offset"]) if q.get("offset", "").isdigit() else 0
            limit = min(limit, 5000) if limit else None
            return 200, {"memories": rows[offset:offset + limit] if limit else rows, "total": len(rows),
                         "offset": offset, "limit": limit}
        coll, key = LIST_ROUTES[path]
        rows = list(self.colls[coll].values())
        if coll == "crystals":
            rows = rows[:int(q.get("limit") or 20)]
        return 200, {"success": True, key: rows} if coll not in ("semanticMemories", "proceduralMemories") \
            else {key: rows}

    # -------------------------------------------------------------- mem::export

    def export(self, q: dict[str, str]) -> dict[str, Any]:
        max_sessions = offset = None
        if q.get("maxSessions", "").isdigit():
            v = int(q["maxSessions"])
            max_sessions = min(v, 1000) if v > 0 else None
        if q.get("offset", "").isdigit():
            offset = int(q["offset"])
        offset = offset or 0
        self.exports.append({"maxSessions": max_sessions, "offset": offset})
        all_sessions = list(self.sessions.values())
        page = all_sessions[offset: offset + max_sessions] if max_sessions else all_sessions
        out: dict[str, Any] = {"version": "0.9.29", "exportedAt": _now(), "sessions": page,
                               "observations": {s["id"]: list(self.obs[s["id"]].values())
                                                for s in page if self.obs.get(s["id"])},
                               "memories": list(self.memories.values()), "summaries": list(self.summaries.values())}
        projects = list(dict.fromkeys(s.get("project") for s in page if s.get("project")))
        profiles = [self.profiles[p] for p in projects if p in self.profiles]
        out["profiles"] = profiles or None
        for c in OPTIONAL:
            out[c] = list(self.colls[c].values()) or None
        out = {k: v for k, v in out.items() if v is not None}
        if max_sessions:
            out["pagination"] = {"offset": offset, "limit": max_sessions, "total": len(all_sessions),
                                 "hasMore": offset + max_sessions < len(all_sessions)}
        size = len(json.dumps(out, separators=(",", ":")).encode())
        if size > self.safe_payload_bytes:
            return {"success": False, "error": f"Response is {size / 1048576:.1f} MiB, over the ~15 MiB engine "
                                               f"transport frame limit; narrow the range with ?maxSessions / ?offset",
                    "oversized": True, "bytes": size, "limitBytes": self.safe_payload_bytes}
        return out

    # -------------------------------------------------------------- mem::import

    def import_(self, data: Any, strategy: str) -> dict[str, Any]:
        fail = lambda msg: {"success": False, "error": msg}  # noqa: E731
        if not isinstance(data, dict) or not isinstance(data.get("version"), str):
            return fail("exportData with string version is required")
        if data["version"] not in SUPPORTED_VERSIONS:
            return fail(f"Unsupported export version: {data['version']}")
        if not isinstance(data.get("sessions"), list):
            return fail("sessions must be an array")
        if not isinstance(data.get("memories"), list):
            return fail("memories must be an array")
        if not isinstance(data.get("summaries"), list):
            return fail("summaries must be an array")
        obs = data.get("observations")
        if not isinstance(obs, dict):
            return fail("observations must be an object")
        caps = self.caps
        if len(data["sessions"]) > caps["MAX_SESSIONS"]:
            return fail(f"Too many sessions (max {caps['MAX_SESSIONS']})")
        if len(data["memories"]) > caps["MAX_MEMORIES"]:
            return fail(f"Too many memories (max {caps['MAX_MEMORIES']})")
        if len(data["summaries"]) > caps["MAX_SUMMARIES"]:
            return fail(f"Too many summaries (max {caps['MAX_SUMMARIES']})")
        if len(obs) > caps["MAX_OBS_BUCKETS"]:
            return fail(f"Too many observation buckets (max {caps['MAX_OBS_BUCKETS']})")
        total = 0
        for rows in obs.values():
            if not isinstance(rows, list):
                return fail("observation values must be arrays")
            if len(rows) > caps["MAX_OBS_PER_SESSION"]:
                return fail(f"Too many observations per session (max {caps['MAX_OBS_PER_SESSION']})")
            total += len(rows)
        if total > caps["MAX_TOTAL_OBSERVATIONS"]:
            return fail(f"Too many total observations (max {caps['MAX_TOTAL_OBSERVATIONS']})")
        if strategy == "replace":
            for sid in list(self.sessions):
                self.obs.pop(sid, None)
            self.sessions.clear()
            self.memories.clear()
            self.summaries.clear()
            self.profiles.clear()
            for c in self.colls.values():
                c.clear()
        stats = {"sessions": 0, "observations": 0, "memories": 0, "summaries": 0, "skipped": 0}

        def put(store: dict[Any, Any], key: Any, rec: Any, counted: str | None) -> None:
            if strategy == "skip" and key in store:
                stats["skipped"] += 1
                return
            store[key] = rec
            if counted:
                stats[counted] += 1

        for s in data["sessions"]:
            put(self.sessions, s.get("id") if isinstance(s, dict) else None, s, "sessions")
        for bucket, rows in obs.items():
            store = self.obs.setdefault(bucket, {})
            for o in rows:
                if isinstance(o, dict):
                    o = {**o, "origin": o.get("origin") or {"channel": "import", "capturedAt": o.get("timestamp")}}
                put(store, o.get("id") if isinstance(o, dict) else None, o, "observations")
        for m in data["memories"]:
            if isinstance(m, dict):
                m = dict(m)
                if not isinstance(m.get("sessionIds"), list):
                    m["sessionIds"] = []
                m["origin"] = m.get("origin") or {"channel": "import", "capturedAt": m.get("createdAt")}
            put(self.memories, m.get("id") if isinstance(m, dict) else None, m, "memories")
        for s in data["summaries"]:
            put(self.summaries, s.get("sessionId") if isinstance(s, dict) else None, s, "summaries")
        order = ["graphNodes", "graphEdges", "semanticMemories", "proceduralMemories", "profiles", *WRITE_ORDER[4:]]
        for c in order:
            rows = data.get(c)
            if not isinstance(rows, list):  # absent, or not an array: silently ignored
                continue
            if c == "profiles":
                for p in rows:
                    put(self.profiles, p.get("project") if isinstance(p, dict) else None, p, None)
                continue
            for r in rows:
                put(self.colls[c], r.get("id") if isinstance(r, dict) else None, r, None)
        logs = data.get("accessLogs")
        if logs is not None:
            if not isinstance(logs, list):
                return fail("accessLogs must be an array")
            if len(logs) > caps["MAX_ACCESS_LOGS"]:
                return fail(f"Too many access logs (max {caps['MAX_ACCESS_LOGS']})")
            ids = {m.get("id") for m in data["memories"] if isinstance(m, dict)}
            for row in logs:
                row = _normalize_access_log(row)
                if row["memoryId"] in ids:
                    put(self.colls["accessLogs"], row["memoryId"], row, None)
        return {"success": True, "strategy": strategy, **stats}


def _normalize_access_log(row: Any) -> dict[str, Any]:
    row = row if isinstance(row, dict) else {}
    recent = [x for x in row.get("recent") or [] if isinstance(x, (int, float)) and math.isfinite(x)][-20:]
    try:
        count = math.floor(row.get("count") or 0)
    except (TypeError, ValueError):
        count = 0
    return {**row, "memoryId": row.get("memoryId") if isinstance(row.get("memoryId"), str) else "",
            "count": max(count, len(recent)), "lastAt": row.get("lastAt") if isinstance(row.get("lastAt"), str) else "",
            "recent": recent}


# ---------------------------------------------------------------- mem0 Platform


class Mem0PlatformServer(_Server):
    """The mem0 Platform's paged listing and history (see the module docstring).

    Args:
        api_key: the key ``Authorization: Token <key>`` must carry.
        memories: Platform items (``id``, ``memory``, ``user_id``/``agent_id``/``app_id``/``session_id``...).
        history: ``memory id -> [history rows]``.
    """

    def __init__(self, api_key: str, memories: list[dict[str, Any]], history: dict[str, list[Any]] | None = None):
        super().__init__()
        self.api_key = api_key
        self.memories = memories
        self.history = history or {}
        self.pages: list[dict[str, Any]] = []

    def handle(self, method: str, path: str, q: dict[str, str], headers: Any, body: bytes) -> tuple[int, Any]:
        if headers.get("Authorization") != f"Token {self.api_key}":
            return 401, {"detail": "Invalid API key"}
        if method == "POST" and path == "/v3/memories/":
            req = json.loads(body or b"{}")
            filters = req.get("filters")
            if not filters:
                return 400, {"error": "filters are required: at least one of user_id, agent_id, app_id, run_id"}
            size = int(q.get("page_size", 100))
            if not 1 <= size <= 200:
                return 400, {"error": "page_size must be between 1 and 200"}
            page = int(q.get("page", 1))
            rows = [m for m in self.memories if _matches(m, filters)]
            start = (page - 1) * size
            if page < 1 or (start >= len(rows) and page != 1):
                return 404, {"detail": "Invalid page."}
            self.pages.append({"page": page, "page_size": size})
            base = f"{self.url}/v3/memories/?page_size={size}&page="
            return 200, {"count": len(rows), "next": base + str(page + 1) if start + size < len(rows) else None,
                         "previous": base + str(page - 1) if page > 1 else None, "results": rows[start:start + size]}
        if method == "GET" and path.startswith("/v1/memories/") and path.endswith("/history/"):
            mid = path[len("/v1/memories/"):-len("/history/")]
            return 200, self.history.get(mid, [])
        return 404, {"detail": "Not found."}


def _matches(m: dict[str, Any], f: Any) -> bool:
    if isinstance(f, dict):
        ok = True
        for k, v in f.items():
            if k == "AND":
                ok = ok and all(_matches(m, x) for x in v)
            elif k == "OR":
                ok = ok and any(_matches(m, x) for x in v)
            elif k == "NOT":
                ok = ok and not any(_matches(m, x) for x in v)
            else:
                key = "session_id" if k == "run_id" else k
                ok = ok and (m.get(key) is not None if v == "*" else m.get(key) == v)
        return ok
    return False


# ---------------------------------------------------------------- embeddings


class EmbeddingServer(_Server):
    """OpenAI-compatible ``POST /v1/embeddings``: deterministic unit vectors (``dims`` long unless the
    request asks for ``dimensions``)."""

    def __init__(self, dims: int = 64, fail_after: int | None = None):
        super().__init__()
        self.dims = dims
        self.calls = 0
        self.fail_after = fail_after
        """Calls after this many answered ones fail with HTTP 500 (None: never)."""

    def handle(self, method: str, path: str, q: dict[str, str], headers: Any, body: bytes) -> tuple[int, Any]:
        if method != "POST" or not path.endswith("/embeddings"):
            return 404, {"error": "not found"}
        if self.fail_after is not None and self.calls >= self.fail_after:
            return 500, {"error": {"message": "embedding backend down", "type": "server_error"}}
        req = json.loads(body or b"{}")
        inp = req.get("input", [])
        inp = [inp] if isinstance(inp, str) else inp
        dims = int(req.get("dimensions") or self.dims)
        self.calls += 1
        return 200, {"object": "list", "model": req.get("model"), "usage": {"prompt_tokens": 0, "total_tokens": 0},
                     "data": [{"object": "embedding", "index": i, "embedding": _vec(str(t), dims)}
                              for i, t in enumerate(inp)]}


def _vec(text: str, dims: int) -> list[float]:
    out: list[float] = []
    i = 0
    while len(out) < dims:
        out.extend((b - 127.5) / 127.5 for b in hashlib.sha256(f"{i}:{text}".encode()).digest())
        i += 1
    n = math.sqrt(sum(x * x for x in out[:dims])) or 1.0
    return [x / n for x in out[:dims]]
