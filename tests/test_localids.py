"""Several inputs with file-local ids in one run (:mod:`memconv.localids`): real Letta agent files,
which all name their first agent ``agent-0``, must not fold into one agent."""

from __future__ import annotations

from pathlib import Path

import memconv
from memconv.localids import qualified
from memconv.model import Agent, Message, Provenance

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
A = REPO / "fixtures" / "sample-agent.af"
B = REPO / "fixtures" / "letta" / "notes-keeper.af"
C = SHARED / "fixtures" / "letta" / "memgpt_agent_with_convo.af"


def _per_agent(bundle):
    """agent name -> (sorted block (label, value, limit)), message texts in order, passage texts)."""
    names = {a.id: a.name for a in bundle.of("agent")}
    blocks = {b.id: b for b in bundle.of("block")}
    out = {}
    for a in bundle.of("agent"):
        msgs = [" ".join(p.get("text") or "" for p in m.content) for m in bundle.of("message") if m.agent_id == a.id]
        out[a.name] = (sorted((blocks[i].label, blocks[i].value, blocks[i].limit) for i in a.block_ids), msgs,
                       sorted(p.text for p in bundle.of("passage") if names.get(p.scope.agent_id) == a.name))
    return out


def test_three_agent_files_in_one_run_stay_three_agents(tmp_path):
    alone = {}
    for f in (A, B, C):
        alone.update(_per_agent(memconv.read(f)))
    assert len(alone) == 3  # three different agents, each agent-0 in its own file
    together = memconv.read([A, B, C])
    assert sorted(a.id for a in together.of("agent")) == ["agent-0", "agent-0@2", "agent-0@3"]
    assert _per_agent(together) == alone
    assert {a.provenance.id for a in together.of("agent")} == {"agent-0"}  # the id each file gave
    for target, name in (("letta", "all.af"), ("agentmemory", "all.json"), ("mem0", "all.mem0.json"),
                         ("canonical", "all.jsonl")):
        out = tmp_path / name
        memconv.convert([A, B, C], to=target, output=out, jsonl=target == "canonical", keep_secrets=True)
        assert _per_agent(memconv.read(out)) == alone, target


def test_the_first_input_and_single_runs_keep_their_ids():
    one = memconv.read(A)
    assert [r.id for r in memconv.read([A, B]).records[: len(one.records)]] == [r.id for r in one.records]


def test_names_and_text_that_look_like_ids_are_left_alone():
    a = Agent(id="agent-3", name="agent-1", block_ids=["block-0", "block-x"], system="see message-4",
              provenance=Provenance(system="letta", id="agent-3"))
    q = qualified(a, "@2")
    assert (q.id, q.name, q.block_ids, q.system) == ("agent-3@2", "agent-1", ["block-0@2", "block-x"], "see message-4")
    assert q.provenance.id == "agent-3"
    m = Message(id="m-uuid", agent_id="agent-3", role="user", content=[{"type": "text", "text": "agent-3"}])
    assert qualified(m, "@2").agent_id == "agent-3@2" and qualified(m, "@2").content[0]["text"] == "agent-3"
    already = Message(id="message-1@2", agent_id="agent-0@2", role="user")
    assert (qualified(already, "@3").id, qualified(already, "@3").agent_id) == ("message-1@2@3", "agent-0@2@3")
    plain = Message(id="7f3c2e", agent_id="agent-7f3c2e", role="user")
    assert qualified(plain, "@2") is plain  # database ids are unique already


def test_merging_agent_files_one_by_one_adds_each_agent_once(tmp_path):
    """``--strategy merge`` into a canonical or mem0 file (both keyed by these ids): a different
    agent under the same file-local ids is added; the same agent again updates its records."""
    alone = {}
    for f in (A, B, C):
        alone.update(_per_agent(memconv.read(f)))
    for target, name in (("canonical", "store.jsonl"), ("mem0", "store.json")):
        out = tmp_path / name
        plans = [memconv.convert(f, to=target, output=out, strategy="merge", jsonl=target == "canonical",
                                 keep_secrets=True).info.get("plan") for f in (A, B, C, B, A)]
        assert _per_agent(memconv.read(out)) == alone, target
        agents = [p["collections"]["agent"] for p in plans[1:]]
        assert [a["insert"] for a in agents] == [1, 1, 0, 0] and [a["update"] for a in agents] == [0, 0, 1, 1]
        assert sorted(a.id for a in memconv.read(out).of("agent")) == ["agent-0", "agent-0@2", "agent-0@3"]


def test_a_stream_split_into_parts_reads_as_one(tmp_path):
    """An input that goes on where the previous one stopped (its first record is not another file's
    agent-0) keeps its ids, so its messages still belong to the agent of the first part."""
    whole = tmp_path / "whole.jsonl"
    memconv.convert(C, to="canonical", output=whole, jsonl=True, keep_secrets=True)
    header, *lines = whole.read_text().splitlines()
    first_message = next(i for i, line in enumerate(lines) if '"kind":"message"' in line)
    cut = (first_message + len(lines)) // 2
    assert '"kind":"message"' in lines[cut]  # the second part starts inside the messages
    parts = [tmp_path / "part1.jsonl", tmp_path / "part2.jsonl"]
    parts[0].write_text("\n".join([header, *lines[:cut]]) + "\n")
    parts[1].write_text("\n".join([header, *lines[cut:]]) + "\n")
    assert memconv.read(parts).records == memconv.read(whole).records
