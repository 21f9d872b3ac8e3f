"""AgentMemory reading as leniently as AgentMemory's own importer (issues 11.8, 11.9, 11.10, 14).

* 11.8: detection by the top-level keys wherever they are (sorted keys put 60+ KiB of ``lessons``
  before ``observations`` and ``version`` last).
* 11.9: ``mem::import`` (0.9.29, ``export-import.ts``) checks only the version, the four top-level
  shapes, the bucket arrays and the caps; it stores records as they are, a row without ``id`` too
  (real 0.9.2x exports hold a session that is only ``{endedAt, status}``). Such a row is read under a
  derived id (its JSON path) with a warning, never a refusal of the file.
* 11.10: records are checked against ``types.ts``: a conversion warns with each place and carries
  the value as it is; ``memconv validate`` lists each place (exit 1).
* 14: ``memconv formats`` prints the real allow-list (0.7.1 and 0.7.8 missing).
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

import memconv
from memconv import registry
from memconv.io import Input
from memconv.adapters.agentmemory import FORMAT
from memconv.adapters.agentmemory.reader import MAX_NOTES
from memconv.adapters.agentmemory.schema import mismatches
from memconv.adapters.agentmemory.shape import SUPPORTED_VERSIONS

from helpers import FIXTURES, run_cli

AM = FIXTURES / "agentmemory"
SEEDED = AM / "real_export_seeded.json"


def load(path: Path):
    return orjson.loads(path.read_bytes())


def write(tmp_path: Path, doc, name: str = "in.json") -> Path:
    p = tmp_path / name
    p.write_bytes(orjson.dumps(doc))
    return p


def warnings_of(proc) -> list[str]:
    return [ln for ln in proc.stderr.decode().splitlines() if ln.startswith("memconv: warning:")]


def _lessons(n: int) -> list[dict]:
    return [{"id": f"lsn_{i:016x}", "content": "Prefer small commits " * 10, "context": "review", "confidence": 0.5,
             "reinforcements": 1, "source": "manual", "sourceIds": [], "tags": ["git"],
             "createdAt": "2026-11-20T09:00:00.000Z", "updatedAt": "2026-11-20T09:00:00.000Z", "decayRate": 0.05}
            for i in range(n)]


# ---------------------------------------------------------------- 11.8 detection in any key order


@pytest.mark.parametrize("order", ["sorted", "reversed", "version-last"])
def test_export_is_detected_whatever_its_key_order(order, tmp_path):
    doc = load(SEEDED)
    doc["lessons"] = _lessons(400)  # > 64 KiB before "observations" once the keys are sorted
    keys = sorted(doc) if order == "sorted" else list(reversed(list(doc))) if order == "reversed" else \
        ["lessons"] + [k for k in doc if k not in ("version", "lessons")] + ["version"]
    src = write(tmp_path, {k: doc[k] for k in keys})
    assert src.read_bytes().index(b'"version"') > 64 * 1024
    assert registry.detect(Input(src)).name == "agentmemory"
    proc = run_cli("inspect", src, "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["format"] == "agentmemory" and info["version"] == "0.9.29"
    # the same records as the exporter's own key order gives
    plain = write(tmp_path, doc, "plain.json")
    a = [r.model_dump(mode="json") for r in memconv.read(src).records]
    b = [r.model_dump(mode="json") for r in memconv.read(plain).records]
    assert sorted(a, key=repr) == sorted(b, key=repr)


def test_key_of_another_format_after_a_long_value_is_still_seen(tmp_path):
    # {lessons: <70 KiB>, agents: [...]}: not an ExportData; the foreign key beyond the peek counts
    src = write(tmp_path, {"lessons": _lessons(400), "memories": [], "sessions": [], "agents": []})
    assert FORMAT.detect(Input(src)) == 0


# ---------------------------------------------------------------- 11.9 records without a usable id


def test_real_export_with_a_session_without_id_converts(tmp_path):
    doc = load(SEEDED)
    doc["sessions"].append({"endedAt": "2026-11-20T09:58:40.002Z", "status": "completed"})
    n = len(doc["sessions"]) - 1
    src = write(tmp_path, doc)
    out = tmp_path / "out.json"
    proc = run_cli(src, "--to", "agentmemory", "-o", out)
    assert proc.returncode == 0, proc.stderr
    warns = warnings_of(proc)
    assert any(f"sessions[{n}].id: missing" in w and f"derived id 'sessions[{n}]'" in w for w in warns), warns
    written = json.loads(out.read_bytes())
    assert written["sessions"][n] == {"id": f"sessions[{n}]", "endedAt": "2026-11-20T09:58:40.002Z",
                                      "status": "completed"}
    assert written["sessions"][:n] == doc["sessions"][:n]
    # to canonical and back, the session is there under its derived id
    bundle = memconv.read(src)
    assert f"sessions[{n}]" in {s.id for s in bundle.of("session")}


@pytest.mark.parametrize("where,change,path", [
    ("memory", lambda d: d["memories"][0].pop("id"), "memories[0]"),
    ("memory null id", lambda d: d["memories"][1].__setitem__("id", None), "memories[1]"),
    ("observation", lambda d: next(iter(d["observations"].values()))[0].pop("id"), None),
    ("summary", lambda d: d["summaries"].append({"project": "p", "createdAt": "2026-11-20T09:00:00.000Z",
                                                  "title": "t", "narrative": "n", "keyDecisions": [],
                                                  "filesModified": [], "concepts": [], "observationCount": 0}),
     "summaries"),
    ("graph node", lambda d: d["graphNodes"][0].__setitem__("id", 7), "graphNodes[0]"),
])
def test_rows_without_a_usable_id_are_read_under_a_derived_id(where, change, path, tmp_path):
    doc = load(SEEDED)
    change(doc)
    if path == "summaries":
        path = f"summaries[{len(doc['summaries']) - 1}]"
    if path is None:
        bucket = next(iter(doc["observations"]))
        path = f"observations.{bucket}[0]"
    src = write(tmp_path, doc)
    bundle = memconv.read(src)
    ids = {r.id for r in bundle.records}
    assert path in ids
    proc = run_cli(src, "--to", "canonical", "-o", tmp_path / "out.json")
    assert proc.returncode == 0, proc.stderr
    assert any(path in w and "derived id" in w for w in warnings_of(proc)), proc.stderr


def test_exported_at_of_the_wrong_type_is_a_warning_not_a_refusal(tmp_path):
    doc = load(SEEDED)
    doc["exportedAt"] = 5  # AgentMemory's importer never reads exportedAt
    src = write(tmp_path, doc)
    proc = run_cli(src, "--to", "agentmemory", "--timestamp", "2030-01-02T03:04:05Z", "-o", tmp_path / "o.json")
    assert proc.returncode == 0, proc.stderr
    assert any("exportedAt: expected a string" in w for w in warnings_of(proc))


# ---------------------------------------------------------------- 11.10 types.ts


def _wrong_types():
    doc = load(SEEDED)
    doc["memories"][1]["strength"] = "very strong"
    doc["memories"][0]["content"] = None
    doc["sessions"][0]["startedAt"] = 17
    return doc


PLACES = ["memories[1].strength: expected number", "memories[0].content: expected string",
          "sessions[0].startedAt: expected string"]


def test_wrong_types_warn_with_their_place_and_are_carried(tmp_path):
    doc = _wrong_types()
    src = write(tmp_path, doc)
    out = tmp_path / "out.json"
    proc = run_cli(src, "--to", "agentmemory", "-o", out)
    assert proc.returncode == 0, proc.stderr
    warns = "\n".join(warnings_of(proc))
    for place in PLACES:
        assert place in warns, warns
    assert json.loads(out.read_bytes()) == doc  # carried exactly (same format)


def test_validate_lists_each_wrong_type_with_its_place(tmp_path):
    src = write(tmp_path, _wrong_types())
    proc = run_cli("validate", src)
    assert proc.returncode == 1, proc.stdout
    problems = [ln for ln in proc.stdout.decode().splitlines() if ln.startswith("problem:")]
    for place in PLACES:
        assert sum(place in p for p in problems) == 1, problems
    assert "types.ts" in problems[0]
    ok = run_cli("validate", SEEDED)
    assert ok.returncode == 0, ok.stdout


def test_validate_json_and_every_collection_is_checked(tmp_path):
    doc = load(SEEDED)
    next(iter(doc["observations"].values()))[0]["importance"] = "high"
    doc["summaries"] = [{"sessionId": "s", "project": "p", "createdAt": "x", "title": "t", "narrative": "n",
                         "keyDecisions": "none", "filesModified": [], "concepts": [], "observationCount": 1}]
    doc["lessons"] = _lessons(1)
    doc["lessons"][0]["source"] = "guess"
    doc["graphEdges"][0]["weight"] = True
    src = write(tmp_path, doc)
    proc = run_cli("validate", src, "--json")
    assert proc.returncode == 1
    problems = "\n".join(json.loads(proc.stdout)[0]["problems"])
    bucket = next(iter(doc["observations"]))
    for place in (f"observations.{bucket}[0].importance: expected number", "summaries[0].keyDecisions: expected string[]",
                  "lessons[0].source: expected 'crystal' | 'manual' | 'consolidation'",
                  "graphEdges[0].weight: expected number"):
        assert place in problems, problems


def test_many_mismatches_warn_a_few_then_count_the_rest(tmp_path):
    doc = load(SEEDED)
    base = doc["memories"][0]
    doc["memories"] = [{**base, "id": f"mem_{i}", "strength": "x"} for i in range(MAX_NOTES + 15)]
    src = write(tmp_path, doc)
    proc = run_cli(src, "--to", "canonical", "-o", tmp_path / "o.json")
    assert proc.returncode == 0
    warns = warnings_of(proc)
    assert sum(".strength: expected number" in w for w in warns) == MAX_NOTES
    assert any("15 more records" in w and "validate" in w for w in warns), warns
    listed = run_cli("validate", src, "--json")
    assert len([p for p in json.loads(listed.stdout)[0]["problems"] if "strength" in p]) == MAX_NOTES + 15


def test_mismatches_follow_types_ts():
    ok = load(SEEDED)["memories"][0]
    assert mismatches("Memory", ok) == []
    assert mismatches("Memory", {**ok, "strength": 7.5, "isLatest": False}) == []
    assert sorted(w for w, _ in mismatches("Memory", {**ok, "isLatest": 1, "parentId": None})) == ["isLatest", "parentId"]
    assert [w for w, _ in mismatches("Session", {"endedAt": "x", "status": "completed"})] == \
        ["id", "project", "cwd", "startedAt", "observationCount"]
    assert mismatches("Session", 5)[0][1].startswith("expected an object")


# ---------------------------------------------------------------- 14: the allow-list as it is


def test_formats_prints_the_real_allow_list():
    text = run_cli("formats").stdout.decode()
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("reads:") and "0.9.29" in ln)
    assert "0.7.2-0.7.7, 0.7.9" in line and "0.6.0-0.6.1" in line and "0.8.0-0.8.13" in line
    assert "0.7.1" in line and "0.7.8" in line  # named as missing
    rows = {r["name"]: r for r in json.loads(run_cli("formats", "--json").stdout)}
    assert "0.7.0, 0.7.2-0.7.7, 0.7.9" in rows["agentmemory"]["writes"]
    assert len(SUPPORTED_VERSIONS) == 57 and "0.7.1" not in SUPPORTED_VERSIONS


# ---------------------------------------------------------------- 11.8, the same class in the other formats


def test_canonical_document_with_format_after_its_records_is_detected(tmp_path):
    doc = orjson.loads(run_cli(FIXTURES / "letta" / "evie.af", "--to", "canonical").stdout)
    assert doc["format"] == "memconv-canonical"
    reordered = {"records": doc["records"], "header": doc["header"], "format": doc["format"]}
    src = write(tmp_path, reordered, "c.json")
    assert src.read_bytes().index(b'"format"') > 64 * 1024
    assert registry.detect(Input(src)).name == "canonical"
    assert memconv.read(src).counts() == memconv.read(write(tmp_path, doc, "plain.json")).counts()


def test_mem0_results_after_a_long_relations_list_are_detected(tmp_path):
    doc = load(FIXTURES / "mem0" / "get_all_v11.json")
    rel = {"source": "alice", "relationship": "likes", "target": "tea " * 20}
    src = write(tmp_path, {"relations": [rel] * 1000, "results": doc["results"]}, "m.json")
    assert src.read_bytes().index(b'"results"') > 64 * 1024
    assert registry.detect(Input(src)).name == "mem0"
    assert memconv.read(src).counts().get("memory") == len(doc["results"])


def test_letta_agent_file_with_agents_after_a_long_value_is_detected(tmp_path):
    doc = load(FIXTURES / "letta" / "evie.af")
    pad = {"note": "x" * (300 * 1024)}
    src = write(tmp_path, {"metadata": {**(doc.get("metadata") or {}), **pad},
                           **{k: v for k, v in doc.items() if k != "metadata"}}, "a.json")
    assert src.read_bytes().index(b'"agents"') > 256 * 1024
    assert registry.detect(Input(src)).name == "letta"


@pytest.mark.parametrize("source", [FIXTURES / "letta" / "evie.af", FIXTURES / "mem0" / "get_all_v11.json"])
def test_what_memconv_writes_fits_types_ts(source, tmp_path):
    out = tmp_path / "am.json"
    assert run_cli(source, "--to", "agentmemory", "-o", out, "-q").returncode == 0
    proc = run_cli("validate", out)
    assert proc.returncode == 0, proc.stdout
    assert "types.ts" not in proc.stderr.decode()


def test_an_object_where_a_string_belongs_is_named_an_object(tmp_path):
    """Objects built by the streaming parser (ijson with memconv's DupDict) are named as JSON names
    them in messages, not by the Python class (``got DupDict``)."""
    import json as _json

    doc = _json.loads((FIXTURES / "agentmemory" / "example_full.json").read_text())
    doc["memories"][0]["title"] = {"x": 1}
    path = tmp_path / "bad_title.json"
    path.write_text(_json.dumps(doc))
    r = run_cli("validate", path)
    out = r.stdout.decode() + r.stderr.decode()
    assert "memories[0].title" in out and "got an object" in out and "DupDict" not in out
