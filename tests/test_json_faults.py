"""The JSON layer under faults (issues 11.11-11.13 and 16.5): every reading path of every format,
streamed or whole, gives the same kind of answer for the same defect.

* truncated input, a trailing comma in an array, a lone surrogate escape (low ``\\udc00``/``\\udfff``,
  high ``\\ud800``): one line ``FILE: line L, column C: invalid JSON: ...``, exit 4;
* a byte that is not UTF-8: ``FILE: line L, column C: not UTF-8 text ...``, exit 3;
* a key given twice: a warning naming the JSON path of its object (``results[1]``, ``$``, ``line 2``);
* zero records read: a warning.

Streamed paths are forced by lowering the size from which a reader streams (Letta ``.af`` and mem0
JSON stream from 8 MiB on; AgentMemory ``ExportData`` and canonical JSON are always streamed).
"""

from __future__ import annotations

import json
import re

import pytest

import memconv
import memconv.adapters.letta as letta_adapter
import memconv.adapters.mem0.reader as mem0_reader
from memconv.errors import MemconvError
from memconv.pipeline import iter_records
from memconv.report import Report

from helpers import SAMPLE_AF, SHARED, run_cli

# Templates: @TEXT@ lies in a string value of a record, @DUP@ just before a key of that record (a
# second copy of the key goes there), @TC@ just before the ']' of a non-empty array, @TOP@ just after
# the top-level '{'.


def _letta() -> str:
    doc = json.loads(SAMPLE_AF.read_bytes())
    doc["blocks"][0]["value"] = "@TEXT@"
    text = json.dumps(doc, indent=1)
    text = text.replace('"value": "@TEXT@"', '@DUP@"value": "@TEXT@"', 1)
    text = re.sub(r'("tags": \[[^\]]+?)(\s*\])', r"\1@TC@\2", text, count=1)
    return "{@TOP@" + text[1:]


MEM0_ITEM = '{"id": "m%d", "memory": "text %d", "user_id": "u1", "created_at": "2026-01-01T00:00:00Z"}'
AM_DOC = json.dumps({
    "version": "0.9.29", "exportedAt": "2026-11-20T18:30:00.000Z",
    "sessions": [{"id": "s1", "project": "p", "cwd": "/", "startedAt": "2026-11-20T09:12:03.411Z",
                  "status": "completed", "observationCount": 0}],
    "observations": {},
    "memories": [{"id": "mem_1", "createdAt": "2026-11-20T09:20:10.500Z", "updatedAt": "2026-11-20T09:20:10.500Z",
                  "type": "fact", "title": "t", "content": "@TEXT@", "concepts": ["a", "b"], "files": [],
                  "sessionIds": ["s1"], "strength": 5, "version": 1, "isLatest": True}],
    "summaries": []}, indent=1)
AM_DOC = "{@TOP@" + AM_DOC[1:].replace('"content": "@TEXT@"', '@DUP@"content": "@TEXT@"').replace(
    '"b"\n', '"b"@TC@\n')
CANON_REC = '{"kind": "memory", "id": "m%d", "text": "text %d"}'

PATHS = {
    # name: (file name, template, --from, {module attribute: value} that forces the path, dup path)
    "letta-whole": ("a.af", _letta(), None, {}, "blocks[0]"),
    "letta-streamed": ("a.af", _letta(), None, {(letta_adapter, "STREAM_BYTES"): 0}, "blocks[0]"),
    "mem0-whole": ("a.json", '{@TOP@"results": [\n' + MEM0_ITEM % (1, 1) + ",\n"
                   + MEM0_ITEM.replace('"memory": "text %d"', '@DUP@"memory": "@TEXT@"') % 2 + "@TC@\n]}\n",
                   "mem0", {}, "results[1]"),
    "mem0-streamed": ("a.json", '{@TOP@"results": [\n' + MEM0_ITEM % (1, 1) + ",\n"
                      + MEM0_ITEM.replace('"memory": "text %d"', '@DUP@"memory": "@TEXT@"') % 2 + "@TC@\n]}\n",
                      "mem0", {(mem0_reader, "SMALL_BYTES"): 0}, "results[1]"),
    "mem0-jsonl": ("a.jsonl", (MEM0_ITEM % (1, 1)).replace('"user_id": "u1"', '"user_id": "u1", "metadata": {"tags": ["a"@TC@]}') + "\n"
                   + MEM0_ITEM.replace('"memory": "text %d"', '@DUP@"memory": "@TEXT@"') % 2 + "\n",
                   "mem0", {}, "line 2"),
    "agentmemory": ("a.json", AM_DOC, "agentmemory", {}, "memories[0]"),
    "canonical-json": ("a.json", '{@TOP@"format": "memconv-canonical", "header": {"kind": "header"}, "records": [\n'
                       + CANON_REC.replace('"text": "text %d"', '@DUP@"text": "@TEXT@"') % 1 + ",\n"
                       + CANON_REC % (2, 2) + "@TC@\n]}\n", "canonical", {}, "records[0]"),
    "canonical-jsonl": ('a.jsonl', '{"kind": "header"}\n'
                        + CANON_REC.replace('"text": "text %d"', '@DUP@"text": "@TEXT@"') % (1,) + "\n"
                        + CANON_REC.replace('"text": "text %d"', '"text": "text 2", "tags": ["x"@TC@]') % 2 + "\n",
                        "canonical", {}, "line 2"),
}
DUP_KEY = {"letta-whole": "value", "letta-streamed": "value", "agentmemory": "content"}

EMPTY = {  # a valid input with no record
    "letta-whole": ("a.af", '{"agents": [], "blocks": [], "tools": []}', None, {}),
    "letta-streamed": ("a.af", '{"agents": [], "blocks": [], "tools": []}', None, {(letta_adapter, "STREAM_BYTES"): 0}),
    "mem0-whole": ("a.json", '{"results": []}', "mem0", {}),
    "mem0-streamed": ("a.json", '{"results": []}', "mem0", {(mem0_reader, "SMALL_BYTES"): 0}),
    "mem0-jsonl": ("a.jsonl", " \n\t\n", "mem0", {}),
    "agentmemory": ("a.json", '{"version": "0.9.29", "exportedAt": "2026-11-20T18:30:00.000Z", "sessions": [], '
                    '"observations": {}, "memories": [], "summaries": []}', "agentmemory", {}),
    "canonical-json": ("a.json", '{"format": "memconv-canonical", "header": {"kind": "header"}, "records": []}',
                       "canonical", {}),
    "canonical-jsonl": ("a.jsonl", '{"kind": "header"}\n', "canonical", {}),
}


def _fill(template: str, **parts: str) -> bytes:
    text = template
    for key in ("TEXT", "DUP", "TC", "TOP"):
        text = text.replace(f"@{key}@", parts.get(key.lower(), "note" if key == "TEXT" else ""))
    return text.encode()


def _read(tmp_path, monkeypatch, name: str, data: bytes, fmt: str | None, patches: dict):
    for (module, attr), value in patches.items():
        monkeypatch.setattr(module, attr, value)
    src = tmp_path / name
    src.write_bytes(data)
    report = Report()
    try:
        records = list(iter_records(str(src), format=fmt, report=report))
    except MemconvError as e:
        return src, None, e, report
    return src, records[1:], None, report  # the header, then the records


def _line_col(data: bytes, needle: bytes, start: int = 0) -> tuple[int, int]:
    off = data.index(needle, start)
    return data.count(b"\n", 0, off) + 1, off - (data.rfind(b"\n", 0, off) + 1) + 1


@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_path_reads_the_clean_template(tmp_path, monkeypatch, path):
    name, template, fmt, patches, _ = PATHS[path]
    _, records, err, report = _read(tmp_path, monkeypatch, name, _fill(template), fmt, patches)
    assert err is None, err
    assert records and not [w for w in report.warnings if "duplicate" in w or "no records" in w]


DEFECTS = {
    # defect: (bytes from the clean text, exit code, words the message must hold, where the place is)
    "truncated": (lambda t: _fill(t)[: len(_fill(t)) * 3 // 5], 4, "the document ends early", "end"),
    "not-utf8": (lambda t: _fill(t, text="caf\xe9 \xff").replace("\xff".encode(), b"\xff"), 3,
                 "not UTF-8 text (byte 0xff)", b"\xff"),
    "not-utf8-before-a-quote": (lambda t: _fill(t, text="caf\x01").replace(b"caf\x01", b"caf\xe9"), 3,
                                "not UTF-8 text (byte 0xe9)", b"\xe9"),
    "trailing-comma": (lambda t: _fill(t, tc=","), 4, "a trailing comma before ']'", "tc"),
    "nan": (lambda t: _fill(t, tc=", NaN"), 4, "expected a JSON value (NaN, Infinity", "nan"),
    "lone-low-surrogate": (lambda t: _fill(t, text="x\\udc00y"), 4, "a lone surrogate escape \\udc00", b"\\udc00"),
    "lone-low-surrogate-dfff": (lambda t: _fill(t, text="\\udfff"), 4, "a lone surrogate escape \\udfff", b"\\udfff"),
    "lone-high-surrogate": (lambda t: _fill(t, text="x\\ud800y"), 4, "a lone surrogate escape \\ud800", b"\\ud800"),
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_json_fault_is_one_line_with_line_and_column(tmp_path, monkeypatch, path, defect):
    name, template, fmt, patches, _ = PATHS[path]
    make, code, words, where = DEFECTS[defect]
    data = make(template)
    src, records, err, _ = _read(tmp_path, monkeypatch, name, data, fmt, patches)
    assert err is not None, f"{path} accepted a file with a {defect}"
    msg = err.message
    assert err.exit_code == code, msg
    assert "\n" not in msg and msg.startswith(f"{src}: line "), msg
    assert words in msg, msg
    m = re.match(re.escape(str(src)) + r": line (\d+), column (\d+): ", msg)
    assert m, msg
    if where == "end":
        line = data.count(b"\n") + 1
        assert int(m.group(1)) == line, msg
    else:
        if where in ("tc", "nan"):  # the comma, where @TC@ was; NaN two columns on
            line, col = _line_col(_fill(template, tc="\x00"), b"\x00")
            col += 2 if where == "nan" else 0
        else:
            line, col = _line_col(data, where)
        if where == b"\xff":  # columns count characters: the "é" before it is one
            col -= 1
        assert (int(m.group(1)), int(m.group(2))) == (line, col), msg


def test_a_surrogate_pair_and_an_escaped_backslash_are_not_faults(tmp_path, monkeypatch):
    for path in ("agentmemory", "mem0-streamed", "mem0-whole"):
        name, template, fmt, patches, _ = PATHS[path]
        data = _fill(template, text="\\ud83d\\ude00 and \\\\ud800")
        _, records, err, _ = _read(tmp_path, monkeypatch, name, data, fmt, patches)
        assert err is None, err
        texts = [getattr(r, "text", None) or getattr(r, "value", None) for r in records]
        assert "\U0001f600 and \\ud800" in texts, texts


@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_duplicate_key_warns_with_the_json_path(tmp_path, monkeypatch, path):
    name, template, fmt, patches, where = PATHS[path]
    key = DUP_KEY.get(path, "memory" if path.startswith("mem0") else "text")
    data = _fill(template, dup=f'"{key}": "first", ', text="second")
    _, records, err, report = _read(tmp_path, monkeypatch, name, data, fmt, patches)
    assert err is None, err
    dups = [w for w in report.warnings if "duplicate key" in w]
    assert dups == [f"{tmp_path / name}: {where}: duplicate key(s) '{key}' in one object; "
                    f"the last value of each was used"], report.warnings
    texts = [getattr(r, "text", None) or getattr(r, "value", None) for r in records]
    assert "second" in texts and "first" not in texts, texts


TOP_KEY = {  # a top-level key given twice: the first copy is a decoy
    "letta-whole": '"tools": [], ', "letta-streamed": '"tools": [], ', "mem0-whole": '"results": [], ',
    "mem0-streamed": '"results": [], ', "agentmemory": '"memories": [{"id": "decoy"}], ',
    "canonical-json": '"records": [{"kind": "memory", "id": "decoy", "text": "d"}], ',
}


@pytest.mark.parametrize("path", sorted(TOP_KEY))
def test_a_duplicate_top_level_key_warns_with_dollar(tmp_path, monkeypatch, path):
    name, template, fmt, patches, _ = PATHS[path]
    data = _fill(template, top=TOP_KEY[path])
    _, records, err, report = _read(tmp_path, monkeypatch, name, data, fmt, patches)
    assert err is None, err
    key = TOP_KEY[path].split('"')[1]
    assert f"{tmp_path / name}: $: duplicate key(s) '{key}' in one object; the last value of each was used" \
        in report.warnings, report.warnings
    assert "decoy" not in [r.id for r in records]  # the last value is read, as AgentMemory's JSON.parse does


@pytest.mark.parametrize("path", sorted(EMPTY))
def test_zero_records_read_is_a_warning(tmp_path, monkeypatch, path):
    name, text, fmt, patches = EMPTY[path]
    src, records, err, report = _read(tmp_path, monkeypatch, name, text.encode(), fmt, patches)
    assert err is None, err
    assert records == []
    assert f"{src}: no records read (an empty {fmt or 'letta'} input)" in report.warnings, report.warnings


@pytest.mark.parametrize("data, fmt", [
    (b'{"version": "0.9.29", "memories": [{"id": "m", "title": "\\udfff"}], "sessions": [], "summaries": [], '
     b'"observations": {}}', None),
    (b'{"results": [{"id": "m", "memory": "\\udc00"}]}', None),
    (b'{"version": "0.9.29", "memories": [{"id": "m", "title": "\\ud800"}], "sessions": [], "summaries": [], '
     b'"observations": {}}', None),
])
def test_the_cli_refuses_a_lone_surrogate_in_one_line(tmp_path, data, fmt):
    src = tmp_path / "a.json"
    src.write_bytes(data)
    proc = run_cli(src, "--to", "canonical", "-o", tmp_path / "o.jsonl")
    err = proc.stderr.decode()
    assert proc.returncode == 4, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert re.match(rf"memconv: error: {re.escape(str(src))}: line 1, column \d+: invalid JSON: a lone surrogate", err), err


def test_the_cli_says_exit_3_for_a_non_utf8_byte_in_a_streamed_export(tmp_path):
    src = tmp_path / "a.json"
    src.write_bytes(_fill(AM_DOC, text="\xff").replace("\xff".encode(), b"\xff"))
    proc = run_cli(src, "--to", "canonical", "-o", tmp_path / "o.jsonl")
    err = proc.stderr.decode()
    assert proc.returncode == 3, err
    line, col = _line_col(src.read_bytes(), b"\xff")
    assert err == f"memconv: error: {src}: line {line}, column {col}: not UTF-8 text (byte 0xff)\n"


def test_the_cli_warns_about_a_whitespace_only_jsonl(tmp_path):
    src = tmp_path / "a.jsonl"
    src.write_bytes(b" \n\n\t \n")
    proc = run_cli(src, "--from", "mem0", "--to", "canonical", "-o", tmp_path / "o.jsonl")
    assert proc.returncode == 0, proc.stderr.decode()
    assert "no records read" in proc.stderr.decode()


@pytest.mark.parametrize("sample", ["agentmemory", "mem0-whole", "letta-whole", "canonical-json"])
def test_fuzzed_surrogates_never_crash_detection(tmp_path, monkeypatch, sample):
    """Issue 16.5: lone surrogates put at random places of a string gave exit 70 from detection."""
    import random

    rnd = random.Random(16_5)
    name, template, _, patches, _ = PATHS[sample]
    base = _fill(template, text="a long enough text value to hold a few escapes")
    for n in range(15):
        data = bytearray(base)
        start = base.index(b"a long enough")
        for _ in range(rnd.randint(1, 3)):
            i = start + rnd.randrange(40)
            data[i:i] = rnd.choice([b"\\udc00", b"\\udfff", b"\\ud800", b"\\udbff"])
        src, _, err, _ = _read(tmp_path, monkeypatch, name, bytes(data), None, patches)
        assert err is not None and err.exit_code == 4, (n, err)
        assert re.match(re.escape(str(src)) + r": line \d+, column \d+: invalid JSON: a lone surrogate", err.message)


def test_places_far_into_a_streamed_file(tmp_path, monkeypatch):
    """The place is exact past the 64 KiB and 1 MiB chunks the streamed paths read, on one long line,
    and a surrogate pair split across those chunks is no fault."""
    items = [MEM0_ITEM % (i, i) for i in range(30_000)]  # about 2.6 MB on one line
    for k in (800, 12_000, 25_000):  # a pair whose halves straddle chunk ends, wherever they fall
        items[k] = items[k].replace('"text %d"' % k, '"' + "x" * (k % 7) + '\\ud83d\\ude00"')
    good = ('{"results": [' + ", ".join(items) + "]}").encode()
    for cut in (70_000, 1_100_000, 2_000_000):
        bad = good[:cut] + b"\xff" + good[cut:]
        src, _, err, _ = _read(tmp_path, monkeypatch, "a.json", bad, "mem0", {(mem0_reader, "SMALL_BYTES"): 0})
        assert err is not None and err.message == f"{src}: line 1, column {cut + 1}: not UTF-8 text (byte 0xff)"
    src, records, err, _ = _read(tmp_path, monkeypatch, "a.json", good, "mem0", {(mem0_reader, "SMALL_BYTES"): 0})
    assert err is None and len(records) == 30_000
    tc = good[:-2] + b",]}"
    src, _, err, _ = _read(tmp_path, monkeypatch, "a.json", tc, "mem0", {(mem0_reader, "SMALL_BYTES"): 0})
    assert err.message.startswith(f"{src}: line 1, column {len(tc) - 2}: invalid JSON: a trailing comma before ']'")


@pytest.mark.parametrize("boundary", [1 << 16, 1 << 20])
@pytest.mark.parametrize("split", [0, 1, 5, 6, 7, 11, 12])
def test_a_surrogate_pair_across_a_chunk_boundary(tmp_path, monkeypatch, boundary, split):
    """A pair split anywhere across the 64 KiB (locate) or 1 MiB (scan_numbers) chunk end is one
    character; a lone high surrogate there is a fault at its exact column."""
    head = b'{"results": [{"id": "m1", "memory": "'
    start = boundary - split  # where the escape \ud83d starts
    pad = b"x" * (start - len(head))
    for pair, fault in ((b"\\ud83d\\ude00", False), (b"\\ud83d zz\\ude00", True)):
        data = head + pad + pair + b'"}]}'
        for patches in ({}, {(mem0_reader, "SMALL_BYTES"): 0}):
            src, records, err, _ = _read(tmp_path, monkeypatch, "a.json", data, "mem0", patches)
            if fault:
                assert err is not None and err.message.startswith(
                    f"{src}: line 1, column {start + 1}: invalid JSON: a lone surrogate escape \\ud83d"), err
            else:
                assert err is None and records[0].text.endswith("x\U0001f600"), err


@pytest.mark.parametrize("stream", [False, True])
def test_a_big_list_given_twice_far_from_the_head(tmp_path, monkeypatch, stream):
    """mem0: a second "results" after the first 256 KiB (which the streamed path peeks at) is seen;
    both paths read the last one, as orjson and JSON.parse do."""
    decoys = ", ".join(MEM0_ITEM.replace('"m%d"', '"decoy%d"') % (i, i) for i in range(4000))
    data = ('{"results": [' + decoys + '], "results": [' + MEM0_ITEM % (1, 1) + "]}").encode()
    assert len(data) > 300_000
    patches = {(mem0_reader, "SMALL_BYTES"): 0} if stream else {}
    src, records, err, report = _read(tmp_path, monkeypatch, "a.json", data, "mem0", patches)
    assert err is None, err
    assert [r.id for r in records] == ["m1"]
    assert f"{src}: $: duplicate key(s) 'results' in one object; the last value of each was used" in report.warnings


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be-bom", "utf-32", "utf-16-gz"])
def test_utf16_and_utf32_inputs_are_read_as_python_reads_them(tmp_path, encoding):
    """Windows PowerShell 5.1's ``>`` writes UTF-16 with a byte order mark; Python's ``json.loads`` (mem0's
    own side) reads it. memconv reads it too, with a warning, and writes UTF-8 (it exited 4, "format not
    recognised"). Bytes that are not UTF-8 and have no such mark exit 3 with their place."""
    import gzip

    src = SHARED / "fixtures" / "mem0" / "get_all_v11_user_bob.json"
    text = src.read_text(encoding="utf-8")
    data = {"utf-16": text.encode("utf-16"), "utf-16-be-bom": b"\xfe\xff" + text.encode("utf-16-be"),
            "utf-32": text.encode("utf-32"), "utf-16-gz": gzip.compress(text.encode("utf-16"))}[encoding]
    wide = tmp_path / ("in.json.gz" if encoding.endswith("gz") else "in.json")
    wide.write_bytes(data)
    out8, outw = tmp_path / "a.json", tmp_path / "b.json"
    assert run_cli(src, "--to", "agentmemory", "-o", out8, "--timestamp", "2026-01-01T00:00:00Z").returncode == 0
    r = run_cli(wide, "--to", "agentmemory", "-o", outw, "--timestamp", "2026-01-01T00:00:00Z")
    assert r.returncode == 0, r.stderr
    assert outw.read_bytes() == out8.read_bytes()
    assert b"text (it starts with a byte order mark)" in r.stderr
    assert [p.name for p in tmp_path.iterdir() if "memconv-" in p.name] == []


def test_bytes_that_are_not_utf8_exit_3_with_their_place(tmp_path):
    src = SHARED / "fixtures" / "mem0" / "get_all_v11_user_bob.json"
    bad = tmp_path / "latin.json"
    bad.write_bytes(src.read_text(encoding="utf-8").replace("a", "\u00e9", 1).encode("latin-1"))
    r = run_cli(bad, "--to", "agentmemory", "-o", tmp_path / "o.json")
    assert r.returncode == 3 and b"not UTF-8 text (byte 0xe9)" in r.stderr and b"line " in r.stderr
    half = tmp_path / "half16.json"
    half.write_bytes(b"\xff\xfe{\x00\x00\xd8")
    r = run_cli(half, "--to", "agentmemory", "-o", tmp_path / "o.json")
    assert r.returncode == 3 and len(r.stderr.strip().splitlines()) == 1 and b"Traceback" not in r.stderr
    assert not (tmp_path / "o.json").exists()


@pytest.mark.parametrize("name, data, place", [
    ("item.json", b'{"results":[{"id":"a1","memory":7,"user_id":"u"}]}', b"results[0].memory:"),
    ("history.json", b'[{"id":"h1","memory_id":"m1","event":"ADD","new_memory":["x"],"old_memory":null,'
                     b'"created_at":"2025-01-01T00:00:00Z","updated_at":null,"is_deleted":0}]', b"[0].new_memory:"),
    ("cut.jsonl", b'{"id":"a","memory":"x"}\n{"id":"b","memory":\n', b"line 2, column 20:"),
])
def test_errors_name_the_inputs_own_place(tmp_path, name, data, place):
    """The place an error names is the input's (``memory``, ``new_memory``, where a cut line ends), not
    the canonical field it would fill (``text``, ``new_text``) or the start of the next line. (A number as
    a ``user_id`` is read now, kept as it is: ``test_mem0_lenient``.)"""
    src = tmp_path / name
    src.write_bytes(data)
    r = run_cli(src, "--to", "canonical", "-o", tmp_path / "o.jsonl")
    assert r.returncode == 4 and place in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name, lines, n", [
    ("mem0.jsonl", [{"id": "0b7a6f1e-1111-4222-8333-444455556666", "memory": "y" * 100_000, "user_id": "u"},
                    {"id": "1b7a6f1e-1111-4222-8333-444455556666", "memory": "short", "user_id": "u"}], 2),
    ("canonical.jsonl", [{"kind": "block", "id": "block-0", "label": "big", "value": "z" * 200_000},
                         {"kind": "memory", "id": "m1", "text": "t"}], 2),
])
def test_a_jsonl_whose_first_line_is_longer_than_a_peek(tmp_path, name, lines, n):
    """A JSON-L record of a 100,000-character memory or block is one line, longer than the 4-64 KiB
    detection peeks: mem0's was "format not recognised", canonical's was read as a document."""
    src = tmp_path / name
    src.write_text("".join(json.dumps(l) + "\n" for l in lines))
    bundle = memconv.read(str(src))
    assert len(bundle.records) == n
    assert max(len(getattr(r, "text", None) or getattr(r, "value", "") or "") for r in bundle.records) >= 100_000


# ---------------------------------------------------------------- the big-integer filter


from hypothesis import given, strategies as st  # noqa: E402

from memconv.jsonutil import BIG_INT_LITERAL, has_big_int  # noqa: E402

_PIECES = st.sampled_from([b"0", b"1", b"9", b"12345", b" ", b"\t", b"\r\n", b"-", b":", b"[", b",", b'"', b"a",
                           b".", b"e", b"{", b"1234567890123456789", b"99999999999999999999"])


@given(st.lists(_PIECES, max_size=60).map(b"".join), st.sampled_from([4, 16, 1 << 14]))
def test_the_big_integer_filter_answers_as_its_pattern(data, window):
    """``has_big_int``'s byte filter (digits made 0, 19 of them in a row searched for, window by window)
    never hides what the pattern finds: its answer is the pattern's on any bytes, whatever the windows
    (a few bytes long here, so that matches fall across their ends)."""
    import memconv.jsonutil as jsonutil

    old, jsonutil._WINDOW = jsonutil._WINDOW, window
    try:
        assert has_big_int(data) == (BIG_INT_LITERAL.search(data) is not None)
    finally:
        jsonutil._WINDOW = old
