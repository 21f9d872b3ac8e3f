"""Unique derived ids and conversation order (issue 11 items 2 and 3).

* Every id memconv derives is unique per source record: two agents that share a name (a copy of an
  agent, edited) stay two AgentMemory sessions; two agents' tools of one name stay two memories.
* No writer emits two records of one collection under one id: a clash in the input gets a new id and
  a warning (:class:`memconv.uniqueids.UniqueIds`), in AgentMemory, mem0, canonical and the Letta sidecar.
* ``memconv validate`` lists ids that two records of one kind share, in any format.
* AgentMemory observations of a session are in conversation order (time, then source order), also
  when the agent's context was compacted (its in-context messages are not the first ones).
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

import memconv
from memconv.report import Report
from memconv.timeutil import EARLIEST, conversation_keys, to_iso_z
from memconv.uniqueids import UniqueIds, duplicates

from helpers import FIXTURES, LETTA, run_cli

AGENTMEMORY_FULL = FIXTURES / "agentmemory" / "example_full.json"
MEM0_V11 = FIXTURES / "mem0" / "get_all_v11.json"
COMPACTED = LETTA / "letta-tests__memgpt_agent_with_convo.af"  # in_context_message_indices [89, 81, 80, ...]


def _rows(doc: dict, coll: str) -> list[dict]:
    v = doc[coll]
    return [o for rows in v.values() for o in rows] if isinstance(v, dict) else v


def _dup_ids(rows: list[dict], key=lambda o: o["id"]) -> list[str]:
    return [i for i, n in collections.Counter(map(key, rows)).items() if n > 1]


def _edited_copy(src: Path, dst: Path) -> None:
    """``src`` with its agent's system prompt and first message edited: the same agent name, another agent."""
    doc = json.loads(src.read_text())
    agent = doc["agents"][0]
    agent["system"] += " (edited copy)"
    for m in agent.get("messages") or []:
        for c in m.get("content") or []:
            if c.get("type") == "text":
                c["text"] = "EDITED " + c["text"]
    dst.write_text(json.dumps(doc))


def test_two_agents_of_one_name_stay_two_sessions(tmp_path):
    src = LETTA / "letta-tests__test_agent.af"
    copy = tmp_path / "copy.af"
    _edited_copy(src, copy)
    out = tmp_path / "out.json"
    r = run_cli(src, copy, "--to", "agentmemory", "-o", out)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    n_msgs = len(json.loads(src.read_text())["agents"][0]["messages"])
    assert len(doc["sessions"]) == 2
    assert sorted(s["observationCount"] for s in doc["sessions"]) == [n_msgs, n_msgs]
    narratives = [{o["narrative"] for o in rows} for rows in doc["observations"].values()]
    assert narratives[0] != narratives[1]  # each session holds its own agent's conversation
    for coll in ("sessions", "memories", "observations"):
        assert not _dup_ids(_rows(doc, coll)), coll
    prompts = [m["content"] for m in doc["memories"] if m["title"].startswith("system prompt of")]
    assert len(prompts) == 2 and prompts[0] != prompts[1]


def test_tools_of_one_name_in_two_agents_stay_two_memories(tmp_path):
    """Two different agents that both have a tool of one name (their tools differ): two memories."""
    a = tmp_path / "a.af"
    b = tmp_path / "b.af"
    for src, dst, body in ((LETTA / "letta-tests__test_agent.af", a, "first"),
                             (LETTA / "agent-file-history__v2-2025-10-31__memgpt_agent.af", b, "second")):
        doc = json.loads(src.read_text())
        doc["tools"][0]["name"] = "shared_lookup"
        doc["tools"][0]["description"] = f"the {body} agent's own web search"
        dst.write_text(json.dumps(doc))
    out = tmp_path / "out.json"
    r = run_cli(a, b, "--to", "agentmemory", "-o", out)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    tools = [m for m in doc["memories"] if m["title"] == "tool: shared_lookup"]
    assert len(tools) == 2
    assert {m["content"].split("\n")[0] for m in tools} == {"the first agent's own web search",
                                                          "the second agent's own web search"}
    assert not _dup_ids(doc["memories"])


def _export_with_duplicate_memory(tmp_path: Path) -> Path:
    doc = json.loads(AGENTMEMORY_FULL.read_text())
    twin = dict(doc["memories"][0], content="another memory under the same id")
    doc["memories"].append(twin)
    path = tmp_path / "dup.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("target", ["agentmemory", "mem0", "canonical", "letta"])
def test_no_writer_emits_one_id_twice(tmp_path, target):
    src = _export_with_duplicate_memory(tmp_path)
    out = tmp_path / ("out.af" if target == "letta" else "out.json")
    r = run_cli(src, "--to", target, "-o", out)
    assert r.returncode == 0, r.stderr
    err = r.stderr.decode()
    assert "had an id an earlier record" in err
    assert target == "mem0" or "mem_mwq2yd0c_1b7a9e3f20c4" in err  # mem0 ids are UUIDs derived from it
    if target == "agentmemory":
        rows = json.loads(out.read_text())["memories"]
        texts = [m["content"] for m in rows]
    elif target == "mem0":
        rows = json.loads(out.read_text())["results"]
        texts = [m["memory"] for m in rows]
    elif target == "canonical":
        rows = [r for r in json.loads(out.read_text())["records"] if r["kind"] == "memory"]
        texts = [m["text"] for m in rows]
    else:
        side = out.with_name("out.passages.jsonl")
        rows = [json.loads(line) for line in side.read_text().splitlines()]
        texts = [m["text"] for m in rows]
        rows = [m for m in rows if m.get("source", {}).get("kind") == "memory"]
    assert not _dup_ids(rows)
    assert "another memory under the same id" in texts  # both kept, nothing dropped


@pytest.mark.parametrize("make", ["agentmemory", "mem0", "canonical"])
def test_validate_lists_duplicate_ids(tmp_path, make):
    if make == "agentmemory":
        path = _export_with_duplicate_memory(tmp_path)
        dup = "mem_mwq2yd0c_1b7a9e3f20c4"
    elif make == "mem0":
        doc = json.loads(MEM0_V11.read_text())
        doc["results"].append(dict(doc["results"][0], memory="a second memory, same id"))
        path = tmp_path / "dup_mem0.json"
        path.write_text(json.dumps(doc))
        dup = doc["results"][0]["id"]
    else:
        src = tmp_path / "c.jsonl"
        assert run_cli(MEM0_V11, "--to", "canonical", "--jsonl", "-o", src).returncode == 0
        lines = src.read_text().splitlines()
        rec = json.loads(lines[1])
        lines.append(json.dumps(dict(rec, text="a second record, same id")))
        path = tmp_path / "dup.canonical.jsonl"
        path.write_text("\n".join(lines) + "\n")
        dup = rec["id"]
    r = run_cli("validate", path)
    out = r.stdout.decode() + r.stderr.decode()
    assert r.returncode == 1, out
    assert "share id" in out and dup in out
    clean = run_cli("validate", AGENTMEMORY_FULL if make == "agentmemory" else MEM0_V11)
    assert clean.returncode == 0 and b"share id" not in clean.stdout


def test_guard_unit():
    report = Report()
    ids = UniqueIds(report, "x")
    assert ids.claim("memories", "a") == "a"
    assert ids.claim("memories", "a") == "a~2"
    assert ids.claim("memories", "a~2") == "a~2~2"
    assert ids.claim("memories", "a") == "a~3"
    assert ids.claim("sessions", "a") == "a"  # per collection
    assert ids.claim("observations", "o", within="s1") == "o"
    assert ids.claim("observations", "o", within="s2") == "o"  # per session
    assert ids.claim("observations", "o", within="s1") == "o~2"
    ids.finish()
    assert len(report.warnings) == 2 and "3 record(s) of memories" in report.warnings[0]
    assert duplicates([("memory", "a", "#1"), ("memory", "b", "#2"), ("memory", "a", "#3"),
                       ("session", "a", "#1")]) == ["2 memory records share id 'a' (#1, #3)"]


def _times(rows: list[dict]) -> list[str]:
    return [o["timestamp"] for o in rows]


def test_compacted_conversation_is_written_in_time_order(tmp_path):
    """A legacy agent whose in-context messages are 89, 81, 80, 82...: observations by time."""
    out = tmp_path / "out.json"
    r = run_cli(COMPACTED, "--to", "agentmemory", "-o", out)
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    (rows,) = doc["observations"].values()
    src = json.loads(COMPACTED.read_text())
    assert len(rows) == len(src["messages"])
    assert _times(rows) == sorted(_times(rows))
    assert rows[0]["timestamp"] == min(to_iso_z(m["created_at"]) for m in src["messages"])


def test_suffix_context_and_untimed_messages_keep_conversation_order(tmp_path):
    """A v2 agent whose in-context ids are the last 8 of 20 messages, and two messages without a
    time: by time, an untimed message right after the one before it in the source."""
    doc = json.loads((LETTA / "letta-tests__test_agent.af").read_text())
    agent = doc["agents"][0]
    msgs = agent["messages"]
    agent["in_context_message_ids"] = [m["id"] for m in msgs[-8:]]
    untimed = [msgs[5]["id"], msgs[11]["id"]]
    msgs[5]["created_at"] = None
    msgs[11]["created_at"] = None
    msgs.reverse()  # the file lists them newest first: order comes from the times
    src = tmp_path / "a.af"
    src.write_text(json.dumps(doc))
    items = list(memconv.iter_records(str(src)))
    out = tmp_path / "out.json"
    memconv.write_records(items, "agentmemory", str(out))
    (rows,) = json.loads(out.read_text())["observations"].values()
    got = [o["memconv"]["id"] for o in rows]
    by_time = sorted((m for m in msgs if m["created_at"]), key=lambda m: m["created_at"])
    assert [i for i in got if i not in untimed] == [m["id"] for m in by_time]
    # reversed source: message 11 came right after message 12, and 5 after 6
    assert got.index(untimed[1]) == got.index(msgs[len(msgs) - 1 - 12]["id"]) + 1
    assert got.index(untimed[0]) == got.index(msgs[len(msgs) - 1 - 6]["id"]) + 1
    # read back, the messages are in the source's order again (the memconv key keeps it), and written
    # again they give the same file (CI caught a reader that put the in-context messages first)
    assert [m.id for m in memconv.read(str(out)).of("message")] == [i.id for i in items if i.kind == "message"]
    again = tmp_path / "again.json"
    memconv.write_records(list(memconv.iter_records(str(out))), "agentmemory", str(again))
    assert [o["memconv"]["id"] for o in next(iter(json.loads(again.read_text())["observations"].values()))] == got


def test_conversation_keys_carry_the_time_forward():
    keys = conversation_keys(["2025-01-01T00:00:00.000002", None, "2025-01-01T00:00:00.000001", "bad", None])
    assert keys[1] == keys[0] and keys[3] == keys[4] == keys[2] < keys[0]  # microseconds apart
    assert conversation_keys([None, "1970-01-01T00:00:00Z"]) == [EARLIEST, 0]
    order = sorted(range(5), key=keys.__getitem__)
    assert order == [2, 3, 4, 0, 1]  # stable: each untimed record right after the one before it


def test_agentmemory_observations_keep_their_own_order(tmp_path):
    """AgentMemory's own observations are written in the order read (an AgentMemory -> AgentMemory
    run gives the file back), even when their times are not in order."""
    doc = json.loads(AGENTMEMORY_FULL.read_text())
    sid, rows = next((k, v) for k, v in doc["observations"].items() if len(v) > 2)
    rows.reverse()
    src = tmp_path / "rev.json"
    src.write_text(json.dumps(doc))
    out = tmp_path / "out.json"
    assert run_cli(src, "--to", "agentmemory", "-o", out).returncode == 0
    assert [o["id"] for o in json.loads(out.read_text())["observations"][sid]] == [o["id"] for o in rows]


def test_two_summaries_of_one_session_are_reported(tmp_path):
    """AgentMemory keys summaries by session (its importer keeps the last one): a second summary of a
    session is written, and the earlier one is reported lost, never replaced in silence; validate
    lists the pair."""
    doc = json.loads(AGENTMEMORY_FULL.read_text())
    twin = dict(doc["summaries"][0], title="a second summary of the same session")
    doc["summaries"].append(twin)
    src = tmp_path / "two.json"
    src.write_text(json.dumps(doc))
    report = memconv.convert(str(src), "agentmemory", str(tmp_path / "out.json"))
    ledger = report.ledger()["summary"]
    assert (ledger["read"], ledger["native"], ledger["lost"]) == (2, 1, 1)
    assert any("more than one summary" in w for w in report.warnings)
    r = run_cli("validate", src)
    assert r.returncode == 1 and b"2 summary records share id" in r.stdout + r.stderr
    assert run_cli("validate", AGENTMEMORY_FULL).returncode == 0


def test_a_late_stamped_message_keeps_its_place_through_agentmemory(tmp_path):
    """Letta stamps a compaction summary when it writes it, late, but keeps it early in the
    conversation (seen in agent-file's lettabot-builder.af). AgentMemory gets time order (issue 11.3);
    Letta -> AgentMemory -> Letta gives Letta's order back (the memconv key keeps each message's place)."""
    doc = json.loads((LETTA / "letta-tests__test_agent.af").read_text())
    msgs = doc["agents"][0]["messages"]
    msgs[2]["created_at"] = "2099-01-01T00:00:00+00:00"  # later than every other message
    src = tmp_path / "a.af"
    src.write_text(json.dumps(doc))
    am = tmp_path / "a.json"
    assert run_cli(src, "--to", "agentmemory", "-o", am).returncode == 0
    (rows,) = json.loads(am.read_text())["observations"].values()
    assert _times(rows) == sorted(_times(rows)) and rows[-1]["memconv"]["id"] == msgs[2]["id"]  # time order
    back = tmp_path / "back.af"
    assert run_cli(am, "--to", "letta", "-o", back).returncode == 0
    got = [m["content"] for m in json.loads(back.read_text())["agents"][0]["messages"]]
    want = [m["content"] for m in msgs]
    assert got[-len(want):] == want  # Letta's order (after a system message memconv may put first)
    again = tmp_path / "again.json"
    assert run_cli(back, "--to", "agentmemory", "-o", again).returncode == 0
