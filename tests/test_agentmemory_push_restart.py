"""A push to the real AgentMemory worker in parts, killed half-way, restarted on its state file, rerun.

The worker (``tests/agentmemory_server.py``) keeps its store in ``AGENTMEMORY_STATE_FILE`` (saved every
0.5 s, loaded on start). A store of ~32 MiB takes three imports (each within the caps and ~15 MiB). The
network layer (:data:`memconv.transport.TRANSPORT_WRAPPER`) records every import body and SIGKILLs the
worker once the second import has answered; the push then fails with exit 10 naming what was written.
The worker is started again on the same state file, and the same push with ``--strategy merge``
ends with each record once and nothing missing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

import memconv
from memconv import transport
from memconv.errors import ExitCode, PartialWrite

from agentmemory_server import AgentMemoryWorker, start_worker
from test_live_agentmemory import export_doc, memory_ids


class _KillAfterImports(httpx.BaseTransport):
    """Passes requests on; keeps each import body that was answered; kills ``worker`` once ``n`` imports have answered."""

    def __init__(self, inner: httpx.BaseTransport, worker: AgentMemoryWorker | None, n: int, bodies: list[Any]):
        self.inner, self.worker, self.n, self.bodies = inner, worker, n, bodies

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        is_import = request.method == "POST" and request.url.path == "/agentmemory/import"
        resp = self.inner.handle_request(request)  # a dead worker: ConnectError, the body is not kept
        if is_import:
            self.bodies.append(orjson.loads(request.read())["exportData"])
        if is_import and self.worker is not None and len(self.bodies) == self.n:
            resp.read()
            time.sleep(1.2)  # the stand-in saves its state every 0.5 s: the two parts are on disk
            self.worker.kill()
        return resp


def big_doc() -> dict[str, Any]:
    """~32 MiB: 60 sessions (2 observations each), 4200 memories citing sessions, summaries of 10."""
    doc = export_doc(sessions=60, obs_per_session=2, memories=4200, text=7600)
    for k, m in enumerate(doc["memories"]):
        m["sessionIds"] = [f"ses_{k % 60:05d}"]
    doc["summaries"] = [{"sessionId": f"ses_{i:05d}", "project": "/work/p0", "createdAt": "2026-01-02T00:00:00.000Z",
                         "title": f"s{i}", "narrative": "n", "keyDecisions": [], "filesModified": [],
                         "concepts": [], "observationCount": 2} for i in range(0, 60, 6)]
    return doc


def check_order(bodies: list[dict[str, Any]]) -> None:
    """No part refers to a session that neither it nor an earlier part brought."""
    brought: set[str] = set()
    for i, part in enumerate(bodies):
        brought |= {s["id"] for s in part["sessions"]}
        cited = set(part["observations"]) | {s["sessionId"] for s in part["summaries"]}
        cited |= {sid for m in part["memories"] for sid in m.get("sessionIds") or []}
        assert cited <= brought, (i, sorted(cited - brought)[:5])


def test_push_killed_after_the_second_part_and_rerun_with_merge(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "big.json"
    doc = big_doc()
    src.write_bytes(orjson.dumps(doc))
    state = tmp_path / "state.json"
    monkeypatch.setenv("MEMCONV_HTTP_BACKOFF", "0.01")
    bodies: list[Any] = []
    first = start_worker(state_file=state)
    try:
        monkeypatch.setattr(transport, "TRANSPORT_WRAPPER", lambda inner: _KillAfterImports(inner, first, 2, bodies))
        with pytest.raises(PartialWrite) as e:
            memconv.convert([src], "agentmemory", f"agentmemory+{first.url}")
        assert e.value.exit_code == ExitCode.PARTIAL
        assert "2 parts imported" in e.value.message and "--strategy skip" in e.value.message
    finally:
        first.stop()
    assert len(bodies) == 2  # two imported; the third found the worker dead (connection refused)
    check_order(bodies)
    with start_worker(state_file=state) as second:
        held = second.counts()
        brought = {m["id"] for part in bodies[:2] for m in part["memories"]}
        assert held["memories"] == len(brought) and 0 < held["memories"] < 4200  # the first two parts survived
        bodies.clear()
        monkeypatch.setattr(transport, "TRANSPORT_WRAPPER", lambda inner: _KillAfterImports(inner, None, 0, bodies))
        report = memconv.convert([src], "agentmemory", f"agentmemory+{second.url}", strategy="merge")
        check_order(bodies)
        assert report.info["remote_written"]["parts imported"] == len(bodies) >= 3
        ids = memory_ids(second)
        assert len(ids) == len(set(ids)) == 4200 and set(ids) == {m["id"] for m in doc["memories"]}
        assert second.counts() == {"sessions": 60, "observations": 120, "memories": 4200, "summaries": 10}
        exported = second.export(maxSessions=1, offset=60)
        assert exported.get("oversized") is True  # the store is past one export answer: counted by routes
        sessions = second.client.get("/agentmemory/sessions").json()["sessions"]
        assert len({s["id"] for s in sessions}) == len(sessions) == 60
