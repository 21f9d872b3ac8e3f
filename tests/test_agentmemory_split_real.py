"""Parts of a split AgentMemory output, as the real 0.9.29 importer takes them one at a time.

``mem::import`` keeps an access log only when its memory is in the same import
(``memoryIds = new Set(importData.memories.map(m => m.id))``): a part that carries access logs without
their memories loses them in silence. Each part of ``--split`` (and of a push, which imports those parts)
must carry an access log with its memory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

import memconv

from agentmemory_server import AgentMemoryWorker
from test_live_agentmemory import export_doc


def doc_with_access_logs() -> dict[str, Any]:
    """~18 MiB (two parts), an access log for every memory."""
    doc = export_doc(sessions=4, obs_per_session=1, memories=2400, text=7600)
    doc["accessLogs"] = [{"memoryId": m["id"], "count": 2, "lastAt": "2026-01-02T00:00:00.000Z",
                          "recent": [1767312000000]} for m in doc["memories"]]
    return doc


def test_the_real_importer_keeps_an_access_log_only_with_its_memory(agentmemory_server: AgentMemoryWorker) -> None:
    srv = agentmemory_server
    doc = export_doc(sessions=1, memories=2)
    log = {"memoryId": "mem_000000", "count": 1, "lastAt": "2026-01-02T00:00:00.000Z", "recent": []}
    assert srv.import_(doc, "merge")["success"] is True
    assert srv.import_(dict(doc, sessions=[], observations={}, memories=[], accessLogs=[log]), "merge")["success"]
    assert "accessLogs" not in srv.export()  # its memory was in the store, not in the import: dropped
    assert srv.import_(dict(doc, accessLogs=[log]), "merge")["success"] is True
    assert [a["memoryId"] for a in srv.export()["accessLogs"]] == ["mem_000000"]


def test_split_parts_carry_each_access_log_with_its_memory(tmp_path: Path) -> None:
    src = tmp_path / "in.json"
    src.write_bytes(orjson.dumps(doc_with_access_logs()))
    report = memconv.convert([src], "agentmemory", tmp_path / "out.json", split=True)
    parts = [json.loads(Path(p).read_text()) for p in report.info["parts"]] if "parts" in report.info else \
        [json.loads(p.read_text()) for p in sorted(tmp_path.glob("out.part-*.json"))]
    assert len(parts) >= 2
    seen = []
    for part in parts:
        mems = {m["id"] for m in part["memories"]}
        logs = [a["memoryId"] for a in part.get("accessLogs") or []]
        assert set(logs) <= mems, sorted(set(logs) - mems)[:3]
        seen += logs
    assert sorted(seen) == sorted(f"mem_{k:06d}" for k in range(2400))


def test_split_parts_imported_one_by_one_hold_the_whole_input(tmp_path: Path,
                                                              agentmemory_server: AgentMemoryWorker) -> None:
    """Each ``--split`` part is one import the real worker accepts (within its caps and frame); all of them,
    in order, leave every session, observation and memory of the input in the store, each once."""
    srv = agentmemory_server
    doc = doc_with_access_logs()
    src = tmp_path / "in.json"
    src.write_bytes(orjson.dumps(doc))
    memconv.convert([src], "agentmemory", tmp_path / "out.json", split=True)
    paths = sorted(tmp_path.glob("out.part-*.json"))
    assert len(paths) >= 2 and all(p.stat().st_size < 15 * 1024 * 1024 for p in paths)
    for p in paths:
        res = srv.import_(p.read_bytes(), "merge")
        assert res.get("success") is True, (p.name, res)
    assert srv.counts() == {"sessions": 4, "observations": 4, "memories": 2400, "summaries": 0}
    ids: list[str] = []
    while True:
        assert srv.client is not None
        page = srv.client.get("/agentmemory/memories", params={"limit": 500, "offset": len(ids)}).json()["memories"]
        ids += [m["id"] for m in page]
        if len(page) < 500:
            break
    assert sorted(ids) == sorted(m["id"] for m in doc["memories"])


def test_access_logs_of_no_memory_are_warned_of(tmp_path: Path, agentmemory_server: AgentMemoryWorker) -> None:
    """AgentMemory's own export holds access logs keyed by observation ids (real_export_seeded.json:
    3 of 5); its importer drops them: the report says so instead of leaving it silent."""
    src = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "agentmemory" / "real_export_seeded.json"
    out = tmp_path / "out.json"
    report = memconv.convert([src], "agentmemory", out)
    warning = next(w for w in report.warnings if w.startswith("accessLogs: "))
    assert "3 of 5 name no memory" in warning
    assert agentmemory_server.import_(out.read_bytes(), "merge")["success"] is True
    assert len(agentmemory_server.export()["accessLogs"]) == 2  # the real importer dropped the three
