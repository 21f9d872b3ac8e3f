"""A dry run's plan and the real run agree (issue 16 item 9), and a Letta merge writes no ids of its own
making (the ``new:`` prefix it moves the input's file-local ids with stays inside it).

The Letta merge used to count passages only for agents in both files (``passages: 1800 insert`` while
3,000 were written): the plan is now counted from what is written. Checked by running each strategy
twice, as a dry run and for real, and counting the sidecar's lines and the agent file's blocks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import memconv
from memconv.model import Header, Memory, Scope

from helpers import FIXTURES, LETTA


def _memories(agent: str, n: int, start: int = 0) -> list:
    return [Memory(id=f"{agent}-m{i}", text=f"{agent} fact {i}", scope=Scope(agent_id=agent))
            for i in range(start, start + n)]


def _write_letta(items: list, path: Path) -> None:
    memconv.write_records(items, "letta", str(path))


def _dest(tmp_path: Path) -> Path:
    """An agent file with two agents (alice: 30 passages, bob: 20) and its sidecar."""
    path = tmp_path / "dest.af"
    _write_letta([Header(source_system="mem0"), *_memories("alice", 30), *_memories("bob", 20)], path)
    return path


def _input(tmp_path: Path) -> Path:
    """alice again (10 passages she has, 15 new), and carol, new (40 passages)."""
    path = tmp_path / "in.af"
    _write_letta([Header(source_system="mem0"), *_memories("alice", 25, start=20), *_memories("carol", 40)], path)
    return path


def _counts(af: Path) -> dict:
    doc = json.loads(af.read_text())
    side = af.with_name(af.name[:-3] + ".passages.jsonl")
    lines = side.read_text().splitlines() if side.exists() else []
    return {"agents": len(doc["agents"]), "blocks": len(doc["blocks"]), "passages": len(lines)}


def _total_after(plan: dict, coll: str) -> int:
    c = plan["collections"].get(coll, {})
    return c.get("insert", 0) + c.get("update", 0) + c.get("keep", 0)


@pytest.mark.parametrize("strategy", ["merge", "skip", "replace"])
def test_letta_dry_run_plan_matches_what_is_written(tmp_path, strategy):
    dest = _dest(tmp_path)
    new = _input(tmp_path)
    before = _counts(dest)
    dry = memconv.convert(str(new), "letta", str(dest), strategy=strategy, dry_run=True)
    assert _counts(dest) == before  # a dry run writes nothing
    real = memconv.convert(str(new), "letta", str(dest), strategy=strategy)
    assert dry.info["plan"] == real.info["plan"]
    plan = real.info["plan"]
    after = _counts(dest)
    for coll in ("agents", "passages", "blocks"):
        assert _total_after(plan, coll) == after[coll], (coll, plan["collections"].get(coll), after)
    passages = plan["collections"]["passages"]
    if strategy == "merge":
        # alice's 10 repeated passages are the input's skips; carol's 40 and alice's 15 new are inserts
        assert (passages["keep"], passages["insert"], passages["skip"]) == (50, 55, 10)
    elif strategy == "skip":
        assert (passages["keep"], passages["insert"], passages["skip"]) == (50, 40, 25)
    else:
        assert (passages["delete"], passages["insert"]) == (50, 65)


def test_letta_merge_keeps_source_ids(tmp_path):
    """The passages written by a merge keep the ids they were read with, and come back under them."""
    src = FIXTURES / "agentmemory" / "example_full.json"
    dest = tmp_path / "ex.af"
    assert memconv.convert(str(src), "letta", str(dest)).info
    memconv.convert(str(src), "letta", str(dest), strategy="merge")
    memconv.convert(str(src), "letta", str(dest), strategy="replace")
    side = dest.with_name("ex.passages.jsonl").read_text()
    assert "new:" not in side
    ids = {r.id for r in memconv.read(str(dest)).records if r.kind == "memory"}
    original = {m["id"] for m in json.loads(src.read_text())["memories"]}
    assert original <= ids


def test_letta_merge_of_agent_files_counts_every_agents_blocks(tmp_path):
    dest = tmp_path / "d.af"
    dest.write_bytes((LETTA / "letta-tests__test_agent.af").read_bytes())
    before = json.loads(dest.read_text())
    add = LETTA / "agent-file-history__v2-2025-10-31__memgpt_agent.af"
    report = memconv.convert(str(add), "letta", str(dest), strategy="merge")
    blocks = report.info["plan"]["collections"]["blocks"]
    after = json.loads(dest.read_text())
    assert blocks["keep"] == len(before["blocks"])
    assert blocks["insert"] == len(after["blocks"]) - len(before["blocks"])


def test_merging_a_multi_agent_file_into_itself_keeps_its_group(tmp_path):
    """evie.af (a sleep-time group: Evie and its companion) merged into a copy of itself: the input's
    group takes the place of the destination's, nothing is reported lost, and the plan says so."""
    src = LETTA / "evie.af"
    dest = tmp_path / "evie.af"
    dest.write_bytes(src.read_bytes())
    report = memconv.convert(str(src), "letta", str(dest), strategy="merge")
    doc = json.loads(dest.read_text())
    assert len(doc["groups"]) == len(json.loads(src.read_text())["groups"]) == 1
    group = doc["groups"][0]
    ids = {a["id"] for a in doc["agents"]}
    assert set(group["agent_ids"]) <= ids and group["manager_config"]["manager_agent_id"] in ids
    assert not report.has_loss, report.format_losses()
    assert report.info["plan"]["collections"]["groups"]["update"] == 1
