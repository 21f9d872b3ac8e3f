"""memconv.fields.set_fields: a record's set fields as JSON, the same as pydantic's ``model_dump``."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import memconv
from memconv.fields import set_fields
from memconv.model import Message, Passage

from helpers import FIXTURES
from strategies_hyp import agent_bundles, events, json_value, memories

SKIPS = [(), ("kind",), ("kind", "id"), ("text", "kind"), ("scope", "provenance"), ("extras", "metadata")]


def _dump(rec, skip):
    return rec.model_dump(mode="json", exclude=set(skip), exclude_none=True, exclude_defaults=True)


def _records_of_the_shared_fixtures():
    for path in sorted(FIXTURES.rglob("*")):
        if path.suffix not in (".af", ".json", ".jsonl", ".zip") or "INVALID" in path.name:
            continue
        try:
            bundle = memconv.read(str(path))
        except memconv.MemconvError:
            continue
        yield path, bundle.records


def test_set_fields_is_model_dump_on_every_record_of_the_shared_fixtures():
    """Every record every real file in ../shared reads into (each kind: agents, blocks, messages with
    tool calls, memories, passages, observations, sessions, summaries, events, relations...), with the
    skip sets the writers use: the same data, the same key order."""
    kinds, n = set(), 0
    for path, records in _records_of_the_shared_fixtures():
        for rec in records:
            for skip in SKIPS:
                fast, slow = set_fields(rec, set(skip)), _dump(rec, skip)
                assert fast == slow, (path.name, rec.kind, rec.id, skip)
                assert list(fast) == list(slow), (path.name, rec.kind, rec.id, skip)
            kinds.add(rec.kind)
            n += 1
    assert n > 1_000 and {"agent", "block", "message", "tool", "memory", "passage", "observation", "session",
                           "summary", "event"} <= kinds, (n, kinds)


SETTINGS = settings(max_examples=int(os.environ.get("MEMCONV_HYPOTHESIS_EXAMPLES", "60")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.lists(memories(), max_size=4), st.lists(memories(Passage), max_size=2), st.lists(events, max_size=2),
       agent_bundles(), st.sampled_from(SKIPS))
def test_set_fields_is_model_dump_on_generated_records(mems, passages, evs, bundle, skip):
    for rec in [*mems, *passages, *evs, *bundle[1:]]:
        assert set_fields(rec, set(skip)) == _dump(rec, skip)
        assert list(set_fields(rec, set(skip))) == list(_dump(rec, skip))


@SETTINGS
@given(st.dictionaries(st.sampled_from(["in_context", "name", "tool_calls", "content", "created_at"]), json_value))
def test_set_fields_drops_defaults_and_nones_as_model_dump_does(values):
    """Fields set to their default (an empty list, False, None) are left out, as ``exclude_defaults``."""
    fields = {"id": "m1", "role": "user"}
    for k, v in values.items():
        if k == "in_context" and isinstance(v, bool) or k == "content" and isinstance(v, list) and all(
                isinstance(p, dict) for p in v) or k in ("name", "created_at") and isinstance(v, str):
            fields[k] = v
    rec = Message(**fields)
    assert set_fields(rec, {"kind"}) == _dump(rec, ("kind",))


@pytest.mark.parametrize("skip", SKIPS)
def test_a_scope_of_nones_and_a_provenance_are_as_model_dump_gives_them(skip):
    from memconv.model import Memory, Provenance, Scope
    for rec in (Memory(id="a", text="t"), Memory(id="a", text="t", scope=Scope()),
                Memory(id="a", text="t", scope=Scope(user_id="u"), provenance=Provenance(system="mem0"),
                       tags=[], metadata={}, extras={"mem0": {}})):
        assert set_fields(rec, set(skip)) == _dump(rec, skip)
