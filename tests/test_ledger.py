"""Issues 11.7 and 11.17: the report says, per kind, where the records read went (native target
records, memconv's side channel, lost, filtered), warns when nothing became a native record, and its
loss lines name fields, group the same loss and speak about the right kind.
"""

from __future__ import annotations

import json

import pytest

import memconv
from memconv.model import Block, Header, Observation, Provenance, Tool

from helpers import FIXTURES, GOOD_AF, SHARED, run_cli

AM_FULL = FIXTURES / "agentmemory" / "example_full.json"
AM_SEEDED = FIXTURES / "agentmemory" / "real_export_seeded.json"


def _adds_up(report: memconv.Report) -> None:
    for kind, d in report.ledger().items():
        assert d["read"] == d["native"] + d["side_channel"] + d["lost"] + d["filtered"], (kind, d)


def test_agentmemory_observations_and_summaries_become_mem0_memories(tmp_path):
    out = tmp_path / "out.json"
    report = memconv.convert(str(AM_FULL), to="mem0", output=str(out))
    doc, src = json.loads(out.read_bytes()), json.loads(AM_FULL.read_bytes())
    kinds = [m["metadata"].get("memconv_source_kind", "memory") for m in doc["results"]]
    n_obs = sum(len(v) for v in src["observations"].values())
    assert kinds.count("observation") == n_obs and kinds.count("summary") == len(src["summaries"])
    for m in doc["results"]:
        if m["metadata"].get("memconv_source_kind") == "observation":
            assert m["run_id"] == m["metadata"]["memconv"]["session_id"] and m["memory"]
    ledger = report.to_dict()["ledger"]
    assert ledger["observation"] == {"read": n_obs, "native": n_obs, "side_channel": 0, "lost": 0, "filtered": 0}
    assert ledger["session"]["side_channel"] == len(src["sessions"]) and ledger["session"]["native"] == 0
    _adds_up(report)
    # and they come back from mem0 as they were
    back = memconv.read(str(out))
    assert [o for o in back.of("observation")] == [o for o in memconv.read(str(AM_FULL)).of("observation")]


def test_a_write_with_no_native_record_warns(tmp_path):
    doc = json.loads(AM_SEEDED.read_bytes())
    sessions_only = {k: ([] if isinstance(v, list) else {} if isinstance(v, dict) else v) for k, v in doc.items()}
    sessions_only["sessions"] = doc["sessions"]
    src = tmp_path / "sessions.json"
    src.write_text(json.dumps(sessions_only))
    report = memconv.convert(str(src), to="mem0", output=str(tmp_path / "out.json"))
    assert report.read["session"] == len(doc["sessions"]) > 0
    assert any("holds no mem0 record" in w and "side channel" in w for w in report.warnings), report.warnings
    report2 = memconv.convert(str(FIXTURES / "mem0" / "history_table_raw.json"), to="letta",
                              output=str(tmp_path / "h.af"))
    assert any("holds no letta record" in w and "lost" in w for w in report2.warnings), report2.warnings
    ok = memconv.convert(str(AM_SEEDED), to="mem0", output=str(tmp_path / "ok.json"))
    assert not any("holds no" in w for w in ok.warnings), ok.warnings


def test_cli_shows_the_ledger_and_the_report_json_has_it(tmp_path):
    rep = tmp_path / "r.json"
    proc = run_cli(str(AM_SEEDED), "--to", "mem0", "-o", str(tmp_path / "o.json"), "--report", str(rep))
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr.decode()
    assert "memconv: records: session: 1 read: 0 native, 1 only in memconv's side channel" in err, err
    assert "memconv: records: observation: 4 read: 4 native" in err, err
    ledger = json.loads(rep.read_bytes())["ledger"]
    assert ledger["observation"]["native"] == 4 and ledger["session"]["side_channel"] == 1
    assert json.loads((tmp_path / "o.json").read_bytes())["results"]


def test_loss_lines_name_the_fields_and_group_the_same_loss(tmp_path):
    extras = {"zep": {"fact_id": "f1", "valid_at": "2026", "$order": ["a"]}}
    recs = [Header(), Block(id="b1", label="human", value="x", extras=extras),
            Tool(id="t1", name="do_it", extras=extras)]
    report = memconv.write_records(recs, "letta", tmp_path / "a.af")
    lines = [ln for ln in report.format_losses() if "zep" in ln]
    assert lines == ["lost: 1 block, 1 tool record(s): zep fields fact_id, valid_at "
                     "(letta has no field for what only zep holds)"], report.format_losses()
    (entry,) = [d for d in report.to_dict()["losses"] if d["kind"] == "block" and d["field"] == "extras.zep"]
    assert entry["fields"] == ["fact_id", "valid_at"]


def test_a_loss_line_about_entities_talks_about_entities(tmp_path):
    report = memconv.convert(str(AM_FULL), to="letta", output=str(tmp_path / "a.af"))
    (line,) = [ln for ln in report.format_losses() if " entity " in ln]
    assert line.startswith("lost: 3 entity record(s), whole: ") and "graph entity has no place" in line, line


def test_markers_alone_are_no_loss(tmp_path):
    o = Observation(id="o", session_id="s", title="t", extras={"agentmemory": {"$absent": ["subtitle"]}},
                    provenance=Provenance(system="agentmemory", id="o"))
    report = memconv.write_records([Header(source_system="agentmemory"), o], "canonical", tmp_path / "c.json")
    assert not report.has_loss
    report = memconv.write_records([Header(), Block(id="b", label="l", value="v",
                                                    extras={"zep": {"$order": ["x"]}})], "letta", tmp_path / "a.af")
    assert not [k for k in report.losses if k[1].startswith("extras.")], report.format_losses()


def test_a_whole_raw_record_loss_names_its_collections(tmp_path):
    report = memconv.convert(str(AM_SEEDED), to="letta", output=str(tmp_path / "a.af"))
    (line,) = [ln for ln in report.format_losses() if " raw " in ln]
    assert line.startswith(f"lost: {report.read['raw']} raw record(s), whole (agentmemory accessLogs, "), line
    (entry,) = [d for d in report.to_dict()["losses"] if d["kind"] == "raw"]
    assert "agentmemory lessons" in entry["fields"]


# ---------------------------------------------------------------- the source document's top-level fields

def test_top_level_fields_a_target_cannot_hold_are_reported(tmp_path):
    """An OpenMemory export's user, apps, categories, access controls and export_meta have no place in
    AgentMemory: the report names them under kind ``header`` and ``--fail-on-loss`` refuses (they were
    dropped in silence, exit 0)."""
    src = SHARED / "fixtures" / "mem0" / "openmemory" / "memories_export_alice.zip"
    out = tmp_path / "om.json"
    r = run_cli(src, "--to", "agentmemory", "--exclude", "history", "--fail-on-loss", "-o", out)
    assert r.returncode == 6 and not out.exists()
    report = memconv.convert(str(src), "agentmemory", str(out), exclude=["history"])
    (loss,) = [l for l in report.to_dict()["losses"] if l["kind"] == "header"]
    assert {"user", "export_meta", "access_controls"} <= set(loss["fields"])


def test_top_level_fields_come_back_through_a_format_that_carries_them(tmp_path):
    """AgentMemory's ``pagination`` rides in mem0's memconv list and comes back (it was dropped)."""
    src = SHARED / "fixtures" / "agentmemory" / "example_full.json"
    mid, back = tmp_path / "m.json", tmp_path / "back.json"
    assert not [l for l in memconv.convert(str(src), "mem0", str(mid)).to_dict()["losses"] if l["kind"] == "header"]
    report = memconv.convert(str(mid), "agentmemory", str(back))
    assert json.loads(back.read_text())["pagination"] == json.loads(src.read_text())["pagination"]
    assert not [l for l in report.to_dict()["losses"] if l["kind"] == "header"]


@pytest.mark.parametrize("path", GOOD_AF, ids=lambda p: p.name)
def test_an_agent_files_revision_is_no_loss(path, tmp_path):
    """An .af's ``metadata`` that is only its ``revision_id`` (the header's version) is no data lost."""
    for to in ("agentmemory", "mem0"):
        report = memconv.convert(str(path), to, str(tmp_path / f"o.{to}"))
        assert not [l for l in report.to_dict()["losses"] if l["kind"] == "header"], to


@pytest.mark.parametrize("to", ["mem0", "agentmemory", "letta", "canonical"])
def test_the_ledger_has_no_row_of_a_kind_nothing_was_read_or_placed_of(tmp_path, to):
    """The mem0 writer places the entities of its relations (none here): the ledger had an all-zero
    ``entity`` row that ``read`` did not have."""
    report = memconv.convert(str(FIXTURES / "mem0" / "get_all_v11.json"), to, str(tmp_path / "o.json"))
    assert set(report.ledger()) == set(report.read) == {"memory"}
    assert all(any(row.values()) for row in report.ledger().values())
