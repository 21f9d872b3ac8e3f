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
