"""The Letta reader on every real agent file, bundle and REST sample in ../shared."""

from __future__ import annotations

import json

import pytest

import memconv
from memconv.errors import InputInvalid
from memconv.io import Input
from memconv.model import Agent, Message

from helpers import CORRUPT_AF, FIXTURES, GOOD_AF, LETTA


def _doc(path):
    d = json.loads(path.read_bytes())
    return json.loads(d) if isinstance(d, str) else d


def test_the_corpus_is_there():
    assert len(GOOD_AF) >= 30, "../shared/fixtures/letta is missing files"


@pytest.mark.parametrize("path", GOOD_AF, ids=lambda p: p.name)
def test_reads_every_real_af_with_counts(path):
    doc = _doc(path)
    bundle = memconv.read(path)
    counts = bundle.counts()
    assert bundle.header.source_system == "letta"
    if "agents" in doc:
        assert bundle.header.source_variant == "v2"
        assert counts.get("agent", 0) == len(doc["agents"])
        assert counts.get("block", 0) == len(doc["blocks"])
        assert counts.get("tool", 0) == len(doc["tools"])
        assert counts.get("message", 0) == sum(len(a.get("messages") or []) for a in doc["agents"])
        assert counts.get("skill", 0) == len(doc.get("skills") or [])
        assert counts.get("file", 0) == len(doc["files"])
        assert bundle.header.source_format_version == doc["metadata"]["revision_id"]
        for a, rec in zip(doc["agents"], bundle.of("agent")):
            assert rec.name == a["name"] and rec.system == a["system"]
            assert rec.block_ids == a["block_ids"]
            assert rec.in_context_message_ids == a["in_context_message_ids"]
    else:
        assert bundle.header.source_variant == "legacy"
        assert bundle.header.source_format_version == doc["version"]
        assert counts.get("agent") == 1
        assert counts.get("block", 0) == len(doc["core_memory"])
        assert counts.get("tool", 0) == len(doc["tools"])
        assert counts.get("message", 0) == len(doc["messages"])
        agent = bundle.of("agent")[0]
        assert agent.name == doc["name"]
        assert [b.label for b in bundle.of("block")] == [b["label"] for b in doc["core_memory"]]
        assert agent.tags == [t["tag"] for t in doc["tags"]]


def test_legacy_in_context_order_is_kept():
    """memgpt_agent_with_convo (0.6.47) lists its context out of file order: [89, 81, 80, ...]."""
    path = LETTA / "letta-tests__memgpt_agent_with_convo.af"
    doc = _doc(path)
    agent = memconv.read(path).of("agent")[0]
    assert agent.in_context_message_ids == [f"message-{i}" for i in doc["in_context_message_indices"]]
    assert agent.in_context_message_ids[:3] == ["message-89", "message-81", "message-80"]


def test_pre_0_6_46_in_context_flags():
    path = LETTA / "agent-file-history__legacy-v0.6.43__composio_github_star_agent.af"
    doc = _doc(path)
    bundle = memconv.read(path)
    flagged = [f"message-{i}" for i, m in enumerate(doc["messages"]) if m.get("in_context")]
    assert bundle.of("agent")[0].in_context_message_ids == flagged
    assert [m.in_context for m in bundle.of("message")] == [bool(m.get("in_context")) for m in doc["messages"]]


def test_pre_0_6_46_flags_out_of_time_order_give_one_system_prompt_first(tmp_path):
    """A 0.6.43 file whose messages are not in time order (as memgpt_agent_with_convo at agent-file
    da3e10e is: its system prompt 57th, after a system_alert): the flags do not say the context's order,
    so it is read as Letta keeps a context, the prompt first and the rest by created_at, with a warning;
    the Letta writer then adds no second system prompt."""
    path = LETTA / "agent-file-history__legacy-v0.6.43__memgpt_agent.af"
    doc = _doc(path)
    msgs = doc["messages"]
    for i, m in enumerate(msgs):
        m["created_at"] = f"2025-03-24T03:0{i}:00"
    alert = json.loads(json.dumps(msgs[1]))
    alert.update(role="system", created_at="2025-03-24T02:59:30", in_context=True,
                 content=[{"type": "text", "text": '{"type": "system_alert", "message": "summary"}'}])
    alert.pop("text", None)
    msgs[:] = [msgs[2], msgs[3], alert, msgs[1], msgs[0]]  # the prompt (made at 03:00) last in the file
    src = tmp_path / "shuffled.af"
    src.write_text(json.dumps(doc))
    report = memconv.Report()
    agent = memconv.read(src, report=report).of("agent")[0]
    # the prompt (file index 4) first, though the alert (2) is older; then by created_at: alert 02:59,
    # assistant 03:01 (3), tool 03:02 (0), user 03:03 (1)
    assert agent.in_context_message_ids == ["message-4", "message-2", "message-3", "message-0", "message-1"]
    assert any("do not say the context's order" in w and "messages[4]" in w for w in report.warnings)
    out = tmp_path / "out.af"
    r = memconv.convert(str(src), "letta", str(out))
    assert not any("no system message in context" in w for w in r.warnings)
    a = json.loads(out.read_text())["agents"][0]
    roles = {m["id"]: m["role"] for m in a["messages"]}
    assert [roles[i] for i in a["in_context_message_ids"]] == ["system", "system", "assistant", "tool", "user"]
    assert len(a["messages"]) == 5


@pytest.mark.parametrize("name", ["customer_service.af", "memgpt_agent.af"])
def test_double_encoded_files_are_read_with_a_warning(name):
    raw = json.loads((LETTA / name).read_bytes())
    assert isinstance(raw, str), "fixture is expected to be double-encoded"
    report = memconv.Report()
    items = list(memconv.iter_records(LETTA / name, report=report))
    assert items[0].source_variant == "v2"
    assert any("double-encoded" in w for w in report.warnings)


def test_multi_agent_group_is_read():
    bundle = memconv.read(LETTA / "evie.af")
    assert len(bundle.of("agent")) == 2
    group = bundle.of("group")[0]
    assert group.manager_config["manager_type"] == "sleeptime"
    assert group.agent_ids == ["agent-1"]


def test_files_and_sources_are_read():
    bundle = memconv.read(LETTA / "letta-tests__test_agent_with_files_and_sources.af")
    files, sources = bundle.of("file"), bundle.of("source")
    assert files and sources
    assert all(f.source_id in {s.id for s in sources} for f in files)
    assert any(f.content for f in files)


def test_message_content_parts_and_tool_calls_are_kept():
    doc = _doc(LETTA / "letta-tests__test_agent.af")
    msgs = memconv.read(LETTA / "letta-tests__test_agent.af").of("message")
    src = doc["agents"][0]["messages"]
    for m, s in zip(msgs, src):
        assert m.role == s["role"]
        assert m.content == (s["content"] if isinstance(s["content"], list) else [{"type": "text", "text": s["content"]}])
        assert m.tool_calls == s.get("tool_calls")


def test_unknown_revision_warns_but_reads(tmp_path):
    doc = _doc(LETTA / "loop.af")
    doc["metadata"]["revision_id"] = "0000deadbeef"
    p = tmp_path / "x.af"
    p.write_text(json.dumps(doc))
    report = memconv.Report()
    items = list(memconv.iter_records(p, report=report))
    assert any("0000deadbeef" in w for w in report.warnings)
    assert sum(1 for i in items if isinstance(i, Agent)) == 1


def test_unseen_legacy_version_warns_but_reads(tmp_path):
    doc = _doc(LETTA / "letta-tests__deep-thought.af")
    doc["version"] = "0.5.1"
    p = tmp_path / "old.af"
    p.write_text(json.dumps(doc))
    report = memconv.Report()
    items = list(memconv.iter_records(p, report=report))
    assert any("0.5.1" in w for w in report.warnings)
    assert any(isinstance(i, Message) for i in items)


def test_dangling_block_reference_is_invalid(tmp_path):
    doc = _doc(LETTA / "loop.af")
    doc["agents"][0]["block_ids"].append("block-999")
    p = tmp_path / "bad.af"
    p.write_text(json.dumps(doc))
    with pytest.raises(InputInvalid, match=r"agents\[0\]\.block_ids\[\d+\]: 'block-999' names no block"):
        memconv.read(p)


def test_in_context_id_naming_no_message_is_invalid(tmp_path):
    doc = _doc(LETTA / "loop.af")
    doc["agents"][0]["in_context_message_ids"].append("message-77")
    p = tmp_path / "bad.af"
    p.write_text(json.dumps(doc))
    with pytest.raises(InputInvalid, match="message-77"):
        memconv.read(p)


def test_duplicate_ids_are_invalid(tmp_path):
    doc = _doc(LETTA / "loop.af")
    doc["blocks"][1]["id"] = doc["blocks"][0]["id"]
    p = tmp_path / "dup.af"
    p.write_text(json.dumps(doc))
    with pytest.raises(InputInvalid, match="duplicate id"):
        memconv.read(p)


def test_wrong_field_type_names_the_path(tmp_path):
    doc = _doc(LETTA / "loop.af")
    doc["blocks"][2]["label"] = 42
    p = tmp_path / "bad.af"
    p.write_text(json.dumps(doc))
    with pytest.raises(InputInvalid, match=r"blocks\[2\]\.label"):
        memconv.read(p)


def test_corrupt_file_is_invalid_json_with_position():
    with pytest.raises(InputInvalid, match=r"line 1, column \d+: invalid JSON"):
        memconv.read(CORRUPT_AF)


@pytest.mark.parametrize("path", [FIXTURES / "letta-bundle" / "support-desk.af",
                                  FIXTURES / "letta-bundle" / "support-desk.af.tar.gz"], ids=["folder", "tarball"])
def test_hand_made_bundle(path):
    bundle = memconv.read(path)
    assert bundle.header.source_variant == "bundle"
    agent = bundle.of("agent")[0]
    state = json.loads((FIXTURES / "letta-bundle" / "support-desk.af" / "agent.json").read_text())
    assert agent.name == state["name"]
    blocks = {b.label: b for b in bundle.of("block")}
    assert {b["label"] for b in state["blocks"]} <= set(blocks)
    assert any(b.read_only for b in blocks.values())
    names = sorted(f.file_name for f in bundle.of("file"))
    assert names == ["context.txt", "spec.md"]
    assert bundle.header.exported_at == "2026-11-22T04:20:00Z"


def test_bundle_tarball_equals_bundle_folder():
    a = memconv.read(FIXTURES / "letta-bundle" / "support-desk.af")
    b = memconv.read(FIXTURES / "letta-bundle" / "support-desk.af.tar.gz")
    assert [r.model_dump() for r in a.records] == [r.model_dump() for r in b.records]


def test_rest_samples():
    rest = FIXTURES / "letta-rest"
    state = memconv.read(rest / "agent.support-desk.json")
    assert state.of("agent")[0].name == "support-desk"
    agents = memconv.read(rest / "agents-list.json")
    assert len(agents.of("agent")) == len(json.loads((rest / "agents-list.json").read_text()))
    passages = memconv.read(rest / "archival-memory.support-desk.json")
    src = json.loads((rest / "archival-memory.support-desk.json").read_text())
    assert [p.text for p in passages.of("passage")] == [p["text"] for p in src]
    assert [p.tags for p in passages.of("passage")] == [p["tags"] for p in src]
    export = memconv.read(rest / "export.support-desk.af")
    assert export.header.source_variant == "v2"


def test_detection_is_by_content_not_extension(tmp_path):
    p = tmp_path / "agent.data"
    p.write_bytes((LETTA / "loop.af").read_bytes())
    assert memconv.read(p).header.source_system == "letta"


@pytest.mark.parametrize("path", GOOD_AF, ids=lambda p: p.name)
def test_streamed_read_equals_whole_read(path, monkeypatch):
    """Large files are streamed in two passes (adapters/letta/stream.py); the result is the same."""
    from memconv.adapters import letta

    whole = [r.model_dump() for r in memconv.read(path).records]
    monkeypatch.setattr(letta, "STREAM_BYTES", 0)
    streamed = [r.model_dump() for r in memconv.read(path).records]
    assert streamed == whole


def test_streamed_read_keeps_agent_keys_that_start_with_messages(tmp_path, monkeypatch):
    """The streamed pass 1 drops message bodies by their JSON path; an agent key that only starts
    with "messages" (a newer Letta's or a client's addition) is not a message and must survive."""
    from memconv.adapters import letta

    doc = json.loads((LETTA / "letta-tests__test_agent.af").read_text())
    doc["agents"][0]["messages_note"] = {"kept": [1, 2]}
    doc["agents"][0]["messagesX"] = "also kept"
    p = tmp_path / "extra.af"
    p.write_text(json.dumps(doc))
    whole = [r.model_dump() for r in memconv.read(p).records]
    monkeypatch.setattr(letta, "STREAM_BYTES", 0)
    streamed = [r.model_dump() for r in memconv.read(p).records]
    assert streamed == whole
    agent = next(r for r in streamed if r["kind"] == "agent")
    assert agent["extras"]["letta"]["messages_note"] == {"kept": [1, 2]}
    assert agent["extras"]["letta"]["messagesX"] == "also kept"


def test_streamed_truncated_file_is_invalid(tmp_path, monkeypatch):
    from memconv.adapters import letta

    monkeypatch.setattr(letta, "STREAM_BYTES", 0)
    p = tmp_path / "cut.af"
    p.write_bytes((LETTA / "letta-tests__test_agent.af").read_bytes()[:-500])
    with pytest.raises(InputInvalid, match="invalid JSON"):
        memconv.read(p)


def _streamed_and_whole(p, monkeypatch):
    """The error (or None) and records of reading ``p`` whole, then streamed (pass 1 keeps only each
    message's id fingerprint)."""
    from memconv.adapters import letta

    out = []
    for stream_bytes in (letta.STREAM_BYTES, 0):
        monkeypatch.setattr(letta, "STREAM_BYTES", stream_bytes)
        try:
            out.append((None, [r.model_dump() for r in memconv.read(p).records]))
        except InputInvalid as e:
            out.append((str(e), None))
    monkeypatch.undo()
    return out


@pytest.mark.parametrize("case", ["message-message", "message-block", "message-agent", "in-context-missing",
                                  "two-agents-own-ids", "id-given-twice"])
def test_streamed_message_id_checks_equal_the_whole_read(tmp_path, monkeypatch, case):
    """Streamed, message ids are kept as 64-bit fingerprints, not dicts: a repeated id is still refused
    with the place of its first use, an in-context id naming no message is still refused, and an
    agent's own references pass, exactly as when the file is read whole."""
    doc = _doc(LETTA / "letta-tests__test_agent.af")
    msgs = doc["agents"][0]["messages"]
    if case.startswith("message-"):  # message 9 renamed: no in-context reference names it any more
        ctx = doc["agents"][0]["in_context_message_ids"]
        doc["agents"][0]["in_context_message_ids"] = [r for r in ctx if r != msgs[9]["id"]]
    if case == "message-message":
        msgs[9]["id"] = msgs[4]["id"]
    elif case == "message-block":
        msgs[9]["id"] = doc["blocks"][0]["id"]
    elif case == "message-agent":
        msgs[9]["id"] = doc["agents"][0]["id"]
    elif case == "in-context-missing":
        doc["agents"][0]["in_context_message_ids"].append("message-404")
    elif case == "two-agents-own-ids":  # a second agent: its in-context ids name its own messages only
        other = json.loads(json.dumps(doc["agents"][0]))
        other["id"] = "agent-other"
        for m in other["messages"]:
            m["id"] = "other-" + m["id"]
            m["agent_id"] = "agent-other"
        other["in_context_message_ids"] = ["other-" + r for r in other["in_context_message_ids"]]
        doc["agents"].append(other)
    p = tmp_path / "case.af"
    text = json.dumps(doc)
    if case == "id-given-twice":  # the last id of a message counts, as the parser keeps it
        text = text.replace('"id": "message-3"', '"id": "message-x", "id": "message-3"', 1)
        doc["agents"][0]["in_context_message_ids"].append("message-x")
        text = text.replace('"in_context_message_ids": [', '"in_context_message_ids": ["message-x", ', 1)
    p.write_text(text)
    whole, streamed = _streamed_and_whole(p, monkeypatch)
    assert streamed == whole
    err, records = whole
    if case in ("two-agents-own-ids",):
        assert err is None and sum(r["kind"] == "message" for r in records) == 2 * len(msgs)
    else:
        expected = {"message-message": f"agents[0].messages[9].id: duplicate id {msgs[4]['id']!r} "
                                       f"(also at agents[0].messages[4])",
                    "message-block": "agents[0].messages[9].id: duplicate id 'block-0' (also at blocks[0])",
                    "message-agent": "agents[0].messages[9].id: duplicate id 'agent-0' (also at agents[0])",
                    "in-context-missing": "'message-404' names no message of this agent",
                    "id-given-twice": "'message-x' names no message of this agent"}[case]
        assert err is not None and expected in err, err


def test_a_message_id_fingerprint_shared_by_two_ids_is_no_duplicate(tmp_path, monkeypatch):
    """Two different message ids with one 64-bit fingerprint (a stand-in makes every id share one:
    real collisions are about one in 10^7 among a million) are not a duplicate: the second reading
    of the messages finds no earlier message with the id, and every message is read."""
    from memconv.adapters import letta
    from memconv.adapters.letta import reader as letta_reader
    from memconv.uniqueids import Fingerprints

    class OneFingerprint(Fingerprints):
        def add(self, key):  # type: ignore[override]
            return self.add_hash(1)

    p = LETTA / "letta-tests__test_agent.af"
    whole = [r.model_dump() for r in memconv.read(p).records]
    monkeypatch.setattr(letta_reader, "Fingerprints", OneFingerprint)
    monkeypatch.setattr(letta, "STREAM_BYTES", 0)
    assert [r.model_dump() for r in memconv.read(p).records] == whole


def test_streamed_pass_1_memory_is_16_bytes_a_message(tmp_path):
    """Pass 1 keeps 16 bytes a message (the id fingerprints), not a dict per message: four times the
    messages add well under 100 bytes a message to what it holds."""
    import tracemalloc

    from memconv.adapters.letta.stream import light_document

    doc = _doc(LETTA / "letta-tests__test_agent.af")
    base = doc["agents"][0]["messages"]
    held = []
    for n in (5000, 20000):
        doc["agents"][0]["messages"] = [{**base[k % len(base)], "id": f"message-{k}"} for k in range(n)]
        p = tmp_path / f"{n}.af"
        p.write_text(json.dumps(doc))
        tracemalloc.start()
        light, messages = light_document(Input(p))
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        assert messages[0].count == n and "message-7" in messages[0] and "message-x" not in messages[0]
        assert light["agents"][0]["messages"] == []
        held.append(size)
    per_message = (held[1] - held[0]) / 15000
    assert per_message < 100, per_message
