"""Writing safely and selectively (issue 4): strategies, dry-run plans, caps, --split, filters,
secrets, atomicity."""

from __future__ import annotations

import json
import os

import pytest

import memconv
from memconv.errors import DestinationExists, LimitExceeded
from memconv.model import Header, Raw, Session, Summary, Observation

from exportdata_model import check_export
from gen import agent_stream, memory_stream, write_jsonl
from helpers import LETTA, SAMPLE_AF, run_cli

KEY = {"summaries": "sessionId", "profiles": "project", "accessLogs": "memoryId"}


def am_import(store: dict, doc: dict, strategy: str = "merge") -> None:
    """AgentMemory's import semantics (mem::import 0.9.29, agentmemory.md 2.4), as a test oracle."""
    if strategy == "replace":
        store.clear()
    for coll, rows in doc.items():
        if coll in ("version", "exportedAt", "pagination"):
            continue
        if coll == "observations":
            for bucket, obs in rows.items():
                for o in obs:
                    k = ("observations", bucket, o["id"])
                    if strategy != "skip" or k not in store:
                        store[k] = o
            continue
        for r in rows:
            k = (coll, r[KEY.get(coll, "id")])
            if strategy != "skip" or k not in store:
                store[k] = r


def convert_json(*args) -> dict:
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


# ------------------------------------------------------------------ strategies


@pytest.fixture
def two_exports(tmp_path):
    """An existing AgentMemory destination (evie.af) and an input (loop.af) that shares one agent."""
    dest = tmp_path / "dest.json"
    assert run_cli(LETTA / "evie.af", "--to", "agentmemory", "-o", dest).returncode == 0
    return dest


@pytest.mark.parametrize("strategy", ["merge", "replace", "skip"])
def test_strategy_on_agentmemory_matches_agentmemory_import(two_exports, tmp_path, strategy):
    dest = two_exports
    before = json.loads(dest.read_bytes())
    new = convert_json(LETTA / "loop.af", "--to", "agentmemory")
    # make one record collide: the same memory id with other content
    clash = json.loads(json.dumps(before["memories"][0]))
    clash["content"] = "changed by the input"
    proc = run_cli(LETTA / "loop.af", "--to", "agentmemory", "-o", tmp_path / "new.json")
    assert proc.returncode == 0
    new_doc = json.loads((tmp_path / "new.json").read_bytes())
    new_doc["memories"].append(clash)
    (tmp_path / "new.json").write_bytes(json.dumps(new_doc).encode())
    rep = tmp_path / "report.json"
    proc = run_cli(tmp_path / "new.json", "--to", "agentmemory", "-o", dest, "--strategy", strategy, "--report", rep)
    assert proc.returncode == 0, proc.stderr.decode()
    after = check_export(json.loads(dest.read_bytes()))
    expected: dict = {}
    am_import(expected, before)
    am_import(expected, new_doc, strategy)
    got: dict = {}
    am_import(got, json.loads(dest.read_bytes()))
    assert got == expected
    plan = json.loads(rep.read_text())["plan"]["collections"]["memories"]
    old_ids = {m["id"] for m in before["memories"]}
    new_ids = {m["id"] for m in new_doc["memories"]}
    both = old_ids & new_ids  # the clash, and the built-in tools both agents use
    assert clash["id"] in both
    if strategy == "merge":
        assert plan["update"] == len(both) and plan["keep"] == len(old_ids - new_ids)
    elif strategy == "skip":
        assert plan["skip"] == len(both) and plan["keep"] == len(old_ids)
        assert all(m.content != "changed by the input" for m in after.memories if m.id == clash["id"])
    else:
        assert plan["delete"] == len(old_ids - new_ids) and plan["update"] == len(both)
    assert plan["insert"] == len(new_ids - old_ids)
    assert new  # the plain conversion works too


def test_dry_run_plan_equals_real_run(two_exports, tmp_path):
    dest = two_exports
    before = dest.read_bytes()
    dry = tmp_path / "dry.json"
    real = tmp_path / "real.json"
    proc = run_cli(LETTA / "loop.af", "--to", "agentmemory", "-o", dest, "--strategy", "merge", "--dry-run",
                   "--report", dry)
    assert proc.returncode == 0 and "plan (dry run" in proc.stderr.decode()
    assert dest.read_bytes() == before, "dry run wrote to the destination"
    proc = run_cli(LETTA / "loop.af", "--to", "agentmemory", "-o", dest, "--strategy", "merge", "--report", real)
    assert proc.returncode == 0
    d, r = json.loads(dry.read_text()), json.loads(real.read_text())
    assert d["plan"] == r["plan"] and d["plan"]["collections"]["sessions"]["insert"] == 1
    assert d["read"] == r["read"] and d["written"] == r["written"] and d["losses"] == r["losses"]
    assert "sha256" in r["output"] and "sha256" not in d["output"]
    assert r["inputs"][0]["sha256"] and r["inputs"][0]["format"] == "letta"


def test_dry_run_on_new_output_writes_nothing(tmp_path):
    out = tmp_path / "x.json"
    rep = tmp_path / "r.json"
    proc = run_cli(SAMPLE_AF, "--to", "agentmemory", "-o", out, "--dry-run", "--report", rep)
    assert proc.returncode == 0 and not out.exists()
    plan = json.loads(rep.read_text())["plan"]["collections"]
    assert plan["observations"]["insert"] == 4 and plan["sessions"]["insert"] == 1
    proc = run_cli(SAMPLE_AF, "--to", "agentmemory", "--dry-run")
    assert proc.returncode == 0 and proc.stdout == b""


def test_strategy_needs_an_agentmemory_destination(tmp_path):
    dest = tmp_path / "dest.json"
    dest.write_text('{"results": []}')
    proc = run_cli(SAMPLE_AF, "--to", "agentmemory", "-o", dest, "--strategy", "merge")
    assert proc.returncode == 4 and "not an AgentMemory ExportData" in proc.stderr.decode()
    assert dest.read_text() == '{"results": []}'


def test_strategy_needs_output_path():
    proc = run_cli(SAMPLE_AF, "--to", "agentmemory", "--strategy", "merge")
    assert proc.returncode == 2


def test_library_refuses_existing_destination(tmp_path):
    out = tmp_path / "o.json"
    out.write_text("x")
    with pytest.raises(DestinationExists):
        memconv.convert(SAMPLE_AF, to="agentmemory", output=str(out))
    assert out.read_text() == "x"


# ------------------------------------------------------------------ caps and --split


def _over(tmp_path, items, name="big.jsonl"):
    p = tmp_path / name
    write_jsonl(p, items)
    return p


def _raws(n, coll):
    yield Header(source_system="agentmemory", source_format_version="0.9.29")
    for i in range(n):
        yield Raw(id=f"r{i}", system="agentmemory", collection=coll,
                  data={"memoryId": f"mem_{i}", "count": 1, "lastAt": "", "recent": []})


def _sessions(n):
    yield Header(source_system="agentmemory", source_format_version="0.9.29")
    for i in range(n):
        yield Session(id=f"ses_{i}", project="p", cwd="", started_at="2026-01-01T00:00:00.000Z", status="completed")


def _summaries(n):
    yield Header(source_system="agentmemory", source_format_version="0.9.29")
    for i in range(n):
        yield Summary(id=f"ses_{i}", session_id=f"ses_{i}", project="p", title="t", narrative="n")


def _buckets(n):
    yield Header(source_system="agentmemory", source_format_version="0.9.29")
    for i in range(n):
        yield Observation(id=f"obs_{i}", session_id=f"ses_{i}", observation_type="other", title="t", narrative="n")


CAP_CASES = {
    "MAX_OBS_PER_SESSION": lambda: agent_stream(5001, blocks=0),
    "MAX_MEMORIES": lambda: memory_stream(50001),
    "MAX_SESSIONS": lambda: _sessions(10001),
    "MAX_SUMMARIES": lambda: _summaries(10001),
    "MAX_OBS_BUCKETS": lambda: _buckets(10001),
    "MAX_ACCESS_LOGS": lambda: _raws(50001, "accessLogs"),
}


@pytest.mark.parametrize("cap", sorted(CAP_CASES))
def test_one_over_each_cap_is_refused(tmp_path, cap):
    src = _over(tmp_path, CAP_CASES[cap]())
    out = tmp_path / "out.json"
    proc = run_cli(src, "--to", "agentmemory", "-o", out)
    err = proc.stderr.decode()
    assert proc.returncode == 7, err
    assert cap in err and "--split" in err and not out.exists()


def test_total_observations_cap(tmp_path, monkeypatch):
    """MAX_TOTAL_OBSERVATIONS (500,000) is checked by the same code as the other caps; 500,001 generated
    observations in 101 buckets of at most 5,000 go one over it."""
    def many():
        yield Header(source_system="agentmemory", source_format_version="0.9.29")
        for i in range(500_001):
            yield Observation(id=f"o{i}", session_id=f"s{i // 5000}", observation_type="other", title="t",
                              narrative="n", timestamp="2026-01-01T00:00:00.000Z")
    with pytest.raises(LimitExceeded, match="MAX_TOTAL_OBSERVATIONS at 500000 and this output has 500001"):
        memconv.write_records(many(), "agentmemory", str(tmp_path / "o.json"))
    assert not (tmp_path / "o.json").exists()


def test_split_parts_are_within_caps_and_import_to_everything(tmp_path):
    src = _over(tmp_path, agent_stream(12_345, blocks=3))
    out = tmp_path / "out.json"
    rep = tmp_path / "r.json"
    proc = run_cli(src, "--to", "agentmemory", "--split", "-o", out, "--report", rep)
    assert proc.returncode == 0, proc.stderr.decode()
    assert not out.exists()
    parts = sorted(tmp_path.glob("out.part-*.json"))
    assert [p.name for p in parts] == [f"out.part-{i:04d}.json" for i in range(1, len(parts) + 1)]
    assert len(parts) == 3
    store: dict = {}
    for p in parts:
        doc = json.loads(p.read_bytes())
        check_export(doc)  # each part: caps, buckets have their session
        assert p.stat().st_size <= 15 * 1024 * 1024
        am_import(store, doc)
    whole = memconv.write_records(memconv.iter_records(src), "agentmemory", str(tmp_path / "whole.json"),
                                  check_caps=False)
    assert whole
    expected: dict = {}
    am_import(expected, json.loads((tmp_path / "whole.json").read_bytes()))
    assert store == expected
    assert sum(1 for k in store if k[0] == "observations") == 12_345
    assert [os.path.basename(p["path"]) for p in json.loads(rep.read_text())["output"]["parts"]] == [p.name for p in parts]


def test_split_by_payload_size(tmp_path):
    def fat():
        yield from agent_stream(0, blocks=0)
        from memconv.model import Memory
        for i in range(40):
            yield Memory(id=f"m{i}", text="x" * 1_000_000)
    src = _over(tmp_path, fat())
    proc = run_cli(src, "--to", "agentmemory", "--split", "-o", tmp_path / "out.json")
    assert proc.returncode == 0, proc.stderr.decode()
    parts = sorted(tmp_path.glob("out.part-*.json"))
    assert len(parts) == 3
    assert all(p.stat().st_size <= 15 * 1024 * 1024 for p in parts)
    mems = [m for p in parts for m in json.loads(p.read_bytes())["memories"]]
    assert sum(1 for m in mems if "letta:system" not in m["concepts"]) == 40


def test_split_needs_output(tmp_path):
    assert run_cli(SAMPLE_AF, "--to", "agentmemory", "--split").returncode == 2


def test_max_records_and_max_bytes(tmp_path):
    proc = run_cli(SAMPLE_AF, "--to", "agentmemory", "--max-records", "3")
    assert proc.returncode == 7 and "--max-records" in proc.stderr.decode() and proc.stdout == b""
    proc = run_cli(SAMPLE_AF, "--to", "agentmemory", "--max-bytes", "100")
    assert proc.returncode == 7 and "--max-bytes" in proc.stderr.decode()
    assert run_cli(SAMPLE_AF, "--to", "agentmemory", "--max-records", "0", "--max-bytes", "0").returncode == 0


# ------------------------------------------------------------------ filters


def test_agent_filter_keeps_one_agent_and_what_is_its(tmp_path):
    rep = tmp_path / "r.json"
    proc = run_cli(LETTA / "evie.af", "--to", "canonical", "--jsonl", "--agent", "Evie", "--report", rep)
    assert proc.returncode == 0, proc.stderr.decode()
    recs = [json.loads(l) for l in proc.stdout.splitlines()[1:]]
    agents = [r for r in recs if r["kind"] == "agent"]
    assert [a["name"] for a in agents] == ["Evie"]
    block_ids = set(agents[0]["block_ids"])
    assert {r["id"] for r in recs if r["kind"] == "block"} == block_ids
    assert all(r["agent_id"] == agents[0]["id"] for r in recs if r["kind"] == "message")
    filtered = json.loads(rep.read_text())["filtered"]
    assert filtered["agent"] == 1 and filtered["message"] == 2


def test_exclude_messages_gives_an_agent_without_its_conversation():
    export = convert_json(SAMPLE_AF, "--to", "agentmemory", "--exclude", "messages")
    assert export["observations"] == {} and len(export["sessions"]) == 1
    assert any("letta:block:human" in m["concepts"] for m in export["memories"])


def test_unknown_exclude_kind_is_a_usage_error():
    proc = run_cli(SAMPLE_AF, "--to", "agentmemory", "--exclude", "bananas")
    assert proc.returncode == 2 and "bananas" in proc.stderr.decode()


def test_user_id_and_since(tmp_path):
    src = _over(tmp_path, memory_stream(20))
    proc = run_cli(src, "--to", "canonical", "--jsonl", "--user-id", "alice")
    recs = [json.loads(l) for l in proc.stdout.splitlines()[1:]]
    assert len(recs) == 10 and all(r["scope"]["user_id"] == "alice" for r in recs)
    proc = run_cli(src, "--to", "canonical", "--jsonl", "--since", "2026-05-01")
    recs = [json.loads(l) for l in proc.stdout.splitlines()[1:]]
    assert recs and all(r["created_at"] >= "2026-05-01" for r in recs)
    assert len(recs) == sum(1 for i in range(20) if 1 + i % 9 >= 5)


def test_rename_agent():
    export = convert_json(SAMPLE_AF, "--to", "agentmemory", "--rename-agent", "support_helper=helpdesk")
    assert export["sessions"][0]["project"] == "helpdesk"


# ------------------------------------------------------------------ secrets


def test_secrets_are_blanked_unless_kept(tmp_path):
    doc = json.loads(SAMPLE_AF.read_text())
    doc["agents"][0]["secrets"] = {"API_KEY": "sk-live-123"}
    doc["agents"][0]["tool_exec_environment_variables"] = {"API_KEY": "sk-live-123"}
    src = tmp_path / "s.af"
    src.write_text(json.dumps(doc))
    rep = tmp_path / "r.json"
    proc = run_cli(src, "--to", "canonical", "--jsonl", "--report", rep)
    assert b"sk-live-123" not in proc.stdout and b'"API_KEY":""' in proc.stdout
    assert json.loads(rep.read_text())["secrets_blanked"] == 2
    proc = run_cli(src, "--to", "canonical", "--jsonl", "--keep-secrets")
    assert b"sk-live-123" in proc.stdout


# ------------------------------------------------------------------ strategies on Letta files

NOTES = __import__("helpers").REPO / "fixtures" / "letta" / "notes-keeper.af"


def _notes_variant(tmp_path):
    """notes-keeper with its human block changed, a new block, and one new passage."""
    doc = json.loads(NOTES.read_text())
    blocks = {b["id"]: b for b in doc["blocks"]}
    human_id = next(i for i, b in blocks.items() if b["label"] == "human")
    blocks[human_id]["value"] = "Name: Dana. Moved to Lisbon."
    doc["blocks"].append({"id": "block-9", "label": "projects", "value": "Q3 migration", "limit": 2000})
    doc["agents"][0]["block_ids"].append("block-9")
    src = tmp_path / "src" / "notes-keeper.af"
    src.parent.mkdir()
    src.write_text(json.dumps(doc))
    side = NOTES.with_name("notes-keeper.passages.jsonl").read_text().splitlines()
    side.append(json.dumps({"agent_id": "agent-0", "id": "passage-9", "text": "Dana asked for a call back.", "tags": []}))
    (src.parent / "notes-keeper.passages.jsonl").write_text("\n".join(side) + "\n")
    return src


def _state(path):
    b = memconv.read(path)
    agents = {a.name: a for a in b.of("agent")}
    blocks = {x.id: x for x in b.of("block")}
    return ({n: {blocks[i].label: blocks[i].value for i in a.block_ids} for n, a in agents.items()},
            sorted(p.text for p in b.of("passage")))


@pytest.mark.parametrize("strategy", ["merge", "replace", "skip"])
def test_strategy_on_letta_files(tmp_path, strategy):
    dest = tmp_path / "dest.af"
    assert run_cli(NOTES, "--to", "letta", "-o", dest).returncode == 0
    assert run_cli(LETTA / "loop.af", "--to", "letta", "-o", dest, "--strategy", "merge").returncode == 0
    before_blocks, before_passages = _state(dest)
    assert set(before_blocks) == {"notes keeper", "Loop"}
    src = _notes_variant(tmp_path)
    rep = tmp_path / "r.json"
    dry = tmp_path / "d.json"
    assert run_cli(src, "--to", "letta", "-o", dest, "--strategy", strategy, "--dry-run", "--report", dry).returncode == 0
    proc = run_cli(src, "--to", "letta", "-o", dest, "--strategy", strategy, "--report", rep)
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(dry.read_text())["plan"] == json.loads(rep.read_text())["plan"]
    blocks, passages = _state(dest)
    plan = json.loads(rep.read_text())["plan"]["collections"]
    if strategy == "replace":
        assert set(blocks) == {"notes keeper"} and blocks["notes keeper"]["projects"] == "Q3 migration"
        assert plan["agents"] == {"insert": 0, "update": 1, "skip": 0, "delete": 1, "keep": 0}
        assert len(passages) == 4
    elif strategy == "skip":
        assert blocks == before_blocks and passages == before_passages
        assert plan["agents"]["skip"] == 1 and plan["agents"]["keep"] == 2
    else:
        assert set(blocks) == {"notes keeper", "Loop"}
        assert blocks["Loop"] == before_blocks["Loop"]
        assert blocks["notes keeper"]["human"] == "Name: Dana. Moved to Lisbon."
        assert blocks["notes keeper"]["projects"] == "Q3 migration"
        assert set(before_blocks["notes keeper"]) <= set(blocks["notes keeper"])
        assert passages == sorted(set(before_passages) | {"Dana asked for a call back."})
        assert plan["blocks"]["update"] == len(before_blocks["notes keeper"]) and plan["blocks"]["insert"] == 1
    written = json.loads(dest.read_text())
    from test_letta_writer import check_agent_file  # ids <prefix>-<n>, unique, references resolve
    check_agent_file(written)


# ------------------------------------------------------------------ strategies on mem0 and canonical files

MEM0_DIR = __import__("helpers").FIXTURES / "mem0"


def _ids_texts(path):
    return {m.id: m.text for m in memconv.read(path).of("memory")}


@pytest.mark.parametrize("fmt, opts", [("mem0", ()), ("mem0", ("--jsonl",)), ("canonical", ()),
                                       ("canonical", ("--jsonl",))])
@pytest.mark.parametrize("strategy", ["merge", "replace", "skip"])
def test_strategy_on_keyed_files(tmp_path, fmt, opts, strategy):
    alice, everyone = MEM0_DIR / "get_all_v11_user_alice.json", MEM0_DIR / "get_all_v11.json"
    dest = tmp_path / "dest.out"
    assert run_cli(alice, "--to", fmt, *opts, "-o", dest).returncode == 0
    # the input changes one of alice's memories and adds bob's and support-bot's
    doc = json.loads(everyone.read_text())
    changed_id = json.loads(alice.read_text())["results"][0]["id"]
    for item in doc["results"]:
        if item["id"] == changed_id:
            item["memory"] = "changed by the input"
    src = tmp_path / "in.json"
    src.write_text(json.dumps(doc))
    before = _ids_texts(dest)
    rep = tmp_path / "r.json"
    proc = run_cli(src, "--to", fmt, *opts, "-o", dest, "--strategy", strategy, "--report", rep)
    assert proc.returncode == 0, proc.stderr.decode()
    after = _ids_texts(dest)
    incoming = {i["id"]: i["memory"] for i in doc["results"]}
    if strategy == "replace":
        assert after == incoming
    elif strategy == "merge":
        assert after == {**before, **incoming} and after[changed_id] == "changed by the input"
    else:
        assert after == {**incoming, **before} and after[changed_id] == before[changed_id]
    plan = json.loads(rep.read_text())["plan"]["collections"]["memory"]
    assert plan["insert"] == len(set(incoming) - set(before))
