"""Issue 11.5: a trip through a Letta file and back gives back what the sidecar's ``source`` object carries.

mem0 -> Letta -> mem0 keeps each memory's scope (``user_id``, ``run_id``, ``actor_id``), ``role`` and
``expiration_date``; AgentMemory -> Letta -> AgentMemory keeps each memory's type and ``isLatest``, and its
sessions, observations, summaries and graph relations; what cannot come back is in the loss report.
"""

from __future__ import annotations

import json
from pathlib import Path

import memconv
from memconv import registry
from memconv.io import Input
from memconv.diff import compare
from memconv.model import Header, Memory, Observation, Provenance, Scope

from helpers import FIXTURES, LETTA

MEM0_GET_ALL = FIXTURES / "mem0" / "get_all_v11.json"
AM_FULL = FIXTURES / "agentmemory" / "example_full.json"


def _via_letta(src: Path, tmp: Path, back_to: str) -> tuple[Path, memconv.Report, memconv.Report]:
    af = tmp / "agent.af"
    there = memconv.convert(str(src), to="letta", output=str(af))
    out = tmp / f"back.{back_to}.json"
    back = memconv.convert(str(af), to=back_to, output=str(out))
    return out, there, back


def test_mem0_through_letta_keeps_scope_role_and_expiration(tmp_path):
    out, there, _ = _via_letta(MEM0_GET_ALL, tmp_path, "mem0")
    assert not there.has_loss, there.format_losses()
    original = {m["id"]: m for m in json.loads(MEM0_GET_ALL.read_bytes())["results"]}
    results = json.loads(out.read_bytes())["results"]
    back = {m["id"]: m for m in results if m["id"] in original}
    assert back.keys() == original.keys()
    for mid, m in original.items():
        assert back[mid] == m, mid  # user_id stays user_id; run_id, role, actor_id, expiration_date come back
    assert any("run_id" in m for m in back.values()) and any("actor_id" in m for m in back.values())
    assert any("expiration_date" in m for m in back.values()) and all("role" in m for m in back.values()
                                                                      if "role" in original[m["id"]])
    # the agents memconv built around the memories are no mem0 memories: no item names them
    assert not [m for m in results if m["id"] not in original]


def test_agentmemory_through_letta_keeps_types_and_superseded_memories(tmp_path):
    out, there, _ = _via_letta(AM_FULL, tmp_path, "agentmemory")
    doc, src = json.loads(out.read_bytes()), json.loads(AM_FULL.read_bytes())
    types = {m["id"]: (m["type"], m["isLatest"]) for m in doc["memories"]}
    for m in src["memories"]:
        assert types[m["id"]] == (m["type"], m["isLatest"]), m["id"]
    assert {m["type"] for m in src["memories"]} != {"fact"} and any(not m["isLatest"] for m in src["memories"])
    d = compare(memconv.read(str(AM_FULL)), memconv.read(str(out)), include_extras=True)
    changed_kinds = {k for k, _, _ in d.changed} | {k for k, _ in d.removed}
    # sessions, memories, observations, summaries and relations come back exactly, extras included
    assert not changed_kinds & {"session", "memory", "observation", "summary", "relation"}, d.lines()
    lost = {k for k, f in there.losses if f == "*"}
    assert {k for k, _ in d.removed} <= lost  # graph entities and raw records: named in the loss report


def test_a_source_object_that_is_not_a_record_reads_as_a_plain_passage_with_a_warning(tmp_path):
    af = tmp_path / "a.af"
    memconv.write_records([Header(source_system="mem0"),
                           Memory(id="m1", text="likes tea", scope=Scope(user_id="u"),
                                  provenance=Provenance(system="mem0", id="m1"))], "letta", af)
    side = tmp_path / "a.passages.jsonl"
    line = json.loads(side.read_text())
    line["source"]["role"] = ["not", "a", "string"]
    side.write_text(json.dumps(line) + "\n")
    doc = json.loads(af.read_text())  # a hand edit: the .af's record of its sidecar's hash goes with it
    del doc["metadata"]["memconv_passages_sha256"]
    af.write_text(json.dumps(doc))
    report = memconv.Report()
    recs = list(memconv.iter_records(str(af), report=report))
    (p,) = [r for r in recs if r.kind in ("memory", "passage")]
    assert p.kind == "passage" and p.text == "likes tea"
    assert any("line 1: source.role" in w and "plain Letta passage" in w for w in report.warnings), report.warnings


def test_observation_fields_the_line_composes_come_back_from_source(tmp_path):
    af = tmp_path / "o.af"
    obs = Observation(id="obs_1", session_id="ses_1", title="Ran tests", subtitle="all green",
                      narrative="pytest passed", facts=["12 tests"], concepts=["ci"], importance=6,
                      provenance=Provenance(system="agentmemory", id="obs_1", version="0.9.29"),
                      extras={"agentmemory": {"modality": "text"}})
    report = memconv.write_records([Header(source_system="agentmemory"), obs], "letta", af)
    assert not [k for k in report.losses if k[0] == "observation"], report.format_losses()
    (back,) = memconv.read(str(af)).of("observation")
    assert back == obs


def test_records_the_sidecar_gives_back_go_to_the_same_agents_again(tmp_path):
    """Regression guard for the read-back above: written again, each record goes to the agent it went to
    the first time (a scope that named an agent by id, by a name Letta refuses, or an agent memconv built)."""
    from memconv.model import Agent, Passage

    items = [Header(source_system="agentmemory"), Agent(id="c88", name="COM1"),
             Agent(id="65eb", name="\u00c4\U000b24ae", provenance=Provenance(system="mem0", id="4")),
             Passage(id="p1", text="x", provenance=Provenance(system="mem0"),
                     scope=Scope(user_id="u", agent_id="\u00c4\U000b24ae", project="NaN"), role="assistant"),
             Passage(id="p2", text="y", title="t", scope=Scope(agent_id="c88", run_id="r")),
             Memory(id="m2", text="", scope=Scope(project="0")), Memory(id="m3", text="x", scope=Scope(agent_id="0")),
             Memory(id="m4", text="z")]
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    memconv.write_records(items, "letta", first / "x.af", keep_secrets=True)
    back = memconv.read(str(first / "x.af"))
    memconv.write_records([back.header, *back.records], "letta", second / "x.af", keep_secrets=True)
    for name in ("x.af", "x.passages.jsonl"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    (p2,) = [r for r in back.records if r.id == "p2"]
    assert p2.kind == "passage" and p2.scope.agent_id != "c88" and p2.scope.run_id == "r"  # the agent's id in the .af


def test_superseded_memories_are_named_when_the_target_has_no_such_state(tmp_path):
    n = sum(1 for m in json.loads(AM_FULL.read_bytes())["memories"] if m.get("isLatest") is False)
    assert n
    for to in ("mem0", "letta"):
        report = memconv.convert(str(AM_FULL), to=to, output=str(tmp_path / f"out.{to}"))
        assert any(f"{n} AgentMemory memories are superseded" in w for w in report.warnings), (to, report.warnings)


def test_a_sidecar_on_its_own_is_read_as_letta_passages(tmp_path):
    """The ``<stem>.passages.jsonl`` sidecar, moved away from its ``.af`` (or renamed), is recognised and
    read as the passages it holds (it was "format not recognised", and ``--from letta`` parsed it as one
    document: "more data after the end of the JSON document")."""
    memconv.convert(str(MEM0_GET_ALL), to="letta", output=str(tmp_path / "agent.af"))
    side = tmp_path / "agent.passages.jsonl"
    n = len(json.loads(MEM0_GET_ALL.read_bytes())["results"])
    assert len(side.read_text().splitlines()) == n
    alone = tmp_path / "moved"
    alone.mkdir()
    for name in ("kept.passages.jsonl", "archival.jsonl"):
        (alone / name).write_bytes(side.read_bytes())
        assert registry.detect(Input(alone / name)).name == "letta"
        out = tmp_path / f"{name}.mem0.json"
        report = memconv.convert(str(alone / name), to="mem0", output=str(out))
        assert report.ledger()["memory"]["read"] == n and report.ledger()["memory"]["native"] == n
        back = {m["id"]: m for m in json.loads(out.read_bytes())["results"]}
        for m in json.loads(MEM0_GET_ALL.read_bytes())["results"]:
            assert back[m["id"]] == m


def test_an_af_and_its_sidecar_given_together_read_each_passage_once(tmp_path):
    """``memconv agent.af agent.passages.jsonl`` (a shell's ``./*``): the sidecar goes with the ``.af``
    and is read with it, once, with a warning; read also as an input of its own, every passage was two
    memories (found by review once a sidecar alone could be read)."""
    memconv.convert(str(MEM0_GET_ALL), to="letta", output=str(tmp_path / "agent.af"))
    n = len(json.loads(MEM0_GET_ALL.read_bytes())["results"])
    for order in (["agent.af", "agent.passages.jsonl"], ["agent.passages.jsonl", "agent.af"]):
        out = tmp_path / "out.json"
        out.unlink(missing_ok=True)
        report = memconv.convert([str(tmp_path / f) for f in order], to="mem0", output=str(out))
        assert report.ledger()["memory"]["read"] == n
        assert len(json.loads(out.read_bytes())["results"]) == n
        assert any("read with" in w and "agent.af" in w for w in report.warnings)


def test_json_lines_with_a_text_key_are_not_taken_for_letta_passages(tmp_path):
    """Any JSON-L whose objects have a ``text`` (reviews, a dump of messages) is not a Letta input: a
    passage line names its owner (``agent_id``, ``archive_id``) or has a ``passage-`` id, and no ``role``."""
    import pytest

    from memconv.errors import InputInvalid

    reviews = tmp_path / "reviews.jsonl"
    reviews.write_text('{"text": "great movie", "label": 1}\n{"text": "bad", "label": 0}\n')
    messages = tmp_path / "messages.jsonl"
    messages.write_text('{"agent_id": "a", "role": "user", "text": "hi"}\n{"agent_id": "a", "role": "assistant", '
                        '"text": "hello"}\n')
    for f in (reviews, messages):
        with pytest.raises(InputInvalid):
            registry.detect(Input(f))


def test_a_sidecar_given_beside_its_af_is_left_to_it_only_when_the_af_reads_it(tmp_path, monkeypatch):
    """Given by an absolute path beside a relative ``.af``, the sidecar is still the ``.af``'s (paths are
    compared resolved); beside an ``.af`` that records it was written without one (stale), or beside a
    passages file, it is read as an input of its own (it was skipped, and its passages lost). Found by
    review."""
    memconv.convert(str(MEM0_GET_ALL), to="letta", output=str(tmp_path / "agent.af"))
    n = len(json.loads(MEM0_GET_ALL.read_bytes())["results"])
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "o1.json"
    report = memconv.convert(["agent.af", str(tmp_path / "agent.passages.jsonl")], to="mem0", output=str(out))
    assert report.ledger()["memory"]["read"] == n
    # an agent file written without a sidecar (it records "" for it): the file beside it is not its
    plain = tmp_path / "plain.af"
    memconv.convert(str(LETTA / "customer_service.af"), to="letta", output=str(plain))
    assert json.loads(plain.read_text())["metadata"].get("memconv_passages_sha256") == ""
    (tmp_path / "plain.passages.jsonl").write_bytes((tmp_path / "agent.passages.jsonl").read_bytes())
    report = memconv.convert(["plain.af", "plain.passages.jsonl"], to="canonical", output=str(tmp_path / "o2.jsonl"),
                             jsonl=True)
    assert report.read["memory"] == n and not any("read with" in w for w in report.warnings)
    for name in ("p.jsonl", "p.passages.jsonl"):  # a passages file and its namesake: both are read
        (tmp_path / name).write_bytes((tmp_path / "agent.passages.jsonl").read_bytes())
    report = memconv.convert(["p.jsonl", "p.passages.jsonl"], to="canonical", output=str(tmp_path / "o3.jsonl"),
                             jsonl=True)
    assert report.read["memory"] == 2 * n
