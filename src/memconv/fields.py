"""Helpers adapters share to move fields between a source object and a canonical record.

* :func:`split` divides a source object into the keys that have a canonical field and the rest
  (the record's ``extras`` for that system). It also notes which mapped keys were absent
  (``extras["$absent"]``) so that the same system's writer can leave them out again.
* :func:`join` is the inverse for the writer: the extras, then the mapped keys, minus the absent ones.
* :func:`set_fields` is a record's set fields as JSON, the data of the ``memconv`` key a writer
  embeds in another system's object.
* :func:`build` makes a canonical record and turns a pydantic error into a one-line
  :class:`~memconv.errors.InputInvalid` naming the file and JSON path.
"""

from __future__ import annotations

from typing import Any, Collection, Mapping, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import InputInvalid
from .model import MARKERS, Base, value_classes
from .secrets import blank_named, is_secret_key

ABSENT = "$absent"
T = TypeVar("T", bound=Base)


def split(obj: Mapping[str, Any], keys: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``obj`` by ``keys`` (source key -> canonical field name).

    Returns:
        ``(fields, extras)``: canonical keyword arguments, and every other source key verbatim, plus
        ``"$absent"``: the mapped source keys the object did not have (only when there are any).
    """
    fields: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    for k, v in obj.items():
        if k in keys:
            fields[keys[k]] = v
        else:
            extras[k] = v
    absent = [k for k in keys if k not in obj]
    if absent:
        extras[ABSENT] = absent
    return fields, extras


def absent_keys(marker: Any) -> list[str]:
    """The source keys an ``extras["$absent"]`` marker lists: its strings, when it is a list (a canonical
    file edited by hand may hold anything there)."""
    return [k for k in marker if isinstance(k, str)] if isinstance(marker, list) else []


def join(values: Mapping[str, Any], extras: Mapping[str, Any] | None,
         skip: Collection[str] = ()) -> dict[str, Any]:
    """Rebuild a source object: ``extras`` (less ``$absent`` and the ``skip`` keys: an adapter's own
    markers) then ``values`` (source key -> value), leaving out the source keys listed as absent when
    their value is still empty. One pass over each (a writer runs it once per record)."""
    extras = extras or {}
    absent = extras.get(ABSENT)
    if not isinstance(absent, list):  # memconv's own marker, hand-edited in a canonical file: not a list of keys
        absent = None
    out = {k: v for k, v in extras.items() if k != ABSENT and k not in skip}
    for k, v in values.items():
        if absent and k in absent and v in (None, [], {}, "", False):
            continue
        out[k] = v
    return out


def without_markers(extras: Mapping[str, Any]) -> dict[str, Any]:
    """``extras`` less memconv's markers (:data:`MARKERS`): the source keys alone."""
    return {k: v for k, v in extras.items() if k not in MARKERS}


def build(cls: type[T], src: str, path: str, /, *, _places: Mapping[str, str] | None = None,
          _keys: Mapping[str, str] | None = None, **fields: Any) -> T:
    """``cls(**fields)``, with a validation error reported as one line.

    ``_places``: canonical field (``text``, ``scope.user_id``) -> the source key it came from
    (``memory``, ``user_id``), so the error names the input's own place; ``_keys``: the same given as
    :func:`split`'s keys (source key -> field), inverted only when there is an error to report.

    Raises:
        InputInvalid: ``"<name>: <path>.<field>: expected <type>, got ..."``; the value is not shown
            when the place is secret-bearing (:func:`memconv.secrets.is_secret_key`: ``secrets``,
            ``token``, ``api_key``...) or the value holds a credential (a URL's ``user:PASS@``...).
    """
    try:  # what cls(**fields) runs, without BaseModel.__init__'s frame (no model here has its own __init__)
        return cls.__pydantic_validator__.validate_python(fields)
    except ValidationError as e:
        err = e.errors()[0]
        if _places is None and _keys is not None:
            _places = {v: k for k, v in _keys.items()}
        parts = [str(p) for p in err["loc"]]
        for i in range(len(parts), 0, -1):
            head = ".".join(parts[:i])
            if _places and head in _places:
                parts = [_places[head], *parts[i:]]
                break
        loc = ".".join(parts)
        where = f"{path}.{loc}" if loc else path
        if not err["loc"] or any(is_secret_key(p) for p in err["loc"]) or blank_named(err.get("input"))[1]:
            # a secret-bearing field: the place and the expectation, never the value
            raise InputInvalid(f"{src}: {where}: {err['msg'].lower()} (value not shown: a secret)") from None
        got = err.get("input")
        shown = repr(got)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        raise InputInvalid(f"{src}: {where}: {err['msg'].lower()} (got {shown})") from None


_MISSING = object()
_PLANS: dict[tuple[type, frozenset[str]], tuple[tuple[str, Any, bool], ...]] = {}


def _default_of(f: Any) -> Any:
    """A field's default as pydantic's ``exclude_defaults`` compares it (a ``default_factory`` called; a
    model default as its set fields), or ``_MISSING`` for a required field."""
    d = _MISSING if f.is_required() else f.get_default(call_default_factory=True)
    return set_fields(d, frozenset()) if isinstance(d, BaseModel) else d


def _plan(cls: type[BaseModel], skip: frozenset[str]) -> tuple[tuple[str, Any, bool], ...]:
    """``(field, default, compare?)`` of each field of ``cls`` not in ``skip``, in the model's order
    (``compare``: the default is something other than None, so a set value may still equal it). Worked
    out once per class and skip set."""
    plan = tuple((name, d, d is not _MISSING and d is not None)
                 for name, f in cls.model_fields.items() if name not in skip for d in (_default_of(f),))
    _PLANS[(cls, skip)] = plan
    return plan


_PLAIN: dict[type, bool] = {}
_SCALARS = {str, int, float, bool, type(None)}


def _nested(m: BaseModel) -> dict[str, Any]:
    """:func:`set_fields` of a model held in a field (``scope``, ``provenance``). A class whose fields
    all default to None and hold no model: its values that are not None (its ``__dict__`` is in field
    order, as pydantic builds it)."""
    cls = m.__class__
    plain = _PLAIN.get(cls)
    if plain is None:
        plain = _PLAIN[cls] = all(d is None or d is _MISSING for _, d, _ in _plan(cls, frozenset())) and all(
            set(value_classes(f.annotation) or (object,)) <= _SCALARS for f in cls.model_fields.values())
    if not plain:
        return set_fields(m, frozenset())
    return {k: v for k, v in m.__dict__.items() if v is not None}


def set_fields(rec: BaseModel, skip: Collection[str]) -> dict[str, Any]:
    """``rec.model_dump(mode="json", exclude=skip, exclude_none=True, exclude_defaults=True)``, built
    from the record's attributes without pydantic's serializer: every field not in ``skip`` that is
    not None and not its default, a nested model (``scope``, ``provenance``) as its own set fields, in
    the model's field order. Runs once per record a writer embeds (the AgentMemory, mem0 and Letta
    writers' ``memconv`` key), where ``model_dump`` cost 8 µs a record. ``skip``: best a frozenset the
    caller keeps (the plan for a class and skip set is worked out once).

    The values are the record's own (not copied): the caller serialises them and does not change them.
    They are JSON already: readers build records from parsed JSON, and
    :func:`memconv.pipeline.write_records` rebuilds a caller's record holding other Python values from
    its JSON form. (``tests/test_fields.py`` checks this against ``model_dump`` on every record of the
    shared fixtures and on generated ones.)
    """
    if skip.__class__ is not frozenset:
        skip = frozenset(skip)
    cls = rec.__class__
    plan = _PLANS.get((cls, skip)) or _plan(cls, skip)  # type: ignore[arg-type]
    values = rec.__dict__
    out: dict[str, Any] = {}
    for name, default, compare in plan:
        v = values.get(name)
        if v is None:
            continue
        if isinstance(v, BaseModel):
            v = _nested(v)
        if compare and v == default:
            continue
        out[name] = v
    return out
