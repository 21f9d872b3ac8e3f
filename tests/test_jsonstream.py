"""memconv.jsonstream.list_items: a list document read in pieces with orjson gives exactly what
stream_items (ijson, one item at a time) gives: the same items in the same order, the same duplicate-key
warnings with the same JSON paths, the same one-line error for bad JSON."""

from __future__ import annotations

import json

import hypothesis
import pytest
from hypothesis import strategies as st

from memconv import jsonstream
from memconv.errors import InputInvalid, InputUnreadable
from memconv.io import Input
from memconv.report import Report

from helpers import FIXTURES


def _both(path, key, monkeypatch, chunk=None):
    """(items, warnings, error) from stream_items, then from list_items (pieces of ``chunk`` bytes)."""
    prefix = f"{key}.item" if key else "item"
    label = key or ""
    out = []
    for fast in (False, True):
        report = Report()
        inp = Input(path)
        items, error = [], None
        try:
            if fast:
                if chunk:
                    monkeypatch.setattr(jsonstream, "CHUNK_BYTES", chunk)
                gen = jsonstream.list_items(inp, key, (), label, report=report)
                assert gen is not None, "not read in pieces"
            else:
                gen = jsonstream.stream_items(inp, prefix, label, report=report)
            for i, obj in gen:
                items.append((i, obj))
        except (InputInvalid, InputUnreadable) as e:
            error = str(e)
        out.append((items, report.warnings, error))
    monkeypatch.undo()
    return out


_KEY = st.sampled_from(["id", "memory", "a", "b", "text", "meta", "x y", "k\"q", "k\\"])
_TEXT = st.text(alphabet=st.sampled_from(list('ab },{":\\[]é字😀\n\t')), max_size=12)
_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                    st.floats(allow_nan=False, allow_infinity=False), _TEXT)
_VALUE = st.recursive(_SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.lists(st.tuples(_KEY, inner), max_size=3)),
                      max_leaves=6)
_ITEM = st.lists(st.tuples(_KEY, _VALUE), max_size=6)  # pairs: a key may come twice
_SPACE = st.sampled_from(["", "", "", " ", "\n  ", "\t"])


def _dump(value, space) -> str:
    """JSON text of ``value``; a list of (key, value) pairs is an object (keys may repeat); ``space``
    goes around separators (before a colon too, sometimes)."""
    if isinstance(value, list) and value and all(isinstance(p, tuple) for p in value):
        return "{" + ",".join(f"{space}{json.dumps(k)}{space}:{space}{_dump(v, space)}" for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + f",{space}".join(_dump(v, space) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


@hypothesis.settings(max_examples=150, deadline=None,
                     suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
@hypothesis.given(items=st.lists(_ITEM, max_size=25), space=_SPACE, between=_SPACE,
                  chunk=st.sampled_from([1, 7, 40, 200, 1 << 20]), keyed=st.booleans())
def test_pieces_read_as_ijson_reads(tmp_path_factory, monkeypatch, items, space, between, chunk, keyed):
    """Objects with repeated keys, white space before colons, and strings full of '},{', '":' and
    backslashes, cut into pieces as small as one byte: list_items gives what stream_items gives."""
    body = f",{between}".join("{" + ",".join(f"{space}{json.dumps(k)}{space}:{_dump(v, space)}"
                                             for k, v in item) + "}" for item in items)
    doc = f'{{"results":{between}[{between}{body}{between}]{between}}}' if keyed else f"[{between}{body}{between}]"
    p = tmp_path_factory.mktemp("doc") / "doc.json"
    p.write_text(doc, encoding="utf-8")
    slow, fast = _both(p, "results" if keyed else None, monkeypatch, chunk)
    assert fast == slow


@pytest.mark.parametrize("fault", ["missing-comma", "truncated", "bad-utf8", "nan"])
def test_bad_json_gets_the_same_one_line_error(tmp_path, monkeypatch, fault):
    items = [{"id": str(i), "memory": f"text {i}", "metadata": {"n": i}} for i in range(400)]
    data = json.dumps({"results": items}).encode()
    cut = data.index(b'{"id": "300"')
    if fault == "missing-comma":
        data = data[:cut - 2] + data[cut:]
    elif fault == "truncated":
        data = data[:cut + 20] + b"]}"
    elif fault == "bad-utf8":
        data = data[:cut + 20] + b"\xff" + data[cut + 20:]
    else:
        data = data.replace(b'"n": 300}', b'"n": NaN}')
    p = tmp_path / "bad.json"
    p.write_bytes(data)
    (slow_items, slow_warn, slow_err), (fast_items, fast_warn, fast_err) = _both(p, "results", monkeypatch, 2048)
    assert slow_err is not None and fast_err == slow_err
    assert "line 1, column" in fast_err
    assert fast_warn == slow_warn
    assert fast_items[:len(slow_items)] == slow_items  # before the fault: what ijson gave, and maybe more


def test_what_is_not_one_plain_list_is_left_to_ijson(tmp_path):
    for doc in ({"results": [], "relations": []}, {"count": 1, "results": [{"id": "a"}]},
                {"results": [{"id": "a"}], "results2": 1}):
        p = tmp_path / "d.json"
        p.write_text(json.dumps(doc))
        assert jsonstream.list_items(Input(p), "results", ("relations",), "results") is None, doc
    p = tmp_path / "twice.json"
    p.write_text('{"results": [{"id": "a"}], "results": [{"id": "b"}]}')
    assert jsonstream.list_items(Input(p), "results", (), "results") is None
    gz = tmp_path / "d.json.gz"
    import gzip

    gz.write_bytes(gzip.compress(json.dumps({"results": [{"id": "a"}]}).encode()))
    assert jsonstream.list_items(Input(gz), "results", (), "results") is None


def test_a_real_bare_list_reads_the_same(monkeypatch):
    """Another project's mem0 dump (a bare list of Platform items), in pieces of a few KiB."""
    src = FIXTURES / "external" / "mem0"
    path = next(p for p in sorted(src.glob("*.json")) if p.read_bytes().lstrip()[:1] == b"[")
    slow, fast = _both(path, None, monkeypatch, 4096)
    assert fast == slow and len(fast[0]) > 100


@pytest.mark.parametrize("item", [
    '{"a" : 1, "a": 2, "b": "x"}',          # one key spaced from its colon hides one given twice from a count
    '{"t": "q\\":", "a": 1, "a": 2}',        # an escaped quote before a colon, in a string
    '{"k\\\\": 1, "k\\\\": 2}',              # a key ending in a backslash, given twice
    '{"m": {"x": 1, "x": 2}, "n": [{"y": 1, "y": 2}]}',
])
def test_a_key_given_twice_is_warned_in_every_spelling(tmp_path, monkeypatch, item):
    p = tmp_path / "d.json"
    p.write_text('{"results": [{"id": "0"}, ' + item + ', {"id": "2"}]}')
    slow, fast = _both(p, "results", monkeypatch)
    assert fast == slow
    assert any("duplicate key" in w and "results[1]" in w for w in fast[1]), fast[1]
