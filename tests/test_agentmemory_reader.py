"""AgentMemory reader: real 0.9.29 exports and typed examples (../shared), quirks, errors, same-format
fidelity, and restoring what memconv's writer embedded (Letta -> AgentMemory -> Letta kinds).

Documented normalisations (reader/writer, see ``adapters/agentmemory/reader.py``):

* A whole-number float in ``importance``/``confidence``/``weight`` is written as an integer
  (``1.0`` -> ``1``), as JavaScript (AgentMemory) writes it; real exports never contain ``1.0``.
* Letta -> AgentMemory -> canonical: messages come back in their agent's context order (the
  in-context ones first, then the others in file order), because the writer stores them that way;
  an empty system prompt (``""``) comes back empty (no system memory is written for it: the
  session's memconv key keeps it);
  secret values are blanked unless ``keep_secrets``/``--keep-secrets`` (a pipeline rule).
"""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import orjson
import pytest

import memconv
from memconv import registry
from memconv.errors import InputInvalid, UnsupportedVersion
from memconv.io import Input
from memconv.timeutil import conversation_keys
from memconv.model import KIND_ORDER, SMALL_KINDS, Bundle, Header, Memory, Provenance, Scope
from memconv.adapters.agentmemory import FORMAT
from memconv.adapters.agentmemory.shape import EMBED_KEY

from exportdata_model import check_export
from helpers import FIXTURES, GOOD_AF, LETTA, REPO, run_cli

AM = FIXTURES / "agentmemory"
OWN = REPO / "fixtures" / "agentmemory"
QUIRKS = OWN / "quirks.json"
HAND = OWN / "letta_hand_edited.json"
SHIM = OWN / "mcp_shim_local_export.json"
OVERSIZED = OWN / "oversized_error.json"
SHARED_AM = [AM / "real_export_seeded.json", AM / "example_full.json", AM / "example_minimal.json",
             AM / "real_export_empty.json"]
LETTA_OTHER = [FIXTURES / "letta-bundle" / "support-desk.af.tar.gz", FIXTURES / "letta-rest" / "agents-list.json",
               FIXTURES / "letta-rest" / "archival-memory.support-desk.json",
               FIXTURES / "letta-rest" / "export.support-desk.af", REPO / "fixtures" / "sample-agent.af"]
CONVO_AF = {"agent-file-history__legacy-v0.6.47__memgpt_agent_with_convo.af", "letta-tests__memgpt_agent_with_convo.af"}


def typed(v):
    """JSON value with every scalar tagged by its type, so that 5 and 5.0 (or 1 and True) differ."""
    if isinstance(v, dict):
        return {k: typed(x) for k, x in v.items()}
    if isinstance(v, list):
        return [typed(x) for x in v]
    return (type(v).__name__, v)


def load(path: Path):
    return orjson.loads(path.read_bytes())


def convert(src, tmp_path: Path, name: str, **kw) -> Path:
    out = tmp_path / name
    memconv.convert(src, to=kw.pop("to", "agentmemory"), output=str(out), **kw)
    return out


def write_doc(tmp_path: Path, doc, name: str = "in.json") -> Path:
    p = tmp_path / name
    p.write_bytes(orjson.dumps(doc) if not isinstance(doc, (bytes, str)) else
                  (doc.encode() if isinstance(doc, str) else doc))
    return p


def dumps_by_id(bundle: Bundle, kind: str) -> dict[str, dict]:
    return {r.id: r.model_dump(mode="json", exclude_defaults=True) for r in bundle.of(kind)}


# ---------------------------------------------------------------- real and example files


COUNTS = {
    "real_export_seeded.json": {"session": 1, "memory": 2, "observation": 4, "entity": 2, "relation": 1, "raw": 19},
    "example_full.json": {"session": 2, "memory": 4, "observation": 7, "summary": 1, "entity": 3, "relation": 2,
                          "raw": 18},
    "example_minimal.json": {"session": 1, "memory": 1, "observation": 1},
    "real_export_empty.json": {},
}


@pytest.mark.parametrize("path", SHARED_AM, ids=lambda p: p.name)
def test_reads_each_file_with_the_right_counts(path):
    doc = load(path)
    bundle = memconv.read(path)
    assert bundle.counts() == COUNTS[path.name]
    h = bundle.header
    assert (h.source_system, h.source_format_version, h.exported_at) == ("agentmemory", doc["version"], doc["exportedAt"])
    assert sorted(s.id for s in bundle.of("session")) == sorted(s["id"] for s in doc["sessions"])
    for o in bundle.of("observation"):
        assert o.id in {r["id"] for r in doc["observations"][o.session_id]}
        assert o.provenance.system == "agentmemory" and o.provenance.version == doc["version"]
    raw_colls = sorted(r.collection for r in bundle.of("raw"))
    expected = sorted(c for c, v in doc.items() if isinstance(v, list) and c not in
                      ("sessions", "memories", "summaries", "graphNodes", "graphEdges") for _ in v)
    assert raw_colls == expected
    for kind in bundle.counts():  # unique ids per kind (a summary's id is its session's, by design)
        assert len({r.id for r in bundle.of(kind)}) == len(bundle.of(kind))


def test_fields_land_in_their_canonical_places():
    b = memconv.read(AM / "example_full.json")
    doc = load(AM / "example_full.json")
    s0 = doc["sessions"][0]
    s = next(x for x in b.of("session") if x.id == s0["id"])
    assert (s.project, s.cwd, s.started_at, s.status, s.observation_count) == (
        s0["project"], s0["cwd"], s0["startedAt"], s0["status"], s0["observationCount"])
    m0 = doc["memories"][0]
    m = next(x for x in b.of("memory") if x.id == m0["id"])
    assert (m.text, m.title, m.memory_type, m.concepts, m.created_at) == (
        m0["content"], m0["title"], m0["type"], m0["concepts"], m0["createdAt"])
    assert m.scope.project == m0.get("project") and m.scope.agent_id == m0.get("agentId")
    assert m.extras["agentmemory"]["strength"] == m0["strength"]
    (summ,) = b.of("summary")
    assert summ.id == summ.session_id == doc["summaries"][0]["sessionId"]
    edge = b.of("relation")[0]
    assert (edge.source, edge.target, edge.relationship) == (
        doc["graphEdges"][0]["sourceNodeId"], doc["graphEdges"][0]["targetNodeId"], doc["graphEdges"][0]["type"])
    assert b.header.extras["agentmemory"]["pagination"] == doc["pagination"]
    logs = [r for r in b.of("raw") if r.collection == "accessLogs"]
    assert [r.data for r in logs] == doc["accessLogs"]
    assert [r.id for r in logs] == [f"accessLogs:{r['memoryId']}" for r in doc["accessLogs"]]


def test_stream_order_small_kinds_first():
    for path in (AM / "example_full.json", QUIRKS, HAND):
        kinds = [r.kind for r in memconv.read(path).records]
        first_large = next((i for i, k in enumerate(kinds) if k not in SMALL_KINDS), len(kinds))
        assert all(k in SMALL_KINDS for k in kinds[:first_large])
        assert not any(k in SMALL_KINDS for k in kinds[first_large:])
        ranks = [KIND_ORDER.index(k) for k in kinds[:first_large]]
        assert ranks == sorted(ranks)


# ---------------------------------------------------------------- same-format fidelity


@pytest.mark.parametrize("path", SHARED_AM + [QUIRKS], ids=lambda p: p.name)
def test_agentmemory_to_agentmemory_is_identical(path, tmp_path):
    out = convert(path, tmp_path, "out.json")
    assert typed(load(out)) == typed(load(path))


@pytest.mark.parametrize("jsonl", [False, True], ids=["json", "jsonl"])
@pytest.mark.parametrize("path", SHARED_AM + [QUIRKS], ids=lambda p: p.name)
def test_through_canonical_and_back_is_identical(path, jsonl, tmp_path):
    canon = convert(path, tmp_path, "c.jsonl" if jsonl else "c.json", to="canonical", jsonl=jsonl)
    out = convert(canon, tmp_path, "out.json")
    assert typed(load(out)) == typed(load(path))


def test_version_is_kept_when_writing_agentmemory_again(tmp_path):
    out = convert(QUIRKS, tmp_path, "out.json")
    assert load(out)["version"] == "0.8.13"
    out2 = tmp_path / "o2.json"
    memconv.convert(QUIRKS, to="agentmemory", output=str(out2), target_version="0.9.29")
    assert load(out2)["version"] == "0.9.29"


def test_whole_floats_are_written_as_javascript_writes_them(tmp_path):
    doc = load(AM / "real_export_seeded.json")
    obs = doc["observations"]["ses_demo_0001"][0]
    obs["confidence"], obs["importance"] = 1.0, 5.0
    doc["graphEdges"][0]["weight"] = 2.0
    out = convert(write_doc(tmp_path, doc), tmp_path, "out.json")
    back = load(out)
    o = back["observations"]["ses_demo_0001"][0]
    assert typed(o["confidence"]) == ("int", 1) and typed(o["importance"]) == ("int", 5)
    assert typed(back["graphEdges"][0]["weight"]) == ("int", 2)
    assert typed(back["observations"]["ses_demo_0001"][1]["confidence"]) == ("float", 0.3)


# ---------------------------------------------------------------- quirks of real exports


def test_raw_observation_rows_survive(tmp_path):
    b = memconv.read(QUIRKS)
    raw_rows = [o for o in b.of("observation") if o.provenance.variant == "raw"]
    assert [o.id for o in raw_rows] == ["obs_raw_0001", "obs_raw_0002"]
    ex = raw_rows[0].extras["agentmemory"]
    assert ex["hookType"] == "post_tool_use" and ex["toolInput"] == {"file_path": "src/a.ts"}
    assert ex["raw"]["nested"] == [1, 2.5, None, True] and "type" in ex["$absent"]
    assert raw_rows[0].observation_type is None and raw_rows[0].title is None
    assert raw_rows[1].extras["agentmemory"]["raw"] is None
    src_rows = {r["id"]: r for r in load(QUIRKS)["observations"]["ses_quirk_0001"]}
    out = load(convert(QUIRKS, tmp_path, "out.json"))
    back = {r["id"]: r for r in out["observations"]["ses_quirk_0001"]}
    for rid in ("obs_raw_0001", "obs_raw_0002"):
        assert typed(back[rid]) == typed(src_rows[rid])
        assert "type" not in back[rid] and "facts" not in back[rid]


def test_session_updated_at_survives(tmp_path):
    for path in (AM / "real_export_seeded.json", QUIRKS):
        doc = load(path)
        b = memconv.read(path)
        s = b.of("session")[0]
        assert s.extras["agentmemory"]["updatedAt"] == doc["sessions"][0]["updatedAt"]
        out = load(convert(path, tmp_path, f"{path.stem}.out.json"))
        assert out["sessions"][0]["updatedAt"] == doc["sessions"][0]["updatedAt"]


def test_row_session_id_other_than_its_bucket_is_kept(tmp_path):
    b = memconv.read(QUIRKS)
    obs = {o.id: o for o in b.of("observation")}
    moved, nosid = obs["obs_moved_0004"], obs["obs_nosession_0005"]
    assert moved.session_id == "ses_quirk_0001" and moved.extras["agentmemory"]["sessionId"] == "ses_somewhere_else"
    assert nosid.session_id == "ses_quirk_0001" and "sessionId" in nosid.extras["agentmemory"]["$absent"]
    out = load(convert(QUIRKS, tmp_path, "out.json"))
    rows = {r["id"]: r for r in out["observations"]["ses_quirk_0001"]}
    assert rows["obs_moved_0004"]["sessionId"] == "ses_somewhere_else"
    assert "sessionId" not in rows["obs_nosession_0005"]
    assert "ses_somewhere_else" not in out["observations"]


def test_values_that_do_not_fit_are_kept_verbatim():
    b = memconv.read(QUIRKS)
    obs = {o.id: o for o in b.of("observation")}
    m = obs["obs_moved_0004"]
    assert m.importance is None and m.facts == []
    assert m.extras["agentmemory"]["importance"] == "high" and m.extras["agentmemory"]["facts"] is None
    assert {"importance", "facts"} <= set(m.extras["agentmemory"]["$absent"])
    s1, s2 = b.of("session")
    assert s1.tags is None and s1.extras["agentmemory"]["tags"] == ["a", 7]
    assert s1.ended_at is None and "endedAt" not in s1.extras["agentmemory"]["$absent"]  # present null
    assert s2.observation_count is None and typed(s2.extras["agentmemory"]["observationCount"]) == ("float", 1.0)
    mem2 = next(x for x in b.of("memory") if x.id == "mem_quirk_0002")
    assert mem2.title is None and mem2.extras["agentmemory"]["title"] == 42 and mem2.text == ""
    assert "content" in mem2.extras["agentmemory"]["$absent"]
    node = next(x for x in b.of("entity") if x.id == "gn_q2")
    assert node.name == "" and "name" in node.extras["agentmemory"]["$absent"]


def test_header_keeps_pagination_unknown_keys_and_empty_or_ignored_collections(tmp_path):
    b = memconv.read(QUIRKS)
    ex = b.header.extras["agentmemory"]
    assert ex["pagination"] == {"offset": 0, "limit": 2, "total": 3, "hasMore": True}
    assert ex["exportNote"] == "an unknown top-level key"
    assert ex["insights"] == [] and ex["lessons"] == {"x": 1}
    report = memconv.Report()
    list(memconv.iter_records(QUIRKS, report=report))
    assert any("lessons" in w and "ignores" in w for w in report.warnings)


def test_action_edges_to_checkpoints_and_access_logs_for_observations_are_kept():
    b = memconv.read(QUIRKS)
    raw = {r.id: r for r in b.of("raw")}
    assert raw["actionEdges:ae_q1"].data["targetActionId"] == "ckpt_q1"
    assert raw["accessLogs:obs_cmp_0003"].data["memoryId"] == "obs_cmp_0003"
    img = next(o for o in b.of("observation") if o.id == "obs_cmp_0003")
    assert img.extras["agentmemory"]["imageRef"].endswith(".png") and img.observation_type == "image"


def test_mcp_shim_local_export_is_read(tmp_path):
    report = memconv.Report()
    items = list(memconv.iter_records(SHIM, report=report))
    header, records = items[0], items[1:]
    assert header.source_variant == "mcp-shim" and header.exported_at is None
    assert [r.kind for r in records] == ["memory"] and records[0].text == "No deploys on Fridays."
    assert any("MCP shim" in w for w in report.warnings)
    out = load(convert(SHIM, tmp_path, "out.json"))
    check_export(out)  # now importable: observations {} and summaries [] are written
    assert out["observations"] == {} and out["summaries"] == [] and out["memories"] == load(SHIM)["memories"]


def test_gzip_and_stdin_inputs(tmp_path):
    gz = tmp_path / "export.json.gz"
    gz.write_bytes(gzip.compress((AM / "example_full.json").read_bytes()))
    assert memconv.read(gz).counts() == COUNTS["example_full.json"]
    proc = run_cli("-", "--to", "agentmemory", input=(AM / "real_export_seeded.json").read_bytes())
    assert proc.returncode == 0, proc.stderr
    assert typed(json.loads(proc.stdout)) == typed(load(AM / "real_export_seeded.json"))


def test_bom_is_skipped(tmp_path):
    p = write_doc(tmp_path, b"\xef\xbb\xbf" + (AM / "example_minimal.json").read_bytes())
    assert memconv.read(p).counts() == COUNTS["example_minimal.json"]


# ---------------------------------------------------------------- errors


def _one_line_error(proc, out: Path | None = None) -> str:
    err = proc.stderr.decode()
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("memconv: warning:")]
    assert len(lines) == 1 and lines[0].startswith("memconv: error: "), err
    assert "Traceback" not in err
    if out is not None:
        assert not out.exists()
    return lines[0]


@pytest.mark.parametrize("version", ["0.7.8", "0.7.1", 3, "v0.9.29", "0.9.30-beta", None])
def test_unsupported_versions_exit_5(version, tmp_path):
    doc = load(AM / "example_minimal.json")
    doc["version"] = version
    src = write_doc(tmp_path, doc)
    out = tmp_path / "out.json"
    proc = run_cli(src, "--to", "canonical", "-o", out)
    assert proc.returncode == 5, proc.stderr
    line = _one_line_error(proc, out)
    assert str(version) in line and "0.3.0" in line and "0.9.29" in line and src.name in line
    if version == "0.7.8":
        assert "AgentMemory refuses it" in line
    assert list(tmp_path.iterdir()) == [src]
    with pytest.raises(UnsupportedVersion):
        memconv.read(src)


@pytest.mark.parametrize("version", ["0.9.30", "0.9.33", "0.9.84", "1.0.0"])
def test_newer_fork_versions_read_with_a_warning_and_write_upstream_version(version, tmp_path):
    """safeblock-lab/agentmemory publishes 0.9.30 to 0.9.33 (its importer's allow-list adds them; upstream
    0.9.29's refuses them): read, warned, and written back as an upstream version, unknown fields kept."""
    doc = load(AM / "example_full.json")
    doc["version"] = version
    doc["lessons"][0]["appliedBatchEffects"] = [{"batchId": "b1", "delta": 0.1}]
    src = write_doc(tmp_path, doc)
    out = tmp_path / "out.json"
    report = memconv.convert([src], "agentmemory", out)
    assert any(f"{version!r} is newer than upstream AgentMemory 0.9.29" in w for w in report.warnings)
    back = json.loads(out.read_text())
    assert back["version"] == "0.9.29"
    assert back["lessons"][0]["appliedBatchEffects"] == [{"batchId": "b1", "delta": 0.1}]
    assert memconv.read(src).header.source_format_version == version


@pytest.mark.parametrize("version", ["0.3.0", "0.7.9", "0.8.13", "0.9.22"])
def test_older_supported_versions_read(version, tmp_path):
    doc = load(AM / "example_minimal.json")
    doc["version"] = version
    b = memconv.read(write_doc(tmp_path, doc))
    assert b.header.source_format_version == version and b.counts() == COUNTS["example_minimal.json"]


def _minimal():
    return load(AM / "example_minimal.json")


BROKEN = {
    "no version": (lambda d: d.pop("version"), "version: missing"),
    "no sessions": (lambda d: d.pop("sessions"), "sessions: missing"),
    "sessions object": (lambda d: d.__setitem__("sessions", {}), "sessions: expected an array, got an object"),
    "memories string": (lambda d: d.__setitem__("memories", "x"), "memories: expected an array, got a string"),
    "no summaries": (lambda d: d.pop("summaries"), "summaries: missing"),
    "observations list": (lambda d: d.__setitem__("observations", []), "observations: expected an object, got an array"),
    "no observations": (lambda d: d.pop("observations"), "observations: missing"),
    "bucket not array": (lambda d: d["observations"].__setitem__("ses_x", {"id": 1}),
                         "observations.ses_x: expected an array, got an object"),
    "memory not object": (lambda d: d["memories"].insert(0, "hello"), "memories[0]: expected an object, got a string"),
    "observation not object": (lambda d: next(iter(d["observations"].values())).append(7),
                               "[1]: expected an object, got a number"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_missing_or_wrong_typed_keys_exit_4_naming_the_key(case, tmp_path):
    change, expected = BROKEN[case]
    doc = _minimal()
    change(doc)
    src = write_doc(tmp_path, doc)
    out = tmp_path / "out.json"
    proc = run_cli(src, "--to", "agentmemory", "-o", out)
    assert proc.returncode == 4, proc.stderr
    line = _one_line_error(proc, out)
    assert expected in line and src.name in line
    with pytest.raises(InputInvalid):
        memconv.read(src, format="agentmemory")


def test_oversized_error_object_fails_clearly(tmp_path):
    out = tmp_path / "out.json"
    assert registry.detect(Input(OVERSIZED)).name == "agentmemory"
    proc = run_cli(OVERSIZED, "--to", "canonical", "-o", out)
    assert proc.returncode == 4
    line = _one_line_error(proc, out)
    assert "oversized" in line and "maxSessions" in line and "offset" in line and "23.4 MiB" in line


def test_other_error_answers_and_non_objects_are_refused(tmp_path):
    p = write_doc(tmp_path, {"success": False, "error": "exportData with string version is required"}, "e.json")
    with pytest.raises(InputInvalid, match="error answer.*string version"):
        memconv.read(p, format="agentmemory")
    q = write_doc(tmp_path, [{"id": "x", "memory": "m"}], "l.json")
    with pytest.raises(InputInvalid, match="top level, got an array"):
        memconv.read(q, format="agentmemory")


def test_truncated_json_exits_4(tmp_path):
    src = write_doc(tmp_path, (AM / "example_full.json").read_bytes()[:5000])
    out = tmp_path / "out.json"
    proc = run_cli(src, "--to", "canonical", "--from", "agentmemory", "-o", out)
    assert proc.returncode == 4
    assert "invalid JSON" in _one_line_error(proc, out)


def test_bad_embed_is_read_as_a_plain_record(tmp_path):
    doc = _minimal()
    doc["memories"][0][EMBED_KEY] = {"kind": "block", "label": "no id"}
    src = write_doc(tmp_path, doc)
    report = memconv.Report()
    recs = list(memconv.iter_records(src, report=report))[1:]
    mem = next(r for r in recs if r.kind == "memory")
    assert mem.extras["agentmemory"][EMBED_KEY] == {"kind": "block", "label": "no id"}
    assert any("read as a plain AgentMemory record" in w for w in report.warnings)
    assert typed(load(convert(src, tmp_path, "out.json"))) == typed(doc)


# ---------------------------------------------------------------- detection


def test_detect_scores():
    for path in SHARED_AM + [QUIRKS, HAND]:
        assert FORMAT.detect(Input(path)) == 95, path
    assert FORMAT.detect(Input(SHIM)) == 95
    assert FORMAT.detect(Input(OVERSIZED)) == 90
    others = [p for p in (FIXTURES / "letta").glob("*.af")] + [p for p in (FIXTURES / "mem0").rglob("*.json")] \
        + [p for p in (FIXTURES / "letta-rest").glob("*")] + [FIXTURES / "letta-bundle" / "support-desk.af.tar.gz"]
    assert len(others) > 40
    for p in others:
        assert FORMAT.detect(Input(p)) == 0, p


@pytest.mark.parametrize("doc", [
    {"version": 1, "kind": "mem0_oss_qdrant_export", "exported_at": "x", "records": []},
    {"memories": [{"id": "a", "content": "c", "user_id": "u", "created_at": "t"}], "total": 1},
    {"results": [{"id": "a", "memory": "m"}]},
    {"agents": [], "version": "0.9.29", "sessions": []},
    {"core_memory": [], "version": "0.6.47", "messages": []},
    {"format": "memconv-canonical", "header": {}, "records": []},
    {"version": "0.9.29"},
], ids=["mem0-qdrant", "mem0-dashboard", "mem0-results", "letta-v2", "letta-legacy", "canonical", "version-only"])
def test_detect_leaves_other_formats_alone(doc, tmp_path):
    assert FORMAT.detect(Input(write_doc(tmp_path, doc))) == 0


def test_detect_without_version_still_claims_an_export_so_read_can_name_the_key(tmp_path):
    doc = _minimal()
    doc.pop("version")
    p = write_doc(tmp_path, doc)
    assert FORMAT.detect(Input(p)) == 60
    assert registry.detect(Input(p)).name == "agentmemory"


def test_canonical_output_is_not_claimed(tmp_path):
    for jsonl in (False, True):
        canon = convert(AM / "example_full.json", tmp_path, f"c{jsonl}.out", to="canonical", jsonl=jsonl)
        assert FORMAT.detect(Input(canon)) == 0
        assert registry.detect(Input(canon)).name == "canonical"


# ---------------------------------------------------------------- restoring memconv's embeds


def _letta_round_trip(path: Path, tmp_path: Path) -> tuple[Bundle, Bundle, Path]:
    out = tmp_path / "am.json"
    memconv.convert(path, to="agentmemory", output=str(out), keep_secrets=True)
    assert registry.detect(Input(out)).name == "agentmemory"
    return memconv.read(path), memconv.read(out), out


def _context_order(bundle: Bundle) -> list[tuple]:
    """Messages per agent: the in-context ones in context order, then the others in stream order."""
    out = []
    for a in bundle.of("agent"):
        msgs = [m for m in bundle.of("message") if m.agent_id == a.id]
        pos = {mid: i for i, mid in enumerate(a.in_context_message_ids)}
        ordered = sorted((m for m in msgs if m.id in pos), key=lambda m: pos[m.id]) + [m for m in msgs if m.id not in pos]
        out.append((a.id, [(m.id, m.role, m.content) for m in ordered]))
    return out


@pytest.mark.parametrize("path", GOOD_AF + LETTA_OTHER, ids=lambda p: p.name)
def test_letta_to_agentmemory_restores_letta_records(path, tmp_path):
    before, after, _ = _letta_round_trip(path, tmp_path)
    assert after.counts() == before.counts()
    # the fields the brief names, explicitly
    a_agents = {a.id: (a.name, a.system, a.description, a.tags, a.block_ids) for a in before.of("agent")}
    b_agents = {a.id: (a.name, a.system, a.description, a.tags, a.block_ids) for a in after.of("agent")}
    assert b_agents == a_agents
    assert [(b.id, b.label, b.value, b.limit, b.read_only, b.description) for b in after.of("block")] == \
        [(b.id, b.label, b.value, b.limit, b.read_only, b.description) for b in before.of("block")]
    assert [(t.id, t.name, t.source_code, t.json_schema) for t in after.of("tool")] == \
        [(t.id, t.name, t.source_code, t.json_schema) for t in before.of("tool")]
    assert _context_order(after) == _context_order(before)
    # and every record of every kind, whole (provenance included), up to the documented normalisations
    for kind in before.counts():
        want, got = dumps_by_id(before, kind), dumps_by_id(after, kind)
        assert got == want, kind
        if kind != "message":
            assert [r.id for r in after.of(kind)] == [r.id for r in before.of(kind)], kind


def _conversation_order(bundle):
    """Message ids in conversation order (time, then source order), the rule of issue 11.3."""
    msgs = list(bundle.of("message"))
    keys = conversation_keys(m.created_at for m in msgs)
    return [msgs[i].id for i in sorted(range(len(msgs)), key=keys.__getitem__)]


def test_messages_come_back_in_conversation_order(tmp_path):
    """Written and read by one rule: time, then source order (a record with no time stays after the
    one before it). The file's context order (indices 89, 81, 80, ...) is not its time order."""
    path = LETTA / "letta-tests__memgpt_agent_with_convo.af"
    before, after, _ = _letta_round_trip(path, tmp_path)
    (agent,) = after.of("agent")
    ids = [m.id for m in after.of("message")]
    assert ids == _conversation_order(before)
    assert ids == [m.id for m in before.of("message")]  # this file's order is its time order
    n = len(agent.in_context_message_ids)
    assert ids[:n] != agent.in_context_message_ids  # not context-first: a real reordering
    assert agent.in_context_message_ids == next(iter(before.of("agent"))).in_context_message_ids


def test_conversation_order_is_restored_from_a_bucket_in_storage_order(tmp_path):
    """AgentMemory's own export lists a bucket in storage order; conversation order wins."""
    path = LETTA / "letta-tests__memgpt_agent_with_convo.af"
    before, after, out = _letta_round_trip(path, tmp_path)
    doc = load(out)
    (bucket,) = doc["observations"].values()
    bucket.reverse()
    shuffled = write_doc(tmp_path, doc, "shuffled.json")
    again = memconv.read(shuffled)
    times = [m.created_at for m in before.of("message")]
    assert len(set(times)) == len(times) and None not in times  # distinct times: the order is fixed
    assert [m.id for m in again.of("message")] == _conversation_order(before)
    assert dumps_by_id(again, "message") == dumps_by_id(before, "message")


def test_empty_system_prompt_comes_back_empty(tmp_path):
    """It came back None, and Letta gives an agent without a system prompt its default one."""
    path = LETTA / "letta-tests__outreach_workflow_agent.af"
    before, after, _ = _letta_round_trip(path, tmp_path)
    assert before.of("agent")[0].system == "" and after.of("agent")[0].system == ''


def test_secrets_are_blanked_by_default_and_nothing_else_changes(tmp_path):
    path = LETTA / "agent-file-history__legacy-v0.6.43__deep_research_agent.af"
    out = tmp_path / "am.json"
    memconv.convert(path, to="agentmemory", output=str(out))
    (a,) = memconv.read(out).of("agent")
    (b,) = memconv.read(path).of("agent")
    assert b.secrets and set(a.secrets) == set(b.secrets) and set(a.secrets.values()) == {""}
    assert a.model_dump(exclude={"secrets", "extras"}) == b.model_dump(exclude={"secrets", "extras"})


@pytest.mark.parametrize("path", GOOD_AF, ids=lambda p: p.name)
def test_agentmemory_written_from_letta_is_stable_when_written_again(path, tmp_path):
    _, _, first = _letta_round_trip(path, tmp_path)
    second = tmp_path / "again.json"
    memconv.convert(first, to="agentmemory", output=str(second), keep_secrets=True)
    x, y = load(first), load(second)
    if path.name in CONVO_AF:  # firstPrompt follows message order, which became context order
        for s in x["sessions"] + y["sessions"]:
            s.pop("firstPrompt", None)
    assert typed(y) == typed(x)


def test_mem0_style_memory_survives_agentmemory(tmp_path):
    mem = Memory(id="9f1c2a34-0000-4000-8000-000000000001", text="Alice is vegetarian and allergic to nuts.",
                 scope=Scope(user_id="alice", agent_id="support-bot", run_id="run-7", actor_id="alice"),
                 metadata={"source": "chat", "score": 0.93, "n": 3, "nested": {"ok": True, "none": None}},
                 categories=["food", "health"], created_at="2024-07-26T10:01:02.123456-07:00",
                 updated_at="2024-07-27T00:00:00-07:00", hash="5d41402abc4b2a76b9719d911017c592",
                 memory_type="procedural_memory", role="user", expiration_date="2030-01-01",
                 provenance=Provenance(system="mem0", id="9f1c2a34-0000-4000-8000-000000000001", version="v1.1"),
                 extras={"mem0": {"immutable": False, "owner": "x"}})
    out = tmp_path / "am.json"
    memconv.write(Bundle(header=Header(source_system="mem0"), records=[mem]), "agentmemory", str(out))
    doc = load(out)
    check_export(doc)
    (am,) = doc["memories"]
    assert am["content"] == mem.text and am["type"] == "workflow" and am["agentId"] == "support-bot"
    (back,) = memconv.read(out).records
    assert back.model_dump() == mem.model_dump()
    assert back.text == mem.text and back.scope == mem.scope and back.metadata == mem.metadata
    assert back.created_at == "2024-07-26T10:01:02.123456-07:00"


def test_hand_edited_letta_concepts_go_back_to_letta_kinds():
    b = memconv.read(HAND)
    assert b.counts() == {"agent": 1, "block": 1, "tool": 1, "file": 1, "memory": 1, "passage": 1, "message": 2}
    (agent,) = b.of("agent")
    assert (agent.id, agent.name, agent.system, agent.description) == (
        "agent-helper", "helper", "You are a helpful agent.", "A hand-written helper agent")
    (block,) = b.of("block")
    assert (block.label, block.value) == ("persona", "I am terse.")
    (tool,) = b.of("tool")
    assert (tool.name, tool.description, tool.source_type) == ("roll_dice", "Roll a die.", "python")
    assert tool.source_code == "def roll_dice():\n    return 4"
    (passage,) = b.of("passage")
    assert passage.text == "The office closes at 6pm." and passage.scope.agent_id == "agent-helper"
    (f,) = b.of("file")
    assert (f.file_name, f.content) == ("notes.md", "# Notes")
    m1, m2 = b.of("message")
    assert (m1.role, m1.agent_id, m1.content) == ("user", "agent-helper", [{"type": "text", "text": "hello there"}])
    assert m2.role == "assistant" and m2.created_at == "2026-06-01T11:00:02.000Z"
    (plain,) = b.of("memory")
    assert plain.id == "mem_plain" and plain.text == "The user prefers tabs."


def test_system_memory_without_its_agent_stays_a_memory(tmp_path):
    doc = load(HAND)
    doc["sessions"] = []
    doc["observations"] = {}
    b = memconv.read(write_doc(tmp_path, doc))
    sysmem = next(m for m in b.of("memory") if m.id == "mem_sys")
    assert sysmem.text == "You are a helpful agent." and "letta:system" in sysmem.concepts
    assert not b.of("agent")


# ---------------------------------------------------------------- streaming


def _big_export(path: Path, buckets: int, per: int) -> None:
    with open(path, "wb") as f:
        f.write(b'{"version":"0.9.29","exportedAt":"2026-01-01T00:00:00.000Z","sessions":[')
        f.write(b",".join(orjson.dumps({"id": f"ses_{b}", "project": "p", "cwd": "/", "startedAt": "t",
                                        "status": "completed", "observationCount": per}) for b in range(buckets)))
        f.write(b'],"observations":{')
        for b in range(buckets):
            f.write((b"," if b else b"") + orjson.dumps(f"ses_{b}") + b":[")
            f.write(b",".join(orjson.dumps({"id": f"obs_{b}_{i}", "sessionId": f"ses_{b}", "timestamp": "t",
                                            "type": "other", "title": "x", "facts": [], "narrative": "n" * 400,
                                            "concepts": [], "files": [], "importance": 5}) for i in range(per)))
            f.write(b"]")
        f.write(b'},"memories":[],"summaries":[]}')


def test_observations_are_streamed_not_loaded(tmp_path):
    path = tmp_path / "big.json"
    _big_export(path, buckets=200, per=100)
    size = path.stat().st_size
    list(memconv.iter_records(AM / "example_full.json"))  # warm up: imports and model schemas
    tracemalloc.start()
    try:
        n = 0
        last = None
        for rec in memconv.iter_records(path):
            if rec.kind == "observation":
                n += 1
                last = rec
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 20_000 and last.id == "obs_199_99" and last.session_id == "ses_199"
    # parsed whole, the document takes about twice its size as Python objects; streamed, one bucket
    assert peak < size / 4, (peak, size)


def test_memories_kept_by_the_structure_pass_read_as_their_own_pass_reads_them(tmp_path, monkeypatch):
    """The structure pass keeps the memories it builds (a disk spool) so they are not parsed out of the
    document again; a document with integers past 64 bits still gets the pass of their own. Both give
    the same records and the same warnings in the same places of the stream: duplicate keys in two
    memories, a repeated top-level "memories" key (its first value a decoy), a memory that is not an
    object is refused the same way."""
    from memconv.adapters.agentmemory import reader
    from memconv.report import Report

    doc = json.loads((AM / "example_full.json").read_text())
    body = json.dumps(doc)
    assert body.count('"title": ') >= 2
    dup = body.replace('"memories": [', '"memories": [{"id": "decoy"}], "memories": [', 1)
    mem_at = dup.rindex('"memories": [')
    head, tail = dup[:mem_at], dup[mem_at:]
    tail = tail.replace('"title": ', '"title": "first", "title": ', 2)
    p = tmp_path / "dups.json"
    p.write_text(head + tail)

    def read(big: bool) -> tuple[list, list]:
        if big:
            monkeypatch.setattr(reader, "scan_numbers", lambda fh, name: True)
        report = Report()
        seen: list = []
        for rec in reader.read_export(Input(p), report):
            seen.append(("record", rec.model_dump(mode="json")))
            seen.extend(("warning", w) for w in report.warnings[len([s for s in seen if s[0] == "warning"]):])
        return seen, report.warnings

    kept, kept_warnings = read(False)
    own, own_warnings = read(True)
    monkeypatch.undo()
    assert kept == own
    assert kept_warnings == own_warnings
    dups = [w for w in kept_warnings if "duplicate key(s) 'title'" in w]
    assert len(dups) == 2 and "memories[0]" in dups[0] and "memories[1]" in dups[1], kept_warnings
    assert "decoy" not in [r.get("id") for kind, r in kept if kind == "record"]

    bad = tmp_path / "bad.json"
    bad.write_text(body.replace('"memories": [', '"memories": [7, ', 1))
    messages = []
    for big in (False, True):
        if big:
            monkeypatch.setattr(reader, "scan_numbers", lambda fh, name: True)
        with pytest.raises(InputInvalid) as e:
            list(reader.read_export(Input(bad), Report()))
        messages.append(str(e.value))
    assert messages[0] == messages[1] and "memories[0]" in messages[0], messages


def test_a_long_version_and_a_vast_integer_are_said_in_a_short_line(tmp_path):
    """A version string of 5,000 characters was echoed whole in the error; an integer of 401 digits was
    "expected number, got a number (1000...)" in full (both found by a fuzz run)."""
    from memconv.errors import UnsupportedVersion

    base = {"version": "0.9.29", "exportedAt": "2026-01-01T00:00:00.000Z", "sessions": [], "observations": {},
            "memories": [], "summaries": []}
    src = tmp_path / "long.json"
    src.write_text(json.dumps({**base, "version": "A" * 5000}))
    with pytest.raises(UnsupportedVersion) as e:
        memconv.read(src)
    assert len(e.value.message) < 600 and "AAA..." in e.value.message
    mem = {"id": "mem_1", "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
           "type": "fact", "title": "t", "content": "c", "concepts": [], "files": [], "sessionIds": [],
           "strength": 1, "version": 10 ** 400, "isLatest": True}
    big = tmp_path / "big.json"
    big.write_text(json.dumps({**base, "memories": [mem]}))
    from memconv.validate import validate
    lines = validate(str(big)).problems + validate(str(big)).warnings
    assert any("an integer of 401 digits, beyond what a JavaScript number holds exactly" in w for w in lines), lines
    assert all(len(w) < 600 for w in lines)
