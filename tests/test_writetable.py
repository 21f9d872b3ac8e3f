"""Executable write tables (issue 12, item 1): the rows a writer runs are the rows the docs show.

The compiled ``fill`` is checked against the rules :class:`memconv.writetable.Put` documents, and the
AgentMemory writer's tables against ``docs/mappings.md``'s rows (``MAPPING``) and its output.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

import memconv
from memconv.adapters.agentmemory.mapping import MAPPING, WRITE_TABLES
from memconv.model import Header, Memory, Observation, Provenance, Scope
from memconv.writetable import Put, Transform, WriteTable

UPPER = Transform("upper", str.upper)


def _rec(**kw):
    return SimpleNamespace(scope=SimpleNamespace(project=kw.pop("project", None)), **kw)


@pytest.mark.parametrize("value, written", [(None, "dflt"), ("", "dflt"), ({}, "dflt"), ([], "dflt"),
                                            (0, 0), (False, False), ("x", "X")])
def test_fallback_replaces_none_and_empty_but_not_zero_or_false(value, written):
    t = WriteTable("memory", "items[]", [Put("a", "A", UPPER if isinstance(value, str) else None, fallback="dflt")])
    assert t.fill({}, _rec(a=value), None) == {"A": written}


def test_omit_none_keeps_empty_values_omit_falsy_does_not():
    t = WriteTable("memory", "items[]", [Put("a", "A", omit="none"), Put("b", "B", omit="falsy")])
    assert t.fill({}, _rec(a="", b=""), None) == {"A": ""}
    assert t.fill({}, _rec(a=None, b=None), None) == {}
    assert t.fill({}, _rec(a=0, b=[1]), None) == {"A": 0, "B": [1]}


def test_rows_keep_their_order_after_what_the_object_holds():
    t = WriteTable("memory", "items[]", [Put("b", "B"), Put((), "k", fallback=7), Put("scope.project", "P"),
                                         Put(("a", "b"), "AB", Transform("join", lambda a, b: a + b))])
    out = t.fill({"id": "i"}, _rec(a="1", b="2", project="p"), None)
    assert list(out.items()) == [("id", "i"), ("B", "2"), ("k", 7), ("P", "p"), ("AB", "12")]


def test_via_and_computed_fallbacks_see_the_record_the_object_and_the_context():
    t = WriteTable("memory", "items[]", [
        Put("a", "A", fallback=lambda r, o, ctx: ctx.default),
        Put("a", "B", via=Transform("from-ctx", lambda r, o, ctx: f"{o['A']}/{ctx.default}")),
    ])
    assert t.fill({}, _rec(a=None), SimpleNamespace(default="d")) == {"A": "d", "B": "d/d"}


def test_bad_rows_are_refused_when_the_table_is_made():
    with pytest.raises(ValueError, match="several fields needs a transform"):
        WriteTable("memory", "items[]", [Put(("a", "b"), "AB")])
    with pytest.raises(ValueError, match="constant fallback"):
        WriteTable("memory", "items[]", [Put("a", "A", fallback=[])])


def test_field_maps_name_each_field_once_with_every_key_it_lands_in():
    t = WriteTable("memory", "items[]", [Put("scope", "agent", via=Transform("split-scope", lambda r, o, c: 1)),
                                         Put("scope.project", "project"), Put("title", "title"),
                                         Put(("concepts", "tags"), "concepts", Transform("join-list", list))])
    rows = {r.field: r for r in t.field_maps()}
    assert set(rows) == {"scope", "title", "concepts", "tags"}
    assert (rows["scope"].target, rows["scope"].transform) == ("items[].agent, items[].project", "split-scope")
    assert (rows["title"].target, rows["title"].transform) == ("items[].title", "copy")
    assert rows["tags"].target == "items[].concepts"
    assert "def fill(obj, rec, ctx):" in t.fill.__source__


def test_the_docs_rows_are_the_rows_the_writers_run():
    """Every field an AgentMemory or mem0 write table reads has that table's row in the format's
    MAPPING (which ``docs/mappings.md``, ``mappings --json`` and the loss report read): same target
    path, same transform."""
    from memconv.adapters.mem0 import mapping as mem0_mapping
    from memconv.writetable import tables_field_maps

    cases = [(MAPPING, tables_field_maps(WRITE_TABLES)),
             (mem0_mapping.MAPPING, tables_field_maps((mem0_mapping.ITEM_OUT, mem0_mapping.ITEM_META_OUT,
                                                       mem0_mapping.HISTORY_OUT), kinds={"memory": ("memory", "passage")}))]
    for table, tabled in cases:
        rows = {(r.kind, r.field): r for r in table.rows}
        assert len(tabled) > 20
        for key, fm in tabled.items():
            got = rows[key]
            assert (got.target, got.transform) == (fm.target, fm.transform), (table.target, key)


def test_a_table_row_changed_changes_the_output(tmp_path, monkeypatch):
    """The writer runs the table: a row pointed at another key moves the value there."""
    from memconv.adapters.agentmemory import mapping

    puts = [Put("title", "heading") if p.key == "title" else p for p in mapping.MEMORY_OUT.puts]
    monkeypatch.setattr(mapping.MEMORY_OUT, "fill", WriteTable("memory", "memories[]", puts).fill)
    rec = Memory(id="m1", provenance=Provenance(system="zep", id="m1"), text="t", title="distinct-title",
                 scope=Scope(user_id="u"))
    memconv.write_records([Header(source_system="zep"), rec], "agentmemory", str(tmp_path / "o.json"))
    mem = json.loads((tmp_path / "o.json").read_text())["memories"][0]
    assert mem["heading"] == "distinct-title" and "title" not in mem


def test_observation_table_matches_agentmemorys_required_fields(tmp_path):
    """A bare observation of another system gets every CompressedObservation key AgentMemory needs,
    from the table's fallbacks (type other, importance 5, a title from the narrative, an origin)."""
    rec = Observation(id="o1", provenance=Provenance(system="zep", id="o1"), session_id="s1",
                      narrative="a narrative that is the title", importance=0)
    memconv.write_records([Header(source_system="zep", exported_at="2024-01-02T03:04:05Z"), rec], "agentmemory",
                          str(tmp_path / "o.json"))
    obs = json.loads((tmp_path / "o.json").read_text())["observations"]["s1"][0]
    assert (obs["type"], obs["importance"], obs["title"]) == ("other", 0, "a narrative that is the title")
    assert obs["timestamp"] == "2024-01-02T03:04:05.000Z" and obs["origin"]["channel"] == "import"
    assert "subtitle" not in obs and obs["facts"] == []
