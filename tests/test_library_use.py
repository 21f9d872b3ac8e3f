"""The library used as its docstrings say, by a caller who builds, changes and chains records: each
case is a defect found that way (a crash that was not a memconv error, a file overwritten, a silent
change), now a memconv error with its place or the documented behaviour."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import shutil
import sys

import pytest

import memconv
from memconv.errors import DestinationExists, UsageError
from memconv.model import Header, Memory
from memconv.validate import validate

from helpers import FIXTURES, REPO, SAMPLE_AF, run_cli

ALICE = FIXTURES / "mem0" / "get_all_v11_user_alice.json"
BOB = FIXTURES / "mem0" / "get_all_v11_user_bob.json"
KEEPER = REPO / "fixtures" / "letta" / "notes-keeper.af"


def test_the_passages_sidecar_is_never_an_input_the_output_or_an_existing_file(tmp_path):
    """``passages=`` naming the input replaced the input with the passages lines (with a strategy);
    naming the output left a file behind after a misleading error."""
    src = tmp_path / "nk.af"
    shutil.copy(KEEPER, src)
    shutil.copy(KEEPER.with_name("notes-keeper.passages.jsonl"), tmp_path / "nk.passages.jsonl")
    before = src.read_bytes()
    out = tmp_path / "out.af"
    with pytest.raises(UsageError, match="is an input"):
        memconv.convert(str(src), "letta", str(out), passages=str(src), strategy="replace")
    with pytest.raises(UsageError, match="is the output itself"):
        memconv.convert(str(src), "letta", str(out), passages=str(out))
    (tmp_path / "taken.jsonl").write_text("keep me\n")
    with pytest.raises(DestinationExists, match="the passages sidecar"):
        memconv.convert(str(src), "letta", str(out), passages=str(tmp_path / "taken.jsonl"))
    assert src.read_bytes() == before and not out.exists() and (tmp_path / "taken.jsonl").read_text() == "keep me\n"
    r = run_cli(src, "--to", "letta", "-o", tmp_path / "ps.af", "--passages", tmp_path / "ps.af")
    assert r.returncode == 2 and b"is the output itself" in r.stderr and not (tmp_path / "ps.af").exists()


def test_chained_streams_write_one_header_and_the_ledger_adds_up(tmp_path):
    """Two ``iter_records`` chained gave ``write_records`` a second header (AttributeError); and the
    report of ``write``/``write_records`` read nothing, so every kind was unaccounted for."""
    out = tmp_path / "both.canonical.json"
    report = memconv.write_records(itertools.chain(memconv.iter_records(str(ALICE)), memconv.iter_records(str(BOB))),
                                   "canonical", str(out))
    doc = json.loads(out.read_text())
    n = len(memconv.read(str(ALICE)).records) + len(memconv.read(str(BOB)).records)
    assert len(doc["records"]) == n and report.read["memory"] == n and report.unaccounted() == {}
    report = memconv.write(memconv.read(str(SAMPLE_AF)), "agentmemory", str(tmp_path / "am.json"))
    assert report.unaccounted() == {} and sum(report.read.values()) == len(memconv.read(str(SAMPLE_AF)).records)
    shared = memconv.Report()
    memconv.write_records(memconv.iter_records(str(ALICE), report=shared), "mem0", str(tmp_path / "m.json"),
                          report=shared)
    assert shared.read["memory"] == len(memconv.read(str(ALICE)).records)  # counted once, by iter_records


def test_a_record_changed_after_it_was_built_is_checked_again(tmp_path):
    m = Memory(id="m1", text="tea")
    m.text = None
    with pytest.raises(UsageError, match=r"records\[0\] \(memory m1\): text: input should be a valid string"):
        memconv.write_records([m], "mem0", str(tmp_path / "a.json"))
    m = Memory(id="m2", text="tea")
    m.scope = None
    with pytest.raises(UsageError, match=r"records\[0\] \(memory m2\): scope"):
        memconv.write_records([m], "agentmemory", str(tmp_path / "b.json"))
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("to", ["mem0", "agentmemory", "letta", "canonical"])
def test_a_lone_surrogate_is_refused_and_a_nan_is_written_as_null_with_a_warning(tmp_path, to):
    with pytest.raises(UsageError, match=r"records\[0\] \(memory m\): text: a lone surrogate \(U\+D800\)"):
        memconv.write_records([Memory(id="m", text="a\ud800b")], to, str(tmp_path / "s.json"))
    report = memconv.write_records([Memory(id="m", text="t", metadata={"score": float("nan")})], to,
                                   str(tmp_path / "n.json"))
    assert any("metadata.score: a float nan" in w for w in report.warnings_by_code()["bad-value"])
    back = [r for r in memconv.read(str(tmp_path / "n.json")).records if r.kind in ("memory", "passage")]
    assert back[0].metadata["score"] is None


def test_arguments_of_the_wrong_kind_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="a format must be named by a string"):
        memconv.convert(str(ALICE), None, str(tmp_path / "o.json"))
    with pytest.raises(UsageError, match="the destination must be a path"):
        memconv.write_records([], "canonical", None)
    with pytest.raises(UsageError, match="unknown format 'bogus'"):
        validate(str(SAMPLE_AF), format="bogus")
    with pytest.raises(UsageError, match="--timestamp 'garbage': expected an ISO-8601 time"):
        memconv.write_records([Memory(id="m", text="a")], "agentmemory", str(tmp_path / "t.json"), timestamp="garbage")
    r = run_cli(ALICE, "--to", "letta", "-o", tmp_path / "t.af", "--timestamp", "garbage")
    assert r.returncode == 2 and b"--timestamp 'garbage'" in r.stderr
    assert not list(tmp_path.iterdir())


def test_one_agent_name_given_as_a_string_is_that_name(tmp_path):
    name = memconv.read(str(SAMPLE_AF)).of("agent")[0].name
    report = memconv.convert(str(SAMPLE_AF), "canonical", str(tmp_path / "o.json"), agents=name, exclude="message")
    assert report.read["agent"] == 1 and report.info["filtered"] == {"message": report.read["message"]}


def test_standard_streams_without_a_binary_buffer(monkeypatch):
    """``contextlib.redirect_stdout(io.StringIO())`` and a notebook's streams have no ``.buffer``."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        memconv.convert(str(SAMPLE_AF), "canonical", "-")
    assert json.loads(buf.getvalue())["format"] == "memconv-canonical"
    monkeypatch.setattr(sys, "stdin", io.StringIO(SAMPLE_AF.read_text()))
    assert len(memconv.read("-").records) == len(memconv.read(str(SAMPLE_AF)).records)


def test_an_empty_stream_and_a_header_of_another_schema(tmp_path):
    report = memconv.write_records(iter([]), "mem0", str(tmp_path / "e.json"))
    assert report.warnings_by_code()["empty-input"] == ["records: none given (an empty or exhausted iterable?); "
                                                        "the output holds no record"]
    report = memconv.write_records([Header(schema_version="2.0"), Memory(id="m", text="t")], "canonical",
                                   str(tmp_path / "h.json"))
    assert "written as schema 1.0" in report.warnings[0]
    assert [r.id for r in memconv.read(str(tmp_path / "h.json")).records] == ["m"]


def test_sources_and_arguments_of_every_kind_a_caller_passes(tmp_path):
    """Bytes are a file's content; a text file's own encoding is honoured; a closed or write-only file,
    records that are not iterable and numeric options given as strings are usage errors, not
    ``TypeError``/``ValueError``/``io.UnsupportedOperation``."""
    assert len(memconv.read(SAMPLE_AF.read_bytes()).records) == len(memconv.read(str(SAMPLE_AF)).records)
    latin = tmp_path / "latin1.json"
    latin.write_text('{"results":[{"id":"a","memory":"café crème","user_id":"alicé"}]}', encoding="latin-1")
    with open(latin, encoding="latin-1") as fh:
        (m,) = memconv.read(fh).records
    assert (m.text, m.scope.user_id) == ("café crème", "alicé")
    closed = open(SAMPLE_AF, "rb")
    closed.close()
    with pytest.raises(UsageError, match="an open file to read was expected"):
        memconv.read(closed)
    with open(tmp_path / "w.json", "wb") as wfh, pytest.raises(UsageError, match="an open file to read was expected"):
        memconv.read(wfh)
    with pytest.raises(UsageError, match="records: expected an iterable of records"):
        memconv.write_records(None, "mem0", str(tmp_path / "n.json"))
    for opt in ({"jobs": "2"}, {"max_records": "5"}, {"wait": "1"}):
        with pytest.raises(UsageError, match=f"{next(iter(opt))}: expected a"):
            memconv.convert(str(ALICE), "mem0", str(tmp_path / "o.json"), **opt)


def test_a_letta_agent_name_that_is_a_number_is_read_as_its_text_with_a_warning(tmp_path):
    doc = json.loads(SAMPLE_AF.read_text())
    doc["agents"][0]["name"] = 5
    src = tmp_path / "n.af"
    src.write_text(json.dumps(doc))
    report = memconv.convert(str(src), "canonical", str(tmp_path / "o.json"))
    assert report.warnings_by_code()["bad-value"] == [f"{src}: agents[0].name: expected a string, got a number; "
                                                      f"read as '5'"]
    assert memconv.read(str(tmp_path / "o.json")).of("agent")[0].name == "5"


def test_diff_compares_what_fields_hold(tmp_path):
    """A legacy Letta file against its conversion: every message differed in ``tool_returns`` (None
    against ``[]``) and ``created_at`` (naive against ``+00:00``, the same instant), burying the real
    differences. Those compare the same; a real change still shows."""
    from memconv.diff import compare
    from memconv.model import Bundle, Message

    a = Message(id="m1", role="user", created_at="2025-04-01T03:46:31.172913", content=[])
    b = Message(id="m1", role="user", created_at="2025-04-01T03:46:31.172913+00:00", tool_returns=[], content=[])
    assert compare(Bundle(records=[a]), Bundle(records=[b])).same
    c = b.model_copy(update={"created_at": "2025-04-01T03:46:32+00:00", "tool_returns": [{"status": "ok"}]})
    assert compare(Bundle(records=[a]), Bundle(records=[c])).changed == [("message", "m1", ["created_at",
                                                                                           "tool_returns"])]
    legacy = FIXTURES / "letta" / "agent-file-history__legacy-v0.6.47__outreach_workflow_agent.af"
    memconv.convert(str(legacy), "letta", str(tmp_path / "v2.af"))
    r = run_cli("diff", legacy, tmp_path / "v2.af")
    assert b"tool_returns" not in r.stdout and b"~ message" not in r.stdout, r.stdout


def test_write_refuses_a_read_or_selection_option_it_would_ignore(tmp_path):
    """``write``/``write_records`` read nothing: ``read_all_messages`` was taken and ignored, and a
    refused ``agents`` pointed at the keyword arguments of ``convert``, which has it."""
    bundle = memconv.read(str(SAMPLE_AF))
    for kw in ({"agents": ["x"]}, {"read_all_messages": True}):
        with pytest.raises(UsageError, match="the keyword arguments of memconv.write_records"):
            memconv.write(bundle, "letta", str(tmp_path / "o.af"), **kw)
    assert not list(tmp_path.iterdir())


def test_the_passages_sidecar_read_with_an_input_is_an_input(tmp_path):
    src = tmp_path / "nk.af"
    shutil.copy(KEEPER, src)
    side = tmp_path / "nk.passages.jsonl"
    shutil.copy(KEEPER.with_name("notes-keeper.passages.jsonl"), side)
    before = side.read_bytes()
    with pytest.raises(UsageError, match="is an input"):
        memconv.convert(str(src), "letta", str(tmp_path / "out.af"), passages=str(side), strategy="replace")
    assert side.read_bytes() == before


def test_a_bad_timestamp_is_refused_before_any_work_and_an_extreme_agent_time_is_no_crash(tmp_path):
    r = run_cli(ALICE, "--to", "agentmemory", "-o", tmp_path / "o.json", "--timestamp", "garbage", "--jobs", "2")
    assert r.returncode == 2 and b"--timestamp 'garbage'" in r.stderr
    from memconv.model import Agent
    report = memconv.write_records([Agent(id="agent-0", name="far", system="s", created_at="9999-12-31T23:00:00-05:00")],
                                   "letta", str(tmp_path / "far.af"), timestamp="2026-01-01T00:00:00Z")
    doc = json.loads((tmp_path / "far.af").read_text())
    assert doc["agents"][0]["messages"][0]["created_at"].startswith("2026-01-01") and report.warnings


def test_fields_typed_knows_every_field_of_every_record_kind():
    """Its class table holds no typing construct ``isinstance`` refuses (``Any`` is a class since
    Python 3.11), and a record as built passes."""
    from memconv.model import RECORD_TYPES, Memory, Raw, Scope, fields_typed
    for cls in RECORD_TYPES.values():
        required = {n: f for n, f in cls.model_fields.items() if f.is_required()}
        sample = {"id": "x", "text": "t", "role": "user", "label": "l", "value": "v", "name": "n", "system": "s",
                  "collection": "c", "data": {"a": 1}, "session_id": "s", "memory_id": "m", "event": "ADD",
                  "source": "a", "target": "b", "relationship": "r", "server_name": "m", "source_id": "s"}
        rec = cls(**{n: sample[n] for n in required if n in sample})
        assert fields_typed(rec), cls.__name__
    raw = Raw(id="r", system="x", collection="c", data={"a": 1})
    raw.data = {1, 2}  # Any: not looked at here, first_unplain names it
    assert fields_typed(raw)
    m = Memory(id="m", text="t")
    m.scope = Scope()
    assert fields_typed(m)


def test_passages_for_a_target_without_a_sidecar_is_that_usage_error_even_onto_a_file(tmp_path):
    """It was checked as a sidecar first: an existing file there gave exit 8 (exists), not the usage
    error that names the format the option is for."""
    taken = tmp_path / "taken.jsonl"
    taken.write_text("x\n")
    r = run_cli(ALICE, "--to", "mem0", "-o", tmp_path / "o.json", "--passages", taken)
    assert r.returncode == 2 and b"'passages' is for letta" in r.stderr and taken.read_text() == "x\n"
