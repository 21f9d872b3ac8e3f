"""The Letta writer, offline: exact round trips of every v2 agent file, conversions of legacy files,
bundles and REST samples to a v2 file that letta 0.16.8's schema accepts, ids and references, the
passages sidecar, mem0 and AgentMemory data turned into agents, secrets, names and versions."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import memconv
from memconv import registry
from memconv.errors import UnsupportedVersion
from memconv.model import Agent, Block, Header, Memory, Message, Provenance, Scope, Tool
from memconv.report import Report

from helpers import FIXTURES, GOOD_AF, REPO, SHARED, run_cli, without_sidecar_mark

SCHEMA_PATH = SHARED / "letta-server" / "letta-0.16.8-agent-file.schema.json"
BUNDLES = [FIXTURES / "letta-bundle" / "support-desk.af", FIXTURES / "letta-bundle" / "support-desk.af.tar.gz"]
REST = [FIXTURES / "letta-rest" / n for n in ("agent.support-desk.json", "agents-list.json", "export.support-desk.af")]
SAMPLE = REPO / "fixtures" / "letta" / "notes-keeper.af"
SAMPLE_SIDECAR = REPO / "fixtures" / "letta" / "notes-keeper.passages.jsonl"
MEM0_GET_ALL = FIXTURES / "mem0" / "get_all_v11.json"
ID_RE = re.compile(r"^(agent|group|block|file|source|tool|mcp_server|message)-(\d+)$")
NAME_RE = re.compile(r"^[\w '\-]+$")


def load_doc(path: Path) -> Any:
    """A Letta file parsed, double encoding undone."""
    d = json.loads(path.read_bytes())
    return without_sidecar_mark(json.loads(d) if isinstance(d, str) else d)


def is_v2(path: Path) -> bool:
    d = load_doc(path)
    return isinstance(d, dict) and isinstance(d.get("agents"), list)


V2_AF = [p for p in GOOD_AF if is_v2(p)]
LEGACY_AF = [p for p in GOOD_AF if not is_v2(p)]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def check_agent_file(doc: dict[str, Any]) -> None:
    """What Letta 0.16.8's importer checks and a JSON Schema cannot (letta-af.md 2.2, 4):
    file-local ``<prefix>-<int>`` ids, unique across the file, every reference resolvable, an
    ``llm_config`` on every agent, names Letta accepts, string metadata values."""
    for key in ("agents", "groups", "blocks", "files", "sources", "tools", "mcp_servers"):
        assert isinstance(doc.get(key), list), f"{key} missing"
    assert all(isinstance(v, str) for v in (doc.get("metadata") or {}).values())
    seen: set[str] = set()

    def claim(prefix: str, rid: str) -> str:
        m = ID_RE.match(rid)
        assert m and m.group(1) == prefix, f"{rid!r} is not a file-local {prefix}-<int> id"
        assert rid not in seen, f"duplicate id {rid}"
        seen.add(rid)
        return rid

    agents = {claim("agent", a["id"]) for a in doc["agents"]}
    blocks = {claim("block", b["id"]) for b in doc["blocks"]}
    tools = {claim("tool", t["id"]) for t in doc["tools"]}
    sources = {claim("source", s["id"]) for s in doc["sources"]}
    files = {claim("file", f["id"]) for f in doc["files"]}
    groups = {claim("group", g["id"]) for g in doc["groups"]}
    for m in doc["mcp_servers"]:
        claim("mcp_server", m["id"])
    for f in doc["files"]:
        assert f["source_id"] in sources
    for g in doc["groups"]:
        assert set(g["agent_ids"]) <= agents
        mgr = (g.get("manager_config") or {}).get("manager_agent_id")
        assert mgr is None or mgr in agents
    for a in doc["agents"]:
        assert a.get("llm_config"), f"agent {a['name']} has no llm_config"
        assert NAME_RE.match(a["name"]), a["name"]
        assert set(a.get("block_ids") or []) <= blocks
        assert set(a.get("tool_ids") or []) <= tools
        assert set(a.get("source_ids") or []) <= sources
        assert set(a.get("group_ids") or []) <= groups | set(a.get("group_ids") or [])  # not resolved by Letta
        msg_ids = [claim("message", m["id"]) for m in a.get("messages") or []]
        assert set(a.get("in_context_message_ids") or []) <= set(msg_ids)
        for m in a.get("messages") or []:
            assert m.get("agent_id") in (None, a["id"])
        for fa in a.get("files_agents") or []:
            assert fa["agent_id"] == a["id"] and fa["file_id"] in files and fa["source_id"] in sources


def convert(src: Any, tmp_path: Path, name: str = "out.af", **opts: Any) -> tuple[dict[str, Any], Report]:
    """``memconv.convert`` to a fresh ``.af`` in ``tmp_path``; the parsed output and the report."""
    out = tmp_path / name
    report = memconv.convert(src, "letta", out, **opts)
    raw = out.read_bytes()
    assert raw.startswith(b'{\n  "agents": ['), "not plain JSON indented by 2 spaces"
    return without_sidecar_mark(json.loads(raw)), report


def memories_from_mem0(path: Path) -> list[Any]:
    """Canonical records equivalent to what a mem0 reader gives for a ``get_all`` v1.1 document."""
    d = json.loads(path.read_text())
    out: list[Any] = [Header(source_system="mem0", source_format_version="v1.1", source_variant="get_all")]
    for m in d["results"]:
        out.append(Memory(
            id=m["id"], text=m["memory"], hash=m.get("hash"), metadata=m.get("metadata"),
            created_at=m.get("created_at"), updated_at=m.get("updated_at"), role=m.get("role"),
            expiration_date=m.get("expiration_date"),
            scope=Scope(user_id=m.get("user_id"), agent_id=m.get("agent_id"), run_id=m.get("run_id"),
                        actor_id=m.get("actor_id")),
            provenance=Provenance(system="mem0", id=m["id"], version="v1.1", variant="get_all")))
    return out


# ---------------------------------------------------------------- registry and table


def test_letta_is_writable_with_its_mapping_table():
    fmt = registry.get("letta")
    assert fmt.can_write and fmt.can_read
    assert fmt.default_write_version == "0.16.8" and "0.16" in fmt.write_versions
    from memconv.adapters.letta.mapping import MAPPING

    assert fmt.mapping is MAPPING and MAPPING.target == "letta"
    assert MAPPING.kinds["memory"][0] == "sidecar" and MAPPING.kinds["event"][0] is None
    assert "message" not in [k for k, (dest, _) in MAPPING.kinds.items() if dest is None]


def test_sidecar_path_public_name_kept():
    from memconv.adapters.letta import sidecar_path

    assert sidecar_path("/x/agent.af").name == "agent.passages.jsonl"
    assert sidecar_path("/x/agent.af.gz").name == "agent.passages.jsonl"


# ---------------------------------------------------------------- fidelity


def test_the_corpus_has_both_shapes():
    assert len(V2_AF) >= 15 and len(LEGACY_AF) >= 10


@pytest.mark.parametrize("path", V2_AF, ids=lambda p: p.name)
def test_v2_file_round_trips_exactly(path, tmp_path, validator):
    bundle = memconv.read(path)
    out = tmp_path / "out.af"
    report = memconv.write(bundle, "letta", out)
    raw = out.read_bytes()
    doc = without_sidecar_mark(json.loads(raw))
    assert isinstance(doc, dict), "written double-encoded"
    assert doc == load_doc(path)
    assert not report.has_loss, report.format_losses()
    assert not (tmp_path / "out.passages.jsonl").exists()


def test_double_encoded_file_comes_back_single_encoded(tmp_path):
    src = FIXTURES / "letta" / "customer_service.af"
    assert isinstance(json.loads(src.read_bytes()), str)
    doc, _ = convert(src, tmp_path)
    assert doc == load_doc(src)


def test_own_sample_and_its_sidecar_round_trip(tmp_path):
    doc, report = convert(SAMPLE, tmp_path, "nk.af")
    assert doc == load_doc(SAMPLE)
    lines = [json.loads(x) for x in (tmp_path / "nk.passages.jsonl").read_text().splitlines()]
    assert lines == [json.loads(x) for x in SAMPLE_SIDECAR.read_text().splitlines()]
    assert report.written["letta:passages"] == 3


def test_cli_round_trip_through_canonical(tmp_path):
    """letta -> canonical JSON-L -> letta gives the same file (the canonical form keeps every extra)."""
    src = FIXTURES / "letta" / "evie.af"
    mid, out = tmp_path / "evie.jsonl", tmp_path / "evie.af"
    assert run_cli(src, "--to", "canonical", "--jsonl", "-o", mid, "-q").returncode == 0
    r = run_cli(mid, "--to", "letta", "-o", out, "-q")
    assert r.returncode == 0, r.stderr.decode()
    assert without_sidecar_mark(json.loads(out.read_bytes())) == load_doc(src)


# ---------------------------------------------------------------- conversions


@pytest.mark.parametrize("path", LEGACY_AF + BUNDLES + REST, ids=lambda p: p.name)
def test_converted_file_is_a_valid_v2_agent_file(path, tmp_path, validator):
    doc, report = convert(path, tmp_path)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(doc)]
    assert not errors, errors[:5]
    check_agent_file(doc)
    src = memconv.read(path)
    assert [a["name"] for a in doc["agents"]] == [a.name for a in src.of("agent")]
    # every source block comes through with its label, value, limit and read_only
    want = sorted((b.label, b.value, b.limit, b.read_only) for b in src.of("block"))
    got = sorted((b["label"], b["value"], b["limit"], b.get("read_only", False)) for b in doc["blocks"])
    assert got == want
    assert sorted(t["name"] for t in doc["tools"]) == sorted(t.name for t in src.of("tool"))


@pytest.mark.parametrize("path", LEGACY_AF, ids=lambda p: p.name)
def test_legacy_file_becomes_current_shape(path, tmp_path):
    legacy = load_doc(path)
    doc, report = convert(path, tmp_path)
    (a,) = doc["agents"]
    assert any("legacy AgentSchema" in w for w in report.warnings)
    assert a["tags"] == [t["tag"] for t in legacy["tags"]]
    assert a["include_base_tools"] is False and a["include_base_tool_rules"] is False
    assert isinstance(a["tool_exec_environment_variables"], dict)
    assert set(a["tool_exec_environment_variables"]) == {e["key"] for e in legacy["tool_exec_environment_variables"]}
    assert a["metadata"] == (legacy.get("metadata_") if legacy.get("metadata_") is not None else legacy.get("metadata"))
    # messages in file order, in-context order from the indices (or the in_context flags)
    assert [m["role"] for m in a["messages"]] == [m["role"] for m in legacy["messages"]]
    if "in_context_message_indices" in legacy:
        idx = legacy["in_context_message_indices"]
    else:
        idx = [i for i, m in enumerate(legacy["messages"]) if m.get("in_context")]
    by_id = {m["id"]: i for i, m in enumerate(a["messages"])}
    assert [by_id[x] for x in a["in_context_message_ids"]] == idx
    for m in a["messages"]:
        assert "updated_at" not in m and (m.get("created_at") or "").endswith("+00:00")
    for t in doc["tools"]:
        assert "created_at" not in t and "updated_at" not in t


def test_agent_state_group_and_renumbered_ids(tmp_path):
    """agents-list.json: three AgentStates, one managing a sleep-time group of another."""
    doc, report = convert(FIXTURES / "letta-rest" / "agents-list.json", tmp_path)
    check_agent_file(doc)
    (g,) = doc["groups"]
    names = {a["id"]: a["name"] for a in doc["agents"]}
    assert g["manager_config"]["manager_type"] == "sleeptime"
    assert names[g["manager_config"]["manager_agent_id"]] == "Evie_copy"
    assert [names[x] for x in g["agent_ids"]] == ["companion-sleeptime_copy_copy"]
    evie = next(a for a in doc["agents"] if a["name"] == "Evie_copy")
    assert evie["group_ids"] == [g["id"]] and evie["enable_sleeptime"] is False
    shared = {b["label"] for b in doc["blocks"]}
    assert "memory_persona" in shared and len(doc["blocks"]) == 16  # shared blocks written once
    for a in doc["agents"]:
        (sysmsg,) = a["messages"]
        assert a["in_context_message_ids"] == [sysmsg["id"]] and sysmsg["role"] == "system"
    assert any("renumbered" in w for w in report.warnings)


def test_bundle_documents_become_files_of_a_source(tmp_path):
    doc, _ = convert(BUNDLES[0], tmp_path)
    (src,) = doc["sources"]
    assert src["name"] == "documents" and src["embedding_config"]
    assert sorted(f["file_name"] for f in doc["files"]) == ["context.txt", "spec.md"]
    assert doc["agents"][0]["source_ids"] == [src["id"]]


def test_references_are_rewritten_and_dangling_ones_dropped(tmp_path):
    prov = Provenance(system="other")
    recs = [
        Header(source_system="other"),
        Agent(id="a-uuid-1", name="first", llm_config={"model": "m", "model_endpoint_type": "openai",
                                                        "context_window": 8000},
              block_ids=["b-x", "b-missing"], tool_ids=["t-x"], in_context_message_ids=["m-1", "m-2", "m-gone"],
              provenance=prov),
        Block(id="b-x", label="human", value="Dana", provenance=prov),
        Block(id="block-0", label="persona", value="helper", provenance=prov),
        Tool(id="t-x", name="lookup", tool_type="custom", source_type="python", source_code="def lookup(): pass",
             provenance=prov),
        Message(id="m-1", agent_id="a-uuid-1", role="system", content=[{"type": "text", "text": "sys"}],
                provenance=prov),
        Message(id="message-0", agent_id="a-uuid-1", role="user", content=[{"type": "text", "text": "hi"}],
                created_at="2026-01-01T00:00:00", provenance=prov),
        Message(id="m-2", agent_id="a-uuid-1", role="assistant", content=[{"type": "text", "text": "hello"}],
                provenance=prov),
    ]
    out = tmp_path / "x.af"
    report = memconv.write_records(recs, "letta", out)
    doc = json.loads(out.read_bytes())
    check_agent_file(doc)
    (a,) = doc["agents"]
    assert a["id"] == "agent-0"
    assert [b["id"] for b in doc["blocks"]] == ["block-1", "block-0"]  # block-0 kept, b-x renumbered
    assert a["block_ids"] == ["block-1"] and a["tool_ids"] == ["tool-0"]
    assert [m["id"] for m in a["messages"]] == ["message-1", "message-0", "message-2"]  # stream order
    assert a["in_context_message_ids"] == ["message-1", "message-2"]
    assert a["messages"][1]["created_at"] == "2026-01-01T00:00:00+00:00"
    assert any("b-missing" in w for w in report.warnings) and any("in-context" in w for w in report.warnings)
    assert any("renumbered" in w for w in report.warnings)


def test_unsafe_agent_names_are_made_safe(tmp_path):
    recs = [Header(), Agent(id="agent-0", name="ops/bot: v2?", llm_config={"model": "m",
                                                                            "model_endpoint_type": "openai",
                                                                            "context_window": 8000})]
    out = tmp_path / "n.af"
    report = memconv.write_records(recs, "letta", out)
    doc = json.loads(out.read_bytes())
    assert doc["agents"][0]["name"] == "ops_bot_ v2_"
    assert any("ops/bot: v2?" in w for w in report.warnings)


def test_agent_without_llm_config_gets_letta_free(tmp_path):
    out = tmp_path / "n.af"
    memconv.write_records([Header(), Agent(id="x", name="bare")], "letta", out)
    (a,) = json.loads(out.read_bytes())["agents"]
    assert a["llm_config"]["handle"] == "letta/letta-free" and a["messages"][0]["role"] == "system"


def test_secrets_blanked_unless_kept(tmp_path):
    def rec():
        return [Header(), Agent(id="agent-0", name="s", secrets={"API_KEY": "sk-123", "EMPTY": ""},
                                llm_config={"model": "m", "model_endpoint_type": "openai", "context_window": 8000})]

    out = tmp_path / "s.af"
    report = memconv.write_records(rec(), "letta", out)
    a = json.loads(out.read_bytes())["agents"][0]
    assert a["secrets"] == {"API_KEY": "", "EMPTY": ""} == a["tool_exec_environment_variables"]
    assert report.info["secrets_blanked"] == 1
    out2 = tmp_path / "k.af"
    report = memconv.write_records(rec(), "letta", out2, keep_secrets=True)
    assert json.loads(out2.read_bytes())["agents"][0]["secrets"]["API_KEY"] == "sk-123"
    assert report.info["secrets_blanked"] == 0


@pytest.mark.parametrize("version", ["0.16.8", "0.16.5", "v2", "0.16"])
def test_target_versions_accepted(version, tmp_path):
    memconv.convert(SAMPLE, "letta", tmp_path / "v.af", target_version=version)


def test_legacy_target_version_refused(tmp_path):
    with pytest.raises(UnsupportedVersion, match="legacy"):
        memconv.convert(SAMPLE, "letta", tmp_path / "v.af", target_version="0.11.0")
    assert not (tmp_path / "v.af").exists()


# ---------------------------------------------------------------- passages sidecar


def test_passages_sidecar_beside_output_and_read_back(tmp_path):
    """export.af + archival-memory.json (a real agent and its passages) -> .af + sidecar -> read back."""
    arch = FIXTURES / "letta-rest" / "archival-memory.support-desk.json"
    doc, report = convert([FIXTURES / "letta-rest" / "export.support-desk.af", arch], tmp_path, "desk.af")
    side = tmp_path / "desk.passages.jsonl"
    lines = [json.loads(x) for x in side.read_text().splitlines()]
    assert {ln["agent_id"] for ln in lines} == {doc["agents"][0]["id"]}
    want = json.loads(arch.read_text())
    assert [(ln["text"], ln["tags"]) for ln in lines] == [(p["text"], p["tags"]) for p in want]
    back = memconv.read(tmp_path / "desk.af")
    assert [(p.text, p.tags) for p in back.of("passage")] == [(p["text"], p["tags"]) for p in want]
    assert all(p.scope.agent_id == doc["agents"][0]["id"] for p in back.of("passage"))
    assert report.info["sidecar"] == str(side)


def test_stdout_with_passages_option(tmp_path):
    side = tmp_path / "p.jsonl"
    r = run_cli(SAMPLE, "--to", "letta", "--passages", side)
    assert r.returncode == 0, r.stderr.decode()
    assert json.loads(r.stdout) == load_doc(SAMPLE)
    assert [json.loads(x)["text"] for x in side.read_text().splitlines()] == \
        [json.loads(x)["text"] for x in SAMPLE_SIDECAR.read_text().splitlines()]


def test_stdout_without_passages_reports_the_loss(tmp_path):
    r = run_cli(SAMPLE, "--to", "letta")
    assert r.returncode == 0, r.stderr.decode()
    assert json.loads(r.stdout) == load_doc(SAMPLE)
    err = r.stderr.decode()
    assert "lost: 3 passage record(s)" in err and "--passages" in err
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------- mem0 and AgentMemory


def check_mem0_output(doc: dict[str, Any], side: Path, validator: Any) -> None:
    assert not list(validator.iter_errors(doc))
    check_agent_file(doc)
    agents = {a["name"]: a for a in doc["agents"]}
    assert set(agents) == {"mem0 alice", "mem0 bob", "support-bot"}
    blocks = {b["id"]: b for b in doc["blocks"]}
    for a in agents.values():
        assert a["llm_config"]["handle"] == "letta/letta-free" and a["embedding_config"] is None
        assert "archival_memory_search" in a["tools"]
        labels = {blocks[b]["label"]: blocks[b]["value"] for b in a["block_ids"]}
        assert set(labels) == {"human", "persona"}
        assert a["messages"][0]["role"] == "system" and a["in_context_message_ids"] == [a["messages"][0]["id"]]
    human = {n: next(blocks[b]["value"] for b in a["block_ids"] if blocks[b]["label"] == "human")
             for n, a in agents.items()}
    assert "alice" in human["mem0 alice"] and "bob" in human["mem0 bob"] and "bob" in human["support-bot"]
    lines = [json.loads(x) for x in side.read_text().splitlines()]
    src = json.loads(MEM0_GET_ALL.read_text())["results"]
    assert sorted(ln["text"] for ln in lines) == sorted(m["memory"] for m in src)
    owner = {ln["id"]: ln["agent_id"] for ln in lines}
    for m in src:
        expect = "support-bot" if m.get("agent_id") else f"mem0 {m['user_id']}"
        assert owner[m["id"]] == agents[expect]["id"], m
    by_id = {ln["id"]: ln for ln in lines}
    for m in src:
        assert by_id[m["id"]]["metadata"] == (m["metadata"] or {}) and by_id[m["id"]]["created_at"] == m["created_at"]
        assert by_id[m["id"]]["source"]["hash"] == m["hash"]


def test_mem0_memories_become_agents_and_passages(tmp_path, validator):
    out = tmp_path / "mem0.af"
    report = memconv.write_records(memories_from_mem0(MEM0_GET_ALL), "letta", out)
    check_mem0_output(json.loads(out.read_bytes()), tmp_path / "mem0.passages.jsonl", validator)
    assert not report.has_loss, report.format_losses()
    back = memconv.read(out)  # the sidecar's source objects give the mem0 memories back (issue 11.5)
    assert len(back.of("memory")) == 19 and len(back.of("agent")) == 3


def test_mem0_file_to_letta(tmp_path, validator):
    if not registry.get("mem0").can_read:
        pytest.skip("the mem0 reader is not there yet (test_mem0_memories_become_agents_and_passages covers "
                    "the same data as canonical records)")
    doc, _ = convert(MEM0_GET_ALL, tmp_path, "mem0.af")
    check_mem0_output(doc, tmp_path / "mem0.passages.jsonl", validator)


def test_many_memories_are_spooled_and_grouped(tmp_path):
    recs: list[Any] = [Header(source_system="mem0")]
    for i in range(3000):
        recs.append(Memory(id=f"m{i}", text=f"fact {i}", scope=Scope(user_id=f"u{i % 3}"),
                           provenance=Provenance(system="mem0")))
    out = tmp_path / "many.af"
    memconv.write_records(iter(recs), "letta", out)
    doc = json.loads(out.read_bytes())
    assert len(doc["agents"]) == 3
    lines = [json.loads(x) for x in (tmp_path / "many.passages.jsonl").read_text().splitlines()]
    assert len(lines) == 3000
    ids = [ln["agent_id"] for ln in lines]
    assert ids == sorted(ids, key=[a["id"] for a in doc["agents"]].index)  # grouped by agent


def agentmemory_ready() -> bool:
    return registry.get("agentmemory").can_read


@pytest.mark.skipif(not agentmemory_ready(), reason="the AgentMemory reader is not there yet")
def test_agentmemory_store_becomes_one_agent_per_project(tmp_path, validator):
    src = FIXTURES / "agentmemory" / "example_full.json"
    doc, report = convert(src, tmp_path, "am.af")
    assert not list(validator.iter_errors(doc))
    check_agent_file(doc)
    assert [a["name"] for a in doc["agents"]] == ["acme-billing"]
    lines = [json.loads(x) for x in (tmp_path / "am.passages.jsonl").read_text().splitlines()]
    kinds = {ln["source"]["kind"] for ln in lines}
    assert {"session", "memory", "observation", "summary"} <= kinds
    assert any("agentmemory:observation" in ln["tags"] for ln in lines)
    losses = {(l.kind, l.field) for l in report.losses.values()}
    assert ("entity", "*") in losses


@pytest.mark.skipif(not agentmemory_ready(), reason="the AgentMemory reader is not there yet")
@pytest.mark.parametrize("name", ["evie.af", "letta-tests__test_agent_with_files_and_sources.af"])
def test_letta_through_agentmemory_and_back(name, tmp_path):
    src = FIXTURES / "letta" / name
    mid, out = tmp_path / "am.json", tmp_path / "back.af"
    memconv.convert(src, "agentmemory", mid)
    memconv.convert(mid, "letta", out)
    want, got = load_doc(src), json.loads(out.read_bytes())
    for d in (want, got):  # the header came from AgentMemory: metadata and created_at are memconv's
        d.pop("metadata"), d.pop("created_at")
    if "skills" not in want:
        assert got.pop("skills") == []
    assert got == want


# ---------------------------------------------------------------- one tool per name

def _tool_names_by_agent(doc: dict[str, Any]) -> dict[str, set[str]]:
    names = {t["id"]: t["name"] for t in doc["tools"]}
    return {a["name"]: {names[i] for i in a["tool_ids"]} for a in doc["agents"]}


def test_tools_of_one_name_from_two_files_are_folded(tmp_path):
    """Letta's importer upserts a file's tools by name, and two of one name fail the whole import (real
    0.16.8: ``ON CONFLICT DO UPDATE command cannot affect row a second time``); void.af and evie.af
    share 16 tool names. One tool per name is written; every agent keeps every tool name it had."""
    a, b = FIXTURES / "letta" / "void.af", FIXTURES / "letta" / "evie.af"
    before = {**_tool_names_by_agent(load_doc(a)), **_tool_names_by_agent(load_doc(b))}
    out = tmp_path / "both.af"
    report = memconv.convert([str(a), str(b)], "letta", str(out))
    doc = load_doc(out)
    check_agent_file(doc)
    names = [t["name"] for t in doc["tools"]]
    assert len(names) == len(set(names))
    assert _tool_names_by_agent(doc) == before
    assert any("folded" in w for w in report.warnings)
    assert not report.losses  # built-in tools of two versions: the server supplies their code


def test_custom_tools_of_one_name_with_other_code_are_reported(tmp_path):
    recs = [Header(source_system="canonical"),
            Tool(id="tool-0", name="lookup", source_code="def lookup(q: str):\n    return 1\n", tool_type="custom"),
            Tool(id="tool-1", name="lookup", source_code="def lookup(q: str):\n    return 2\n", tool_type="custom"),
            Agent(id="agent-0", name="A", tool_ids=["tool-0"]), Agent(id="agent-1", name="B", tool_ids=["tool-1"])]
    out = tmp_path / "t.af"
    report = memconv.write(recs, "letta", str(out))
    doc = load_doc(out)
    assert [t["name"] for t in doc["tools"]] == ["lookup"] and "return 1" in doc["tools"][0]["source_code"]
    assert {a["name"]: a["tool_ids"] for a in doc["agents"]} == {"A": ["tool-0"], "B": ["tool-0"]}
    assert report.losses[("tool", "*")].count == 1
    assert report.ledger()["tool"]["lost"] == 1 and report.ledger()["tool"]["native"] == 1
    assert any("'lookup'" in w for w in report.warnings)


def test_validate_names_tools_that_share_a_name(tmp_path):
    """An agent file with two tools of one name is one Letta's importer refuses: validate says so."""
    doc = load_doc(FIXTURES / "letta" / "letta-tests__test_agent.af")
    twin = dict(doc["tools"][0], id="tool-99")
    doc["tools"].append(twin)
    p = tmp_path / "twin.af"
    p.write_text(json.dumps(doc))
    r = run_cli("validate", p)
    assert r.returncode == 1
    assert f"2 tool records share the name {twin['name']!r}" in (r.stdout + r.stderr).decode()
    out = tmp_path / "fixed.af"
    assert run_cli(p, "--to", "letta", "-o", out).returncode == 0
    assert run_cli("validate", out).returncode == 0  # what memconv writes folds them


def test_passages_find_their_renamed_agent_again(tmp_path):
    """An agent whose name Letta does not accept is written under a safe name ('¨' -> '_'), and so is an
    agent memconv builds for another scope ('\\x80' -> '_'). Read back and written again, the passage
    scoped to '¨' still belongs to the first, not to a new built agent (hypothesis found this)."""
    recs = [Header(source_system="agentmemory"),
            Agent(id="agent-0", name="\u00a8", llm_config={"model": "m", "model_endpoint_type": "openai",
                                                          "context_window": 8000}),
            Agent(id="agent-1", name="Bob", llm_config={"model": "m", "model_endpoint_type": "openai",
                                                     "context_window": 8000}),
            Memory(id="m1", text="likes tea", provenance=Provenance(system="agentmemory", id="m1"),
                   scope=Scope(agent_id="\u00a8")),
            Memory(id="m2", text="a project fact", provenance=Provenance(system="mem0", id="m2"),
                   scope=Scope(project="\x80"))]
    one = tmp_path / "one.af"
    memconv.write(recs, "letta", str(one), keep_secrets=True)
    back = memconv.read(str(one))
    two = tmp_path / "two.af"
    memconv.write([back.header, *back.records], "letta", str(two), keep_secrets=True)
    again = memconv.read(str(two))
    assert [a.name for a in again.of("agent")] == [a.name for a in back.of("agent")]
    assert [a.name for a in back.of("agent")] == ["_", "Bob", "_"]  # the third built for the project


def test_a_system_message_memconv_adds_is_dated_when_its_agent_was_created(tmp_path):
    """An agent whose context does not start with a system message gets one (Letta reads
    ``message_ids[0]`` as it): dated at the agent's ``created_at``, so that it sorts before the
    agent's messages and the file does not change from run to run (it took the time of the run), and
    at the export time for an agent with no time."""
    born = Agent(id="agent-0", name="old", system="You are old.", created_at="2025-03-01T10:00:00",
                 in_context_message_ids=["message-1"])
    said = Message(id="message-1", agent_id="agent-0", role="user", content=[{"type": "text", "text": "hi"}],
                   created_at="2025-03-01T10:00:05")
    unborn = Agent(id="agent-1", name="new", system="You are new.")
    times = {}
    for run in ("a", "b"):
        out = tmp_path / f"{run}.af"
        memconv.write_records([Header(source_system="letta"), born, unborn, said], "letta", str(out),
                              timestamp=f"2026-0{1 if run == 'a' else 2}-01T00:00:00Z")
        doc = json.loads(out.read_text())
        by_id = {m["id"]: m for a in doc["agents"] for m in a["messages"]}
        firsts = [by_id[a["in_context_message_ids"][0]] for a in doc["agents"]]
        assert [m["role"] for m in firsts] == ["system", "system"]
        times[run] = [m["created_at"] for m in firsts]
    assert times["a"][0] == times["b"][0] == "2025-03-01T10:00:00+00:00"
    assert times["a"][1] != times["b"][1] and times["a"][1].startswith("2026-01-01T00:00:00")


def test_a_trimmed_llm_config_gets_the_keys_letta_requires(tmp_path):
    """An ``AgentState`` pasted with its configs trimmed (``{"model": "deepseek-chat"}``; found in a user's
    issue): Letta's importer requires ``model_endpoint_type`` and ``context_window`` of an ``llm_config``, and
    ``embedding_model`` and ``embedding_dim`` of an ``embedding_config``, and would refuse the whole file.
    The missing keys are taken from letta/letta-free's configs, with a warning naming them; the given
    ones stay."""
    import memconv
    from memconv.model import Agent, Header

    agent = Agent(id="agent-0", name="giraffe", llm_config={"model": "deepseek-chat", "context_window": None},
                  embedding_config={"embedding_endpoint_type": "ollama"})
    out = tmp_path / "out.af"
    report = memconv.write_records([Header(source_system="canonical"), agent], "letta", str(out))
    got = json.loads(out.read_text())["agents"][0]
    assert got["llm_config"] == {"model": "deepseek-chat", "context_window": 30000, "model_endpoint_type": "openai"}
    assert got["embedding_config"] == {"embedding_endpoint_type": "ollama", "embedding_model": "letta-free",
                                       "embedding_dim": 1536}
    text = "\n".join(report.warnings)
    assert "llm_config has no model_endpoint_type, context_window (Letta requires them)" in text
    assert "embedding_config has no embedding_model, embedding_dim" in text


def test_a_config_with_a_handle_and_no_model_takes_the_model_from_the_handle(tmp_path):
    import memconv
    from memconv.model import Agent, Header

    agent = Agent(id="agent-0", name="g", llm_config={"handle": "openai/gpt-4o", "context_window": 128000,
                                                      "model_endpoint_type": "openai"})
    out = tmp_path / "out.af"
    memconv.write_records([Header(source_system="canonical"), agent], "letta", str(out))
    got = json.loads(out.read_text())["agents"][0]["llm_config"]
    assert got["model"] == "gpt-4o" and got["handle"] == "openai/gpt-4o"


def test_dropped_tool_rules_count_their_agent_once(tmp_path):
    """Four rules letta 0.16.8 would refuse (a child rule without ``children``, as 0.6.43 files hold
    them, and a rule of an unknown type) are dropped, each warned of; the loss counts the one agent that
    loses them, as the ledger counts agents, not four."""
    rules = [{"type": "constrain_child_tools", "tool_name": f"t{i}"} for i in range(3)]
    rules += [{"type": "no_such_rule", "tool_name": "t9"}, {"type": "run_first", "tool_name": "send_message"}]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in [
        {"kind": "header"}, {"kind": "agent", "id": "agent-0", "name": "a", "tool_rules": rules}]) + "\n")
    out = tmp_path / "out.af"
    report = memconv.convert(str(src), "letta", str(out))
    loss = report.to_dict()["losses"]
    assert [(l["kind"], l["field"], l["count"]) for l in loss if l["field"] == "tool_rules"] == [("agent", "tool_rules", 1)]
    assert sum("dropped" in w and "rule" in w for w in report.warnings) == 4
    agent = json.loads(out.read_text())["agents"][0]
    assert agent["tool_rules"] == [{"tool_name": "send_message", "type": "run_first"}]


def test_the_agent_built_for_unscoped_memories_is_named_in_words(tmp_path):
    """Memories with no scope get a built agent; the warning says so in words (it read "of mem0 none
    'mem0'", a placeholder's look)."""
    src = tmp_path / "in.json"
    src.write_text(json.dumps({"results": [{"id": "m1", "memory": "likes tea", "hash": None, "metadata": None,
                                            "created_at": None, "updated_at": None}]}))
    report = memconv.convert(str(src), "letta", str(tmp_path / "out.af"))
    built = [w for w in report.warnings if "built agent" in w]
    assert len(built) == 1 and "1 mem0 archival record(s) that name no user, agent or project" in built[0], built
    assert "none" not in built[0]
