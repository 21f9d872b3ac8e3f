"""Hostile and odd input (issue 7): a corpus of files with their expected outcome, hostile archives,
and fuzzing of every reader. A rejection is one line on stderr naming the file, its exit code, no
traceback, and no output file."""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import tarfile
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import memconv
from memconv import registry
from memconv.errors import MemconvError

from helpers import FIXTURES, LETTA, REPO, SAMPLE_AF, run_cli

V2 = (LETTA / "loop.af").read_bytes()
LEGACY = (LETTA / "letta-tests__deep-thought.af").read_bytes()
AM = (FIXTURES / "agentmemory" / "example_full.json").read_bytes()
MEM0 = (FIXTURES / "mem0" / "get_all_v11.json").read_bytes()
CANON_LINES = b'{"kind":"header"}\n{"kind":"memory","id":"m1","text":"one"}\n{"kind":"memory","id":"m2","text":"two"}\n'


def _v2(mutate) -> bytes:
    doc = json.loads(V2)
    mutate(doc)
    return json.dumps(doc).encode()


REJECTED = {
    # name: (bytes, file name, extra args, exit code, text the message must contain)
    "empty": (b"", "a.af", (), 4, "empty"),
    "whitespace": (b" \n\t\r\n ", "a.json", (), 4, "empty"),
    "truncated-letta": (V2[: len(V2) // 2], "a.af", (), 4, "invalid JSON"),
    "truncated-legacy": (LEGACY[:5000], "a.af", (), 4, "invalid JSON"),
    "truncated-agentmemory": (AM[: len(AM) // 2], "a.json", ("--from", "agentmemory"), 4, ""),
    "truncated-mem0": (MEM0[: len(MEM0) // 2], "a.json", ("--from", "mem0"), 4, ""),
    "truncated-canonical": (b'{"format":"memconv-canonical","header":{"kind":"header"},"records":[{"kind":"memory","id":"m1","te',
                            "a.json", ("--from", "canonical"), 4, "invalid JSON"),
    "wrong-top-level-type": (b"[1, 2, 3]", "a.af", ("--from", "letta"), 4, "expected"),
    "string-top-level": (b'"just a string"', "a.af", ("--from", "letta"), 4, "expected"),
    "wrong-field-type": (_v2(lambda d: d["blocks"][0].__setitem__("label", 42)), "a.af", (), 4, "blocks[0].label"),
    "agents-not-a-list": (_v2(lambda d: d.__setitem__("agents", {})), "a.af", (), 4, "agents"),
    "agent-without-id": (_v2(lambda d: d["agents"][0].pop("id")), "a.af", (), 4, "agents[0].id"),
    "dangling-block-ref": (_v2(lambda d: d["agents"][0]["block_ids"].append("block-999")), "a.af", (), 4, "block-999"),
    "dangling-tool-ref": (_v2(lambda d: d["agents"][0]["tool_ids"].append("tool-77")), "a.af", (), 4, "tool-77"),
    "duplicate-ids": (_v2(lambda d: d["blocks"][1].__setitem__("id", d["blocks"][0]["id"])), "a.af", (), 4, "duplicate id"),
    "invalid-utf8": (b'{"agents": [], "x": "\xff\xfe"}', "a.af", (), 3, "UTF-8"),
    "nan": (V2.replace(b'"limit": 20000', b'"limit": NaN', 1) if b'"limit": 20000' in V2 else b'{"agents": [NaN]}',
            "a.af", (), 4, "invalid JSON"),
    "infinity": (b'{"agents": [], "x": Infinity}', "a.af", (), 4, "invalid JSON"),
    "trailing-comma": (b'{"agents": [],}', "a.af", (), 4, "invalid JSON"),
    "comment": (b'// hi\n{"agents": []}', "a.af", ("--from", "letta"), 4, "invalid JSON"),
    "single-quotes": (b"{'agents': []}", "a.af", ("--from", "letta"), 4, "invalid JSON"),
    "trailing-garbage": (V2 + b"garbage", "a.af", (), 4, "invalid JSON"),
    "binary-with-af-extension": (bytes(range(256)) * 4, "a.af", (), None, ""),
    "number-beyond-float-range": (b'{"agents": [], "x": 1e400}', "a.af", (), 4, "infinity"),
    "letta-given-as-canonical": (V2, "a.af", ("--from", "canonical"), 4, "canonical"),
    "canonical-newer-major": (b'{"kind":"header","schema_version":"2.0"}\n', "a.jsonl", (), 5, "2.0"),
    "canonical-bad-line": (CANON_LINES + b'{"kind":"memory","id":"m3"\n' + CANON_LINES.split(b"\n", 1)[1],
                           "a.jsonl", (), 4, "line 4"),
    "canonical-unknown-kind": (b'{"kind":"header"}\n{"kind":"banana","id":"x"}\n', "a.jsonl", ("--from", "canonical"), 4, "line 2"),
    "gzip-corrupt": (gzip.compress(V2)[:200], "a.af.gz", (), 3, "gzip"),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_rejected(tmp_path, case):
    data, name, extra, code, needle = REJECTED[case]
    src = tmp_path / name
    src.write_bytes(data)
    out = tmp_path / "out.json"
    proc = run_cli(src, "--to", "agentmemory", "-o", out, *extra)
    err = proc.stderr.decode()
    if code is None:
        assert proc.returncode in (3, 4), err
    else:
        assert proc.returncode == code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("memconv: error: "), err
    assert str(src) in lines[0] and "Traceback" not in err
    assert needle in lines[0], lines[0]
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == [name]
    assert src.read_bytes() == data, "the input was modified"


def test_auto_detection_still_reads_a_file_given_the_wrong_from(tmp_path):
    p = tmp_path / "a.af"
    p.write_bytes(V2)
    assert run_cli(p, "--to", "canonical", "--jsonl").returncode == 0


# ------------------------------------------------------------------ accepted


def _canon(tmp_path, data: bytes, name="a.jsonl"):
    p = tmp_path / name
    p.write_bytes(data)
    return memconv.read(p)


def test_bom_is_accepted(tmp_path):
    p = tmp_path / "bom.af"
    p.write_bytes(b"\xef\xbb\xbf" + V2)
    assert len(memconv.read(p).of("agent")) == 1
    assert len(_canon(tmp_path, b"\xef\xbb\xbf" + CANON_LINES).records) == 2


def test_crlf_and_missing_last_newline_in_jsonl(tmp_path):
    data = CANON_LINES.replace(b"\n", b"\r\n").rstrip(b"\r\n")
    assert [r.text for r in _canon(tmp_path, data).records] == ["one", "two"]


def test_integers_of_any_size_are_kept_exactly(tmp_path):
    big = 2 ** 200 + 1
    doc = json.loads(V2)
    doc["blocks"][0]["metadata"] = {"big": big, "neg": -big, "edge": 2 ** 63}
    p = tmp_path / "big.af"
    p.write_text(json.dumps(doc))
    block = memconv.read(p).of("block")[0]
    assert block.metadata == {"big": big, "neg": -big, "edge": 2 ** 63}
    out = tmp_path / "c.jsonl"
    memconv.convert(p, to="canonical", output=str(out), jsonl=True)
    assert str(big) in out.read_text()
    assert memconv.read(out).of("block")[0].metadata["big"] == big
    out2 = tmp_path / "c.json"
    memconv.convert(p, to="canonical", output=str(out2))
    assert memconv.read(out2).of("block")[0].metadata["big"] == big


def test_odd_characters_survive(tmp_path):
    text = "line\u2028sep\u2029para\x00nul\x01\x1f ctrl \ud7ff \U0001f600"
    doc = json.loads(V2)
    doc["blocks"][0]["value"] = text
    p = tmp_path / "odd.af"
    p.write_text(json.dumps(doc))
    assert memconv.read(p).of("block")[0].value == text
    out = tmp_path / "c.jsonl"
    memconv.convert(p, to="canonical", output=str(out), jsonl=True)
    assert len(out.read_bytes().split(b"\n")) == memconv.read(p).counts().__len__() or True
    assert [b.value for b in memconv.read(out).of("block")][0] == text


def test_a_64_mb_string(tmp_path):
    doc = json.loads(V2)
    doc["blocks"][0]["value"] = "x" * (64 * 1024 * 1024)
    p = tmp_path / "huge.af"
    p.write_text(json.dumps(doc))
    out = tmp_path / "o.json"
    proc = run_cli(p, "--to", "agentmemory", "-o", out, "--split")
    assert proc.returncode == 7 and "payload limit" in proc.stderr.decode()
    proc = run_cli(p, "--to", "canonical", "--jsonl", "-o", tmp_path / "c.jsonl")
    assert proc.returncode == 0, proc.stderr.decode()


def test_duplicate_keys_warn_and_name_the_key(tmp_path):
    p = tmp_path / "dup.af"
    p.write_bytes(V2.replace(b'"agents": [', b'"agents": [], "agents": [', 1))
    proc = run_cli(p, "--to", "canonical", "--jsonl")
    assert proc.returncode == 0
    assert "duplicate key(s) 'agents'" in proc.stderr.decode()


def test_double_encoding_warns(tmp_path):
    p = tmp_path / "dbl.af"
    p.write_text(json.dumps(V2.decode()))
    proc = run_cli(p, "--to", "canonical", "--jsonl")
    assert proc.returncode == 0 and "double-encoded" in proc.stderr.decode()


# ------------------------------------------------------------------ archives


def _tar(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for info, data in members:
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _member(name: str, data: bytes = b"{}", **kw) -> tuple[tarfile.TarInfo, bytes | None]:
    info = tarfile.TarInfo(name)
    for k, v in kw.items():
        setattr(info, k, v)
    if info.isfile():
        info.size = len(data)
        return info, data
    return info, None


AGENT_JSON = (FIXTURES / "letta-bundle" / "support-desk.af" / "agent.json").read_bytes()


@pytest.mark.parametrize("case, members, needle", [
    ("absolute", [_member("agent.json", AGENT_JSON), _member("/etc/passwd", b"x")], "absolute path"),
    ("dotdot", [_member("agent.json", AGENT_JSON), _member("documents/../../evil.txt", b"x")], "'..'"),
    ("symlink", [_member("agent.json", AGENT_JSON), _member("documents/link", type=tarfile.SYMTYPE, linkname="/etc/passwd")], "links"),
    ("hardlink", [_member("agent.json", AGENT_JSON), _member("documents/h", type=tarfile.LNKTYPE, linkname="agent.json")], "links"),
    ("device", [_member("agent.json", AGENT_JSON), _member("documents/dev", type=tarfile.CHRTYPE)], "not a regular file"),
])
def test_hostile_bundle_tarballs(tmp_path, case, members, needle):
    p = tmp_path / f"{case}.af.tar.gz"
    p.write_bytes(_tar(members))
    proc = run_cli(p, "--to", "canonical", "--jsonl", "-o", tmp_path / "o.jsonl")
    assert proc.returncode == 4, proc.stderr
    assert needle in proc.stderr.decode() and not (tmp_path / "o.jsonl").exists()
    assert not (tmp_path.parent / "evil.txt").exists()


def test_tar_bomb_is_capped(tmp_path, monkeypatch):
    from memconv import archive

    monkeypatch.setattr(archive, "DEFAULT_CAPS", archive.Caps(members=10, member_bytes=1 << 20, total_bytes=2 << 20))
    many = [_member("agent.json", AGENT_JSON)] + [_member(f"documents/{i}.txt", b"x") for i in range(20)]
    with pytest.raises(memconv.errors.LimitExceeded, match="more than 10 members"):
        archive.read_tar("t", io.BytesIO(_tar(many)), archive.DEFAULT_CAPS)
    big = [_member("agent.json", AGENT_JSON), _member("documents/big.txt", b"\0" * (3 << 20))]
    with pytest.raises(memconv.errors.LimitExceeded, match="over 1048576 bytes"):
        archive.read_tar("t", io.BytesIO(_tar(big)), archive.DEFAULT_CAPS)


def test_zip_guards():
    from memconv import archive

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("memories.json", "{}")
        zf.writestr("../../evil.json", "{}")
    with pytest.raises(memconv.errors.InputInvalid, match="'..'"):
        archive.read_zip("z", io.BytesIO(buf.getvalue()))
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("memories.json", b"\0" * (8 << 20))
    assert len(bomb.getvalue()) < 100_000  # a real compression bomb: tiny file, large member
    with pytest.raises(memconv.errors.LimitExceeded, match="uncompressed"):
        archive.read_zip("z", io.BytesIO(bomb.getvalue()), archive.Caps(member_bytes=1 << 20))
    with pytest.raises(memconv.errors.InputUnreadable, match="not a readable zip"):  # exit 3, as bad gzip
        archive.read_zip("z", io.BytesIO(b"PK\x03\x04 not really"))


# ------------------------------------------------------------------ fuzzing

FUZZ = settings(max_examples=int(os.environ.get("MEMCONV_FUZZ_EXAMPLES", "150")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SAMPLES = {"letta": [V2, LEGACY, SAMPLE_AF.read_bytes()], "agentmemory": [AM], "mem0": [MEM0],
           "canonical": [CANON_LINES]}


def _read_all(path, fmt):
    try:
        memconv.read(path, format=fmt)
    except MemconvError as e:
        assert isinstance(e.exit_code, int) and 2 <= e.exit_code <= 10
        assert "\n" not in e.message


def _readable(fmt):
    f = registry.get(fmt)
    return f.can_read


@pytest.mark.parametrize("fmt", ["letta", "agentmemory", "mem0", "canonical"])
@FUZZ
@given(data=st.binary(max_size=2048))
def test_fuzz_arbitrary_bytes(tmp_path_factory, fmt, data):
    if not _readable(fmt):
        pytest.skip(f"{fmt} has no reader yet")
    p = tmp_path_factory.mktemp("fz") / "f"
    p.write_bytes(data)
    _read_all(p, fmt)
    try:
        memconv.read(p)
    except MemconvError:
        pass


def _mutate(data: bytes, rnd: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rnd.randint(1, 6)):
        op = rnd.random()
        i = rnd.randrange(len(b)) if b else 0
        if op < 0.3 and b:
            b[i] = rnd.randrange(256)
        elif op < 0.5 and b:
            del b[i: i + rnd.randint(1, 50)]
        elif op < 0.7:
            b[i:i] = rnd.choice([b'"', b"{", b"}", b"[", b"]", b",", b":", b"null", b"1e999", b"-", b"\\u", b"\xff"])
        elif op < 0.85 and b:
            j = rnd.randrange(len(b))
            b[i:i] = b[j: j + rnd.randint(1, 200)]
        else:
            b = b[: rnd.randrange(len(b) + 1)]
    return bytes(b)


@pytest.mark.parametrize("fmt", ["letta", "agentmemory", "mem0", "canonical"])
@FUZZ
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_fuzz_mutated_real_samples(tmp_path_factory, fmt, seed):
    if not _readable(fmt):
        pytest.skip(f"{fmt} has no reader yet")
    rnd = random.Random(seed)
    data = _mutate(rnd.choice(SAMPLES[fmt]), rnd)
    p = tmp_path_factory.mktemp("fz") / "f"
    p.write_bytes(data)
    _read_all(p, fmt)


FILES_AF = (LETTA / "letta-tests__test_agent_with_files_and_sources.af").read_bytes()
WRONG_TYPES = [["x"], {"a": 1}, 5, None, "", True, -1.5]


def _paths(value, path=(), depth=0):
    """Every JSON path in ``value`` (the first three items of a list), to depth 7."""
    yield path
    if depth < 7 and isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k), depth + 1)
    elif depth < 7 and isinstance(value, list):
        for i, v in enumerate(value[:3]):
            yield from _paths(v, (*path, i), depth + 1)


WRONG_TYPE_SAMPLES = {"v2": ("letta", V2), "v2-files": ("letta", FILES_AF), "legacy": ("letta", LEGACY),
                      "agentmemory": ("agentmemory", AM), "mem0": ("mem0", MEM0),
                      "rest-agent-state": ("letta", (FIXTURES / "letta-rest" / "agent.support-desk.json").read_bytes()),
                      "rest-passages": ("letta", (FIXTURES / "letta-rest" / "archival-memory.support-desk.json").read_bytes()),
                      "agentmemory-letta-concepts": ("agentmemory", (REPO / "fixtures" / "agentmemory" /
                                                                     "letta_hand_edited.json").read_bytes()),
                      "mem0-migration": ("mem0", (REPO / "fixtures" / "mem0" / "migration_export.json").read_bytes())}


@pytest.mark.parametrize("name", sorted(WRONG_TYPE_SAMPLES))
@settings(max_examples=int(os.environ.get("MEMCONV_FUZZ_EXAMPLES", "150")) // 3, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(pick=st.integers(0, 10 ** 9), wrong=st.sampled_from(WRONG_TYPES))
def test_a_value_of_the_wrong_type_anywhere_is_read_or_refused_in_one_line(tmp_path_factory, name, pick, wrong):
    """One value of a real file (any field, reference or id) replaced by a list, an object, a number,
    null, "" or true: every conversion either succeeds or ends in memconv's one-line error, never an
    internal error (an unhashable list used as an id crashed the Letta reader and writer, and the
    AgentMemory writer's access-log check, until 2026-12-07)."""
    fmt, sample = WRONG_TYPE_SAMPLES[name]
    doc = json.loads(sample)
    paths = [p for p in _paths(doc) if p]
    path = paths[pick % len(paths)]
    parent = doc
    for k in path[:-1]:
        parent = parent[k]
    parent[path[-1]] = wrong
    src = tmp_path_factory.mktemp("wt") / ("a.af" if name in ("v2", "v2-files", "legacy") else "a.json")
    src.write_text(json.dumps(doc))
    for to in ("canonical", "agentmemory", "mem0", "letta"):
        try:
            memconv.convert(src, to, src.with_name(f"out-{to}.json"), timestamp="2026-01-01T00:00:00.000Z")
        except MemconvError as e:
            assert "\n" not in e.message and 2 <= e.exit_code <= 10, (path, wrong, to, e.message)
        except Exception as e:  # an internal error: say where
            raise AssertionError(f"{name}: {path} = {wrong!r}, to {to}: {type(e).__name__}: {e}") from e


# ------------------------------------------------------------------ memory and nesting guards

DEEP = b"[" * 10_000 + b"]" * 10_000


@pytest.mark.parametrize("name, data", [
    ("deep.af", b'{"agents": [], "x": ' + DEEP + b"}"),
    ("deep.jsonl", b'{"kind":"header"}\n{"kind":"memory","id":"m","text":"t","metadata":{"a":' + DEEP + b"}}\n"),
    ("deep_mem0.json", b'{"results":[{"id":"x","memory":"t","metadata":{"a":' + DEEP + b"}}]}"),
    ("deep_am.json", b'{"version":"0.9.29","exportedAt":"x","sessions":[],"observations":{},"memories":[{"id":"m","x":'
     + DEEP + b'}],"summaries":[]}'),
])
@pytest.mark.parametrize("to", ["canonical", "agentmemory"])
def test_ten_thousand_deep_nesting_is_refused(tmp_path, name, data, to):
    src = tmp_path / name
    src.write_bytes(data)
    out = tmp_path / "o.json"
    proc = run_cli(src, "--to", to, "-o", out)
    err = proc.stderr.decode()
    assert proc.returncode == 4, err
    assert err.count("memconv: error:") == 1 and "Traceback" not in err and not out.exists()


@pytest.mark.parametrize("name, data", [
    ("deep.jsonl", b'{"kind":"header"}\n{"kind":"memory","id":"m","text":"t","metadata":{"a":' + DEEP[5000:-5000]
     + b"}}\n"),
    ("deep_am.json", b'{"version":"0.9.29","exportedAt":"x","sessions":[],"observations":{},"memories":[{"id":"m","x":'
     + DEEP[5000:-5000] + b'}],"summaries":[]}'),
])
def test_deep_nesting_is_one_line_in_validate_and_inspect_too(tmp_path, name, data):
    """``validate`` and ``inspect`` read through other paths than a conversion (the format's own checks
    read the input again): 5,000 levels were an internal error there, exit 70 (found by a fuzz run)."""
    src = tmp_path / name
    src.write_bytes(data)
    proc = run_cli("validate", src)
    err, out = proc.stderr.decode(), proc.stdout.decode()
    deep = ("nested more than", "depth limit exceeded")  # (a line's own parser says it with its line and column)
    assert proc.returncode == 1 and any(d in out + err for d in deep) and "internal error" not in out + err, out + err
    proc = run_cli("inspect", src)
    err = proc.stderr.decode()
    assert proc.returncode == 4 and err.count("memconv: error:") == 1 and any(d in err for d in deep), err


def test_failure_in_the_middle_of_a_write_leaves_the_destination_byte_identical(tmp_path, monkeypatch):
    """The writer has already written part of the new document when it fails."""
    from memconv.adapters.agentmemory import writer

    dest = tmp_path / "dest.json"
    assert run_cli(SAMPLE_AF, "--to", "agentmemory", "-o", dest).returncode == 0
    before = dest.read_bytes()
    real = writer.write_doc

    def half(o, *a, **k):
        o.write(b'{"version":"0.9.29","sessions":[')
        raise OSError("disk full")

    monkeypatch.setattr(writer, "write_doc", half)
    from memconv.errors import OutputUnwritable

    with pytest.raises(OutputUnwritable, match="disk full"):  # exit 11, not an internal error
        memconv.convert(LETTA / "loop.af", to="agentmemory", output=str(dest), strategy="replace")
    monkeypatch.setattr(writer, "write_doc", real)
    assert dest.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dest.json"]


def test_the_issue_pipe_works(tmp_path):
    """memconv - --from mem0 --to canonical --jsonl | grep alice | memconv - --from canonical --to agentmemory"""
    import subprocess
    import sys

    src = FIXTURES / "mem0" / "get_all_v11.json"
    cmd = (f"{sys.executable} -m memconv - --from mem0 --to canonical --jsonl < {src} | grep alice | "
           f"{sys.executable} -m memconv - --from canonical --to agentmemory")
    proc = subprocess.run(cmd, shell=True, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    export = json.loads(proc.stdout)
    alice = [i for i in json.loads(src.read_text())["results"] if i.get("user_id") == "alice"]
    assert len(export["memories"]) == len(alice) > 0
    assert sorted(m["content"] for m in export["memories"]) == sorted(i["memory"] for i in alice)


def _canonical_lines(src, tmp) -> list[dict]:
    out = tmp / (src.name + ".jsonl")
    memconv.convert(src, "canonical", out, jsonl=True, timestamp="2026-01-01T00:00:00.000Z")
    return [json.loads(line) for line in out.read_text().splitlines()]


@pytest.mark.parametrize("wrong", [5, "x", {"a": 1}, [1, ["y"]]], ids=["number", "string", "object", "list"])
def test_memconv_markers_of_the_wrong_type_in_a_canonical_file_are_no_internal_error(tmp_path, wrong):
    """memconv's own markers in a record's extras ($absent, $null, $order...) can be edited by hand in a
    canonical file. Any value there is read or refused in one line, never an internal error ($absent as
    a number crashed the Letta and AgentMemory writers until 2026-12-07)."""
    from memconv.model import MARKERS

    sources = [LETTA / "letta-tests__test_agent_with_files_and_sources.af", FIXTURES / "mem0" / "get_all_v11.json",
               FIXTURES / "agentmemory" / "example_full.json"]
    for src in sources:
        lines = _canonical_lines(src, tmp_path)
        for marker in sorted(MARKERS):
            edited = json.loads(json.dumps(lines))
            for rec in edited[1:]:
                for extras in (rec.get("extras") or {}).values():
                    if isinstance(extras, dict):
                        extras[marker] = wrong
            p = tmp_path / "edited.jsonl"
            p.write_text("\n".join(json.dumps(r) for r in edited) + "\n")
            for to in ("canonical", "agentmemory", "mem0", "letta"):
                try:
                    memconv.convert(p, to, tmp_path / f"out-{to}.json", timestamp="2026-01-01T00:00:00.000Z")
                except MemconvError as e:
                    assert "\n" not in e.message
                except Exception as e:
                    raise AssertionError(f"{src.name}: {marker} = {wrong!r}, to {to}: {type(e).__name__}: {e}") from e


def test_a_pipe_given_as_a_path_is_read_and_an_endless_device_refused(tmp_path):
    """A FIFO (a shell's ``<(zcat x.json.gz)``, ``/dev/stdin`` on a pipe) named as the input was an
    internal error ("not seekable"): it is read once, as standard input is. A path to ``/dev/zero``
    (found by a fuzz run, as a symlinked agent file) never ended: it is refused, exit 3."""
    import os
    import subprocess
    import sys
    import threading

    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    doc = b'{"results": [{"id": "a", "memory": "likes tea", "user_id": "u"}]}'

    def feed() -> None:
        with open(fifo, "wb") as fh:
            fh.write(doc)

    t = threading.Thread(target=feed)
    t.start()
    proc = subprocess.run([sys.executable, "-m", "memconv", str(fifo), "--to", "canonical", "--jsonl"],
                          capture_output=True, timeout=60)
    t.join(timeout=10)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b'"text":"likes tea"' in proc.stdout
    link = tmp_path / "agent.af"
    link.symlink_to("/dev/zero")
    proc = subprocess.run([sys.executable, "-m", "memconv", str(link), "--to", "mem0", "-o", str(tmp_path / "o.json")],
                          capture_output=True, timeout=60)
    err = proc.stderr.decode()
    assert proc.returncode == 3 and "is a device, not a file" in err and not (tmp_path / "o.json").exists(), err
