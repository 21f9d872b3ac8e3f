"""Property tests (hypothesis): random canonical streams survive the formats that can hold them."""

from __future__ import annotations

import os
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import memconv
from memconv.model import Header

from strategies_hyp import agent_bundles, events, memories

SETTINGS = settings(max_examples=int(os.environ.get("MEMCONV_HYPOTHESIS_EXAMPLES", "60")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _roundtrip(items, fmt, **opts):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out")
        opts.setdefault("keep_secrets", True)  # fidelity of what the format holds; blanking is tested apart
        report = memconv.write_records(items, fmt, out, **opts)
        back = memconv.read(out)
    return back, report


def _dump(recs):
    return [r.model_dump() for r in recs]


@SETTINGS
@given(st.lists(memories(), max_size=8), st.lists(events, max_size=4), st.booleans())
def test_canonical_is_lossless(mems, evs, jsonl):
    items = [Header(source_system="mem0"), *mems, *evs]
    back, report = _roundtrip(items, "canonical", jsonl=jsonl)
    assert _dump(back.records) == _dump(items[1:])
    assert not report.has_loss


@SETTINGS
@given(agent_bundles(), st.booleans())
def test_canonical_is_lossless_for_agents(items, jsonl):
    back, _ = _roundtrip(items, "canonical", jsonl=jsonl)
    assert _dump(back.records) == _dump(items[1:])


def test_integers_beyond_64_bits_survive_canonical(tmp_path):
    from memconv.model import Memory
    big = 2 ** 100 + 7
    items = [Header(), Memory(id="m1", text="x", metadata={"n": big, "neg": -big})]
    back, _ = _roundtrip(items, "canonical", jsonl=True)
    assert back.records[0].metadata == {"n": big, "neg": -big}
    back, _ = _roundtrip(items, "canonical", jsonl=False)
    assert back.records[0].metadata == {"n": big, "neg": -big}
