"""The conversion report: what was read, written, lost and warned about.

Readers call :meth:`Report.warn`; writers call :meth:`Report.lost` (usually through a
:class:`memconv.mapping.MappingTable`) and :meth:`Report.wrote`. The pipeline counts what was read.
The CLI prints :meth:`Report.format_losses` to stderr and ``--report FILE`` writes :meth:`Report.to_dict`.

The ledger (:meth:`Report.ledger`) says, per kind read, where its records went: ``native`` (records of
the target's own), ``side_channel`` (kept only in memconv's side channel, which the target stores but
ignores), ``lost`` or ``filtered``. :meth:`memconv.mapping.MappingTable.account` places each record it
accounts for; a whole-record loss (``lost(kind, "*")``) moves records to ``lost``; writers that decide
late (mem0's graph entities) place them themselves with :meth:`Report.place`.
"""

from __future__ import annotations

import copy
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

from .logmessages import CATALOGUE, NO_NATIVE_RECORD, OTHER, LogMessage

if TYPE_CHECKING:
    from .model import ItemKind


WHERE = ("native", "side_channel", "lost")
"""Where a record read can end up in the target: a record of the target's own (``native``), kept only in
memconv's side channel that the target stores but ignores (``side_channel``: mem0's top-level ``memconv``
list, AgentMemory's ``memconv`` key, the ``source`` object of a Letta sidecar line), or ``lost``.
Records the selection options leave out are ``filtered`` (``info["filtered"]``)."""


@dataclass
class Loss:
    """One kind of loss: ``count`` records of ``kind`` whose ``field`` the target cannot hold.

    ``field`` is ``"*"`` for a whole record; ``names`` lists the source fields behind an
    ``extras.<system>`` loss (the keys only that system has), or the ``<system> <collection>`` of raw
    records lost whole, so the report can name them.
    """

    kind: ItemKind
    field: str
    count: int
    reason: str
    names: set[str] = field(default_factory=set)

    @property
    def what(self) -> str:
        """The lost part in words: ``"the whole record"`` (with the names of raw records' collections),
        ``"title"``, ``"agentmemory fields isLatest, strength"``."""
        if self.field == "*":
            return "the whole record" + (f" ({self._shown()})" if self.names else "")
        if self.field.startswith("extras.") and self.names:
            return f"{self.field[len('extras.'):]} fields {self._shown()}"
        return self.field

    def _shown(self) -> str:
        shown = sorted(self.names)
        more = f" and {len(shown) - MAX_NAMES} more" if len(shown) > MAX_NAMES else ""
        return ", ".join(shown[:MAX_NAMES]) + more


MAX_NAMES = 12
"""Field names shown in one loss line (the ``--report`` JSON lists them all)."""


@dataclass
class Report:
    """Counts and messages of one conversion.

    Attributes:
        read: records read per kind. written: records written per target collection
            (``"agentmemory:memories"``) or canonical kind.
        placed: per kind, how many records read ended up ``native``, ``side_channel`` or ``lost`` in
            the target (:data:`WHERE`); writers fill it through :meth:`place` (usually
            :meth:`memconv.mapping.MappingTable.account`) and :meth:`lost`.
        losses: ``(kind, field) -> Loss``. warnings: one-line messages, in order, de-duplicated.
        codes: message -> the code of its kind (:mod:`memconv.logmessages`).
        info: free-form facts a writer reports (target version, output sha256, parts written).
    """

    read: Counter = field(default_factory=Counter)
    written: Counter = field(default_factory=Counter)
    placed: dict[str, Counter] = field(default_factory=dict)
    losses: dict[tuple[str, str], Loss] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)

    def lost(self, kind: ItemKind, fld: str, reason: str, count: int = 1, names: Iterable[str] = (),
             was: str | None = "native") -> None:
        """Record that ``count`` records of ``kind`` lose ``fld`` in the target, and why.

        ``fld`` ``"*"``: the whole records are lost; the ledger (:meth:`ledger`) counts them ``lost`` and
        takes them from ``was``, where :meth:`memconv.mapping.MappingTable.account` placed them
        (None: they were not placed yet). ``names``: the source fields behind an ``extras.<system>`` loss.
        """
        key = (kind, fld)
        if key in self.losses:
            loss = self.losses[key]
            loss.count += count
        else:
            loss = self.losses[key] = Loss(kind, fld, count, reason)
        if names:
            loss.names.update(names)
        if fld == "*":
            c = self.placed.setdefault(kind, Counter())
            if was is not None:
                c[was] -= min(count, c[was])
            c["lost"] += count

    def place(self, kind: ItemKind, where: str, count: int = 1) -> None:
        """Count ``count`` records of ``kind`` as ending up ``where`` (one of :data:`WHERE`)."""
        if where not in WHERE:
            raise ValueError(f"where must be one of {WHERE}, not {where!r}")
        c = self.placed.get(kind)
        if c is None:
            c = self.placed[kind] = Counter()
        c[where] += count

    def filter(self, kind: ItemKind, count: int = 1, *, read: bool = False) -> None:
        """Count ``count`` records of ``kind`` as left out on purpose (``info["filtered"]``: a selection
        option, memconv's own scaffolding, what the source says was deleted). ``read``: the records were
        read but never reached the stream (a reader leaves them out), so they count as read too."""
        filtered = self.info.setdefault("filtered", {})
        filtered[kind] = filtered.get(kind, 0) + count
        if read:
            self.read[kind] += count

    def unplace(self, kind: ItemKind, where: str, count: int = 1) -> None:
        """Take back ``count`` records of ``kind`` placed ``where`` (a writer that leaves out, at the end,
        records it had placed when they came: it counts them again, e.g. as ``info["filtered"]``)."""
        c = self.placed.setdefault(kind, Counter())
        c[where] -= min(count, c[where])

    def move(self, kind: ItemKind, src: str, dst: str, count: int = 1) -> None:
        """Move ``count`` records of ``kind`` already placed ``src`` to ``dst`` (a writer that learns
        late where they went, e.g. entities that no relation uses)."""
        c = self.placed.setdefault(kind, Counter())
        n = min(count, c[src])
        c[src] -= n
        c[dst] += n

    def ledger(self) -> dict[str, dict[str, int]]:
        """Per kind read (or placed): ``read``, ``native``, ``side_channel``, ``lost``, ``filtered``.

        For each kind, ``read == native + side_channel + lost + filtered`` when every record was
        accounted for; :meth:`unaccounted` lists the kinds where it is not.
        """
        filtered = self.info.get("filtered") or {}
        out: dict[str, dict[str, int]] = {}
        for kind in sorted(set(self.read) | set(self.placed) | set(filtered)):
            c = self.placed.get(kind, Counter())
            row = {"read": self.read.get(kind, 0), "native": c["native"], "side_channel": c["side_channel"],
                   "lost": c["lost"], "filtered": int(filtered.get(kind, 0))}
            if any(row.values()):  # a kind a writer placed none of (mem0's entities of no relation) has no row
                out[kind] = row
        return out

    def unaccounted(self) -> dict[str, int]:
        """Kinds whose records read do not add up to native + side channel + lost + filtered, with the
        difference (read minus the sum)."""
        return {k: d["read"] - (d["native"] + d["side_channel"] + d["lost"] + d["filtered"])
                for k, d in self.ledger().items()
                if d["read"] != d["native"] + d["side_channel"] + d["lost"] + d["filtered"]}

    def check_native_output(self, target: str) -> None:
        """Warn when the input had records but none became a native record of ``target`` (all of
        them only in memconv's side channel, lost or filtered)."""
        total = sum(self.read.values())
        if not total or any(c["native"] for c in self.placed.values()):
            return
        side = sum(c["side_channel"] for c in self.placed.values())
        lost = sum(c["lost"] for c in self.placed.values())
        if not side and not lost:
            return  # the writer placed nothing (a plugin without a mapping table): no claim either way
        filtered = sum((self.info.get("filtered") or {}).values())
        parts = [f"{n} {what}" for n, what in ((side, f"kept only in memconv's side channel, which {target} ignores"),
                                              (lost, "lost"), (filtered, "filtered out")) if n]
        self.warn(f"{target}: the output holds no {target} record although {total} record(s) were read: "
                  + ", ".join(parts), NO_NATIVE_RECORD)

    def absorb(self, other: "Report") -> None:
        """Add ``other`` (the report of a later part of one stream, :mod:`memconv.jobs`) to this one:
        counts, the ledger and losses add up, warnings follow in order, ``info`` numbers add up and other
        ``info`` values are taken when this report has none."""
        self.read.update(other.read)
        self.written.update(other.written)
        for kind, c in other.placed.items():
            self.placed.setdefault(kind, Counter()).update(c)
        for key, loss in other.losses.items():
            if key in self.losses:
                self.losses[key].count += loss.count
                self.losses[key].names.update(loss.names)
            else:
                self.losses[key] = Loss(loss.kind, loss.field, loss.count, loss.reason, set(loss.names))
        for message in other.warnings:
            self.warn(message, other.codes.get(message, OTHER))
        _add_info(self.info, other.info)

    def warn(self, message: str, kind: LogMessage | str = OTHER) -> None:
        """Record a warning (printed once on stderr) of ``kind``: a :class:`~memconv.logmessages.LogMessage`
        of the catalogue, or its code.

        Raises:
            ValueError: a code the catalogue does not have (:func:`memconv.logmessages.register` adds one).
        """
        code = kind.code if isinstance(kind, LogMessage) else kind
        if code not in CATALOGUE:
            raise ValueError(f"unknown warning code {code!r}; register it (memconv.logmessages.register)")
        if message not in self.codes:
            self.warnings.append(message)
            self.codes[message] = code

    def warnings_by_code(self) -> dict[str, list[str]]:
        """The warnings grouped by their code (codes sorted, messages in order)."""
        out: dict[str, list[str]] = {}
        for message in self.warnings:
            out.setdefault(self.codes.get(message, OTHER.code), []).append(message)
        return dict(sorted(out.items()))

    def wrote(self, what: str, count: int = 1) -> None:
        """Count ``count`` items written to ``what``."""
        self.written[what] += count

    @property
    def has_loss(self) -> bool:
        """True when anything was lost."""
        return bool(self.losses)

    def format_losses(self) -> list[str]:
        """The loss report: one line per distinct loss (the same lost part for the same reason),
        naming the kinds and counts it hits, whole-record losses first.

        ``lost: 3 entity record(s), whole: <reason>``;
        ``lost: 4 memory, 7 observation record(s): agentmemory fields isLatest, strength (<reason>)``.
        """
        groups: dict[tuple[str, str], list[Loss]] = {}
        for l in sorted(self.losses.values(), key=lambda l: (l.field != "*", l.kind, l.field)):
            groups.setdefault((l.what, l.reason), []).append(l)
        lines = []
        for (what, reason), ls in groups.items():
            counts = ", ".join(f"{l.count} {l.kind}" for l in ls)
            if what.startswith("the whole record"):
                lines.append(f"lost: {counts} record(s), whole{what[len('the whole record'):]}: {reason}")
            else:
                lines.append(f"lost: {counts} record(s): {what} ({reason})")
        return lines

    def format_ledger(self) -> list[str]:
        """One line per kind read: how many records became native target records, stayed only in
        memconv's side channel, were lost or filtered out."""
        out = []
        for kind, d in self.ledger().items():
            if not d["read"]:
                continue
            parts = [f"{d['native']} native"]
            if d["side_channel"]:
                parts.append(f"{d['side_channel']} only in memconv's side channel")
            if d["lost"]:
                parts.append(f"{d['lost']} lost")
            if d["filtered"]:
                parts.append(f"{d['filtered']} filtered out")
            gap = d["read"] - d["native"] - d["side_channel"] - d["lost"] - d["filtered"]
            if gap:
                parts.append(f"{gap} unaccounted")
            out.append(f"{kind}: {d['read']} read: " + ", ".join(parts))
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the whole report (``ledger``: :meth:`ledger`)."""
        return {
            "read": dict(sorted(self.read.items())),
            "written": dict(sorted(self.written.items())),
            "ledger": self.ledger(),
            "losses": [
                {"kind": l.kind, "field": l.field, "count": l.count, "reason": l.reason,
                 **({"fields": sorted(l.names)} if l.names else {})}
                for l in sorted(self.losses.values(), key=lambda l: (l.kind, l.field))
            ],
            "warnings": list(self.warnings),
            "warnings_by_code": self.warnings_by_code(),
            **self.info,
        }


def _add_info(into: dict[str, Any], more: dict[str, Any]) -> None:
    """:meth:`Report.absorb` for ``info``: numbers add up (``secrets_blanked``, ``filtered`` counts),
    dicts merge key by key, anything else is kept from ``into`` or taken from ``more``."""
    for key, value in more.items():
        have = into.get(key)
        if key not in into:
            into[key] = copy.deepcopy(value)
        elif isinstance(have, int) and isinstance(value, int) and not isinstance(have, bool):
            into[key] = have + value
        elif isinstance(have, dict) and isinstance(value, dict):
            _add_info(have, value)


def sha256_file(path: str) -> str:
    """Hex SHA-256 of a file's bytes."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_report(path: str, report: Report, *, inputs: list[str], output: str, dry_run: bool) -> None:
    """Write the audit report (``--report FILE``) as JSON, atomically.

    Adds to :meth:`Report.to_dict`: memconv version, time (UTC), each input's sha256 (files only),
    the output's sha256 (files only, after a real run), and whether it was a dry run.
    """
    from datetime import datetime, timezone

    import orjson

    from . import __version__
    from .io import AtomicOutput

    data = report.to_dict()
    given = set(inputs)
    for entry in data.get("inputs", []):
        spec = entry.get("name")  # the input's own name: a path as given, or a folder's member path
        if isinstance(spec, str) and spec != "-" and os.path.isfile(spec) and (spec in given or not given or
                                                                              _under_any(spec, given)):
            entry["sha256"] = sha256_file(spec)
            entry["path"] = os.path.abspath(spec)
    out: dict = {"path": None if output == "-" else os.path.abspath(output)}
    if output != "-" and not dry_run and os.path.isfile(output):
        out["sha256"] = sha256_file(output)
    parts = report.info.get("parts")
    if parts and not dry_run:
        out["parts"] = [{"path": p, "sha256": sha256_file(p)} for p in parts if os.path.isfile(p)]
    doc = {"memconv_version": __version__, "time": datetime.now(timezone.utc).isoformat(), **data,
           "output": out}
    from .transport import redact

    with AtomicOutput(path, compress=False) as fh:  # no secret value met on the way is printed here either
        fh.write(orjson.dumps(_shown(doc, redact), option=orjson.OPT_INDENT_2))


def _under_any(path: str, roots: Iterable[str]) -> bool:
    """True when ``path`` lies in one of the folders ``roots`` (a member of a folder given as an input)."""
    real = os.path.realpath(path)
    return any(os.path.isdir(r) and real.startswith(os.path.realpath(r).rstrip(os.sep) + os.sep) for r in roots)


def _shown(value: Any, redact: Any) -> Any:
    """``value`` (the report's JSON) with each string, key or value, as it may be shown: every secret met on
    the way hidden (:func:`memconv.transport.redact`: inside strings only, so a secret such as ``false``
    cannot turn a JSON ``false`` into text), and a name holding bytes that are not UTF-8 (a file name,
    kept by Python as lone surrogates) with those bytes escaped (``\\xe9``)."""
    if isinstance(value, str):
        if not value.isascii():
            try:
                value = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            except UnicodeEncodeError:  # a lone surrogate of another range (a JSON "\ud800" escape)
                value = value.encode("utf-8", "backslashreplace").decode("utf-8")
        return redact(value)
    if isinstance(value, dict):
        return {_shown(k, redact): _shown(v, redact) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_shown(v, redact) for v in value]
    return value
