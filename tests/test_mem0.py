"""The mem0 adapter: every real sample read, round trips, history, offsets, bad input, other systems.

Real samples are read from ``../shared/fixtures/mem0`` (mem0ai 2.2.1, OpenMemory at ``ea2ee0758^``);
``fixtures/mem0`` holds small hand-written files for shapes the real run could not produce (Platform
pages, 1.x graph relations, Pacific offsets, TypeScript history, the migration file, JSON-L).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import memconv
from memconv import cli, registry
from memconv.errors import InputInvalid, UnsupportedVersion
from memconv.io import Input
from memconv.model import Agent, Bundle, Header, Memory, Passage, Provenance, Scope
from memconv.report import Report

from exportdata_model import check_export

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
M0 = SHARED / "fixtures" / "mem0"
OM = M0 / "openmemory"
LOCAL = REPO / "fixtures" / "mem0"

GET_ALL = M0 / "get_all_v11.json"
GET_ALLS = sorted(M0.glob("get_all_v11*.json"))
LEGACY = M0 / "get_all_v10_legacy_list.json"
SEARCH = M0 / "search_v11.json"
GETS = sorted(p for p in M0.glob("get_*.json") if not p.name.startswith("get_all"))
HISTORIES = sorted((M0 / "history").glob("history_*.json"))
HISTORY_FILES = [p for p in HISTORIES if p.name != "history_table_raw.json"]
TABLE = M0 / "history_table_raw.json"
ZIP = OM / "memories_export_alice.zip"
OM_JSON = OM / "memories.json"
OM_JSONL = OM / "memories.jsonl"
AFTER_IMPORT = OM / "mem0_get_all_after_openmemory_import.json"
DELETED_ID = "6f81c972-ba73-4a2c-89cd-2c3cc6ccf217"

REAL_SAMPLES = [*GET_ALLS, LEGACY, SEARCH, *GETS, *HISTORIES, TABLE, OM_JSON, OM_JSONL, AFTER_IMPORT, ZIP]
LOCAL_DOCS = [LOCAL / "platform_page.json", LOCAL / "get_all_graph_pacific.json", LOCAL / "search_graph.json",
              LOCAL / "history_ts.json"]
# shapes the mem0 writer writes back as they came (get_all, search, legacy list, get, history, raw table)
ROUND_TRIP = [*GET_ALLS, LEGACY, SEARCH, *GETS, *HISTORIES, TABLE, AFTER_IMPORT, *LOCAL_DOCS]


def run_cli(*args, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "memconv", *map(str, args)], input=input,
                          capture_output=True, timeout=300)


def load(path: Path):
    return json.loads(path.read_bytes())


def load_lines(path: Path) -> list:
    return [json.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def om_doc() -> dict:
    with zipfile.ZipFile(ZIP) as zf:
        return json.loads(zf.read("memories.json"))


def expected_counts(path: Path) -> dict[str, int]:
    """Record counts computed from the raw file, independently of the adapter."""
    if path == ZIP or path == OM_JSON:
        doc = om_doc() if path == ZIP else load(path)
        return {"memory": len(doc["memories"]), "event": len(doc["status_history"])}
    if path.suffix == ".jsonl":
        return {"memory": len(load_lines(path))}
    doc = load(path)
    if isinstance(doc, dict) and "rows" in doc:
        return {"event": len(doc["rows"])}
    if isinstance(doc, dict) and "results" in doc:
        return {"memory": len(doc["results"])}
    if isinstance(doc, dict):
        return {"memory": 1}
    if doc and "memory_id" in doc[0]:
        return {"event": len(doc)}
    return {"memory": len(doc)}


def source_ids(path: Path) -> set[str]:
    if path == ZIP or path == OM_JSON:
        doc = om_doc() if path == ZIP else load(path)
        return {m["id"] for m in doc["memories"]} | {h["id"] for h in doc["status_history"]}
    if path.suffix == ".jsonl":
        return {o["id"] for o in load_lines(path)}
    doc = load(path)
    items = doc.get("rows") or doc.get("results") or [doc] if isinstance(doc, dict) else doc
    return {str(o["id"]) for o in items}


# ---------------------------------------------------------------- reading every real sample


@pytest.mark.parametrize("path", REAL_SAMPLES, ids=lambda p: p.name)
def test_every_real_sample_is_detected_and_read(path):
    assert registry.detect(Input(path)).name == "mem0"
    bundle = memconv.read(path)
    assert bundle.header.source_system == "mem0"
    counts = bundle.counts()
    assert counts == expected_counts(path)
    assert {r.id for r in bundle.records} == source_ids(path)
    for r in bundle.records:
        assert r.provenance.system == "mem0"


def test_sample_variants_and_versions():
    variants = {p.name: memconv.read(p).header for p in (GET_ALL, LEGACY, SEARCH, GETS[0], HISTORY_FILES[0],
                                                           TABLE, ZIP, OM_JSON, OM_JSONL)}
    assert {k: h.source_variant for k, h in variants.items()} == {
        GET_ALL.name: "get_all", LEGACY.name: "legacy_list", SEARCH.name: "search", GETS[0].name: "get",
        HISTORY_FILES[0].name: "history", TABLE.name: "history_table", ZIP.name: "openmemory",
        OM_JSON.name: "openmemory", OM_JSONL.name: "openmemory_jsonl"}
    assert variants[GET_ALL.name].source_format_version is None
    assert variants[ZIP.name].source_format_version == "1"
    assert variants[ZIP.name].exported_at == om_doc()["export_meta"]["generated_at"]


def test_item_fields_map_to_the_canonical_model():
    src = {o["id"]: o for o in load(GET_ALL)["results"]}
    for m in memconv.read(GET_ALL).of("memory"):
        o = src[m.id]
        assert m.text == o["memory"] and m.hash == o["hash"] and m.metadata == o["metadata"]
        assert (m.created_at, m.updated_at) == (o["created_at"], o["updated_at"])
        for k in ("user_id", "agent_id", "run_id", "actor_id"):
            assert getattr(m.scope, k) == o.get(k)
        assert m.role == o.get("role") and m.expiration_date == o.get("expiration_date")
        assert m.provenance.id == o["id"] and m.provenance.variant == "get_all"
        # a plain OSS item has nothing left over for extras
        assert "score" not in m.extra("mem0")
    scored = memconv.read(SEARCH).of("memory")
    assert all(isinstance(m.extra("mem0")["score"], float) for m in scored)
    assert memconv.read(GETS[0]).of("memory")[0].extra("mem0") == {"score": None}


def test_metadata_null_and_empty_stay_apart():
    by_id = {m.id: m for m in memconv.read(LOCAL / "get_all_graph_pacific.json").of("memory")}
    assert by_id["b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e"].metadata == {}
    assert by_id["c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f"].metadata is None
    assert any(m.metadata is None for m in memconv.read(GET_ALL).of("memory"))


def test_procedural_memory_type_is_lifted_from_metadata():
    by_id = {m.id: m for m in memconv.read(LOCAL / "get_all_graph_pacific.json").of("memory")}
    m = by_id["d3e4f5a6-b7c8-4d9e-8f1a-2b3c4d5e6f7a"]
    assert m.memory_type == "procedural_memory" and m.metadata == {"memory_type": "procedural_memory"}


def test_not_claimed_by_mem0():
    mem0 = registry.get("mem0")
    others = [*sorted((SHARED / "fixtures" / "letta").glob("*.af")), *sorted((SHARED / "fixtures" / "agentmemory").glob("*.json")),
              M0 / "add_results.json", M0 / "manifest.json", REPO / "fixtures" / "sample-agent.af"]
    assert len(others) > 10
    for p in others:
        assert mem0.detect(Input(p)) == 0, p.name


def test_canonical_output_is_not_claimed(tmp_path):
    for jsonl in (False, True):
        out = tmp_path / f"c{int(jsonl)}.json"
        memconv.convert(GET_ALL, to="canonical", output=out, jsonl=jsonl)
        assert registry.get("mem0").detect(Input(out)) == 0
        assert registry.detect(Input(out)).name == "canonical"


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("jsonl", [False, True], ids=["json", "jsonl"])
@pytest.mark.parametrize("path", ROUND_TRIP, ids=lambda p: p.name)
def test_round_trip_through_canonical_is_identical(path, jsonl, tmp_path):
    canon = tmp_path / ("c.jsonl" if jsonl else "c.json")
    memconv.convert(path, to="canonical", output=canon, jsonl=jsonl)
    back = tmp_path / "back.json"
    report = memconv.convert(canon, to="mem0", output=back)
    assert load(back) == load(path)
    assert not report.has_loss


@pytest.mark.parametrize("path", ROUND_TRIP, ids=lambda p: p.name)
def test_mem0_to_mem0_is_identical_with_key_order(path, tmp_path):
    out = tmp_path / "out.json"
    memconv.convert(path, to="mem0", output=out)
    a, b = load(path), load(out)
    assert b == a

    def orders(doc):
        items = doc if isinstance(doc, list) else doc.get("results") or doc.get("rows") or [doc]
        return [list(o) for o in items]

    assert orders(b) == orders(a)


@pytest.mark.parametrize("jsonl", [False, True], ids=["json", "jsonl"])
def test_jsonl_round_trip(jsonl, tmp_path):
    src = LOCAL / "items.jsonl"
    canon = tmp_path / "c.out"
    memconv.convert(src, to="canonical", output=canon, jsonl=jsonl)
    back = tmp_path / "back.jsonl"
    memconv.convert(canon, to="mem0", output=back, jsonl=True)
    assert back.read_bytes().count(b"\n") == 3
    assert load_lines(back) == load_lines(src)


def test_real_get_all_as_jsonl_round_trips(tmp_path):
    lines = tmp_path / "all.jsonl"
    memconv.convert(GET_ALL, to="mem0", output=lines, jsonl=True)
    assert load_lines(lines) == load(GET_ALL)["results"]
    assert registry.detect(Input(lines)).name == "mem0"
    canon = tmp_path / "c.jsonl"
    memconv.convert(lines, to="canonical", output=canon, jsonl=True)
    back = tmp_path / "back.jsonl"
    memconv.convert(canon, to="mem0", output=back, jsonl=True)
    assert back.read_bytes() == lines.read_bytes()


def _fields(item: dict) -> dict:
    keys = ("id", "hash", "created_at", "updated_at", "metadata", "user_id", "agent_id", "run_id", "actor_id",
            "role", "expiration_date", "memory")
    return {k: item.get(k, "<absent>") for k in keys}


def _items_by_id(path: Path) -> dict[str, dict]:
    doc = load(path)
    return {o["id"]: _fields(o) for o in (doc["results"] if isinstance(doc, dict) else doc)}


@pytest.mark.parametrize("path", [GET_ALL, LOCAL / "platform_page.json", LOCAL / "get_all_graph_pacific.json"],
                         ids=lambda p: p.name)
def test_every_field_survives_each_path(path, tmp_path):
    want = _items_by_id(path)
    direct = tmp_path / "direct.json"
    memconv.convert(path, to="mem0", output=direct)
    assert _items_by_id(direct) == want
    canon = tmp_path / "c.jsonl"
    memconv.convert(path, to="canonical", output=canon, jsonl=True)
    via = tmp_path / "via.json"
    memconv.convert(canon, to="mem0", output=via)
    assert _items_by_id(via) == want


def test_every_field_survives_agentmemory_and_back(tmp_path):
    am = registry.get("agentmemory")
    if not am.can_read:
        pytest.skip("the AgentMemory reader is not in this tree yet (registry.get('agentmemory').can_read is False)")
    for path in (GET_ALL, LOCAL / "platform_page.json", LOCAL / "get_all_graph_pacific.json"):
        mid = tmp_path / f"{path.stem}.am.json"
        memconv.convert(path, to="agentmemory", output=mid)
        back = tmp_path / f"{path.stem}.back.json"
        memconv.convert(mid, to="mem0", output=back)
        assert _items_by_id(back) == _items_by_id(path), path.name


# ---------------------------------------------------------------- history


def test_get_all_and_history_files_join(tmp_path):
    bundle = memconv.read([GET_ALL, *HISTORY_FILES])
    assert bundle.header.source_variant == "get_all"
    mem_ids = {m.id for m in bundle.of("memory")}
    events = bundle.of("event")
    assert len(events) == sum(len(load(p)) for p in HISTORY_FILES)
    assert {e.memory_id for e in events} == mem_ids | {DELETED_ID}
    assert DELETED_ID not in mem_ids
    assert [e.event for e in events if e.memory_id == DELETED_ID] == ["ADD", "DELETE"]
    for mid in mem_ids:
        assert any(e.memory_id == mid and e.event == "ADD" for e in events), mid
    updated = [e for e in events if e.event == "UPDATE"]
    assert {e.memory_id for e in updated} == {"09043585-dcdf-4285-bd44-155fd7386fd1",
                                              "da77a5a2-1d3e-40f1-a04f-d54b0f2df8cc"}


def test_history_is_written_in_the_document_and_read_back(tmp_path):
    out = tmp_path / "all.json"
    report = memconv.convert([GET_ALL, *HISTORY_FILES], to="mem0", output=out)
    doc = load(out)
    assert list(doc) == ["results", "history"]
    assert doc["results"] == load(GET_ALL)["results"]
    rows = [r for p in HISTORY_FILES for r in load(p)]
    assert doc["history"] == rows
    assert report.written["mem0:history"] == len(rows) and not report.has_loss
    again = memconv.read(out)
    assert again.counts() == {"memory": 19, "event": len(rows)}
    # history-only input: the bare list Memory.history() returns
    only = tmp_path / "only.json"
    memconv.convert(HISTORY_FILES, to="mem0", output=only)
    assert load(only) == rows


def test_history_in_jsonl_output_and_stdout(tmp_path):
    proc = run_cli(GET_ALL, HISTORY_FILES[0], "--to", "mem0", "--jsonl")
    assert proc.returncode == 0, proc.stderr.decode()
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert lines[:19] == load(GET_ALL)["results"] and lines[19:] == load(HISTORY_FILES[0])
    p = tmp_path / "mixed.jsonl"
    p.write_bytes(proc.stdout)
    assert memconv.read(p).counts() == {"memory": 19, "event": len(load(HISTORY_FILES[0]))}


def test_raw_history_table_ints_and_typescript_rows():
    events = memconv.read(TABLE).of("event")
    assert len(events) == 23 and all(isinstance(e.is_deleted, bool) for e in events)
    assert any(e.is_deleted for e in events)
    ts = memconv.read(LOCAL / "history_ts.json")
    assert ts.header.source_variant == "history"
    d, a = ts.of("event")
    assert (d.id, d.event, d.old_text, d.new_text, d.is_deleted) == ("7", "DELETE", "Likes tea", None, True)
    assert (a.event, a.new_text, a.updated_at) == ("ADD", "Likes tea", None)


def test_platform_history_rows_and_typescript_items(tmp_path):
    rows = [{"id": "h1", "memory_id": "m1", "input": [{"role": "user", "content": "I like tea"}],
             "old_memory": None, "new_memory": "Likes tea", "user_id": "dana", "agent_id": None, "app_id": None,
             "session_id": None, "categories": ["food"], "event": "ADD", "metadata": None,
             "created_at": "2025-03-02T10:00:00-07:00", "updated_at": "2025-03-02T10:00:00-07:00"}]
    p = tmp_path / "platform_history.json"
    p.write_text(json.dumps(rows))
    e = memconv.read(p).of("event")[0]
    assert (e.memory_id, e.event, e.new_text, e.created_at) == ("m1", "ADD", "Likes tea", "2025-03-02T10:00:00-07:00")
    assert e.extra("mem0")["input"] == rows[0]["input"] and e.is_deleted is None
    out = tmp_path / "out.json"
    memconv.convert(p, to="mem0", output=out)
    assert load(out) == rows and [list(r) for r in load(out)] == [list(r) for r in rows]
    ts = {"results": [{"id": "t1", "memory": "Likes tea", "hash": "h", "metadata": {},
                       "createdAt": "2025-03-02T10:00:00.000Z", "updatedAt": "2025-03-03T10:00:00.000Z",
                       "userId": "dana"}]}
    q = tmp_path / "ts.json"
    q.write_text(json.dumps(ts))
    m = memconv.read(q).of("memory")[0]
    assert (m.created_at, m.updated_at, m.provenance.variant) == ("2025-03-02T10:00:00.000Z",
                                                                  "2025-03-03T10:00:00.000Z", "get_all_ts")
    out2 = tmp_path / "out2.json"
    memconv.convert(q, to="mem0", output=out2)
    assert load(out2) == ts


def test_legacy_list_keeps_its_shape_and_v1_0_is_selectable(tmp_path):
    out = tmp_path / "o.json"
    memconv.convert(LEGACY, to="mem0", output=out)
    assert load(out) == load(LEGACY)
    out2 = tmp_path / "o2.json"
    memconv.convert(GET_ALL, to="mem0", output=out2, target_version="v1.0")
    assert load(out2) == load(GET_ALL)["results"]
    out3 = tmp_path / "o3.json"
    memconv.convert(LEGACY, to="mem0", output=out3, target_version="1.1")
    assert load(out3) == {"results": load(LEGACY)}
    with pytest.raises(UnsupportedVersion, match="v1.1"):
        memconv.convert(GET_ALL, to="mem0", output=tmp_path / "o4.json", target_version="v2")
    assert not (tmp_path / "o4.json").exists()
    assert run_cli(GET_ALL, "--to", "mem0", "--target-version", "9").returncode == 5


def test_v1_0_reports_history_and_relations_it_cannot_hold(tmp_path):
    report = memconv.convert([LOCAL / "get_all_graph_pacific.json", HISTORY_FILES[0]], to="mem0",
                             output=tmp_path / "o.json", target_version="v1.0")
    assert report.losses[("relation", "*")].count == 3
    assert report.losses[("event", "*")].count == len(load(HISTORY_FILES[0]))


# ---------------------------------------------------------------- offsets, pages, graph


def test_pacific_offsets_survive_verbatim(tmp_path):
    path = LOCAL / "get_all_graph_pacific.json"
    want = {o["id"]: (o["created_at"], o["updated_at"]) for o in load(path)["results"]}
    assert any(t.endswith("-08:00") for pair in want.values() for t in pair)
    assert any(t.endswith("-07:00") for pair in want.values() for t in pair)
    got = {m.id: (m.created_at, m.updated_at) for m in memconv.read(path).of("memory")}
    assert got == want
    page = {m.id: m.updated_at for m in memconv.read(LOCAL / "platform_page.json").of("memory")}
    assert page["9d2e4f60-1a3b-4c5d-8e7f-a0b1c2d3e4f5"] == "2025-02-11T08:05:59.5-08:00"
    am = tmp_path / "am.json"
    memconv.convert(path, to="agentmemory", output=am)
    export = check_export(load(am))
    by_text = {m.content: m for m in export.memories}
    # AgentMemory wants UTC Z times; the instant is the same
    assert by_text["Works at Acme Corp as a data engineer"].createdAt == "2024-12-02T18:15:30.123Z"


def test_platform_page_warns_and_maps_platform_keys(tmp_path):
    page = LOCAL / "platform_page.json"
    report = Report()
    bundle_items = list(memconv.iter_records(page, report=report))
    assert bundle_items[0].source_variant == "platform_page"
    assert any("paginated" in w and "2 of 5" in w for w in report.warnings)
    first = bundle_items[1]
    assert first.scope.app_id == "travel-app" and first.scope.session_id == "trip-planning-7"
    assert first.scope.run_id is None and first.categories == ["travel", "user_preferences"]
    assert first.extra("mem0")["structured_attributes"]["quarter"] == 3
    second = bundle_items[2]
    assert second.scope.agent_id is None and second.extra("mem0")["agent_id"] is None
    assert second.categories is None and second.expiration_date == "2026-01-01"
    proc = run_cli(page, "--to", "mem0", "-o", tmp_path / "p.json")
    assert proc.returncode == 0 and b"warning" in proc.stderr and b"paginated" in proc.stderr
    assert load(tmp_path / "p.json") == load(page)
    # two pages together are no longer page 1: count/next are not written
    both = tmp_path / "both.json"
    memconv.convert([page, GET_ALL], to="mem0", output=both)
    assert list(load(both)) == ["results"] and len(load(both)["results"]) == 21


def test_whole_page_does_not_warn():
    doc = load(LOCAL / "platform_page.json")
    doc.update(count=2, next=None)
    report = Report()
    data = json.dumps(doc).encode()
    list(memconv.iter_records(Input("-", stdin=io.BytesIO(data)), report=report))
    assert not report.warnings


def test_relations_become_entities_and_relations(tmp_path):
    bundle = memconv.read(LOCAL / "get_all_graph_pacific.json")
    assert sorted(e.name for e in bundle.of("entity")) == ["acme_corp", "alice", "portland"]
    rels = bundle.of("relation")
    assert [(r.source, r.relationship, r.target) for r in rels] == [
        ("alice", "works_at", "acme_corp"), ("alice", "lives_in", "portland"), ("acme_corp", "located_in", "portland")]
    search = memconv.read(LOCAL / "search_graph.json")
    assert search.header.source_variant == "search"
    assert [(r.source, r.target) for r in search.of("relation")] == [("alice", "acme_corp")]
    # a get_all scoped to one user gives its graph that user's scope
    alice = memconv.read(LOCAL / "search_graph.json").of("relation")[0]
    assert alice.scope.user_id == "alice"
    am = tmp_path / "am.json"
    memconv.convert(LOCAL / "get_all_graph_pacific.json", to="agentmemory", output=am)
    export = load(am)
    assert len(export["graphNodes"]) == 3 and len(export["graphEdges"]) == 3


# ---------------------------------------------------------------- OpenMemory and the migration file


def test_openmemory_zip_maps_users_apps_categories_states():
    bundle = memconv.read(ZIP)
    doc = om_doc()
    mems = {m.id: m for m in bundle.of("memory")}
    for src in doc["memories"]:
        m = mems[src["id"]]
        assert m.text == src["content"] and m.metadata == src["metadata"]
        assert m.scope.user_id == "alice"
        assert m.extra("openmemory")["state"] == src["state"]
        assert m.created_at == src["created_at"]
    assert mems["acf0eec6-c8fb-43d8-ac6d-6ae869b6412d"].categories == ["travel", "food"]
    assert mems["acf0eec6-c8fb-43d8-ac6d-6ae869b6412d"].scope.app_id == "openmemory"
    assert mems["ae8abeb4-76e5-4f89-9658-82c51497c9f8"].scope.app_id == "cursor"
    # {} and null metadata stay apart
    assert mems["5cc45d71-3fc6-483b-8b0a-7c5d7fba595f"].metadata == {}
    assert mems["59f69cc3-bae3-4c9f-b915-91d6200cb174"].metadata is None
    events = bundle.of("event")
    deleted = [e for e in events if e.event == "DELETE"]
    assert [e.memory_id for e in deleted] == ["59f69cc3-bae3-4c9f-b915-91d6200cb174"]
    assert deleted[0].is_deleted and deleted[0].old_text == "Alice prefers morning meetings before 10am."
    assert sum(e.event == "ADD" for e in events) == 5
    # the bare memories.json gives the same records
    assert memconv.read(OM_JSON).records == bundle.records


def test_openmemory_jsonl_records():
    mems = memconv.read(OM_JSONL).of("memory")
    assert [m.scope.app_id for m in mems] == [o["app"] for o in load_lines(OM_JSONL)]
    assert mems[-1].categories == ["travel", "food"]


def test_openmemory_to_mem0_items(tmp_path):
    out = tmp_path / "o.json"
    report = memconv.convert(ZIP, to="mem0", output=out)
    doc = load(out)
    assert len(doc["results"]) == 5 and len(doc["history"]) == 8
    for item in doc["results"]:
        assert item["hash"] == hashlib.md5(item["memory"].encode()).hexdigest()
        assert item["user_id"] == "alice" and "memconv_source" not in (item["metadata"] or {})
        assert list(item)[:6] == ["id", "memory", "hash", "metadata", "created_at", "updated_at"]
    assert any("paused, archived or deleted" in w for w in report.warnings)
    # OpenMemory's state, app and times ride in metadata.memconv: nothing is lost, and they come back
    assert not report.losses, report.format_losses()
    assert memconv.read(out).of("event") == memconv.read(ZIP).of("event")  # status rows: ids and state kept
    assert all(item["metadata"]["memconv"]["provenance"]["variant"] == "openmemory" for item in doc["results"])
    assert memconv.read(out).of("memory") == memconv.read(ZIP).of("memory")


def test_migration_file():
    b = memconv.read(LOCAL / "migration_export.json")
    assert (b.header.source_variant, b.header.source_format_version) == ("oss_qdrant_export", "1")
    assert b.header.exported_at == "2026-05-08T12:00:00+00:00"
    m1, m2 = b.of("memory")
    assert m1.scope.user_id == "alice" and m1.metadata == {"theme": "ui"}
    assert m1.extra("mem0")["source_payload"]["text_lemmatized"] == "prefer dark mode"
    assert m2.hash is None and "metadata" in m2.extra("mem0")["$absent"]


# ---------------------------------------------------------------- JSON-L details and streaming


def test_jsonl_line_endings_and_blank_last_line(tmp_path):
    src = (LOCAL / "items.jsonl").read_bytes()
    want = memconv.read(LOCAL / "items.jsonl").records
    for name, data in {"crlf": src.replace(b"\n", b"\r\n"), "no_final_newline": src.rstrip(b"\n"),
                       "blank_lines": src + b"\n\n", "bom": b"\xef\xbb\xbf" + src}.items():
        p = tmp_path / f"{name}.jsonl"
        p.write_bytes(data)
        assert registry.detect(Input(p)).name == "mem0", name
        assert memconv.read(p).records == want, name


def test_gzipped_jsonl_and_stdin(tmp_path):
    p = tmp_path / "items.jsonl.gz"
    p.write_bytes(gzip.compress((LOCAL / "items.jsonl").read_bytes()))
    assert len(memconv.read(p).of("memory")) == 3
    proc = run_cli("-", "--to", "mem0", input=GET_ALL.read_bytes())
    assert proc.returncode == 0 and json.loads(proc.stdout) == load(GET_ALL)


@pytest.mark.parametrize("path", [GET_ALL, SEARCH, LEGACY, HISTORY_FILES[0], TABLE, LOCAL / "platform_page.json",
                                  LOCAL / "get_all_graph_pacific.json", LOCAL / "search_graph.json",
                                  LOCAL / "migration_export.json", LOCAL / "history_ts.json"], ids=lambda p: p.name)
def test_streamed_reading_gives_the_same_records(path, monkeypatch):
    whole = memconv.read(path)
    from memconv.adapters.mem0 import reader

    monkeypatch.setattr(reader, "SMALL_BYTES", 0)
    streamed = memconv.read(path)
    assert streamed.header == whole.header
    assert streamed.records == whole.records


def test_streamed_reading_of_every_top_level_list_memconv_writes(tmp_path, monkeypatch):
    """The streamed reader skips its pass over ``relations``, ``history`` or ``memconv`` when the quoted
    name is nowhere in the bytes: a document holding all three (and one holding the names only as keys
    inside an item) must read the same streamed as whole."""
    letta = SHARED / "fixtures" / "letta" / "agent-file-history__legacy-v0.6.47__memgpt_agent_with_convo.af"
    full = tmp_path / "full.json"
    memconv.convert([GET_ALL, HISTORY_FILES[0], LOCAL / "get_all_graph_pacific.json", letta], to="mem0",
                    output=full)
    doc = load(full)
    assert {"results", "relations", "history", "memconv"} <= set(doc)
    item = dict(doc["results"][0], metadata={"relations": [1], "history": [2], "x": {"memconv": 3}})
    decoy = tmp_path / "decoy.json"
    decoy.write_text(json.dumps({"results": [item]}))
    wholes = [memconv.read(p) for p in (full, decoy)]
    from memconv.adapters.mem0 import reader

    monkeypatch.setattr(reader, "SMALL_BYTES", 0)
    for path, whole in zip((full, decoy), wholes):
        streamed = memconv.read(path)
        assert streamed.header == whole.header
        assert streamed.records == whole.records
    assert {r.kind for r in wholes[0].records} >= {"memory", "relation", "event", "agent", "message"}


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_integers_beyond_64_bits_stay_exact(streamed, tmp_path, monkeypatch):
    from memconv.adapters.mem0 import reader

    if streamed:
        monkeypatch.setattr(reader, "SMALL_BYTES", 0)
    big = 2 ** 100 + 7
    doc = {"results": [{"id": "a", "memory": "m", "hash": None, "metadata": {"n": big, "neg": -big, "f": 0.1},
                        "created_at": None, "updated_at": None, "user_id": "u"}]}
    src = tmp_path / "big.json"
    src.write_text(json.dumps(doc))
    assert memconv.read(src).of("memory")[0].metadata == {"n": big, "neg": -big, "f": 0.1}
    out, lines = tmp_path / "out.json", tmp_path / "out.jsonl"
    memconv.convert(src, to="mem0", output=out)
    memconv.convert(src, to="mem0", output=lines, jsonl=True)
    assert json.loads(out.read_text()) == doc
    both = tmp_path / "two.jsonl"
    both.write_bytes(lines.read_bytes() * 2)  # two lines: read as JSON-L
    assert [m.metadata["n"] for m in memconv.read(both).of("memory")] == [big, big]


def _write_big(path: Path, n: int) -> None:
    item = load(GET_ALL)["results"][0]
    with open(path, "wb") as f:
        f.write(b'{"results": [')
        for i in range(n):
            f.write((b"," if i else b"") + json.dumps({**item, "id": f"id-{i:06d}", "memory": f"note {i} " * 20}).encode())
        f.write(b'], "relations": []}')


def test_large_input_is_streamed_not_held(tmp_path, monkeypatch):
    """Converting 4x more memories must not take (much) more memory: reading and writing stream."""
    import tracemalloc

    from memconv.adapters.mem0 import reader

    monkeypatch.setattr(reader, "SMALL_BYTES", 0)  # stream these few-MB files as if they were large
    memconv.read(GET_ALL)  # imports and caches warm
    peaks, sizes = [], []
    # both inputs over twice the 1 MiB chunks the byte scans read (jsonutil.scan_numbers holds a chunk
    # and its copy): a smaller first input would measure those buffers' growth up to their cap
    for n in (6000, 24000):
        src, out = tmp_path / f"in{n}.json", tmp_path / f"out{n}.json"
        _write_big(src, n)
        sizes.append(src.stat().st_size)
        tracemalloc.start()
        try:
            memconv.convert(src, to="mem0", output=out)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert load(out) == load(src)
    # a fixed ~2.5 MB (the peeked head of the input, scan and parser buffers), not a share of the input
    assert peaks[1] < peaks[0] * 1.5, f"peaks {peaks} for inputs of {sizes} bytes"


# ---------------------------------------------------------------- other systems into mem0


def test_letta_blocks_become_memories_of_the_named_agent(tmp_path):
    path = REPO / "fixtures" / "sample-agent.af"
    proc = run_cli(path, "--to", "mem0")
    assert proc.returncode == 0, proc.stderr.decode()
    doc = json.loads(proc.stdout)
    bundle = memconv.read(path)
    agent = bundle.of("agent")[0]
    blocks = bundle.of("block")
    assert len(doc["results"]) == len([b for b in blocks if b.value.strip()])
    for item, block in zip(doc["results"], blocks):
        assert item["memory"] == block.value and item["agent_id"] == agent.name
        assert item["metadata"]["block_label"] == block.label
        assert item["metadata"]["memconv_source"] == "letta" and item["metadata"]["memconv_source_id"] == block.id
        assert item["hash"] == hashlib.md5(block.value.encode()).hexdigest()
        assert len(item["id"]) == 36 and item["id"].count("-") == 4
        kept = item["metadata"]["memconv"]  # what mem0 has no field for, for the way back
        assert (kept["kind"], kept["id"], kept["limit"]) == ("block", block.id, block.limit)
        assert kept.get("read_only", False) == block.read_only and kept["provenance"]["system"] == "letta"
    # agents, tools and messages have no mem0 item: kept whole in the memconv list, not lost
    # led by the .af's header: its export time (created_at), which mem0 has no place for
    head, *kept_records = doc["memconv"]
    assert head["kind"] == "header" and head["exported_at"] == bundle.header.exported_at
    assert [r["kind"] for r in kept_records] == [r.kind for r in bundle.records
                                                 if r.kind in ("agent", "tool", "message")]
    assert kept_records[0]["system"] == agent.system
    err = proc.stderr.decode()
    assert "record(s): *" not in err
    out = tmp_path / "agent.json"
    out.write_bytes(proc.stdout)
    key = lambda r: (r.kind, r.id)  # noqa: E731 - blocks come back among the items, after the tools
    assert sorted(memconv.read(out).records, key=key) == sorted(bundle.records, key=key)  # lossless both ways


def test_passages_use_the_agent_name_and_metadata_is_never_overwritten(tmp_path):
    prov = Provenance(system="letta", id="agent-7")
    agent = Agent(id="agent-7", name="helper", provenance=prov)
    passage = Passage(id="passage-1", text="Paris trip in May", scope=Scope(agent_id="agent-7"),
                      provenance=Provenance(system="letta", id="passage-1"), tags=["travel"],
                      created_at="2025-01-01T00:00:00Z", embedding=[0.1, 0.2])
    mem = Memory(id="mem_abc", text="Uses pnpm", title="pnpm", memory_type="workflow",
                 metadata={"title": "user's own", "memconv_source": "mine"}, concepts=["tooling"],
                 scope=Scope(project="shop", session_id="ses_1", user_id="u1"),
                 provenance=Provenance(system="agentmemory", id="mem_abc"))
    out = tmp_path / "o.json"
    report = memconv.write(Bundle(header=Header(source_system="letta"), records=[agent, passage, mem]), "mem0", out)
    p, m = load(out)["results"]
    assert p["agent_id"] == "helper" and p["metadata"]["memconv_agent_id"] == "agent-7"
    assert p["metadata"]["memconv_source_kind"] == "passage" and p["metadata"]["tags"] == ["travel"]
    assert p["updated_at"] == p["created_at"] == "2025-01-01T00:00:00Z"
    assert list(p) == ["id", "memory", "hash", "metadata", "created_at", "updated_at", "agent_id"]
    assert m["metadata"]["title"] == "user's own" and m["metadata"]["memconv_source"] == "mine"
    assert m["metadata"]["memconv_source_id"] == "mem_abc" and m["metadata"]["type"] == "workflow"
    assert m["metadata"]["concepts"] == ["tooling"] and m["metadata"]["project"] == "shop"
    assert m["run_id"] == "ses_1" and m["user_id"] == "u1" and m["metadata"] is not None
    assert m["metadata"]["memconv"]["title"] == "pnpm"  # the record's own title, which the key could not take
    assert ("memory", "metadata.title") not in report.losses
    assert ("passage", "embedding") in report.losses
    assert ("agent", "*") not in report.losses and load(out)["memconv"][0]["name"] == "helper"
    back = memconv.read(out)
    assert [r.kind for r in back.records] == ["agent", "passage", "memory"]
    assert back.records[1] == passage.model_copy(update={"embedding": None})
    assert back.records[2] == mem


def test_mem0_to_agentmemory_validates(tmp_path):
    out = tmp_path / "am.json"
    proc = run_cli(GET_ALL, *HISTORY_FILES, "--to", "agentmemory", "-o", out)
    assert proc.returncode == 0, proc.stderr.decode()
    export = check_export(load(out))
    assert sorted(m.content for m in export.memories) == sorted(o["memory"] for o in load(GET_ALL)["results"])
    assert b"event record(s)" in proc.stderr  # AgentMemory has no history


# ---------------------------------------------------------------- bad input


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    data = GET_ALL.read_bytes()
    trunc = tmp_path / "truncated.json"
    trunc.write_bytes(data[: len(data) // 2])
    lines = (LOCAL / "items.jsonl").read_bytes().splitlines(keepends=True)
    badl = tmp_path / "bad.jsonl"
    badl.write_bytes(lines[0] + lines[1] + b'{"id": "x", "memory": "oops", \n' + lines[2])
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("memories.json", json.dumps(om_doc()))
        zf.writestr("../evil", "gotcha")
    wrong = tmp_path / "wrong.json"
    wrong.write_bytes(json.dumps({"results": [{"id": "a", "memory": 5}]}).encode())
    badrow = tmp_path / "badrow.json"
    badrow.write_bytes(json.dumps([{"id": "h", "memory_id": "m", "event": "NONE"}]).encode())
    return {"truncated": (trunc, "line "), "jsonl": (badl, "line 3"), "zip": (evil, "'..'"),
            "memory_type": (wrong, "results[0].memory"), "event": (badrow, "[0].event")}


@pytest.mark.parametrize("case", ["truncated", "jsonl", "zip", "memory_type", "event"])
def test_bad_input_is_exit_4_one_line_no_output(case, tmp_path):
    path, place = _bad_inputs(tmp_path)[case]
    out = tmp_path / "out.json"
    proc = run_cli(path, "--to", "canonical", "-o", out)
    err = proc.stderr.decode()
    assert proc.returncode == 4, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("memconv: error: ")
    assert "Traceback" not in err and path.name in err and place in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == []


@pytest.mark.parametrize("case", ["truncated", "jsonl", "zip"])
def test_bad_input_through_cli_main(case, tmp_path, capsys):
    path, place = _bad_inputs(tmp_path)[case]
    out = tmp_path / "out.json"
    with pytest.raises(SystemExit) as exc:
        cli.main([str(path), "--to", "mem0", "-o", str(out)])
    assert exc.value.code == 4
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and place in err and "Traceback" not in err
    assert not out.exists()


def test_one_line_files_and_streamed_shape_errors(tmp_path, monkeypatch):
    row = load(HISTORY_FILES[0])[0]
    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps(row) + "\n")
    assert [e.id for e in memconv.read(one).of("event")] == [row["id"]]
    from memconv.adapters.mem0 import reader

    monkeypatch.setattr(reader, "SMALL_BYTES", 0)
    bad = tmp_path / "scalar.json"
    bad.write_text('{"count": 1, "results": 7}')
    with pytest.raises(InputInvalid, match=r"scalar\.json: results: expected a list"):
        memconv.read(bad)


def test_truncated_large_input_names_the_place(tmp_path, monkeypatch):
    from memconv.adapters.mem0 import reader

    monkeypatch.setattr(reader, "SMALL_BYTES", 0)
    data = GET_ALL.read_bytes()
    p = tmp_path / "cut.json"
    p.write_bytes(data[: len(data) // 2])
    cut = data[: len(data) // 2]
    line, col = cut.count(b"\n") + 1, len(cut) - cut.rfind(b"\n")
    with pytest.raises(InputInvalid, match=rf"cut\.json: line {line}, column {col}: invalid JSON: the document ends early"):
        memconv.read(p)


def test_forced_mem0_on_a_letta_file_is_invalid():
    proc = run_cli(REPO / "fixtures" / "sample-agent.af", "--from", "mem0", "--to", "canonical")
    assert proc.returncode == 4 and b"not a mem0 document" in proc.stderr


# ---------------------------------------------------------------- the format object


def test_format_declares_its_mapping_and_versions():
    fmt = registry.get("mem0")
    assert fmt.can_read and fmt.can_write and fmt.mapping is not None
    assert fmt.mapping.target == "mem0" and fmt.mapping.system == "mem0"
    assert "v1.1" in fmt.write_versions and "OpenMemory" in fmt.read_versions
    from memconv.mapping import render_markdown

    text = render_markdown([fmt.mapping])
    assert "## canonical → mem0" in text and "`memory` | `results[]`" in text


# ---------------------------------------------------------------- what mem0 has no field for (memconv keys)

LETTA_REAL = [SHARED / "fixtures" / "letta" / n for n in
              ("letta-tests__test_agent_with_files_and_sources.af", "memgpt_agent_with_convo.af", "ezra.af",
               "letta-tests__deep-thought.af")]


def _sorted(recs):
    return sorted((r.model_dump() for r in recs), key=lambda d: (d["kind"], d["id"]))


@pytest.mark.parametrize("path", LETTA_REAL, ids=lambda p: p.name)
@pytest.mark.parametrize("form", ["json", "jsonl", "json.gz"])
def test_letta_through_mem0_comes_back_whole(path, form, tmp_path, monkeypatch):
    """Real Letta agent files (blocks, empty blocks, tools, sources, files, messages) through mem0 and
    back: the records are those a canonical copy holds (secrets blanked the same way), read whole and
    streamed; nothing is reported lost."""
    from memconv.adapters.mem0 import reader

    out = tmp_path / f"agent.{form}"
    report = memconv.convert(path, to="mem0", output=out, jsonl=form == "jsonl")
    assert not report.losses, report.format_losses()
    canon = tmp_path / "canonical.jsonl"
    memconv.convert(path, to="canonical", output=canon, jsonl=True)
    want = _sorted(memconv.read(canon).records)
    assert _sorted(memconv.read(out).records) == want
    monkeypatch.setattr(reader, "SMALL_BYTES", 0)  # the ijson path of large documents
    assert _sorted(memconv.read(out).records) == want


def test_memconv_keys_read_back_in_canonical_order(tmp_path):
    out = tmp_path / "a.json"
    memconv.convert(REPO / "fixtures" / "sample-agent.af", to="mem0", output=out)
    kinds = [r.kind for r in memconv.read(out).records]
    # agents and tools (the list's small kinds) first, then the items (blocks), then messages
    assert kinds == ["agent", "tool", "block", "block", "message", "message", "message", "message"]


def _sample_as_mem0(tmp_path, edit, name="edited.json"):
    """The sample agent written as mem0 JSON, then ``edit(doc)`` applied to it by hand; its path."""
    out = tmp_path / "a.json"
    if not out.exists():
        memconv.convert(REPO / "fixtures" / "sample-agent.af", to="mem0", output=out)
    doc = load(out)
    edit(doc)
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_a_bad_record_in_the_memconv_list_is_named(tmp_path):
    bad = _sample_as_mem0(tmp_path, lambda d: d["memconv"][1].update(kind="nonsense"), "bad.json")
    proc = run_cli(bad, "--to", "canonical")
    assert proc.returncode == 4 and proc.stdout == b""
    assert b"bad.json: memconv[1]: expected a canonical record memconv kept" in proc.stderr
    message = {"kind": "message", "id": "m", "agent_id": "agent-0", "role": 7}
    bad = _sample_as_mem0(tmp_path, lambda d: d["memconv"].__setitem__(1, message), "bad.json")
    proc = run_cli(bad, "--to", "canonical")
    assert proc.returncode == 4 and b"memconv[1].role: input should be a valid string" in proc.stderr
    assert b"Traceback" not in proc.stderr


def test_an_embed_that_is_not_a_record_leaves_a_plain_memory(tmp_path):
    bad = _sample_as_mem0(tmp_path, lambda d: d["results"][0]["metadata"]["memconv"].update(limit="lots"))
    report = Report()
    recs = list(memconv.iter_records(bad, report=report))[1:]
    assert [r.kind for r in recs].count("block") == 1 and [r.kind for r in recs].count("memory") == 1
    assert any("results[0].metadata.memconv: limit:" in w and "plain mem0 memory" in w for w in report.warnings)


def test_an_edit_made_in_mem0_wins(tmp_path):
    edited = _sample_as_mem0(tmp_path, lambda d: d["results"][0].update(memory="Name: Dana Ruiz. Plan: Enterprise."))
    human = next(b for b in memconv.read(edited).of("block") if b.label == "human")
    assert human.value == "Name: Dana Ruiz. Plan: Enterprise." and human.limit == 5000


def test_v1_0_has_no_place_for_the_list(tmp_path):
    out = tmp_path / "a.json"
    report = memconv.convert(REPO / "fixtures" / "sample-agent.af", to="mem0", output=out, target_version="v1.0")
    assert isinstance(load(out), list)
    assert {("agent", "*"), ("tool", "*"), ("message", "*")} <= set(report.losses)
    assert [b.limit for b in memconv.read(out).of("block")] == [5000, 5000]  # items keep their embed


@pytest.mark.parametrize("jsonl", [False, True])
def test_an_agent_files_export_time_comes_back_through_mem0(tmp_path, jsonl):
    """An ``.af``'s ``created_at`` (its export time) has no place in mem0: memconv's list keeps it, led
    by the header, and .af -> mem0 -> .af gives it back (it was the time of the conversion)."""
    src = SHARED / "fixtures" / "letta" / "letta-tests__test_agent.af"
    own = json.loads(src.read_text())["created_at"]
    mid = tmp_path / ("m.jsonl" if jsonl else "m.json")
    memconv.convert(str(src), "mem0", str(mid), jsonl=jsonl)
    assert memconv.read(str(mid)).header.exported_at == memconv.read(str(src)).header.exported_at
    back = tmp_path / "back.af"
    report = memconv.convert(str(mid), "letta", str(back))
    assert json.loads(back.read_text())["created_at"][:19] == own[:19]
    assert not report.losses


@pytest.mark.parametrize("strategy", ["merge", "skip", "replace"])
def test_a_merge_into_mem0_jsonl_stays_jsonl(tmp_path, strategy):
    """``--jsonl`` into an existing mem0 JSON-L file with ``--strategy``: one record a line still (it
    became a ``{"results": [...]}`` document); without ``--jsonl`` the existing file's form is kept."""
    alice = SHARED / "fixtures" / "mem0" / "get_all_v11_user_alice.json"
    bob = SHARED / "fixtures" / "mem0" / "get_all_v11_user_bob.json"
    dest = tmp_path / "m.jsonl"
    assert run_cli(alice, "--to", "mem0", "--jsonl", "-o", dest).returncode == 0
    for extra in (["--jsonl"], []):
        r = run_cli(bob, "--to", "mem0", *extra, "-o", dest, "--strategy", strategy)
        assert r.returncode == 0, r.stderr
        lines = dest.read_bytes().splitlines()
        assert all(json.loads(l).get("id") or json.loads(l).get("memconv") for l in lines)
    want = {m["id"] for f in ((alice, bob) if strategy == "merge" else (bob,) if strategy == "replace" else (alice,))
            for m in json.loads(f.read_text())["results"]}
    if strategy == "skip":  # skip keeps what is there and adds what is new
        want |= {m["id"] for m in json.loads(bob.read_text())["results"]}
    assert {json.loads(l)["id"] for l in dest.read_bytes().splitlines() if "id" in json.loads(l)} == want


def test_a_merge_into_a_legacy_bare_list_stays_a_bare_list(tmp_path):
    """A v1.0 ``get_all`` bare list merged into stays a bare list (it became a v1.1 document), unless
    ``--target-version`` says otherwise."""
    import shutil

    dest = tmp_path / "legacy.json"
    shutil.copy(SHARED / "fixtures" / "mem0" / "get_all_v10_legacy_list.json", dest)
    dest.chmod(0o644)
    new = SHARED / "fixtures" / "mem0" / "get_all_v11_user_bob.json"
    assert run_cli(new, "--to", "mem0", "-o", dest, "--strategy", "merge").returncode == 0
    assert isinstance(json.loads(dest.read_text()), list)
    assert run_cli(new, "--to", "mem0", "-o", dest, "--strategy", "merge", "--target-version", "v1.1").returncode == 0
    assert isinstance(json.loads(dest.read_text()), dict)
