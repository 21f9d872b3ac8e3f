"""memconv's AgentMemory output against the real AgentMemory 0.9.29 worker (``tests/agentmemory_server.py``).

Every ``ExportData`` memconv writes (every fixture of every source format, every ``--target-version`` of
the allow-list) is imported with ``POST /agentmemory/import`` under each strategy and read back with
``GET /agentmemory/export``; what AgentMemory stored must be what memconv meant to write: the same
records per collection, by key, with the same contents (AgentMemory adds ``origin`` and a default
``sessionIds`` to a record that lacks them, turns a ``sessionIds`` that is no array into ``[]``, and keeps only the access logs of memories it imported:
``mem::import`` of 0.9.29, ``importOrigin`` and the memory-id filter).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import memconv

from agentmemory_server import AgentMemoryWorker

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "fixtures"
NOT_INPUTS = ("manifest.json", "add_results.json", "oversized_error.json", ".passages.jsonl", "MANIFEST.md", ".md",
              ".tar.gz", "INVALID", "partial_invalid")
"""Files among the fixtures that are no memory input (a manifest, an add() answer, AgentMemory's own
oversized error, a sidecar, a broken file): their refusal is tested elsewhere."""
MEMFS = REPO / "fixtures" / "letta-memfs"
FIXTURES = sorted([p for root in (SHARED, REPO / "fixtures") for p in root.rglob("*")
                   if (p.is_file() or p.suffix == ".af") and not any(n in p.name for n in NOT_INPUTS)
                   and not any(q.suffix == ".af" and q.is_dir() for q in p.parents) and MEMFS not in p.parents]
                  + [p for p in MEMFS.iterdir() if p.is_dir()])
"""Every input file, a Letta bundle folder (``*.af/``) and a Letta Code memory folder as one input."""
ADDED_BY_IMPORT = ("origin", "sessionIds")
KEY = {"summaries": "sessionId", "profiles": "project", "accessLogs": "memoryId"}
COLLECTIONS = ("sessions", "memories", "summaries", "profiles", "graphNodes", "graphEdges", "semanticMemories",
               "proceduralMemories", "actions", "actionEdges", "sentinels", "sketches", "crystals", "facets",
               "lessons", "insights", "routines", "signals", "checkpoints", "accessLogs")


def _id(p: Path) -> str:
    return str(p.relative_to(SHARED if SHARED in p.parents else REPO))


def written(src: Path | list[Path], tmp: Path, **kw: Any) -> dict[str, Any]:
    out = tmp / f"out-{len(list(tmp.iterdir()))}.json"
    memconv.convert([str(s) for s in (src if isinstance(src, list) else [src])], "agentmemory", out, **kw)
    return json.loads(out.read_text())


def by_key(coll: str, rows: Any) -> dict[Any, Any]:
    return {r.get(KEY.get(coll, "id")): r for r in rows or [] if isinstance(r, dict)} if isinstance(rows, list) else {}


def meant(doc: dict[str, Any]) -> dict[str, Any]:
    """What AgentMemory 0.9.29 should hold after importing ``doc`` into an empty store: per collection
    the records by key (a later duplicate wins, as the importer writes by key), access logs of imported
    memories only, observations by (bucket, id)."""
    out = {c: by_key(c, doc.get(c)) for c in COLLECTIONS}
    out["accessLogs"] = {k: v for k, v in out["accessLogs"].items() if k in out["memories"]}
    out["memories"] = {k: m if isinstance(m.get("sessionIds"), list) else m | {"sessionIds": []}
                       for k, m in out["memories"].items()}  # mem::import: a non-array sessionIds becomes []
    out["observations"] = {(b, o.get("id")): o for b, rows in (doc.get("observations") or {}).items()
                           if isinstance(rows, list) for o in rows if isinstance(o, dict)}
    return out


def stored(srv: AgentMemoryWorker, want: dict[str, Any]) -> dict[str, Any]:
    """The store, as :func:`meant` shapes it, without the fields the importer adds to a record that lacked them."""
    got = meant(srv.export())

    def strip(rec: Any, orig: Any) -> Any:
        if isinstance(rec, dict) and isinstance(orig, dict):
            return {k: v for k, v in rec.items() if k in orig or k not in ADDED_BY_IMPORT}
        return rec

    return {c: {k: strip(v, want.get(c, {}).get(k)) for k, v in rows.items()} for c, rows in got.items()}


def counts(m: dict[str, Any]) -> dict[str, int]:
    return {c: len(v) for c, v in m.items() if v}


def check_strategies(srv: AgentMemoryWorker, doc: dict[str, Any]) -> None:
    """Import ``doc`` with merge, skip and replace, and compare the store with :func:`meant` each time."""
    want = meant(doc)
    res = srv.import_(doc, "merge")
    assert res.get("success") is True, res
    assert stored(srv, want) == want
    n = len(want["sessions"]) + len(want["observations"]) + len(want["memories"]) + len(want["summaries"])
    res = srv.import_(doc, "skip")
    assert res.get("success") is True and res["sessions"] + res["observations"] + res["memories"] == 0, res
    assert res["skipped"] >= n - len(want["summaries"])
    assert stored(srv, want) == want
    extra = {"version": "0.9.29", "exportedAt": "2026-01-01T00:00:00.000Z", "sessions": [],
             "observations": {}, "summaries": [],
             "memories": [{"id": "mem_not_in_input", "createdAt": "2026-01-01T00:00:00.000Z",
                           "updatedAt": "2026-01-01T00:00:00.000Z", "type": "fact", "title": "x", "content": "x",
                           "concepts": [], "files": [], "sessionIds": [], "strength": 1, "version": 1,
                           "isLatest": True}]}
    assert srv.import_(extra, "merge")["success"] is True
    res = srv.import_(doc, "replace")
    assert res.get("success") is True, res
    assert stored(srv, want) == want  # replace: exactly the input, the extra memory is gone


@pytest.mark.parametrize("src", FIXTURES, ids=_id)
def test_every_fixture_is_stored_as_written_under_each_strategy(src: Path, tmp_path: Path,
                                                                 agentmemory_server: AgentMemoryWorker) -> None:
    check_strategies(agentmemory_server, written(src, tmp_path))


def test_every_target_version_is_imported(tmp_path: Path, agentmemory_server: AgentMemoryWorker) -> None:
    from memconv.adapters.agentmemory.shape import SUPPORTED_VERSIONS

    src = SHARED / "agentmemory" / "example_full.json"
    want = None
    for v in SUPPORTED_VERSIONS:
        doc = written(src, tmp_path, target_version=v)
        assert doc["version"] == v
        want = want or meant(doc)
        agentmemory_server.reset()
        res = agentmemory_server.import_(doc, "merge")
        assert res.get("success") is True, (v, res)
        assert stored(agentmemory_server, want) == want, v


def test_several_sources_at_once(tmp_path: Path, agentmemory_server: AgentMemoryWorker) -> None:
    """A Letta agent, a mem0 list and an AgentMemory export in one output, as the real importer takes it."""
    doc = written([SHARED / "letta" / "co-3.af", SHARED / "mem0" / "get_all_v11.json",
                   SHARED / "agentmemory" / "example_full.json"], tmp_path)
    want = meant(doc)
    assert want["memories"] and want["sessions"] and want["observations"]
    check_strategies(agentmemory_server, doc)


def _changed(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with a record of each kind changed, one removed and one added (a second export of a store)."""
    d = json.loads(json.dumps(doc))
    d["memories"][0]["content"] = "changed"
    d["memories"] = d["memories"][1:] + [dict(d["memories"][0], id="mem_new_0001", content="new")]
    bucket = next(iter(d["observations"]))
    d["observations"][bucket][0]["title"] = "changed"
    d["sessions"][0]["status"] = "abandoned"
    return d


@pytest.mark.parametrize("strategy", ["merge", "skip", "replace"])
def test_file_strategies_equal_the_real_importers(strategy: str, tmp_path: Path,
                                                  agentmemory_server: AgentMemoryWorker) -> None:
    """``-o out.json --strategy S`` onto an existing AgentMemory output gives the document that
    importing the new one with ``S`` into a store holding the old one gives in the real worker."""
    srv = agentmemory_server
    old = SHARED / "agentmemory" / "example_full.json"
    new = tmp_path / "second.json"
    new.write_text(json.dumps(_changed(json.loads(old.read_text()))))
    out = tmp_path / "out.json"
    memconv.convert([old], "agentmemory", out)
    first = json.loads(out.read_text())
    memconv.convert([new], "agentmemory", out, strategy=strategy)
    merged = json.loads(out.read_text())
    second = json.loads(new.read_text())
    assert srv.import_(first, "merge")["success"] is True
    assert srv.import_(second, strategy)["success"] is True
    want = meant(merged)
    assert stored(srv, want) == want
