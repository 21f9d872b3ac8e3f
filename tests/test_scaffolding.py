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


def test_a_built_agent_whose_block_was_edited_is_kept(tmp_path):
    """The user edited a block of the built agent in Letta ("USER EDITED: ..."): the block's value is no
    longer the one memconv wrote (its ``metadata.memconv_built`` mark says which), so it is the user's
    own words. AgentMemory gets the agent and its blocks as any agent's (they were left out, counted
    filtered: found against a real Letta server); mem0 gets the block as a memory, the unedited one
    still in memconv's list only."""
    af = tmp_path / "a.af"
    memconv.convert(str(SRC), "letta", str(af))
    doc = json.loads(af.read_text())
    built = next(a for a in doc["agents"] if "memconv" in a["tags"])
    human = next(b for b in doc["blocks"] if b["id"] in built["block_ids"] and b["label"] == "human")
    assert human["metadata"]["memconv_built"]
    unedited = tmp_path / "same.json"
    assert memconv.convert(str(af), "agentmemory", str(unedited)).ledger()["block"]["filtered"] == 2
    human["value"] = "USER EDITED: Ana is the PM of the billing project; deadline 2027-01-15"
    af.write_text(json.dumps(doc))
    out = tmp_path / "back.json"
    report = memconv.convert(str(af), "agentmemory", str(out))
    ledger = report.ledger()
    assert ledger["agent"]["native"] == 1 and ledger["agent"].get("filtered", 0) == 0
    assert ledger["block"].get("filtered", 0) == 0
    assert "USER EDITED" in out.read_text()
    assert not any("left out" in w for w in report.warnings)
    m0 = tmp_path / "back.mem0.json"
    report = memconv.convert(str(af), "mem0", str(m0))
    texts = [r["memory"] for r in json.loads(m0.read_text())["results"]]
    assert any(t.startswith("USER EDITED") for t in texts)
    assert report.ledger()["block"]["native"] == 1 and report.ledger()["block"]["side_channel"] == 1


def test_an_edited_built_block_before_its_agent_keeps_the_agent_and_goes_to_mem0_under_its_scope(tmp_path):
    """A canonical stream where the edited block comes before its built agent keeps the agent all the
    same; and mem0 gets the edited block under the scope the agent was built for (``user_id``), not
    under the agent name memconv made up (both found by review)."""
    af = tmp_path / "a.af"
    mem0_src = FIXTURES / "mem0" / "get_all_v11.json"
    memconv.convert(str(mem0_src), "letta", str(af))
    doc = json.loads(af.read_text())
    built = next(a for a in doc["agents"] if "memconv" in a["tags"])
    human = next(b for b in doc["blocks"] if b["id"] in built["block_ids"] and b["label"] == "human")
    human["value"] = "USER EDITED: prefers tea"
    af.write_text(json.dumps(doc))
    canon = tmp_path / "c.jsonl"
    memconv.convert(str(af), "canonical", str(canon), jsonl=True)
    lines = canon.read_text().splitlines()
    agents = [x for x in lines if json.loads(x).get("kind") == "agent"]
    rest = [x for x in lines if json.loads(x).get("kind") != "agent"]
    blocks_end = max(i for i, x in enumerate(rest) if json.loads(x).get("kind") == "block")
    canon.write_text("\n".join(rest[:blocks_end + 1] + agents + rest[blocks_end + 1:]) + "\n")
    out = tmp_path / "back.json"
    report = memconv.convert(str(canon), "agentmemory", str(out))
    assert report.ledger()["agent"]["native"] == 1 and "USER EDITED" in out.read_text()
    m0 = tmp_path / "m.json"
    memconv.convert(str(af), "mem0", str(m0))
    [item] = [r for r in json.loads(m0.read_text())["results"] if r["memory"].startswith("USER EDITED")]
    scope = built["metadata"]["memconv"]["scope"]
    ((key, value),) = scope.items()
    assert item.get(f"{key}_id") == value and "agent_id" not in item
