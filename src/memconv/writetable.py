"""Executable write tables: where a writer puts each canonical field, as data the writer runs.

A :class:`WriteTable` is a list of :class:`Put` rows (canonical field -> key of the target object,
through a named :class:`Transform`, with a fallback and a rule for leaving the key out). It is
compiled once, at import, into one plain Python function per table (:meth:`WriteTable.fill`), so
running it costs what the hand-written assignments it replaces cost. The same rows give the
:class:`memconv.mapping.FieldMap` rows of ``docs/mappings.md``, ``memconv mappings --json`` and the
loss report (:meth:`WriteTable.field_maps`): what the documentation says is what the writer does.

This is the idea of sqlglot's ``TRANSFORMS`` (a dialect's table *is* its generator), applied to
record fields. What a table cannot say (ids, the order of a conversation, nesting under a session,
a value built from other records) stays in the writer, which says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field, replace
from typing import Any, Callable, Iterable, Literal

from .mapping import FieldMap
from .model import RecordKind


@dataclass(frozen=True)
class Transform:
    """A named value transform: ``fn(value)`` (``fn(*values)`` for a row that reads several fields),
    applied when the value is not None (always, for several fields). ``name`` is what the docs and
    ``mappings --json`` call it (``iso8601-ms``, ``enum-map``, ``join-list``...)."""

    name: str
    fn: Callable[..., Any]


Fallback = Callable[[Any, dict[str, Any], Any], Any]
"""A computed fallback: ``fn(record, object so far, writer context)`` -> value."""


@dataclass(frozen=True)
class Put:
    """One row of a :class:`WriteTable`.

    Attributes:
        field: the canonical field read (``created_at``; ``scope.project`` for a scope field), or a
            tuple of fields handed together to ``transform`` (which is then required).
        key: the key of the target object written.
        transform: applied to the value when it is not None; None copies it. A row reading no field
            or several calls it with those fields' values (none: a value the target requires).
        via: the value computed by the writer from the record (``fn(record, object so far, writer
            context)``), for what a value alone cannot decide (an agent's name from its id, the
            session of a passage's agent); ``field`` still names what it reads, for the docs.
        fallback: the value written when the (transformed) value is None or empty (``""``, ``{}``,
            ``[]``; not 0 or False): a constant (str, int, float, bool) or a :data:`Fallback`. None: no
            fallback.
        omit: ``"none"`` leaves the key out when the value is None, ``"empty"`` when it is None,
            ``""``, ``[]`` or ``{}``, ``"falsy"`` also when it is 0 or False; ``""`` always writes it.
        note: a phrase for the docs (why the value is what it is).
    """

    field: str | tuple[str, ...]
    key: str
    transform: Transform | None = None
    via: Transform | None = None
    fallback: Any = None
    omit: Literal["", "none", "empty", "falsy"] = ""
    note: str = ""

    @property
    def fields(self) -> tuple[str, ...]:
        """The canonical fields the row reads."""
        return self.field if isinstance(self.field, tuple) else (self.field,)


@dataclass
class WriteTable:
    """The rows one writer runs for one kind of record of another system.

    Attributes:
        kind: the canonical kind. path: where its objects go in the target (``memories[]``,
            ``observations{}[]``), prefixed to each key in the docs (empty: keys relative to the
            record's object, as mem0's table names them). puts: the rows, in the order the
            keys are written (the target's own key order).
    """

    kind: RecordKind
    path: str
    puts: list[Put]
    fill: Callable[[dict[str, Any], Any, Any], dict[str, Any]] = dc_field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.fill = _compile(self)

    def field_maps(self, note: Callable[[str], str] | None = None) -> list[FieldMap]:
        """One :class:`~memconv.mapping.FieldMap` per canonical field read, in row order: target
        ``<path>.<key>`` (several rows reading one field are joined with ``, ``), the row's
        transform name (``copy`` when none). ``note(field)`` adds a docs note per field."""
        targets: dict[str, list[str]] = {}
        first: dict[str, Put] = {}
        notes: dict[str, list[str]] = {}
        for p in self.puts:
            for f in dict.fromkeys(f.split(".")[0] for f in p.fields):  # scope.project: the scope field
                targets.setdefault(f, []).append(f"{self.path}.{p.key}" if self.path else p.key)
                first.setdefault(f, p)
                if p.note and p.note not in notes.setdefault(f, []):
                    notes[f].append(p.note)
        out = []
        for f, paths in targets.items():
            p = first[f]
            text = "; ".join(x for x in (*notes.get(f, ()), note(f) if note else "") if x)
            how = p.via or p.transform
            out.append(FieldMap(self.kind, f, ", ".join(paths), text, how.name if how else "copy"))
        return out


def _compile(table: WriteTable) -> Callable[[dict[str, Any], Any, Any], dict[str, Any]]:
    """``fill(obj, record, ctx) -> obj``: the rows of ``table`` as straight-line Python, made once.

    Generated rather than interpreted so that a table costs no more per record than the assignments
    it replaces (the hot path of issue 13). The source is kept on the function (``__source__``) for
    debugging."""
    env: dict[str, Any] = {"EMPTY": ("", {}, [])}
    lines = ["def fill(obj, rec, ctx):"]
    for i, p in enumerate(table.puts):
        reads = [("rec.scope." + f.removeprefix("scope.")) if f.startswith("scope.") else f"rec.{f}"
                 for f in p.fields]
        if p.via is not None:
            env[f"w{i}"] = p.via.fn
            lines.append(f"    v = w{i}(rec, obj, ctx)")
        elif len(reads) != 1:
            if p.transform is None and reads:
                raise ValueError(f"{table.kind}.{p.key}: a row reading several fields needs a transform")
            if p.transform is not None:
                env[f"t{i}"] = p.transform.fn
            lines.append(f"    v = t{i}({', '.join(reads)})" if p.transform is not None else "    v = None")
        else:
            lines.append(f"    v = {reads[0]}")
            if p.transform is not None:
                env[f"t{i}"] = p.transform.fn
                lines.append(f"    if v is not None: v = t{i}(v)")
        if p.fallback is not None:
            if callable(p.fallback):
                env[f"f{i}"] = p.fallback
                lines.append(f"    if v is None or v in EMPTY: v = f{i}(rec, obj, ctx)")
            elif isinstance(p.fallback, (str, int, float, bool)):
                lines.append(f"    if v is None or v in EMPTY: v = {p.fallback!r}")
            else:
                raise ValueError(f"{table.kind}.{p.key}: a constant fallback must be a str or a number")
        if p.omit == "none":
            lines.append(f"    if v is not None: obj[{p.key!r}] = v")
        elif p.omit == "empty":
            lines.append(f"    if v is not None and v not in EMPTY: obj[{p.key!r}] = v")
        elif p.omit == "falsy":
            lines.append(f"    if v: obj[{p.key!r}] = v")
        else:
            lines.append(f"    obj[{p.key!r}] = v")
    lines.append("    return obj")
    source = "\n".join(lines) + "\n"
    exec(compile(source, f"<write table {table.kind} -> {table.path}>", "exec"), env)  # noqa: S102
    fn = env["fill"]
    fn.__source__ = source
    return fn


def tables_field_maps(tables: Iterable[WriteTable], note: Callable[[str, str], str] | None = None,
                      kinds: dict[str, tuple[RecordKind, ...]] | None = None) -> dict[tuple[str, str], FieldMap]:
    """The :class:`~memconv.mapping.FieldMap` rows of several tables, keyed ``(kind, field)``; a field
    two tables of one kind write (an item's scope: its keys and its metadata) gets one row naming
    every target. ``note(kind, field)`` adds a docs note per row; ``kinds``: a table's kind -> the
    kinds it is also run for (mem0 writes a passage as it writes a memory)."""
    out: dict[tuple[str, str], FieldMap] = {}
    for t in tables:
        for kind in (kinds or {}).get(t.kind, (t.kind,)):
            for fm in t.field_maps((lambda f, k=kind: note(k, f)) if note else None):
                key = (kind, fm.field)
                if key in out:
                    old = out[key]
                    text = "; ".join(x for x in dict.fromkeys((old.note, fm.note)) if x)
                    out[key] = replace(old, target=f"{old.target}, {fm.target}", note=text)
                else:
                    out[key] = replace(fm, kind=kind)
    return out
