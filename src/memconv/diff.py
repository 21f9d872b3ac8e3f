"""Compare two memory files of any formats through the hub (``memconv diff A B``).

Both sides are read into canonical records and matched by ``(kind, key)``, where the key is the
record's id in its source system (``provenance.id``, else ``id``); blocks fall back to their label
and memories to their text when ids differ, so a file and its conversion still line up. For matched
records the canonical fields are compared (``provenance`` never; ``extras`` only with
``include_extras``) by what they hold: a field that is absent (None) on one side and empty (``[]``,
``{}``) on the other holds nothing on both (a legacy Letta message has no ``tool_returns``, the
current file ``[]``), and two times (``*_at``, ``timestamp``) that are the same instant are the same
(``2025-04-01T03:46:31`` is UTC, as ``2025-04-01T03:46:31+00:00`` says).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .model import Bundle
from .pipeline import read
from .timeutil import parse_ts

IGNORED = {"provenance", "kind"}


@dataclass
class Diff:
    """Records only in A (``removed``), only in B (``added``), and changed fields per matched record."""

    removed: list[tuple[str, str]] = field(default_factory=list)
    added: list[tuple[str, str]] = field(default_factory=list)
    changed: list[tuple[str, str, list[str]]] = field(default_factory=list)

    @property
    def same(self) -> bool:
        """True when nothing differs."""
        return not (self.removed or self.added or self.changed)

    def lines(self) -> list[str]:
        """``- kind key`` / ``+ kind key`` / ``~ kind key: field, field`` lines."""
        out = [f"- {k} {key}" for k, key in self.removed]
        out += [f"+ {k} {key}" for k, key in self.added]
        out += [f"~ {k} {key}: {', '.join(fields)}" for k, key, fields in self.changed]
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"removed": [list(x) for x in self.removed], "added": [list(x) for x in self.added],
                "changed": [{"kind": k, "key": key, "fields": f} for k, key, f in self.changed]}


def _key(rec: Any) -> str:
    if rec.provenance is not None and rec.provenance.id:
        return rec.provenance.id
    return rec.id


def _index(bundle: Bundle) -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {}
    for r in bundle.records:
        out.setdefault((r.kind, _key(r)), r)
    return out


def _fallback(rec: Any) -> str | None:
    if rec.kind == "block":
        return f"label:{rec.label}"
    if rec.kind in ("memory", "passage"):
        return f"text:{rec.text}"
    if rec.kind == "agent":
        return f"name:{rec.name}"
    return None


def compare(a: Bundle, b: Bundle, include_extras: bool = False) -> Diff:
    """Compare two bundles; see the module docstring."""
    ia, ib = _index(a), _index(b)
    only_a = [k for k in ia if k not in ib]
    only_b = {k for k in ib if k not in ia}
    fb_b: dict[tuple[str, str], tuple[str, str]] = {}
    for k in only_b:
        fb = _fallback(ib[k])
        if fb:
            fb_b.setdefault((k[0], fb), k)
    pairs = [(k, k) for k in ia if k in ib]
    diff = Diff()
    for k in only_a:
        fb = _fallback(ia[k])
        m = fb_b.pop((k[0], fb), None) if fb else None
        if m is not None:
            only_b.discard(m)
            pairs.append((k, m))
        else:
            diff.removed.append(k)
    diff.added = sorted(only_b)
    skip = IGNORED | (set() if include_extras else {"extras"})
    for ka, kb in pairs:
        ra, rb = ia[ka], ib[kb]
        da = ra.model_dump(exclude=skip)
        db = rb.model_dump(exclude=skip)
        if ka != kb:
            da.pop("id", None)
            db.pop("id", None)
        fields = sorted(f for f in set(da) | set(db) if not _same(f, da.get(f), db.get(f)))
        if fields:
            diff.changed.append((ka[0], ka[1], fields))
    return diff


def _same(name: str, a: Any, b: Any) -> bool:
    """Whether two values of field ``name`` hold the same (see the module docstring)."""
    if a == b:
        return True
    if a in (None, [], {}) and b in (None, [], {}):
        return True
    if (name.endswith("_at") or name == "timestamp") and isinstance(a, str) and isinstance(b, str):
        ta, tb = parse_ts(a), parse_ts(b)
        return ta is not None and ta == tb
    return False


def diff_files(a: str, b: str, from_a: str | None = None, from_b: str | None = None,
               include_extras: bool = False) -> Diff:
    """Read two files (any formats) and :func:`compare` them.

    Raises:
        InputUnreadable, InputInvalid, UnsupportedVersion: as :func:`memconv.read`.
    """
    return compare(read(a, format=from_a), read(b, format=from_b), include_extras=include_extras)
