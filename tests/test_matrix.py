"""Every pair of formats on every real sample (issue 3's format matrix), and each current shape taken
through canonical and back to its own format, equal to its input as JSON."""

from __future__ import annotations

import json

import pytest

import memconv

from helpers import FIXTURES, GOOD_AF, without_sidecar_mark

MEM0 = FIXTURES / "mem0"
SAMPLES = [
    *GOOD_AF,
    FIXTURES / "letta-bundle" / "support-desk.af", FIXTURES / "letta-bundle" / "support-desk.af.tar.gz",
    *sorted((FIXTURES / "letta-rest").iterdir()),
    *sorted(MEM0.glob("get_all_v1*.json")), MEM0 / "search_v11.json", *sorted(MEM0.glob("get_*.json")),
    *sorted((MEM0 / "history").glob("*.json")), *sorted((MEM0 / "openmemory").iterdir()),
    *sorted((FIXTURES / "agentmemory").glob("*.json")),
]
SAMPLES = list(dict.fromkeys(SAMPLES))
TARGETS = [("letta", {}), ("mem0", {}), ("mem0", {"jsonl": True}), ("agentmemory", {}),
           ("canonical", {}), ("canonical", {"jsonl": True}), ("letta-memfs", {}),
           ("mem0", {"target_version": "markdown"})]


def _name(p):
    return str(p.relative_to(FIXTURES))


def test_the_matrix_covers_the_samples():
    assert len(SAMPLES) >= 70


@pytest.mark.parametrize("sample", SAMPLES, ids=_name)
def test_every_sample_converts_to_every_format(tmp_path, sample):
    for to, opts in TARGETS:
        out = tmp_path / f"out-{to}{'-' + '-'.join(map(str, opts.values())) if opts else ''}"
        report = memconv.convert(sample, to=to, output=str(out), **opts)
        assert out.exists(), (to, opts)
        if out.stat().st_size:  # (mem0 JSON-L of an agent with no memories is empty)
            back = memconv.read(out)  # what memconv writes, memconv reads
            assert back.header is not None
        assert sum(report.read.values()) > 0 or sample.name.startswith("real_export_empty")


def _json(path):
    d = json.loads(path.read_bytes())
    return without_sidecar_mark(json.loads(d) if isinstance(d, str) else d)


CURRENT = {
    "letta": [p for p in GOOD_AF if isinstance(_json(p), dict) and isinstance(_json(p).get("agents"), list)],
    "mem0": [MEM0 / "get_all_v11.json", MEM0 / "get_all_v11_user_alice.json", MEM0 / "get_all_v11_user_bob.json",
             MEM0 / "get_all_v11_agent_support-bot.json"],
    "agentmemory": sorted((FIXTURES / "agentmemory").glob("*.json")),
}


@pytest.mark.parametrize("fmt, sample", [(f, p) for f, ps in CURRENT.items() for p in ps],
                         ids=lambda x: x if isinstance(x, str) else _name(x))
@pytest.mark.parametrize("jsonl", [False, True], ids=["json", "jsonl"])
def test_current_shape_round_trip_through_canonical(tmp_path, fmt, sample, jsonl):
    canon = tmp_path / "c"
    memconv.convert(sample, to="canonical", output=str(canon), jsonl=jsonl)
    out = tmp_path / ("back.af" if fmt == "letta" else "back.json")
    memconv.convert(canon, to=fmt, output=str(out))
    assert _json(out) == _json(sample)
