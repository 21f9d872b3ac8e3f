"""Filters (issue 11 item 6): a filter never writes a reference to a record it removed, and an
``--agent`` or ``--rename-agent`` that names nothing in the input is a usage error (exit 2)."""

from __future__ import annotations


import pytest

import memconv
from memconv.errors import UsageError
from memconv.filters import parse_kinds, parse_since, select
from memconv.model import (Agent, Entity, Header, HistoryEvent, Memory, Message, Observation, Relation,
                           Session, Summary)
from memconv.report import Report

from helpers import FIXTURES, LETTA, SAMPLE_AF, run_cli


def _records(path, **sel):
    report = Report()
    items = list(select(memconv.iter_records(str(path)), report=report, **sel))
    return [r for r in items if not isinstance(r, Header)], report


def dangling(records) -> list[str]:
    """Every reference of ``records`` that names a record of the input's kinds that is not there."""
    ids: dict[str, set[str]] = {}
    for r in records:
        ids.setdefault(r.kind, set()).add(r.id)
        if r.kind == "entity":
            ids["entity"].add(r.name)
    out = []

    def check(r, field, kind, value):
        if value is not None and value not in ids.get(kind, set()):
            out.append(f"{r.kind} {r.id}.{field} -> {kind} {value}")

    for r in records:
        if r.kind == "agent":
            for field, kind in (("block_ids", "block"), ("tool_ids", "tool"), ("source_ids", "source"),
                                ("group_ids", "group"), ("in_context_message_ids", "message")):
                for v in getattr(r, field):
                    check(r, field, kind, v)
        elif r.kind == "group":
            for v in r.agent_ids:
                check(r, "agent_ids", "agent", v)
            check(r, "manager_agent_id", "agent", (r.manager_config or {}).get("manager_agent_id"))
        elif r.kind == "file":
            check(r, "source_id", "source", r.source_id)
        elif r.kind in ("observation", "summary"):
            check(r, "session_id", "session", r.session_id)
        elif r.kind == "event":
            check(r, "memory_id", "memory", r.memory_id)
        elif r.kind == "relation":
            check(r, "source", "entity", r.source)
            check(r, "target", "entity", r.target)
        if r.kind in ("message", "session") and r.agent_id is not None:
            check(r, "agent_id", "agent", r.agent_id)
    return out


CASES = [
    (LETTA / "evie.af", {"agents": ["Evie"]}),                       # its group names the sleeptime agent
    (LETTA / "evie.af", {"agents": ["companion-sleeptime_copy"]}),   # its group's manager is Evie
    (LETTA / "evie.af", {"exclude": parse_kinds(["agents"])}),
    (LETTA / "evie.af", {"exclude": parse_kinds(["blocks", "groups"])}),
    (LETTA / "evie.af", {"since": parse_since("2100-01-01")}),       # in-context messages stay
    (SAMPLE_AF, {"exclude": parse_kinds(["messages"])}),
    (SAMPLE_AF, {"exclude": parse_kinds(["tools", "sources"])}),
    (LETTA / "letta-tests__test_agent_with_files_and_sources.af", {"exclude": parse_kinds(["sources"])}),
]


@pytest.mark.parametrize("path,sel", CASES, ids=lambda v: v.name if hasattr(v, "name") else str(v))
def test_filters_leave_no_dangling_reference(path, sel):
    before, _ = _records(path)
    assert not dangling(before)  # the input itself is whole
    after, report = _records(path, **sel)
    assert not dangling(after)
    assert report.info["filtered"] or "since" in sel  # something was left out, and counted


def test_agent_filter_drops_the_group_it_cannot_keep_whole(tmp_path):
    recs, report = _records(LETTA / "evie.af", agents=["Evie"])
    (evie,) = [r for r in recs if r.kind == "agent"]
    assert evie.group_ids == [] and not [r for r in recs if r.kind == "group"]
    assert report.info["filtered"]["group"] == 1


def test_since_keeps_the_messages_of_the_context():
    recs, _ = _records(LETTA / "evie.af", since=parse_since("2100-01-01"))
    for a in (r for r in recs if r.kind == "agent"):
        assert a.in_context_message_ids
    assert {m.id for m in recs if m.kind == "message"} == {i for a in recs if a.kind == "agent"
                                                           for i in a.in_context_message_ids}


def _stream():
    yield Header(source_system="canonical")
    yield Agent(id="a1", name="A")
    yield Session(id="s-old", agent_id="a1", started_at="2025-01-01T00:00:00Z", ended_at="2025-01-02T00:00:00Z",
                  status="completed")
    yield Session(id="s-open", agent_id="a1", started_at="2025-01-01T00:00:00Z", status="active")
    yield Memory(id="m-old", text="old", updated_at="2025-01-01T00:00:00Z")
    yield Memory(id="m-new", text="new", updated_at="2026-06-01T00:00:00Z")
    yield Message(id="msg", agent_id="a1", role="user", conversation_id="s-old", created_at="2026-06-01T00:00:00Z")
    yield Observation(id="o1", session_id="s-old", timestamp="2026-06-01T00:00:00Z")
    yield Observation(id="o2", session_id="s-open", timestamp="2026-06-01T00:00:00Z")
    yield Summary(id="s-old", session_id="s-old", created_at="2026-06-01T00:00:00Z")
    yield HistoryEvent(id="e1", memory_id="m-old", event="UPDATE", created_at="2026-06-01T00:00:00Z")
    yield HistoryEvent(id="e2", memory_id="m-new", event="ADD", created_at="2026-06-01T00:00:00Z")
    yield Entity(id="n-old", name="Old", updated_at="2025-01-01T00:00:00Z")
    yield Entity(id="n-new", name="New", updated_at="2026-06-01T00:00:00Z")
    yield Relation(id="r1", source="n-old", relationship="knows", target="n-new", created_at="2026-06-01T00:00:00Z")


def test_since_drops_what_belongs_to_a_record_it_dropped():
    report = Report()
    out = [r for r in select(_stream(), since=parse_since("2026-01-01"), report=report) if r.kind != "header"]
    assert not dangling(out)
    kept = {r.id for r in out}
    assert kept == {"a1", "s-open", "m-new", "o2", "e2", "n-new"}
    assert report.info["filtered"] == {"session": 1, "memory": 1, "message": 1, "observation": 1, "summary": 1,
                                       "event": 1, "entity": 1, "relation": 1}


@pytest.mark.parametrize("args", [["--agent", "Nobody"], ["--agent", "Evie", "--agent", "Nobody"],
                                  ["--rename-agent", "Nobody=Somebody"]])
def test_a_name_that_is_not_in_the_input_is_a_usage_error(tmp_path, args):
    out = tmp_path / "out.json"
    proc = run_cli(LETTA / "evie.af", "--to", "agentmemory", "-o", out, *args)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "'Nobody'" in err and "no such agent" in err and "'Evie'" in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


def test_agent_names_a_mem0_agent_scope(tmp_path):
    recs, _ = _records(FIXTURES / "mem0" / "get_all_v11.json", agents=["support-bot"])
    assert recs and all(r.scope.agent_id == "support-bot" for r in recs if r.kind == "memory")
    with pytest.raises(UsageError):
        _records(FIXTURES / "mem0" / "get_all_v11.json", agents=["no-such-bot"])


def test_rename_of_a_mem0_agent_scope():
    recs, _ = _records(FIXTURES / "mem0" / "get_all_v11.json", rename={"support-bot": "helpdesk"})
    assert any(r.scope.agent_id == "helpdesk" for r in recs if r.kind == "memory")


def test_a_user_id_that_is_not_in_the_input_is_a_usage_error(tmp_path):
    out = tmp_path / "out.json"
    proc = run_cli(FIXTURES / "mem0" / "get_all_v11.json", "--to", "mem0", "-o", out, "--user-id", "alice",
                   "--user-id", "mallory")
    err = proc.stderr.decode()
    assert proc.returncode == 2 and "'mallory'" in err and "'alice'" not in err and not out.exists()
    recs, _ = _records(FIXTURES / "mem0" / "get_all_v11.json", user_ids=["alice"])
    assert recs and all(r.scope.user_id == "alice" for r in recs)


def test_exclude_takes_real_plurals():
    """``--exclude memories`` (it was refused, while ``memorys`` passed)."""
    from memconv.errors import UsageError
    from memconv.filters import parse_kinds

    assert parse_kinds(["memories", "summaries", "entities", "raw"]) == {"memory", "summary", "entity", "relation", "raw"} - {"relation"}
    with pytest.raises(UsageError, match="memories"):
        parse_kinds(["memorys"])
