"""mem0 items without a usable id are read, not refused (issue 11 item 9's rule for every reader):
each under a derived id (a UUID5 of its JSON path and text), with a warning naming the place."""

from __future__ import annotations

import json
import uuid

import memconv

from helpers import FIXTURES, run_cli

GET_ALL = FIXTURES / "mem0" / "get_all_v11.json"


def _no_ids(tmp_path):
    doc = json.loads(GET_ALL.read_text())
    del doc["results"][0]["id"]
    doc["results"][1]["id"] = None
    doc["results"][2]["id"] = ""
    path = tmp_path / "noid.json"
    path.write_text(json.dumps(doc))
    return path, doc


def test_items_without_an_id_are_read_under_derived_uuids(tmp_path):
    path, doc = _no_ids(tmp_path)
    out = tmp_path / "out.json"
    r = run_cli(path, "--to", "mem0", "-o", out)
    assert r.returncode == 0, r.stderr
    err = r.stderr.decode()
    for place in ("results[0].id: no id", "results[1].id: an id that is null", "results[2].id: an id that is empty"):
        assert place in err
    ids = [item["id"] for item in json.loads(out.read_text())["results"]]
    assert len(ids) == len(doc["results"]) == len(set(ids))
    assert all(str(uuid.UUID(i)) == i for i in ids[:3])
    again = tmp_path / "again.json"
    assert run_cli(path, "--to", "mem0", "-o", again).returncode == 0
    assert [i["id"] for i in json.loads(again.read_text())["results"]] == ids  # deterministic


def test_jsonl_lines_without_an_id_are_items(tmp_path):
    doc = json.loads(GET_ALL.read_text())
    path = tmp_path / "noid.jsonl"
    path.write_text("\n".join(json.dumps({k: v for k, v in r.items() if k != "id"}) for r in doc["results"]) + "\n")
    report = memconv.convert(str(path), "canonical", str(tmp_path / "c.jsonl"), jsonl=True)
    assert report.read["memory"] == len(doc["results"])
    assert report.info["mem0_derived_ids"] == len(doc["results"])
    assert sum("derived id" in w for w in report.warnings) == min(20, len(doc["results"]))


def test_past_twenty_one_line_says_there_are_more(tmp_path):
    items = [{"memory": f"fact {i}", "user_id": "u"} for i in range(30)]
    path = tmp_path / "many.json"
    path.write_text(json.dumps({"results": items}))
    report = memconv.convert(str(path), "canonical", str(tmp_path / "c.json"))
    assert report.read["memory"] == 30 and report.info["mem0_derived_ids"] == 30
    assert sum("derived id" in w for w in report.warnings) == 20
    assert any("more items without a usable id" in w for w in report.warnings)


ADD_RESULT = {"results": [
    {"id": "0c2b6a36-5f7e-4f4f-9f7e-1d2a9c1a7b11", "memory": "Loves hiking in the Alps", "event": "ADD"},
    {"id": "1d3c7b47-6a8f-4a5a-8a8f-2e3b0d2b8c22", "memory": "Lives in Madrid", "event": "DELETE"},
    {"id": "2e4d8c58-7b9a-4b6b-9b9a-3f4c1e3c9d33", "memory": "Works at Acme as staff engineer", "event": "UPDATE",
     "previous_memory": "Works at Acme"},
]}
"""``Memory.add()``'s result as mem0ai 2.x returns it (``_add_to_vector_store``: ``{"id", "memory",
"event"}``, ``previous_memory`` on an UPDATE)."""


def test_a_memory_an_add_result_names_as_deleted_is_filtered_not_brought_back(tmp_path):
    """An ``add()`` result lists the memories that add deleted (``"event": "DELETE"``); they were
    read as live memories, in silence. Each is now counted as read and filtered, with a warning naming
    its place, whatever the target and through the library as through the command line; the others
    are read as memories, their event kept for mem0."""
    path = tmp_path / "add_result.json"
    path.write_text(json.dumps(ADD_RESULT))
    for to in ("agentmemory", "mem0", "letta", "canonical"):
        out = tmp_path / f"out.{to}.json"
        report = memconv.convert(str(path), to, str(out))
        assert report.ledger()["memory"] == {"read": 3, "native": 2, "side_channel": 0, "lost": 0, "filtered": 1}
        assert any("results[1].event: DELETE" in w and "1d3c7b47" in w for w in report.warnings)
        written = "".join(f.read_text() for f in tmp_path.glob(f"out.{to}.*"))  # Letta: its passages sidecar
        assert "Lives in Madrid" not in written and "Loves hiking" in written
        texts = [r.text for r in memconv.read(str(out)).records if r.kind in ("memory", "passage")]
        assert sorted(texts) == ["Loves hiking in the Alps", "Works at Acme as staff engineer"]
    back = memconv.read(str(tmp_path / "out.mem0.json"))
    assert [m.extra("mem0").get("event") for m in back.of("memory")] == ["ADD", "UPDATE"]
    r = run_cli(path, "--to", "canonical", "--jsonl", "-o", "-")
    assert r.returncode == 0 and b"Lives in Madrid" not in r.stdout
    assert b"results[1].event: DELETE" in r.stderr and b"1 filtered" in r.stderr


def test_a_graph_add_result_reads_the_relations_it_added_and_filters_those_it_deleted(tmp_path):
    """With a graph store, ``add()`` returns ``"relations": {"deleted_entities": [[...]],
    "added_entities": [[...]]}`` (mem0ai 2.x ``MemoryGraph.add``, one inner list per query); it was
    refused as "expected a list of relations"."""
    doc = {"results": ADD_RESULT["results"][:1],
           "relations": {"deleted_entities": [[{"source": "maria", "relationship": "lives_in", "target": "madrid"}]],
                         "added_entities": [[{"source": "maria", "relationship": "loves", "target": "hiking"}],
                                            []]}}
    path = tmp_path / "add_graph.json"
    path.write_text(json.dumps(doc))
    out = tmp_path / "out.canonical.json"
    report = memconv.convert(str(path), "canonical", str(out))
    rels = [r for r in memconv.read(str(out)).records if r.kind == "relation"]
    assert [(r.source, r.relationship, r.target) for r in rels] == [("maria", "loves", "hiking")]
    assert report.ledger()["relation"] == {"read": 2, "native": 1, "side_channel": 0, "lost": 0, "filtered": 1}
    assert any("relations.deleted_entities" in w and "1 relation(s)" in w for w in report.warnings)
    bad = dict(doc, relations={"added_entities": [[{"source": "maria"}]]})
    path.write_text(json.dumps(bad))
    r = run_cli(path, "--to", "canonical", "-o", tmp_path / "bad.json")
    assert r.returncode == 4 and b"relations.added_entities[0][0].relationship" in r.stderr


def test_values_of_another_type_are_kept_verbatim_not_refused(tmp_path):
    """mem0's Platform quickstart (docs at 5b9b65c) shows items whose ``metadata`` is the string "None"; an
    export with a number as ``user_id`` or a string as ``categories`` is the same class. The file was
    refused whole (exit 4). Each such value is now read as absent, kept verbatim in the record's extras
    (so mem0 gets the item back as it was), with a warning naming its place."""
    items = [{"id": "a1", "memory": "likes tea", "user_id": "u1", "hash": "h", "metadata": "None",
              "created_at": "2024-07-26T00:25:16-07:00", "updated_at": None},
             {"id": "a2", "memory": "walks", "user_id": 42, "hash": None, "metadata": {"k": 1},
              "categories": "food", "created_at": None, "updated_at": None},
             {"id": "a3", "memory": "reads", "user_id": "u1", "hash": "h3", "metadata": None,
              "created_at": None, "updated_at": None}]
    src = tmp_path / "in.json"
    src.write_text(json.dumps({"results": items}))
    report = memconv.Report()
    mems = [r for r in list(memconv.iter_records(str(src), report=report))[1:]]
    assert [m.metadata for m in mems] == [None, {"k": 1}, None]
    assert mems[0].extra("mem0")["metadata"] == "None" and mems[1].extra("mem0")["user_id"] == 42
    assert mems[1].scope.user_id is None and mems[1].categories is None
    text = "\n".join(report.warnings)
    assert "results[0].metadata: a string" in text and "results[1].user_id: a number" in text
    assert "results[1].categories: a string" in text and "results[2]" not in text
    out = tmp_path / "out.json"
    memconv.convert(str(src), "mem0", str(out))
    assert json.loads(out.read_text())["results"] == items  # key for key, as read
    via = tmp_path / "via.jsonl"
    memconv.convert(str(src), "canonical", str(via), jsonl=True)
    back = tmp_path / "back.json"
    memconv.convert(str(via), "mem0", str(back))
    assert json.loads(back.read_text())["results"] == items


def _cli(tmp_path, name, **env):
    doc = {"status": "success", **env}
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=2))
    return path


def test_the_mem0_cli_json_output_is_read(tmp_path):
    """``mem0 search ... --output json`` prints an envelope (mem0ai/mem0 ``cli/node/src/output.ts``
    ``formatJsonEnvelope``; the example of ``docs/platform/cli.mdx``). It was "format not recognised".
    Its items are read as a search; the envelope's scope is given to each item that has none (the CLI
    names it once), with a warning; its other keys say how the command ran and are not kept (a warning
    names them: kept as a document's fields, a mem0 output read back as a Platform page)."""
    src = _cli(tmp_path, "search.json", command="search", duration_ms=134, scope={"user_id": "alice"}, count=2,
               data=[{"id": "abc-123", "memory": "User prefers dark mode", "score": 0.97, "created_at": "2026-01-15",
                      "categories": ["preferences"]},
                     {"id": "def-456", "memory": "Uses vim", "score": 0.81, "user_id": "bob"}])
    report = memconv.Report()
    items = list(memconv.iter_records(str(src), report=report))
    assert items[0].source_variant == "search"
    assert [(m.id, m.scope.user_id, m.categories) for m in items[1:]] == [("abc-123", "alice", ["preferences"]),
                                                                          ("def-456", "bob", None)]
    assert any("scope: user_id=alice" in w and "given to the 1 item(s)" in w for w in report.warnings)
    assert any("envelope (status, command, duration_ms, count)" in w and "not kept" in w for w in report.warnings)
    out = tmp_path / "out.json"
    memconv.convert(str(src), "mem0", str(out))
    assert list(json.loads(out.read_text())) == ["results"]
    assert next(memconv.iter_records(str(out))).source_variant == "search"


def test_mem0_cli_add_output_leaves_deleted_memories_out(tmp_path):
    src = _cli(tmp_path, "add.json", command="add", duration_ms=210,
               data=[{"id": "m1", "memory": "Likes tea", "event": "ADD"}, {"id": "m0", "memory": "Likes coffee",
                                                                          "event": "DELETE"}])
    report = memconv.Report()
    items = list(memconv.iter_records(str(src), report=report))
    assert [m.id for m in items[1:]] == ["m1"] and report.info["filtered"]["memory"] == 1
    assert any("data[1].event: DELETE" in w for w in report.warnings)


def test_mem0_cli_output_without_memories_is_refused_with_its_reason(tmp_path):
    err = _cli(tmp_path, "err.json", command="search", error="Invalid API key", data=None)
    err.write_text(err.read_text().replace('"success"', '"error"'))
    r = run_cli(err, "--to", "canonical", "-o", tmp_path / "o.jsonl")
    assert r.returncode == 4 and b"the mem0 CLI reported 'error' for 'search': Invalid API key" in r.stderr
    ent = _cli(tmp_path, "ent.json", command="entity list", data=[{"name": "alice", "type": "user"}])
    r = run_cli(ent, "--to", "canonical", "-o", tmp_path / "o.jsonl")
    assert r.returncode == 4 and b"output of 'entity list' holds no memories" in r.stderr


def test_a_mem0_cli_add_the_platform_queued_holds_no_memory_yet(tmp_path):
    """``mem0 add --agent`` on the Platform prints ``{"status": "PENDING", "event_id": ...}`` for an add it
    queued (``cli/node/src/output.ts`` ``sanitizeAgentData``): no memory yet. It was refused ("no 'memory'
    key"); it is skipped with a warning naming the event."""
    src = _cli(tmp_path, "add.json", command="add", scope={"user_id": "alice"},
               data=[{"status": "PENDING", "event_id": "ev-123"}, {"id": "m1", "memory": "Likes tea", "event": "ADD"}])
    report = memconv.Report()
    items = list(memconv.iter_records(str(src), report=report))
    assert [m.id for m in items[1:]] == ["m1"]
    assert any("data[0]: an add the Platform queued (status PENDING, event_id 'ev-123')" in w for w in report.warnings)
    bad = _cli(tmp_path, "bad.json", command="add", data=[{"status": "PENDING", "event_id": "ev-1"}, {"id": "m1", "memory": 7}])
    r = run_cli(bad, "--to", "canonical", "-o", tmp_path / "o.jsonl")
    assert r.returncode == 4 and b"data[1].memory:" in r.stderr, r.stderr  # the item's own place, after a skip


def test_a_bad_kept_record_in_json_lines_is_placed_as_lines_are(tmp_path):
    """The place of an error in a ``{"memconv": record}`` line reads ``line 2: memconv.extras``, as every
    other line's place does (it read ``line 2.memconv.extras``; found by a fuzz run)."""
    import pytest

    from memconv.errors import InputInvalid

    src = tmp_path / "x.jsonl"
    src.write_text('{"id": "a", "memory": "likes tea", "user_id": "u"}\n'
                   '{"memconv": {"kind": "session", "id": "s1", "extras": []}}\n')
    with pytest.raises(InputInvalid, match=r"line 2: memconv\.extras"):
        memconv.read(src)
