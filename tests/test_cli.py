"""The command line: exit codes, messages, subcommands, stdin/stdout."""

from __future__ import annotations

import json
import re

import pytest

import memconv
from memconv import cli, registry
from memconv.errors import ExitCode

from helpers import LETTA, REPO, SAMPLE_AF, run_cli


def test_exit_codes_are_the_documented_ones():
    assert {c.name: c.value for c in ExitCode} == {
        "OK": 0, "PROBLEMS": 1, "USAGE": 2, "UNREADABLE": 3, "INVALID": 4, "VERSION": 5, "LOSS": 6,
        "LIMIT": 7, "EXISTS": 8, "REMOTE": 9, "PARTIAL": 10, "OUTPUT": 11, "BUSY": 12, "INTERNAL": 70,
            "HANGUP": 129, "INTERRUPTED": 130, "TERMINATED": 143}
    readme = (REPO / "README.md").read_text()
    for code in ExitCode:
        assert re.search(rf"^\| {code.value} \|", readme, re.M), f"exit code {code.value} not tabled in README"


def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.decode().startswith(f"memconv {memconv.__version__}")


def test_formats_lists_every_format_with_versions():
    proc = run_cli("formats", "--json")
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert {"letta", "mem0", "agentmemory", "canonical"} <= set(rows)
    assert "0.9.29" in rows["agentmemory"]["writes"]
    assert "0.6.40" in rows["letta"]["reads"]
    text = run_cli("formats").stdout.decode()
    assert "letta:" in text and "reads:" in text


def test_inspect_reports_format_version_and_counts():
    proc = run_cli("inspect", LETTA / "evie.af", "--json")
    assert proc.returncode == 0
    info = json.loads(proc.stdout)
    assert info["format"] == "letta" and info["variant"] == "v2"
    assert info["version"] == "3e54e2fa2f7e"
    assert info["counts"]["agent"] == 2 and info["counts"]["group"] == 1
    text = run_cli("inspect", LETTA / "letta-tests__deep-thought.af").stdout.decode()
    assert "letta legacy version 0.10.0" in text and "messages: 2" in text


def test_unknown_format_lists_the_known_ones():
    proc = run_cli(SAMPLE_AF, "--to", "agentmemroy")
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "unknown format 'agentmemroy'" in err and "did you mean 'agentmemory'" in err
    for name in ("agentmemory", "canonical", "letta", "mem0"):
        assert name in err


def test_missing_input_is_exit_3(tmp_path):
    proc = run_cli(tmp_path / "nope.af", "--to", "agentmemory")
    assert proc.returncode == 3 and "no such file" in proc.stderr.decode()


@pytest.mark.parametrize("content, code", [(b"", 4), (b"   \n\t ", 4), (b"\x00\x01\x02binary\xff" * 10, 4),
                                           (b'{"agents": "nope"}', 4), (b"[1, 2, 3]", 4)])
def test_bad_input_is_one_line_no_traceback(tmp_path, content, code):
    p = tmp_path / "in.af"
    p.write_bytes(content)
    out = tmp_path / "out.json"
    proc = run_cli(p, "--to", "agentmemory", "-o", out)
    err = proc.stderr.decode()
    assert proc.returncode == code, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("memconv: error: ") and "Traceback" not in err
    assert not out.exists()


def test_undecodable_bytes_are_exit_3(tmp_path):
    p = tmp_path / "latin1.af"
    p.write_bytes(b'{"agents": [], "name": "caf\xe9"}')
    proc = run_cli(p, "--to", "agentmemory")
    assert proc.returncode == 3 and "not UTF-8" in proc.stderr.decode()


def test_from_forces_the_reader(tmp_path):
    proc = run_cli(SAMPLE_AF, "--from", "canonical", "--to", "agentmemory")
    assert proc.returncode == 4, proc.stderr
    assert run_cli(SAMPLE_AF, "--from", "letta", "--to", "agentmemory").returncode == 0


def test_output_equal_to_input_is_refused(tmp_path):
    p = tmp_path / "a.af"
    p.write_bytes(SAMPLE_AF.read_bytes())
    proc = run_cli(p, "--to", "agentmemory", "-o", p)
    assert proc.returncode == 2 and "the output is the input" in proc.stderr.decode()
    assert p.read_bytes() == SAMPLE_AF.read_bytes()


def test_failure_leaves_existing_output_untouched(tmp_path):
    out = tmp_path / "out.json"
    out.write_bytes(b"precious")
    proc = run_cli(LETTA / "agent-file-history__INVALID-JSON__agent2.af", "--to", "agentmemory", "-o", out,
                   "--strategy", "replace")
    assert proc.returncode == 4
    assert out.read_bytes() == b"precious" and sorted(tmp_path.iterdir()) == [out]


def test_existing_destination_without_strategy_is_exit_8(tmp_path):
    out = tmp_path / "out.json"
    out.write_bytes(b"precious")
    proc = run_cli(SAMPLE_AF, "--to", "agentmemory", "-o", out)
    assert proc.returncode == 8 and "--strategy" in proc.stderr.decode()
    assert out.read_bytes() == b"precious" and sorted(tmp_path.iterdir()) == [out]


def test_python_dash_m_and_explicit_convert_are_the_same():
    a = run_cli(SAMPLE_AF, "--to", "canonical", "--jsonl").stdout
    b = run_cli("convert", SAMPLE_AF, "--to", "canonical", "--jsonl").stdout
    assert a == b and a.startswith(b'{"kind":"header"')


def test_internal_error_is_one_line_and_exit_70(monkeypatch, capsys):
    fmt = registry.get("letta")

    def boom(*a, **k):
        raise RuntimeError("kaput")

    monkeypatch.setattr(type(fmt), "read", boom)
    with pytest.raises(SystemExit) as e:
        cli.main([str(SAMPLE_AF), "--to", "agentmemory"])
    assert e.value.code == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: RuntimeError: kaput" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        cli.main([str(SAMPLE_AF), "--to", "agentmemory", "--debug"])
    assert "Traceback" in capsys.readouterr().err


def test_interrupt_is_exit_130(monkeypatch, capsys):
    fmt = registry.get("letta")

    def stop(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(type(fmt), "read", stop)
    with pytest.raises(SystemExit) as e:
        cli.main([str(SAMPLE_AF), "--to", "agentmemory"])
    assert e.value.code == 130


def test_fail_on_loss_refuses_and_writes_nothing(tmp_path):
    # History events have no place in AgentMemory: a canonical stream with one is a loss.
    src = tmp_path / "in.jsonl"
    src.write_text('{"kind":"header"}\n{"kind":"event","id":"h1","memory_id":"m1","event":"ADD","new_text":"x"}\n')
    out = tmp_path / "out.json"
    ok = run_cli(src, "--to", "agentmemory", "-o", out)
    assert ok.returncode == 0 and "lost: 1 event record(s)" in ok.stderr.decode()
    out.unlink()
    proc = run_cli(src, "--to", "agentmemory", "-o", out, "--fail-on-loss")
    assert proc.returncode == 6 and not out.exists()
    proc = run_cli(src, "--to", "agentmemory", "--fail-on-loss")
    assert proc.returncode == 6 and proc.stdout == b""


def test_report_file(tmp_path):
    rep = tmp_path / "report.json"
    proc = run_cli(SAMPLE_AF, "--to", "agentmemory", "-o", tmp_path / "o.json", "--report", rep)
    assert proc.returncode == 0
    data = json.loads(rep.read_text())
    assert data["read"] == {"agent": 1, "block": 2, "message": 4, "tool": 1}
    assert data["written"]["agentmemory:observations"] == 4
    assert data["target"]["version"] == "0.9.29"
    assert data["inputs"][0]["format"] == "letta"


def test_progress_goes_to_stderr_only(tmp_path):
    from gen import agent_stream, write_jsonl

    src = tmp_path / "big.jsonl"
    write_jsonl(src, agent_stream(30_000, blocks=1))
    proc = run_cli(src, "--to", "canonical", "--jsonl", "--progress")
    assert proc.returncode == 0
    assert b"records" not in proc.stdout.splitlines()[0] and proc.stdout.count(b"\n") == 30_003
    assert "records" in proc.stderr.decode() and "done" in proc.stderr.decode()
    quiet = run_cli(src, "--to", "canonical", "--jsonl", "--progress", "--quiet")
    assert quiet.stderr == b"" and quiet.stdout == proc.stdout


def test_the_library_reads_open_files(tmp_path):
    """``memconv.read(open(path))``: an open file (binary or text) is an input, named by its name; a
    source of another type is a UsageError naming the type (before, a file was taken for a list of
    paths: ``b'{\\n': no such file or folder``)."""
    import io

    import memconv
    from memconv.errors import UsageError

    from helpers import LETTA

    path = LETTA / "letta-tests__test_agent.af"
    want = memconv.read(str(path)).counts()
    with open(path, "rb") as fh:
        assert memconv.read(fh).counts() == want
    with open(path, encoding="utf-8") as fh:
        assert memconv.read(fh).counts() == want
    assert memconv.read(io.StringIO(path.read_text())).counts() == want
    out = tmp_path / "o.json"
    with open(path, "rb") as fh:
        memconv.convert(fh, "agentmemory", str(out))
    assert out.exists()
    with pytest.raises(UsageError, match="int"):
        memconv.read(42)


def test_format_options_are_declared_typed_and_passed_with_dash_o(tmp_path):
    """Each format declares its writer's options (issue 12.7): ``memconv formats --json`` lists them,
    ``-O NAME=VALUE`` passes one by its declared type, and the library refuses a value of another type."""
    import memconv
    from memconv.errors import UsageError

    rows = {r["name"]: r for r in json.loads(run_cli("formats", "--json").stdout)}
    assert {o["name"] for o in rows["agentmemory"]["write_options"]} == {"split", "check_caps"}
    assert {o["name"]: o["type"] for o in rows["letta-memfs"]["write_options"]} == {"git": "bool", "git_message": "str"}
    assert rows["mem0"]["write_options"] == []
    src = REPO / "fixtures" / "sample-agent.af"
    out = tmp_path / "a.json"
    r = run_cli(src, "--to", "agentmemory", "-O", "check_caps=false", "-o", out)
    assert r.returncode == 0, r.stderr
    for bad, says in ((["-O", "check_caps=maybe"], b"expected true or false"), (["-O", "nope=1"], b"only check_caps, split"),
                      (["-O", "check_caps"], b"expected NAME=VALUE"), (["--split", "-O", "split=true"], b"given twice")):
        r = run_cli(src, "--to", "agentmemory", *bad, "-o", tmp_path / "b.json")
        assert r.returncode == 2 and says in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "b.json").exists()
    with pytest.raises(UsageError, match="takes bool, got str"):
        memconv.convert(str(src), "agentmemory", str(tmp_path / "c.json"), split="yes")
    with pytest.raises(UsageError, match="'split' is for agentmemory"):
        memconv.convert(str(src), "mem0", str(tmp_path / "c.json"), split=True)


def test_write_records_takes_dicts_of_canonical_json(tmp_path):
    """``write_records(Iterable[Any])``: a dict is canonical JSON (as a canonical file holds it) and is
    validated into its record; anything else is a UsageError naming its position (it was an
    AttributeError), and nothing is written."""
    import memconv
    from memconv.errors import UsageError

    out = tmp_path / "o.json"
    rec = {"kind": "memory", "id": "x", "text": "likes tea", "scope": {"user_id": "u"}}
    memconv.write_records([rec], "mem0", str(out))
    assert json.loads(out.read_text())["results"][0]["memory"] == "likes tea"
    for bad, says in (([rec, {"kind": "memory", "id": "y"}], "records[1]: text"), ([42], "got int")):
        with pytest.raises(UsageError, match=re.escape(says)):
            memconv.write_records(bad, "mem0", str(tmp_path / "bad.json"))
        assert not (tmp_path / "bad.json").exists()


@pytest.mark.parametrize("to", ["mem0", "agentmemory", "letta", "canonical"])
def test_python_values_that_are_not_json_are_written_as_canonical_json_holds_them(tmp_path, to):
    """A library caller's record may hold Python values in its free-form JSON fields (a set, a tuple,
    bytes, a Decimal, a datetime, an integer key). Every writer writes them as the canonical writer
    does (pydantic's JSON mode), with a ``bad-value`` warning naming the record and the place; the mem0
    and Letta writers raised ``TypeError`` on a set. A value with no JSON form is a UsageError naming
    the record, and nothing is written."""
    import datetime
    import decimal

    from memconv.errors import UsageError
    from memconv.model import Agent, Memory

    meta = {"tags": {"tea"}, "pair": (1, 2), "raw": b"ab", "score": decimal.Decimal("1.5"),
            "when": datetime.datetime(2025, 1, 2, 3, 4, 5), "by_id": {7: "seven"}}
    plain = {"tags": ["tea"], "pair": [1, 2], "raw": "ab", "score": "1.5", "when": "2025-01-02T03:04:05",
             "by_id": {"7": "seven"}}
    out = tmp_path / "o.json"
    recs = [Agent(id="a1", name="helper", llm_config={"window": (1, 2)}),
            Memory(id="m1", text="likes tea", metadata=meta, scope={"user_id": "u"})]
    report = memconv.write_records(recs, to, str(out))
    said = [w for w in report.warnings if w.startswith("records[")]
    assert said[0].startswith("records[0] (agent a1): llm_config.window: a Python tuple, not a JSON value")
    assert said[1].startswith("records[1] (memory m1): metadata.tags: a Python set, not a JSON value")
    assert set(said[:2]) <= set(report.warnings_by_code()["bad-value"])
    back = [r for r in memconv.read(str(out)).records if r.kind in ("memory", "passage")]
    assert len(back) == 1 and back[0].text == "likes tea"
    assert {k: v for k, v in (back[0].metadata or {}).items() if k in plain} == plain

    with pytest.raises(UsageError, match=re.escape("records[0] (memory m2): metadata.x: a Python object, "
                                                   "which has no JSON form")):
        memconv.write_records([Memory(id="m2", text="t", metadata={"x": object()})], to, str(tmp_path / "bad.json"))
    assert not (tmp_path / "bad.json").exists()


@pytest.mark.parametrize("to", ["canonical", "mem0"])
def test_an_output_named_jsonl_gets_one_record_a_line(tmp_path, to):
    """``-o backup.jsonl`` writes the target's line form without ``--jsonl`` (a user naming the file so
    expects JSON-L), through the library as through the command line; ``.json`` keeps the document."""
    lines_out, doc_out, lib_out = tmp_path / "a.jsonl", tmp_path / "a.json", tmp_path / "lib.ndjson"
    assert run_cli(str(SAMPLE_AF), "--to", to, "-o", str(lines_out)).returncode == 0
    assert run_cli(str(SAMPLE_AF), "--to", to, "-o", str(doc_out)).returncode == 0
    memconv.convert(str(SAMPLE_AF), to, str(lib_out))
    for path in (lines_out, lib_out):
        lines = path.read_text().splitlines()
        assert len(lines) > 2 and all(isinstance(json.loads(x), dict) for x in lines), path
    assert lines_out.read_bytes() == lib_out.read_bytes()
    doc = json.loads(doc_out.read_text())
    assert ("records" in doc) if to == "canonical" else ("results" in doc)
    assert run_cli(str(SAMPLE_AF), "--to", "letta", "-o", str(tmp_path / "x.jsonl")).returncode == 0  # no line form: as named
