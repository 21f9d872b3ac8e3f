"""Versions (issue 11 item 14): Letta revision ids, mem0 REST-server metadata leaks, AgentMemory's allow-list."""

from __future__ import annotations

import re

import orjson
import pytest

import memconv
from memconv.report import Report

from helpers import FIXTURES, run_cli

EXTERNAL_AF = sorted((FIXTURES / "external" / "letta").glob("*.af"))


def _revision(path):
    try:
        doc = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError:
        return None
    meta = doc.get("metadata") if isinstance(doc, dict) else None
    rid = meta.get("revision_id") if isinstance(meta, dict) else None
    return rid if isinstance(rid, str) and re.fullmatch(r"[0-9a-f]{12}", rid) else None


@pytest.mark.parametrize("path", [p for p in EXTERNAL_AF if _revision(p)], ids=lambda p: p.name)
def test_real_letta_revision_ids_are_known(path):
    """Files from Letta's own repositories (letta-evals: 18ff61fbc034, 27de0f58e076; letta tests:
    567e9fe06270) carry alembic heads memconv used to call unknown."""
    report = Report()
    memconv.read(str(path), report=report)
    assert not [w for w in report.warnings if "revision_id" in w], report.warnings


def test_revision_table_covers_the_migration_history():
    from memconv.adapters.letta.shape import KNOWN_REVISIONS as REVISIONS

    # every 12-hex head of letta's alembic history, 0.5.0 to 0.16.8, not only the shared fixtures' ones
    assert len(REVISIONS) >= 167
    assert REVISIONS["18ff61fbc034"] == "0.12.0" and REVISIONS["567e9fe06270"] == "0.12.0"
    assert REVISIONS["27de0f58e076"] == "0.16.2"
    assert REVISIONS["1c28e167b74f"] == "0.16.7"  # the 0.16.8 head came with 0.16.7
    assert REVISIONS["b3c920939d81"] is None       # reverted before any release
    assert all(v is None or re.fullmatch(r"0\.\d+\.\d+", v) for v in REVISIONS.values())


def test_unknown_revision_still_warns(tmp_path):
    doc = orjson.loads((FIXTURES / "letta" / "evie.af").read_bytes())
    doc["metadata"]["revision_id"] = "0123456789ab"
    p = tmp_path / "a.af"
    p.write_bytes(orjson.dumps(doc))
    report = Report()
    memconv.read(str(p), report=report)
    assert any("'0123456789ab' is not one memconv has seen" in w for w in report.warnings)


LEAKED = {"results": [
    {"id": "m1", "memory": "Loves hiking", "hash": "h1", "created_at": "2026-01-01T00:00:00Z", "updated_at": None,
     "user_id": "alice", "metadata": {"text_lemmatized": "love hike", "role": "user", "actor_id": "alice",
                                      "attributed_to": "user", "topic": "hobby"}},
    {"id": "m2", "memory": "Works at Acme", "hash": "h2", "created_at": "2026-01-01T00:00:00Z", "updated_at": None,
     "user_id": "alice", "metadata": {"text_lemmatized": "work acme"}},
]}


def test_mem0_rest_leaked_metadata_read_as_get_all(tmp_path):
    """mem0 issue #6825: the REST server's admin GET /memories leaks payload keys into metadata."""
    p = tmp_path / "rest.json"
    p.write_bytes(orjson.dumps(LEAKED))
    report = Report()
    bundle = memconv.read(str(p), report=report)
    m1, m2 = bundle.of("memory")
    assert m1.metadata == {"topic": "hobby"}
    assert m1.role == "user" and m1.scope.actor_id == "alice"
    assert m1.extras["mem0"]["attributed_to"] == "user"
    assert m2.metadata is None  # get_all gives null when nothing of the user's is left
    assert report.info["mem0_rest_leaks"] == 2
    assert sum("#6825" in w for w in report.warnings) == 1
    out = tmp_path / "out.json"
    r = run_cli(p, "--to", "mem0", "-o", out)
    assert r.returncode == 0, r.stderr
    items = orjson.loads(out.read_bytes())["results"]
    assert all("text_lemmatized" not in (i["metadata"] or {}) for i in items)
    assert items[0]["role"] == "user" and items[0]["actor_id"] == "alice"


def test_agentmemory_allow_list_printed_as_it_is():
    from memconv.adapters.agentmemory.shape import SUPPORTED_VERSIONS, version_ranges

    r = run_cli("formats")
    assert r.returncode == 0
    line = next(l for l in r.stdout.decode().splitlines() if l.strip().startswith("writes:") and "0.9.29" in l)
    assert "0.7.0, 0.7.2-0.7.7, 0.7.9" in line  # neither 0.7.1 nor 0.7.8
    assert version_ranges(SUPPORTED_VERSIONS).count(",") + 1 == 9
    assert version_ranges(("0.1.0", "0.1.1", "0.1.3", "0.2.0")) == "0.1.0-0.1.1, 0.1.3, 0.2.0"
