"""Pull from and push to a running AgentMemory (``agentmemory+http://HOST:PORT``).

These tests run against the real AgentMemory 0.9.29 worker (``tests/agentmemory_server.py``: the
published npm package over a stand-in for its native engine; its REST routes, import checks, caps,
strategies and paged export are AgentMemory's own code). The in-process
:class:`live_standins.AgentMemoryServer` is kept only for faults the real worker cannot be made to show
on demand: an import that answers HTTP 500 or ``success: false`` half-way through a push.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import memconv
from memconv.errors import ExitCode

from agentmemory_server import AgentMemoryWorker, start_worker
from live_standins import AgentMemoryServer

SHARED = Path(__file__).resolve().parents[2] / "shared"
FULL = SHARED / "fixtures" / "agentmemory" / "example_full.json"
SECRET = "am-secret-5d2f90c4"
ADDED_BY_IMPORT = ("origin", "sessionIds")  # importOrigin() and the sessionIds default (agentmemory.md 2.3)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if k != "AGENTMEMORY_SECRET"}
    e.update({"MEMCONV_HTTP_BACKOFF": "0.01", **(env or {})})
    return subprocess.run([sys.executable, "-m", "memconv", *args], capture_output=True, env=e, timeout=600)


def export_doc(sessions: int, obs_per_session: int = 2, memories: int = 5, text: int = 40) -> dict[str, Any]:
    """An ExportData document of the given size (ids stable, text of ``text`` characters)."""
    sess = [{"id": f"ses_{i:05d}", "project": f"/work/p{i % 3}", "cwd": "/work", "startedAt": "2026-01-01T00:00:00.000Z",
             "status": "completed", "observationCount": obs_per_session} for i in range(sessions)]
    obs = {s["id"]: [{"id": f"obs_{i:05d}_{j}", "sessionId": s["id"], "timestamp": "2026-01-01T00:00:01.000Z",
                      "type": "conversation", "title": f"t{j}", "facts": [], "narrative": "n" * text,
                      "concepts": [], "files": [], "importance": 5} for j in range(obs_per_session)]
           for i, s in enumerate(sess) if obs_per_session}
    mems = [{"id": f"mem_{k:06d}", "createdAt": "2026-01-02T00:00:00.000Z", "updatedAt": "2026-01-02T00:00:00.000Z",
             "type": "fact", "title": f"memory {k}", "content": f"{k}:" + "m" * text, "concepts": ["x"],
             "files": [], "sessionIds": [], "strength": 1, "version": 1, "isLatest": True} for k in range(memories)]
    return {"version": "0.9.29", "exportedAt": "2026-01-03T00:00:00.000Z", "sessions": sess, "observations": obs,
            "memories": mems, "summaries": []}


def load(srv: AgentMemoryWorker | AgentMemoryServer, doc: dict[str, Any]) -> None:
    res = srv.import_(doc, "merge")
    assert res["success"], res


def load_in_parts(srv: AgentMemoryWorker, doc: dict[str, Any], parts: int) -> None:
    """``doc`` imported in ``parts`` bodies (sessions and observations with the first), each under the frame."""
    mems = doc["memories"]
    step = -(-len(mems) // parts)
    for i in range(parts):
        part = dict(doc, memories=mems[i * step:(i + 1) * step])
        if i:
            part |= {"sessions": [], "observations": {}, "summaries": []}
        load(srv, part)


def strip(rec: Any, original: Any) -> Any:
    if isinstance(rec, dict) and isinstance(original, dict):
        return {k: v for k, v in rec.items() if k in original or k not in ADDED_BY_IMPORT}
    return rec


def memory_ids(srv: AgentMemoryWorker) -> list[str]:
    """Every memory id in the store (paged by 500: the whole list of a big store is over the frame)."""
    assert srv.client is not None
    ids: list[str] = []
    while True:
        page = srv.client.get("/agentmemory/memories", params={"agentId": "*", "limit": 500,
                                                                "offset": len(ids)}).json()["memories"]
        ids += [m["id"] for m in page]
        if len(page) < 500:
            return ids


def exports_logged(srv: AgentMemoryWorker, since: int) -> list[dict[str, Any]]:
    """The worker's own ``Export complete`` log lines after byte ``since`` of its log."""
    text = (srv.work / "worker.log").read_bytes()[since:].decode(errors="replace")
    return [json.loads(line.split("Export complete ", 1)[1]) for line in text.splitlines() if "Export complete " in line]


def log_size(srv: AgentMemoryWorker) -> int:
    return (srv.work / "worker.log").stat().st_size


@pytest.fixture(scope="module")
def secret_worker() -> Any:
    """A second real worker, started with ``AGENTMEMORY_SECRET``."""
    w = start_worker(secret=SECRET)
    try:
        yield w
    finally:
        w.stop()


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~18 MiB of ExportData: more than one import body can carry, so a push takes two parts."""
    p = tmp_path_factory.mktemp("big") / "big.json"
    p.write_text(json.dumps(export_doc(sessions=40, obs_per_session=1, memories=2400, text=7600)))
    assert p.stat().st_size > 17 * 1024 * 1024
    return p


def test_push_then_pull_round_trip(tmp_path: Path, secret_worker: AgentMemoryWorker) -> None:
    secret_worker.reset()
    original = json.loads(FULL.read_text())
    url = f"agentmemory+{secret_worker.url}"
    p = cli(str(FULL), "-o", url, env={"AGENTMEMORY_SECRET": SECRET})
    assert p.returncode == 0, p.stderr
    assert b"done: " in p.stderr and b"memories: 4 insert" in p.stderr
    out = tmp_path / "pulled.json"
    p = cli(url, "--to", "agentmemory", "-o", str(out), env={"AGENTMEMORY_SECRET": SECRET})
    assert p.returncode == 0, p.stderr
    pulled = json.loads(out.read_text())
    for coll in ("sessions", "memories", "summaries", "graphNodes", "graphEdges", "lessons", "insights", "actions",
                 "profiles", "crystals", "facets", "routines", "signals", "checkpoints", "sentinels", "sketches"):
        key = {"summaries": "sessionId", "profiles": "project"}.get(coll, "id")
        want = {r[key]: r for r in original.get(coll) or []}
        got = {r[key]: strip(r, want.get(r[key])) for r in pulled.get(coll) or []}
        assert got == want, coll
    want_obs = {(b, o["id"]): o for b, rows in original["observations"].items() for o in rows}
    got_obs = {(b, o["id"]): strip(o, want_obs.get((b, o["id"]))) for b, rows in pulled["observations"].items()
               for o in rows}
    assert got_obs == want_obs


def test_pull_pages_sessions_and_takes_unpaged_collections_once(tmp_path: Path,
                                                                agentmemory_server: AgentMemoryWorker) -> None:
    srv = agentmemory_server
    load(srv, export_doc(sessions=25, obs_per_session=2, memories=5))
    since = log_size(srv)
    report = memconv.convert([f"agentmemory+{srv.url}"], "canonical", tmp_path / "c.jsonl", jsonl=True,
                             read_page_sessions=7)
    time.sleep(0.3)
    assert [e["sessions"] for e in exports_logged(srv, since)] == [7, 7, 7, 4]
    assert report.read["session"] == 25 and report.read["observation"] == 50
    assert report.read["memory"] == 5  # memories come with every page, and are taken once


def test_oversized_answer_shrinks_the_pages(tmp_path: Path, agentmemory_server: AgentMemoryWorker) -> None:
    """Sessions are the bulk (20 sessions of ~1 MiB of observations): AgentMemory's own export refuses the
    whole store as oversized, and smaller pages of sessions fit."""
    srv = agentmemory_server
    doc = export_doc(sessions=20, obs_per_session=1, memories=2, text=1_000_000)
    load(srv, dict(doc, sessions=doc["sessions"][:10], observations={s["id"]: doc["observations"][s["id"]]
                                                                      for s in doc["sessions"][:10]}))
    load(srv, dict(doc, sessions=doc["sessions"][10:], observations={s["id"]: doc["observations"][s["id"]]
                                                                      for s in doc["sessions"][10:]}))
    assert srv.export(maxSessions=1000).get("oversized") is True
    since = log_size(srv)
    report = memconv.convert([f"agentmemory+{srv.url}"], "canonical", tmp_path / "c.jsonl", jsonl=True)
    time.sleep(0.3)
    pages = [e["sessions"] for e in exports_logged(srv, since)]
    assert pages[0] == 20 and max(pages[-2:]) < 20 and sum(p for p in pages if p < 16) >= 20
    assert report.read["session"] == 20 and report.read["observation"] == 20 and report.read["memory"] == 2
    assert "agentmemory_routes" not in report.info  # the paged export sufficed


def test_pull_past_the_16_mib_frame_reads_collection_by_collection(tmp_path: Path,
                                                                   agentmemory_server: AgentMemoryWorker) -> None:
    """Memories are the bulk (~18 MiB): no page of the export fits, whatever its size; the pull reads the
    per-collection routes of 0.9.29, and the counts are what was pushed."""
    srv = agentmemory_server
    doc = export_doc(sessions=30, obs_per_session=2, memories=2400, text=7600)
    doc["summaries"] = [{"sessionId": "ses_00003", "project": "/work/p0", "createdAt": "2026-01-02T00:00:00.000Z",
                         "title": "s", "narrative": "n", "keyDecisions": [], "filesModified": [], "concepts": [],
                         "observationCount": 2}]
    doc["semanticMemories"] = [{"id": f"sem_{i}", "fact": f"f{i}", "confidence": 0.5, "sourceSessionIds": [],
                                "sourceMemoryIds": [], "accessCount": 0, "lastAccessedAt": "2026-01-02T00:00:00.000Z",
                                "strength": 1, "createdAt": "2026-01-02T00:00:00.000Z",
                                "updatedAt": "2026-01-02T00:00:00.000Z"} for i in range(3)]
    doc["crystals"] = [{"id": "crys_1", "narrative": "c", "keyOutcomes": [], "filesAffected": [], "lessons": [],
                        "sourceActionIds": [], "createdAt": "2026-01-02T00:00:00.000Z"}]
    # a session's own summary text (session/start's title sets it): one session with a SessionSummary too,
    # whose text the sessions route shadows, and one with the text alone (it was refused: "got a string")
    doc["sessions"][1]["summary"] = "Fix the 🐛 in parser — 第一"
    doc["sessions"][3]["summary"] = "shadowed by its SessionSummary"
    doc["lessons"] = [{"id": "lsn_1", "content": "l", "context": "", "confidence": 0.5, "reinforcements": 0,
                       "source": "manual", "sourceIds": [], "tags": [], "createdAt": "2026-01-02T00:00:00.000Z",
                       "updatedAt": "2026-01-02T00:00:00.000Z", "decayRate": 0.05}]
    load_in_parts(srv, doc, 2)
    assert srv.export(maxSessions=1).get("oversized") is True  # even one session a page is over the limit
    out = tmp_path / "pulled.json"
    report = memconv.convert([f"agentmemory+{srv.url}"], "agentmemory", out)
    pulled = json.loads(out.read_text())
    assert len(json.dumps(pulled)) > 16 * 1024 * 1024
    assert report.read["session"] == 30 and report.read["observation"] == 60 and report.read["memory"] == 2400
    assert sorted(m["id"] for m in pulled["memories"]) == sorted(m["id"] for m in doc["memories"])
    assert {(b, o["id"]) for b, rows in pulled["observations"].items() for o in rows} == \
        {(b, o["id"]) for b, rows in doc["observations"].items() for o in rows}
    assert [s["sessionId"] for s in pulled["summaries"]] == ["ses_00003"]
    assert {s["id"]: s["summary"] for s in pulled["sessions"] if "summary" in s} == {"ses_00001": "Fix the 🐛 in parser — 第一"}
    assert any("1 session(s) with their SessionSummary in place of their own summary text" in w
               for w in report.warnings)
    assert sorted(r["id"] for r in pulled["semanticMemories"]) == ["sem_0", "sem_1", "sem_2"]
    assert [r["id"] for r in pulled["crystals"]] == ["crys_1"]
    routes = report.info["agentmemory_routes"]
    assert "GET /agentmemory/memories" in routes and "GET /agentmemory/semantic" in routes
    warning = next(w for w in report.warnings if "16 MiB" in w)
    assert "lessons" in warning and "profiles" in warning  # no 0.9.29 route lists them whole: said, not hidden


def test_wrong_or_missing_secret_is_exit_9(secret_worker: AgentMemoryWorker) -> None:
    secret_worker.reset()
    url = f"agentmemory+{secret_worker.url}"
    p = cli(url, "--to", "canonical")
    assert p.returncode == ExitCode.REMOTE
    assert b"HTTP 401" in p.stderr and b"no token was sent" in p.stderr and b"AGENTMEMORY_SECRET" in p.stderr
    p = cli(str(FULL), "-o", url, "--target-token", "wrong-token-0000")
    assert p.returncode == ExitCode.REMOTE and b"the token was refused" in p.stderr
    assert secret_worker.counts()["memories"] == 0


def test_push_without_strategy_refuses_existing_keys_and_dry_run_matches_real_run(
        agentmemory_server: AgentMemoryWorker) -> None:
    srv = agentmemory_server
    url = f"agentmemory+{srv.url}"
    memconv.convert([FULL], "agentmemory", url)
    before = srv.export()
    with pytest.raises(memconv.MemconvError) as e:
        memconv.convert([FULL], "agentmemory", url)
    assert e.value.exit_code == ExitCode.EXISTS and "4 memories" in e.value.message
    assert srv.export()["memories"] == before["memories"]  # nothing sent
    load(srv, export_doc(sessions=3, memories=2))  # records the input lacks
    for strategy in ("merge", "skip", "replace"):
        held = srv.counts()
        dry = memconv.convert([FULL], "agentmemory", url, strategy=strategy, dry_run=True).info["plan"]
        assert srv.counts() == held
        real = memconv.convert([FULL], "agentmemory", url, strategy=strategy).info["plan"]
        assert dry == real, strategy
    assert real["collections"]["memories"] == {"insert": 0, "update": 4, "skip": 0, "delete": 2, "keep": 0}
    assert real["collections"]["sessions"]["delete"] == 3
    assert srv.counts()["memories"] == 4 and srv.counts()["sessions"] == 2  # replace: exactly the input


def test_split_push_keeps_every_body_under_the_frame(big: Path, tmp_path: Path,
                                                     agentmemory_server: AgentMemoryWorker) -> None:
    srv = agentmemory_server
    report = tmp_path / "r.json"
    p = cli(str(big), "-o", f"agentmemory+{srv.url}", "--report", str(report))
    assert p.returncode == 0, p.stderr  # a body over 16 MiB would have been dropped by the engine
    assert json.loads(report.read_text())["remote_written"]["parts imported"] >= 2
    assert srv.counts() == {"sessions": 40, "observations": 40, "memories": 2400, "summaries": 0}


def test_replace_in_parts_leaves_exactly_the_input(big: Path, agentmemory_server: AgentMemoryWorker) -> None:
    srv = agentmemory_server
    load(srv, export_doc(sessions=3, memories=3, text=10) | {"memories": [{"id": "mem_old", "content": "x"}]})
    p = cli(str(big), "-o", f"agentmemory+{srv.url}", "--strategy", "replace")
    assert p.returncode == 0, p.stderr
    ids = memory_ids(srv)
    assert "mem_old" not in ids and len(ids) == 2400
    assert srv.counts()["sessions"] == 40


def test_replace_into_a_store_past_the_frame_says_what_it_cannot_count(tmp_path: Path,
                                                                     agentmemory_server: AgentMemoryWorker) -> None:
    """A store too large for one export answer is read collection by collection, and some collections
    have no 0.9.29 route (lessons...): the plan cannot count them, and ``--strategy replace`` wipes them
    with the rest. The warning says so before anything is sent (it said only "not read")."""
    srv = agentmemory_server
    srv.reset()
    doc = export_doc(sessions=30, obs_per_session=2, memories=2400, text=7600)
    doc["lessons"] = [{"id": "lsn_1", "content": "l", "context": "", "confidence": 0.5, "reinforcements": 0,
                       "source": "manual", "sourceIds": [], "tags": [], "createdAt": "2026-01-02T00:00:00.000Z",
                       "updatedAt": "2026-01-02T00:00:00.000Z", "decayRate": 0.05}]
    load_in_parts(srv, doc, 2)
    tiny = tmp_path / "tiny.json"
    tiny.write_text(json.dumps(export_doc(sessions=1, memories=1, text=10)))
    report = memconv.convert([tiny], "agentmemory", f"agentmemory+{srv.url}", strategy="replace", dry_run=True)
    warning = next(w for w in report.warnings if "--strategy replace empties the whole store" in w)
    assert "lessons" in warning and "deleted too" in warning
    assert srv.counts()["memories"] == 2400  # a dry run: nothing sent


@pytest.mark.parametrize("mode", ["http500", "success_false"])
def test_failure_mid_push_is_reported_and_a_retry_leaves_no_duplicates(big: Path, tmp_path: Path, mode: str) -> None:
    """In-process stand-in: the real worker cannot be made to answer 500 or ``success: false`` to the
    second import of a push on demand (a killed real worker is the next test)."""
    with AgentMemoryServer(fail_after_imports=1, fail_mode=mode) as srv:
        url = f"agentmemory+{srv.url}"
        report = tmp_path / "report.json"
        p = cli(str(big), "-o", url, "--report", str(report))
        assert p.returncode == ExitCode.PARTIAL, p.stderr
        err = p.stderr.decode()
        assert "the push failed part-way" in err and "1 parts imported" in err and "--strategy skip" in err
        first = srv.imports[0]["result"]
        assert f"{first['memories']} memories" in err
        assert json.loads(report.read_text())["remote_written"]["parts imported"] == 1
        held = srv.counts()["memories"]
        assert 0 < held < 2400  # the first part only
        srv.fail_after_imports = None  # the server is back
        p = cli(str(big), "-o", url)  # the same command again refuses to write over what is there
        assert p.returncode == ExitCode.EXISTS
        p = cli(str(big), "-o", url, "--strategy", "skip")
        assert p.returncode == 0, p.stderr
        assert srv.counts()["memories"] == 2400 and srv.counts()["sessions"] == 40
        assert sum(i["result"]["skipped"] for i in srv.imports[-2:] if "result" in i) >= held
        assert sum(i["result"]["memories"] for i in srv.imports if "result" in i) == 2400  # each written once


def test_refused_first_import_is_a_remote_error_not_partial() -> None:
    """In-process stand-in: a real worker refuses only what it finds wrong in the body, and memconv's
    bodies pass its checks (test_agentmemory_real); a backend failure on the first import is a fault."""
    with AgentMemoryServer(fail_after_imports=0, fail_mode="success_false") as srv:
        p = cli(str(FULL), "-o", f"agentmemory+{srv.url}")
        assert p.returncode == ExitCode.REMOTE
        assert b"was refused: state backend unavailable" in p.stderr
        assert srv.counts()["memories"] == 0


def test_ls(agentmemory_server: AgentMemoryWorker) -> None:
    srv = agentmemory_server
    load(srv, export_doc(sessions=4, obs_per_session=3, memories=6))
    p = cli("ls", f"agentmemory+{srv.url}", "--json")
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    counts = {r["collection"]: r["count"] for r in rows if "project" not in r}
    assert counts == {"sessions": 4, "observations": 12, "memories": 6}
    assert {r["project"]: r["count"] for r in rows if "project" in r} == {"/work/p0": 2, "/work/p1": 1,
                                                                           "/work/p2": 1}
    p = cli("ls", f"agentmemory+{srv.url}")
    assert b"observations" in p.stdout and b"12" in p.stdout


def test_the_unread_collections_of_a_source_are_not_said_of_the_target(tmp_path: Path,
                                                                      agentmemory_server: AgentMemoryWorker) -> None:
    """A source store read collection by collection marks what it could not read; a replace push into a
    small target, read whole, must not warn that the target's collections went uncounted (the mark
    was the source's; found by review with two stand-in servers; here the source's mark is set as the
    pull sets it)."""
    srv = agentmemory_server
    srv.reset()
    tiny = tmp_path / "tiny.json"
    tiny.write_text(json.dumps(export_doc(sessions=1, memories=1, text=10)))
    report = memconv.Report()
    report.info["agentmemory_unread"] = ["profiles"]  # what a pull past the frame leaves
    memconv.convert([tiny], "agentmemory", f"agentmemory+{srv.url}", strategy="replace", dry_run=True, report=report)
    assert not any("empties the whole store" in w for w in report.warnings)
