"""Pull from and push to a running AgentMemory (``agentmemory+http://HOST:PORT``).

No real AgentMemory server can run here (its engine is a native binary outside the package
registries), so these tests run against :class:`live_standins.AgentMemoryServer`, an in-process
HTTP server on 127.0.0.1 that follows the documented REST contract of AgentMemory 0.9.29 exactly
(``shared/formats/agentmemory.md`` sections 2 and 4.1: Bearer auth and 401, paged export with the
oversized answer, import with its checks, caps, strategies and ``success: false`` on HTTP 200).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import memconv
from memconv.errors import ExitCode, RemoteError

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


def load(srv: AgentMemoryServer, doc: dict[str, Any]) -> None:
    res = srv.import_(doc, "merge")
    assert res["success"], res


def strip(rec: Any, original: Any) -> Any:
    if isinstance(rec, dict) and isinstance(original, dict):
        return {k: v for k, v in rec.items() if k in original or k not in ADDED_BY_IMPORT}
    return rec


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~18 MiB of ExportData: more than one import body can carry, so a push takes two parts."""
    p = tmp_path_factory.mktemp("big") / "big.json"
    p.write_text(json.dumps(export_doc(sessions=40, obs_per_session=1, memories=2400, text=7600)))
    assert p.stat().st_size > 17 * 1024 * 1024
    return p


def test_push_then_pull_round_trip(tmp_path: Path) -> None:
    original = json.loads(FULL.read_text())
    with AgentMemoryServer(secret=SECRET) as srv:
        url = f"agentmemory+{srv.url}"
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


def test_pull_pages_sessions_and_takes_unpaged_collections_once(tmp_path: Path) -> None:
    with AgentMemoryServer() as srv:
        load(srv, export_doc(sessions=25, obs_per_session=2, memories=5))
        report = memconv.convert([f"agentmemory+{srv.url}"], "canonical", tmp_path / "c.jsonl", jsonl=True,
                                 read_page_sessions=7)
        assert [e["offset"] for e in srv.exports] == [0, 7, 14, 21]
        assert all(e["maxSessions"] == 7 for e in srv.exports)
    assert report.read["session"] == 25 and report.read["observation"] == 50
    assert report.read["memory"] == 5  # memories come with every page, and are taken once


def test_oversized_answer_shrinks_the_pages(tmp_path: Path) -> None:
    with AgentMemoryServer(safe_payload_bytes=40_000) as srv:
        load(srv, export_doc(sessions=20, obs_per_session=1, memories=2, text=5_000))
        report = memconv.convert([f"agentmemory+{srv.url}"], "canonical", tmp_path / "c.jsonl", jsonl=True)
        sizes = [e["maxSessions"] for e in srv.exports]
    assert sizes[0] == 1000 and sizes == sorted(sizes, reverse=True) and sizes[-1] < 8
    assert report.read["session"] == 20 and report.read["observation"] == 20 and report.read["memory"] == 2


def test_oversized_even_at_one_session_is_a_remote_error(tmp_path: Path) -> None:
    with AgentMemoryServer(safe_payload_bytes=20_000) as srv:
        load(srv, export_doc(sessions=2, obs_per_session=0, memories=10, text=3_000))  # memories alone: 30 KB
        with pytest.raises(RemoteError) as e:
            memconv.convert([f"agentmemory+{srv.url}"], "canonical", tmp_path / "c.jsonl", jsonl=True)
        assert "even at one session a page" in e.value.message
        assert srv.exports[-1]["maxSessions"] == 1
    assert not (tmp_path / "c.jsonl").exists()


def test_wrong_or_missing_secret_is_exit_9(tmp_path: Path) -> None:
    with AgentMemoryServer(secret=SECRET) as srv:
        p = cli(f"agentmemory+{srv.url}", "--to", "canonical")
        assert p.returncode == ExitCode.REMOTE
        assert b"HTTP 401" in p.stderr and b"no token was sent" in p.stderr and b"AGENTMEMORY_SECRET" in p.stderr
        p = cli(str(FULL), "-o", f"agentmemory+{srv.url}", "--target-token", "wrong-token-0000")
        assert p.returncode == ExitCode.REMOTE and b"the token was refused" in p.stderr
        assert srv.imports == []


def test_push_without_strategy_refuses_existing_keys_and_dry_run_matches_real_run() -> None:
    with AgentMemoryServer() as srv:
        url = f"agentmemory+{srv.url}"
        memconv.convert([FULL], "agentmemory", url)
        n = len(srv.imports)
        with pytest.raises(memconv.MemconvError) as e:
            memconv.convert([FULL], "agentmemory", url)
        assert e.value.exit_code == ExitCode.EXISTS and "4 memories" in e.value.message
        assert len(srv.imports) == n  # nothing sent
        srv.import_(export_doc(sessions=3, memories=2), "merge")  # records the input lacks
        for strategy in ("merge", "skip", "replace"):
            before = srv.counts()
            dry = memconv.convert([FULL], "agentmemory", url, strategy=strategy, dry_run=True).info["plan"]
            assert srv.counts() == before and len(srv.imports) == n
            real = memconv.convert([FULL], "agentmemory", url, strategy=strategy).info["plan"]
            n += 1
            assert dry == real, strategy
        assert real["collections"]["memories"] == {"insert": 0, "update": 4, "skip": 0, "delete": 2, "keep": 0}
        assert real["collections"]["sessions"]["delete"] == 3
        assert srv.counts()["memories"] == 4 and srv.counts()["sessions"] == 2  # replace: exactly the input


def test_split_push_keeps_every_body_under_the_frame(big: Path) -> None:
    with AgentMemoryServer() as srv:
        p = cli(str(big), "-o", f"agentmemory+{srv.url}")
        assert p.returncode == 0, p.stderr
        bodies = [i["bytes"] for i in srv.imports]
        assert len(bodies) >= 2 and max(bodies) <= 15 * 1024 * 1024
        assert srv.counts()["memories"] == 2400 and srv.counts()["sessions"] == 40


def test_replace_in_parts_leaves_exactly_the_input(big: Path) -> None:
    with AgentMemoryServer() as srv:
        srv.import_(export_doc(sessions=3, memories=3, text=10) | {"memories": [{"id": "mem_old", "content": "x"}]},
                    "merge")
        p = cli(str(big), "-o", f"agentmemory+{srv.url}", "--strategy", "replace")
        assert p.returncode == 0, p.stderr
        assert [i["strategy"] for i in srv.imports] == ["replace"] + ["merge"] * (len(srv.imports) - 1)
        assert len(srv.imports) >= 2
        assert "mem_old" not in srv.memories and len(srv.memories) == 2400


@pytest.mark.parametrize("mode", ["http500", "success_false"])
def test_failure_mid_push_is_reported_and_a_retry_leaves_no_duplicates(big: Path, tmp_path: Path, mode: str) -> None:
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
    with AgentMemoryServer(fail_after_imports=0, fail_mode="success_false") as srv:
        p = cli(str(FULL), "-o", f"agentmemory+{srv.url}")
        assert p.returncode == ExitCode.REMOTE
        assert b"was refused: state backend unavailable" in p.stderr
        assert srv.counts()["memories"] == 0


def test_ls(tmp_path: Path) -> None:
    with AgentMemoryServer() as srv:
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
