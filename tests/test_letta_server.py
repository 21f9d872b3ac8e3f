"""memconv's Letta output imported into a real Letta 0.16.8 server and read back.

Every agent file in ../shared/fixtures/letta (v2 and legacy; not the corrupt one), a hand-made bundle,
REST ``AgentState`` samples, and mem0 memories are converted with ``--to letta``, imported with
``POST /v1/agents/import`` (``append_copy_suffix=false``), then compared with the source through
``GET /v1/agents/{id}`` (blocks: label, value, limit, read_only) and ``GET /v1/agents/{id}/messages``
(role and text of every in-context message). Passages from the sidecar go in through
``POST /v1/agents/{id}/archival-memory`` and are read back with ``GET .../archival-memory``.

The server comes from :mod:`letta_server` (one per test session; ``MEMCONV_SKIP_LETTA=1`` skips).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

import memconv
from memconv import registry

from helpers import FIXTURES, GOOD_AF
from letta_server import LettaServer  # the session fixture `letta_server` comes from conftest.py
from test_letta_writer import BUNDLES, MEM0_GET_ALL, check_agent_file, load_doc, memories_from_mem0

pytestmark = pytest.mark.letta_server

ASSISTANT_TYPES = {"reasoning_message", "hidden_reasoning_message", "assistant_message", "tool_call_message",
                   "approval_request_message"}


def _convert(src: Any, tmp_path: Path, name: str = "out.af") -> tuple[bytes, dict[str, Any]]:
    out = tmp_path / name
    memconv.convert(src, "letta", out)
    raw = out.read_bytes()
    doc = json.loads(raw)
    check_agent_file(doc)
    return raw, doc


def _import(srv: LettaServer, raw: bytes, name: str, n_agents: int) -> list[str]:
    t0 = time.monotonic()
    r = srv.import_af(raw, name)
    assert r.status_code == 200, f"import of {name} answered {r.status_code}: {r.text[:600]}\n{srv.log_tail()}"
    ids = r.json()["agent_ids"]
    assert len(ids) == n_agents, r.text
    assert time.monotonic() - t0 < 60
    return ids


def _text(content: Any) -> str:
    """Text of a message content: a string, or the text (and reasoning) parts of a list."""
    if isinstance(content, str):
        return content
    out = []
    for p in content or []:
        if isinstance(p, dict) and p.get("type") in ("text", None) and isinstance(p.get("text"), str):
            out.append(p["text"])
    return "\n".join(out)


def _user_texts(text: str) -> set[str]:
    """What the API may show for a user message: its text, or the ``message`` of a legacy packed
    ``{"type": "user_message", "message": ...}`` JSON (Letta's API unpacks those)."""
    out = {text}
    try:
        d = json.loads(text)
    except ValueError:
        return out
    if isinstance(d, dict) and isinstance(d.get("message"), str):
        out.add(d["message"])
    return out


def _piece_texts(pieces: list[dict[str, Any]]) -> set[str]:
    out = set()
    for p in pieces:
        for k in ("content", "reasoning"):
            v = p.get(k)
            if isinstance(v, str):
                out.add(v)
            elif isinstance(v, list):
                out.add(_text(v))
    return out


def check_blocks(src_blocks: list[Any], state: dict[str, Any]) -> None:
    """The imported agent's blocks equal the source's: label, value, limit, read_only."""
    want = sorted((b.label, b.value, b.limit or 100000, b.read_only) for b in src_blocks)
    got = sorted((b["label"], b["value"], b["limit"], b["read_only"]) for b in state["blocks"])
    assert got == want


def check_messages(srv: LettaServer, agent: dict[str, Any], src_in_context: list[Any], state: dict[str, Any]) -> None:
    """The imported agent's context holds the written in-context messages, in order; their roles and
    texts match the source's in-context messages (``src_in_context``: canonical Messages)."""
    written = {m["id"]: m for m in agent["messages"]}
    ctx = [written[i] for i in agent["in_context_message_ids"]]
    assert len(state["message_ids"]) == len(ctx)
    # what memconv wrote is the source's context (plus a system message when the source had none)
    if len(ctx) == len(src_in_context) + 1:
        assert ctx[0]["role"] == "system"
        ctx_src = ctx[1:]
    else:
        ctx_src = ctx
    assert [(m["role"], _text(m["content"])) for m in ctx_src] == [(m.role, _text(m.content)) for m in src_in_context]
    calls = {c["id"]: (c.get("function") or {}).get("name") for m in agent["messages"]
             for c in m.get("tool_calls") or [] if isinstance(c, dict)}
    pieces: dict[str, list[dict[str, Any]]] = {}
    for item in srv.messages(state["id"]):
        pieces.setdefault(item["id"], []).append(item)
    for m, db_id in zip(ctx, state["message_ids"]):
        got = pieces.get(db_id, [])
        types = [p["message_type"] for p in got]
        text = _text(m["content"])
        where = f"{agent['name']}: {m['id']} ({m['role']})"
        if m["role"] == "system":
            assert types == ["system_message"] and got[0]["content"] == text, where
        elif m["role"] == "user":
            assert types == ["user_message"] and _text(got[0]["content"]) in _user_texts(text), where
        elif m["role"] == "assistant":
            assert types and set(types) <= ASSISTANT_TYPES, (where, types)
            texts = _piece_texts(got)
            for part in m["content"] if isinstance(m["content"], list) else [{"type": "text", "text": m["content"]}]:
                t = part.get("text") if part.get("type") == "text" else part.get("reasoning")
                if part.get("type") in ("text", "reasoning") and t:
                    assert t in texts, (where, t[:80])
            for c in m.get("tool_calls") or []:
                name = (c.get("function") or {}).get("name")
                want = "assistant_message" if name == "send_message" else "tool_call_message"
                assert want in types, (where, name, types)
        elif m["role"] == "tool":
            # Letta's API hides the returns of send_message; every other tool return is listed
            if calls.get(m.get("tool_call_id")) == "send_message" and not got:
                continue
            assert types == ["tool_return_message"], (where, types)


def check_import(srv: LettaServer, src: Path | list[Path], tmp_path: Path) -> tuple[dict[str, Any], list[str]]:
    """Convert ``src``, import it, and compare every agent with the source."""
    source = memconv.read(src)
    raw, doc = _convert(src, tmp_path)
    ids = _import(srv, raw, tmp_path.name + ".af", len(doc["agents"]))
    src_agents = source.of("agent")
    blocks = {b.id: b for b in source.of("block")}
    msgs = {(m.agent_id, m.id): m for m in source.of("message")}
    for a_src, a_doc, db_id in zip(src_agents, doc["agents"], ids):
        state = srv.agent(db_id)
        assert state["name"] == a_doc["name"] == a_src.name
        check_blocks([blocks[b] for b in a_src.block_ids], state)
        ctx = [msgs[(a_src.id, i)] for i in a_src.in_context_message_ids]
        check_messages(srv, a_doc, ctx, state)
        assert {t["name"] for t in state["tools"]} >= {
            t["name"] for t in doc["tools"] if t["id"] in (a_doc.get("tool_ids") or [])}
        if a_src.system is not None:
            assert state["system"] == a_src.system
    return doc, ids


# ---------------------------------------------------------------- tests


def test_server_is_letta_0_16_8(letta_server):
    assert letta_server.version == "0.16.8"
    if letta_server.started_in is not None:
        print(f"letta server started in {letta_server.started_in:.1f}s")


@pytest.mark.parametrize("path", GOOD_AF, ids=lambda p: p.name)
def test_agent_file_imports_and_reads_back(path, tmp_path, letta_server):
    doc, ids = check_import(letta_server, path, tmp_path)
    if doc["groups"]:  # evie.af: sleep-time group (letta-af.md notes a 0.16.4 regression, fixed in 0.16.5)
        managers = [a for a, db in zip(doc["agents"], ids) if a.get("group_ids")]
        for a, db in zip(doc["agents"], ids):
            if a in managers:
                state = letta_server.agent(db)
                group = state.get("multi_agent_group") or state.get("managed_group")
                assert group and group["manager_type"] == doc["groups"][0]["manager_config"]["manager_type"]
                assert set(group["agent_ids"]) == {ids[doc["agents"].index(x)] for x in doc["agents"]
                                                   if x["id"] in doc["groups"][0]["agent_ids"]}


def test_bundle_imports_with_its_documents(tmp_path, letta_server):
    doc, (db_id,) = check_import(letta_server, BUNDLES[0], tmp_path)
    state = letta_server.agent(db_id)
    names = [s["name"] for s in state["sources"]]
    assert len(names) == 1 and names[0].startswith("documents")
    legacy_doc = load_doc(FIXTURES / "letta-bundle" / "support-desk.af" / "agent.json")
    assert {b["label"] for b in state["blocks"]} == {b["label"] for b in legacy_doc["blocks"]}


def test_agent_states_with_a_group_import(tmp_path, letta_server):
    doc, ids = check_import(letta_server, FIXTURES / "letta-rest" / "agents-list.json", tmp_path)
    evie = letta_server.agent(ids[[a["name"] for a in doc["agents"]].index("Evie_copy")])
    group = evie.get("multi_agent_group") or evie.get("managed_group")
    assert group and group["manager_type"] == "sleeptime" and len(group["agent_ids"]) == 1


def _load_sidecar(srv: LettaServer, side: Path, id_map: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """POST every sidecar line to its agent's archival memory; the lines per imported agent id."""
    per_agent: dict[str, list[dict[str, Any]]] = {}
    for line in side.read_text().splitlines():
        p = json.loads(line)
        db = id_map[p["agent_id"]]
        r = srv.add_passage(db, p["text"], p.get("tags"), p.get("created_at"))
        assert r.status_code == 200, r.text[:400]
        per_agent.setdefault(db, []).append(p)
    return per_agent


def test_mem0_memories_import_with_their_passages(tmp_path, letta_server):
    if registry.get("mem0").can_read:
        memconv.convert(MEM0_GET_ALL, "letta", tmp_path / "mem0.af")
    else:  # the mem0 reader is being written: the same data as canonical records
        memconv.write_records(memories_from_mem0(MEM0_GET_ALL), "letta", tmp_path / "mem0.af")
    raw = (tmp_path / "mem0.af").read_bytes()
    doc = json.loads(raw)
    ids = _import(letta_server, raw, "mem0.af", 3)
    id_map = {a["id"]: db for a, db in zip(doc["agents"], ids)}
    blocks = {b["id"]: b for b in doc["blocks"]}
    for a, db in zip(doc["agents"], ids):
        state = letta_server.agent(db)
        assert state["name"] == a["name"] and state["embedding_config"] is None
        assert {(b["label"], b["value"]) for b in state["blocks"]} == {(blocks[b]["label"], blocks[b]["value"])
                                                                      for b in a["block_ids"]}
        assert {"archival_memory_search", "archival_memory_insert"} <= {t["name"] for t in state["tools"]}
        assert len(state["message_ids"]) == 1
    per_agent = _load_sidecar(letta_server, tmp_path / "mem0.passages.jsonl", id_map)
    assert sum(len(v) for v in per_agent.values()) == 19
    for db, lines in per_agent.items():
        got = letta_server.passages(db)
        assert sorted((p["text"], tuple(p["tags"] or [])) for p in got) == \
            sorted((ln["text"], tuple(ln["tags"])) for ln in lines)
    # Letta rebuilds the placeholder system message from its prompt and the blocks once memory changes
    db = ids[0]
    human = next(b for b in letta_server.agent(db)["blocks"] if b["label"] == "human")
    r = letta_server.client.patch(f"/v1/agents/{db}/core-memory/blocks/human",
                                  json={"value": human["value"] + "\nLikes green tea."})
    assert r.status_code == 200
    system = next(m for m in letta_server.messages(db) if m["message_type"] == "system_message")
    assert "Likes green tea." in system["content"] and "<memory_blocks>" in system["content"]


def test_agent_with_sidecar_passages(tmp_path, letta_server):
    """export.af plus its archival-memory.json: the agent imports and gets its two passages back."""
    arch = FIXTURES / "letta-rest" / "archival-memory.support-desk.json"
    src = [FIXTURES / "letta-rest" / "export.support-desk.af", arch]
    doc, ids = check_import(letta_server, src, tmp_path)
    per_agent = _load_sidecar(letta_server, tmp_path / "out.passages.jsonl", {doc["agents"][0]["id"]: ids[0]})
    got = letta_server.passages(ids[0])
    assert sorted(p["text"] for p in got) == sorted(p["text"] for p in json.loads(arch.read_text()))
    assert sorted(p["text"] for p in got) == sorted(p["text"] for p in per_agent[ids[0]])


@pytest.mark.skipif(not registry.get("agentmemory").can_read, reason="the AgentMemory reader is not there yet")
def test_agentmemory_store_imports(tmp_path, letta_server):
    raw, doc = _convert(FIXTURES / "agentmemory" / "example_full.json", tmp_path, "am.af")
    ids = _import(letta_server, raw, "am.af", len(doc["agents"]))
    per_agent = _load_sidecar(letta_server, tmp_path / "am.passages.jsonl",
                              {a["id"]: db for a, db in zip(doc["agents"], ids)})
    for db, lines in per_agent.items():
        assert sorted(p["text"] for p in letta_server.passages(db)) == sorted(ln["text"] for ln in lines)


def test_two_agent_files_sharing_tool_names_import(tmp_path, letta_server):
    """void.af and evie.af share 16 tool names: written together, the file imports (before, Letta
    refused it: ``ON CONFLICT DO UPDATE command cannot affect row a second time``), and each agent has
    the tools it had, by name."""
    out = tmp_path / "both.af"
    memconv.convert([str(FIXTURES / "letta" / "void.af"), str(FIXTURES / "letta" / "evie.af")], "letta", str(out))
    raw = out.read_bytes()
    doc = json.loads(raw)
    ids = _import(letta_server, raw, "both.af", len(doc["agents"]))
    names = {t["id"]: t["name"] for t in doc["tools"]}
    for obj, db in zip(doc["agents"], ids):
        state = letta_server.agent(db)
        assert {t["name"] for t in state["tools"]} >= {names[i] for i in obj["tool_ids"]}
