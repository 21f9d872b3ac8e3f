"""The registry: built-ins, entry-point plugins, detection."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from memconv import registry
from memconv.errors import UsageError
from memconv.format import Format


class _Plugin(Format):
    name = "toyformat"
    title = "a plugin"


@pytest.fixture
def fake_entry_points(monkeypatch):
    def make(*eps):
        def entry_points(group=None):
            assert group == registry.ENTRY_POINT_GROUP
            return list(eps)
        monkeypatch.setattr(registry, "entry_points", entry_points)
        registry.reset()
    yield make
    registry.reset()


def test_builtins_are_registered():
    assert {"letta", "mem0", "agentmemory", "canonical"} <= set(registry.formats())


def test_plugin_found_through_entry_points(fake_entry_points, monkeypatch):
    import sys
    import types

    mod = types.ModuleType("toy_plugin")
    mod.FORMAT = _Plugin()
    monkeypatch.setitem(sys.modules, "toy_plugin", mod)
    fake_entry_points(EntryPoint("toyformat", "toy_plugin:FORMAT", registry.ENTRY_POINT_GROUP))
    assert registry.get("toyformat") is mod.FORMAT
    assert "toyformat" in registry.formats()


def test_broken_plugin_warns_and_is_skipped(fake_entry_points):
    fake_entry_points(EntryPoint("broken", "no_such_module_xyz:FORMAT", registry.ENTRY_POINT_GROUP))
    with pytest.warns(UserWarning, match="broken"):
        names = set(registry.formats())
    assert "broken" not in names and "letta" in names


def test_plugin_that_is_not_a_format_is_skipped(fake_entry_points, monkeypatch):
    import sys
    import types

    mod = types.ModuleType("bad_plugin")
    mod.FORMAT = object()
    monkeypatch.setitem(sys.modules, "bad_plugin", mod)
    fake_entry_points(EntryPoint("bad", "bad_plugin:FORMAT", registry.ENTRY_POINT_GROUP))
    with pytest.warns(UserWarning, match="not a memconv.format.Format"):
        assert "bad" not in registry.formats()


def test_unknown_name_suggests_and_lists():
    with pytest.raises(UsageError, match=r"did you mean 'letta'.*known formats: agentmemory, canonical, letta, letta-memfs, mem0"):
        registry.get("leta")


def test_record_kind_type_names_every_kind_in_stream_order():
    """``model.RecordKind`` (the type annotations use) is exactly the kinds of ``RECORD_TYPES``, in stream
    order, and ``ItemKind`` adds the header; every kind has a plural (``memconv inspect``, ``--exclude``)."""
    from typing import get_args

    from memconv.model import KIND_ORDER, PLURALS, RECORD_TYPES, ItemKind, RecordKind

    assert get_args(RecordKind) == tuple(RECORD_TYPES) == KIND_ORDER
    assert set(get_args(ItemKind)) == set(RECORD_TYPES) | {"header"}
    assert set(PLURALS) == set(RECORD_TYPES)
    for kind, cls in RECORD_TYPES.items():
        assert get_args(cls.model_fields["kind"].annotation) == (kind,)
