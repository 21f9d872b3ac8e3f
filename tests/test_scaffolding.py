"""The agent memconv builds around archival records when it writes a Letta file is memconv's own
scaffolding: written to AgentMemory again, it, its blocks and its system message are left out
(counted ``filtered``, with a warning), so AgentMemory -> Letta -> AgentMemory gives back the
sessions, memories and observations it started with. A built agent that has a conversation of its
own (used in Letta since) is a real agent, and is written as one."""

from __future__ import annotations

import json

import memconv
from memconv.model import Message

from helpers import FIXTURES

SRC = FIXTURES / "agentmemory" / "example_full.json"


def _counts(doc):
    return {"sessions": len(doc["sessions"]), "memories": len(doc["memories"]), "summaries": len(doc["summaries"]),
            "observations": sum(len(v) for v in doc["observations"].values())}


def test_agentmemory_through_letta_and_back_has_no_extra_session(tmp_path):
    af = tmp_path / "a.af"
    memconv.convert(str(SRC), "letta", str(af))
    assert any("memconv" in a["tags"] for a in json.loads(af.read_text())["agents"])  # memconv built one
    out = tmp_path / "back.json"
    report = memconv.convert(str(af), "agentmemory", str(out))
    assert _counts(json.loads(out.read_text())) == _counts(json.loads(SRC.read_text()))
    ledger = report.ledger()
    assert ledger["agent"]["filtered"] == 1 and ledger["agent"]["native"] == 0
    assert ledger["message"]["filtered"] == 1
    assert report.unaccounted() == {}
    assert any("left out 1 agent(s)" in w for w in report.warnings)


def test_a_built_agent_with_a_conversation_is_kept(tmp_path):
    af = tmp_path / "a.af"
    memconv.convert(str(SRC), "letta", str(af))
    bundle = memconv.read(str(af))
    agent = next(r for r in bundle.records if r.kind == "agent")
    talk = Message(id="message-99", agent_id=agent.id, role="user", content=[{"type": "text", "text": "hello"}],
                   created_at="2026-11-22T10:00:00+00:00")
    used = tmp_path / "used.canonical.jsonl"
    memconv.write_records([bundle.header, *bundle.records, talk], "canonical", str(used), jsonl=True)
    out = tmp_path / "back.json"
    report = memconv.convert(str(used), "agentmemory", str(out))
    doc = json.loads(out.read_text())
    assert _counts(doc)["sessions"] == _counts(json.loads(SRC.read_text()))["sessions"] + 1
    assert any(o["narrative"] == "hello" for rows in doc["observations"].values() for o in rows)
    assert report.ledger()["agent"]["native"] == 1 and report.unaccounted() == {}
