"""Source keys that start with ``$`` (``$schema``, ``$comment``: common in hand-kept JSON) are the
source's own, not memconv's markers (:data:`memconv.model.MARKERS`): every target keeps the value or
the report names it as lost. Before, any ``$`` key in a record's extras was taken for a marker and
left out in silence (a property test found it with the key ``"$"`` on a tool)."""

from __future__ import annotations

import json

import pytest

import memconv
from memconv.model import MARKERS

from helpers import FIXTURES, LETTA

VALUE = "DOLLAR-KEY-VALUE-7f3c"
TARGETS = ["agentmemory", "mem0", "letta", "canonical"]


def _edited(tmp_path, fixture, name, places):
    """``fixture`` with ``VALUE`` put at each ``(path to an object, key)`` of ``places``, written to
    ``tmp_path/name``; returns the path and how many keys were put."""
    doc = json.loads(fixture.read_text())
    for path, key in places:
        obj = doc
        for step in path:
            obj = obj[step]
        obj[key] = VALUE
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return p, len(places)


def _letta(tmp_path):
    return _edited(tmp_path, LETTA / "letta-tests__test_agent.af", "a.af",
                   [(("agents", 0), "$comment"), (("agents", 0, "messages", 1), "$note"), (("tools", 0), "$schema")])


def _mem0(tmp_path):
    return _edited(tmp_path, FIXTURES / "mem0" / "get_all_v11.json", "m.json", [(("results", 0), "$schema")])


def _agentmemory(tmp_path):
    return _edited(tmp_path, FIXTURES / "agentmemory" / "example_full.json", "am.json",
                   [(("memories", 0), "$comment")])


def _canonical(tmp_path):
    """Canonical JSON-L (hand-kept, or another tool's): records carrying other systems' extras."""
    recs = [{"kind": "header", "source_system": "canonical"},
            {"kind": "agent", "id": "agent-0", "name": "A", "extras": {"agentmemory": {"$comment": VALUE}}},
            {"kind": "tool", "id": "tool-0", "name": "t", "extras": {"mem0": {"$schema": VALUE}}},
            {"kind": "memory", "id": "m-1", "text": "likes tea", "scope": {"user_id": "u"},
             "extras": {"letta": {"$": VALUE}}}]
    p = tmp_path / "c.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    return p, 3


def _outputs(folder) -> str:
    return "".join(p.read_text(errors="replace") for p in folder.iterdir() if p.is_file())


@pytest.mark.parametrize("make", [_letta, _mem0, _agentmemory, _canonical], ids=["letta", "mem0", "agentmemory", "canonical"])
@pytest.mark.parametrize("to", TARGETS)
def test_a_dollar_key_is_kept_or_reported(tmp_path, make, to):
    src, n = make(tmp_path)
    text = src.read_text()
    keys = [k for k in ("$comment", "$note", "$schema", "$") if f'"{k}": "{VALUE}"' in text]
    for k in keys:  # one value per key, to tell them apart in the output
        text = text.replace(f'"{k}": "{VALUE}"', f'"{k}": "{VALUE}{k}"', 1)
    src.write_text(text)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    report = memconv.convert(str(src), to, str(out_dir / f"out.{to}"), timestamp="2026-01-01T00:00:00Z")
    written = _outputs(out_dir)
    named = {f for l in report.to_dict()["losses"] for f in (*l.get("fields", ()), l["field"])}
    for k in keys:
        assert f"{VALUE}{k}" in written or k in named, (k, report.to_dict()["losses"])
    assert len(keys) == n


@pytest.mark.parametrize("make", [_letta, _mem0, _agentmemory, _canonical], ids=["letta", "mem0", "agentmemory", "canonical"])
def test_a_dollar_key_comes_back_through_canonical(tmp_path, make):
    src, _ = make(tmp_path)
    before = memconv.read(str(src))
    out = tmp_path / "back.jsonl"
    memconv.write(before, "canonical", str(out), jsonl=True)
    after = memconv.read(str(out))
    dump = lambda b: [r.model_dump() for r in b.records]  # noqa: E731
    assert dump(after) == dump(before)
    assert any(VALUE in json.dumps(r.extras) for r in after.records)


def test_the_markers_are_a_closed_set():
    assert all(m.startswith("$") for m in MARKERS) and "$schema" not in MARKERS and "$" not in MARKERS
