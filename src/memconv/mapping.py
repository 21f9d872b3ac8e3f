"""Mapping tables: data that says where each canonical field goes in a target format.

One :class:`MappingTable` per writer. Writers call :meth:`MappingTable.account` for every record they
write, which reports to the :class:`~memconv.report.Report` each set field the target cannot hold;
``docs/mappings.md`` is generated from the same tables (:func:`render_markdown`), so the loss report
and the documentation cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .model import RECORD_TYPES, Base, RecordKind, is_marker
from .report import Report

LOST = None
"""Target of a field the format has no place for."""

MAPPED_FIELDS: dict[str, tuple[str, ...]] = {
    kind: tuple(f for f in cls.model_fields if f not in ("kind", "id", "provenance", "extras"))
    for kind, cls in RECORD_TYPES.items()}
"""Per kind, the fields a mapping table accounts for: all but ``kind``, ``id``, ``provenance`` and
``extras``, which every record carries and the table's ``keeps_extras`` speaks for."""


@dataclass(frozen=True)
class FieldMap:
    """One row: canonical ``kind.field`` goes to ``target`` (None: lost), with a note and the
    transform the value goes through (``iso8601-ms``, ``enum-map``, ``join-list``, ``split-scope``,
    ``node-id``, ``copy``; empty: not stated)."""

    kind: RecordKind
    field: str
    target: str | None
    note: str = ""
    transform: str = ""


@dataclass(frozen=True)
class ReadTable:
    """Where the keys of one kind of source object land in the canonical model: the table a reader
    runs (:func:`memconv.fields.split` with ``keys``).

    Attributes:
        kind: the canonical kind read. path: where the objects are in the source (``results[]``,
            ``observations{}[]``: a list inside each value of an object). keys: source key ->
            canonical field (``scope.user_id`` for a scope field). system: whose ``extras`` keep every
            other key of the object, verbatim, for that system's writer to put back. others: where the
            other keys go instead, when not there (Letta Code's front matter: ``metadata.frontmatter``).
            refuses_others: True when the reader refuses any other key (canonical lines: the model
            forbids unknown keys); no ``others`` row is given then.
    """

    kind: RecordKind
    path: str
    keys: Mapping[str, str]
    system: str
    note: str = ""
    others: str = ""
    refuses_others: bool = False

    @property
    def rest(self) -> str:
        """Where every key the table does not name lands: ``others``, else ``extras.<system>``."""
        return self.others or f"extras.{self.system}"


@dataclass
class MappingTable:
    """Where canonical records go in one target format.

    Attributes:
        target: the format name (``agentmemory``). system: the system whose ``extras`` it restores.
        rows: :class:`FieldMap` rows. Fields of a kind with no row are lost.
        kinds: ``kind -> (target collection or None, note)``; a kind mapped to None is dropped whole.
        intro: a paragraph for the docs.
        keeps_extras: True when the writer keeps other systems' extras (so they are not lost); a set
            of kinds when it keeps them for those kinds only.
        side: target collections (values of ``kinds``) that are memconv's side channel: a place the
            target stores but ignores (mem0's top-level ``memconv[]`` list). Records of a kind going
            there are counted ``side_channel`` in the report's ledger, the others ``native``.
    """

    target: str
    system: str
    rows: list[FieldMap]
    kinds: dict[RecordKind, tuple[str | None, str]]
    intro: str = ""
    keeps_extras: bool | frozenset[str] = False
    side: frozenset[str] = frozenset()
    _lost_fields: dict[str, list[str]] = field(default_factory=dict, init=False, repr=False)
    _checks: dict[str, list[tuple[str, Any]]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        mapped: dict[str, set[str]] = {}
        for r in self.rows:
            if r.target is not LOST:
                mapped.setdefault(r.kind, set()).add(r.field)
        for kind, fields in MAPPED_FIELDS.items():
            self._lost_fields[kind] = [f for f in fields if f not in mapped.get(kind, set())]

    def lost_fields(self, kind: RecordKind) -> list[str]:
        """Canonical fields of ``kind`` this target cannot hold."""
        return self._lost_fields.get(kind, [])

    def keeps_extras_of(self, kind: RecordKind) -> bool:
        """True when the writer keeps other systems' extras on records of ``kind``."""
        k = self.keeps_extras
        return kind in k if isinstance(k, frozenset) else bool(k)

    def account(self, record: Base, report: Report, place: bool | str = True) -> bool:
        """Report what ``record`` loses in this target; return False when the whole record is dropped.

        A field counts as lost when it is set to something other than None, an empty container, or
        its default. Extras of another system count as lost (``extras.<system>``, naming their keys).
        ``place``: count the record in the report's ledger (:meth:`memconv.report.Report.place`):
        True puts it where :attr:`kinds` sends it (``side_channel`` for a destination in :attr:`side`,
        else ``native``), a string names the place, False leaves it to the writer. A dropped record
        is counted ``lost``.
        """
        kind = record.kind  # type: ignore[attr-defined]
        dest, note = self.kinds.get(kind, (None, f"{self.target} has no place for {kind} records"))
        if dest is None:
            raw = f"{getattr(record, 'system', '')} {getattr(record, 'collection', '')}".strip()
            report.lost(kind, "*", note, was=None, names=[raw] if kind == "raw" and raw else ())
            return False
        if place:
            report.place(kind, place if isinstance(place, str) else "side_channel" if dest in self.side else "native")
        checks = self._checks.get(kind)
        if checks is None:
            cls = type(record)
            checks = self._checks[kind] = [(n, cls.model_fields[n].get_default(call_default_factory=True))
                                           for n in self._lost_fields.get(kind, ())]
        values = record.__dict__
        for name, default in checks:
            value = values[name]
            if value is not None and _is_set(value, default):  # None (most fields, most records): no call
                reason = next((r.note for r in self.rows if r.kind == kind and r.field == name), "")
                report.lost(kind, name, reason or f"{self.target} has no field for it")
        if not self.keeps_extras_of(kind):
            for system, extra in record.extras.items():
                names = _keys(extra) if system != self.system and extra else None
                if names:  # memconv's own markers ($absent, $order...) alone are no loss of data
                    report.lost(kind, f"extras.{system}", f"{self.target} has no field for what only {system} holds",
                                names=names)
        return True


def account_header(header: Any, report: Report, target: str, kept: Iterable[str] = (),
                   kept_keys: Mapping[str, Iterable[str]] | None = None) -> None:
    """Report the header fields a write cannot hold: the source document's top-level fields each system
    keeps in the header's ``extras`` (mem0's ``count``/``next``, an OpenMemory export's user and
    ``export_meta``, a migration file's ``source``...), for every system not in ``kept`` (the systems
    whose header fields the writer puts back or carries in its side channel; ``kept_keys``: of a system
    not kept whole, the fields that are). Counted under kind ``header``, with the field names, so
    ``--fail-on-loss`` refuses and the report names them.
    """
    keep = set(kept)
    some = {k: set(v) for k, v in (kept_keys or {}).items()}
    for system, extra in header.extras.items():
        names = [k for k in _keys(extra) if k not in some.get(system, ())] \
            if system not in keep and isinstance(extra, dict) else []
        if names:
            report.lost("header", f"extras.{system}", f"{target} has no place for the {system} document's "
                                                      f"top-level fields", names=names, was=None)


def _keys(extra: dict[str, Any]) -> list[str]:
    """The source field names of one system's extras (memconv's own ``$`` markers left out)."""
    return [k for k in extra if not is_marker(k)]


def _is_set(value: Any, default: Any) -> bool:
    if value is None:
        return False
    if hasattr(value, "is_empty"):  # a Scope: asked directly, cheaper than comparing models
        return not value.is_empty()
    if value == default:
        return False
    if isinstance(value, (list, dict, str)) and not value:
        return False
    return True


def render_markdown(tables: Iterable[MappingTable]) -> str:
    """``docs/mappings.md``: one section per target, a table per kind, lost fields listed."""
    out = [
        "# Field mappings",
        "",
        "Generated from the mapping tables in code (`memconv.mapping`, one table per writer) by",
        "`memconv mappings > docs/mappings.md`; a test fails when this file drifts from them.",
        "The loss report that memconv prints reads the same tables.",
        "",
    ]
    for t in tables:
        out += [f"## canonical → {t.target}", ""]
        if t.intro:
            out += [t.intro, ""]
        out += ["| canonical kind | goes to | note |", "|---|---|---|"]
        for kind in RECORD_TYPES:
            dest, note = t.kinds.get(kind, (None, f"{t.target} has no place for {kind} records"))
            out.append(f"| `{kind}` | {('`' + dest + '`') if dest else '**lost**'} | {note} |")
        out.append("")
        for kind in RECORD_TYPES:
            dest, _ = t.kinds.get(kind, (None, ""))
            if dest is None:
                continue
            rows = [r for r in t.rows if r.kind == kind]
            out += [f"### `{kind}` → `{dest}`", "", "| canonical field | target field | note |", "|---|---|---|"]
            for r in rows:
                out.append(f"| `{r.field}` | {('`' + r.target + '`') if r.target else '**lost**'} | {r.note} |")
            explicit = {r.field for r in rows}
            for name in t.lost_fields(kind):
                if name not in explicit:
                    out.append(f"| `{name}` | **lost** | |")
            other = "kept too" if t.keeps_extras_of(kind) else "lost"
            out += [f"| `extras` | restored when the record came from {t.system} | extras of other systems: {other} |",
                    ""]
    return "\n".join(out).rstrip() + "\n"


EMBEDDED_PREFIXES = ("memconv.", "metadata.memconv", "sidecar.source", "memconv[]", ".memconv.json")
"""Target paths that are memconv's side channel (the target stores them verbatim and ignores them)."""


def fate(target: str | None) -> str:
    """``native``, ``embedded`` (only in memconv's side channel) or ``lost``, from a row's target: a
    target every path of which is in memconv's side channel (a ``memconv`` key at any depth, the
    ``source`` object of a Letta sidecar line) is ``embedded``."""
    if target is None:
        return "lost"
    paths = [p.strip().split(" ")[0] for p in target.split(",") if p.strip()]
    side = [p.startswith(EMBEDDED_PREFIXES) or ".memconv." in p or p.startswith("memconv") for p in paths]
    return "embedded" if paths and all(side) else "native"


def read_rows_as_data(fmt: str, tables: Iterable[ReadTable]) -> Iterable[dict[str, Any]]:
    """The read direction of ``memconv mappings --json``: per source key of each :class:`ReadTable`,
    ``{"format", "direction": "read", "kind", "field": <canonical field>, "path": <source path>,
    "fate": "native", "transform": "copy", "note"}``, and one row per table for every other key
    (``field`` ``extras.<system>``, ``path`` ``<path>.*``, ``fate`` ``extras``; or the table's
    ``others`` field, ``fate`` ``native``)."""
    for t in tables:
        for key, fld in t.keys.items():
            yield {"format": fmt, "direction": "read", "kind": t.kind, "field": fld, "path": f"{t.path}.{key}",
                   "fate": "native", "transform": "copy", "note": t.note}
        if t.refuses_others:
            continue
        yield {"format": fmt, "direction": "read", "kind": t.kind, "field": t.rest,
               "path": f"{t.path}.*", "fate": "native" if t.others else "extras", "transform": "copy",
               "note": "every other key, verbatim" + ("" if t.others else "; the same format's writer puts it back")}


def render_read_markdown(tables: dict[str, list[ReadTable]]) -> str:
    """The read half of ``docs/mappings.md``: per format, where each source key lands in the model."""
    out = ["# Reading: where each source key lands in the canonical model", "",
           "Generated from the key tables the readers run (`Format.read_tables`). Every key a table does",
           "not name is kept verbatim in the record's `extras.<system>`, and the same format's writer puts it",
           "back.", ""]
    for fmt, ts in tables.items():
        if not ts:
            continue
        out += [f"## {fmt} → canonical", ""]
        for t in ts:
            out += [f"### `{t.path}` → `{t.kind}`", ""] + ([t.note, ""] if t.note else [])
            out += ["| source key | canonical field |", "|---|---|"]
            out += [f"| `{k}` | `{v}` |" for k, v in t.keys.items()]
            out += ["| every other key | refused: the model forbids unknown keys |" if t.refuses_others
                    else f"| every other key | `{t.rest}` |", ""]
    return "\n".join(out).rstrip() + "\n"


def rows_as_data(tables: Iterable[MappingTable]) -> Iterable[dict[str, Any]]:
    """The rows of ``tables`` as plain objects (``memconv mappings --json``), one per canonical field
    of each kind a target takes: ``{"format", "direction": "write", "kind", "field", "path", "fate",
    "transform", "note"}``; ``path`` is the target path the row names (None when lost), ``fate`` as :func:`fate`.
    Fields with no row are listed as lost."""
    for t in tables:
        for kind in RECORD_TYPES:
            dest, note = t.kinds.get(kind, (None, f"{t.target} has no place for {kind} records"))
            if dest is None:
                yield {"format": t.target, "direction": "write", "kind": kind, "field": "*", "path": None,
                       "fate": "lost", "transform": "", "note": note}
                continue
            rows = [r for r in t.rows if r.kind == kind]
            for r in rows:
                yield {"format": t.target, "direction": "write", "kind": kind, "field": r.field,
                       "path": r.target, "fate": fate(r.target), "transform": r.transform, "note": r.note}
            explicit = {r.field for r in rows}
            for name in t.lost_fields(kind):
                if name not in explicit:
                    yield {"format": t.target, "direction": "write", "kind": kind, "field": name, "path": None,
                           "fate": "lost", "transform": "", "note": ""}
