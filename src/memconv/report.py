"""The conversion report: what was read, written, lost and warned about.

Readers call :meth:`Report.warn`; writers call :meth:`Report.lost` (usually through a
:class:`memconv.mapping.MappingTable`) and :meth:`Report.wrote`. The pipeline counts what was read.
The CLI prints :meth:`Report.format_losses` to stderr and ``--report FILE`` writes :meth:`Report.to_dict`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Loss:
    """One kind of loss: ``count`` records of ``kind`` whose ``field`` the target cannot hold."""

    kind: str
    field: str
    count: int
    reason: str


@dataclass
class Report:
    """Counts and messages of one conversion.

    Attributes:
        read: records read per kind. written: records written per target collection
            (``"agentmemory:memories"``) or canonical kind.
        losses: ``(kind, field) -> Loss``. warnings: one-line messages, in order, de-duplicated.
        info: free-form facts a writer reports (target version, output sha256, parts written).
    """

    read: Counter = field(default_factory=Counter)
    written: Counter = field(default_factory=Counter)
    losses: dict[tuple[str, str], Loss] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def lost(self, kind: str, fld: str, reason: str, count: int = 1) -> None:
        """Record that ``count`` records of ``kind`` lose ``fld`` in the target, and why."""
        key = (kind, fld)
        if key in self.losses:
            self.losses[key].count += count
        else:
            self.losses[key] = Loss(kind, fld, count, reason)

    def warn(self, message: str) -> None:
        """Record a warning (printed once on stderr)."""
        if message not in self.warnings:
            self.warnings.append(message)

    def wrote(self, what: str, count: int = 1) -> None:
        """Count ``count`` items written to ``what``."""
        self.written[what] += count

    @property
    def has_loss(self) -> bool:
        """True when anything was lost."""
        return bool(self.losses)

    def format_losses(self) -> list[str]:
        """One line per loss, sorted by kind then field."""
        return [
            f"lost: {l.count} {l.kind} record(s): {l.field} ({l.reason})"
            for l in sorted(self.losses.values(), key=lambda l: (l.kind, l.field))
        ]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the whole report."""
        return {
            "read": dict(sorted(self.read.items())),
            "written": dict(sorted(self.written.items())),
            "losses": [
                {"kind": l.kind, "field": l.field, "count": l.count, "reason": l.reason}
                for l in sorted(self.losses.values(), key=lambda l: (l.kind, l.field))
            ],
            "warnings": list(self.warnings),
            **self.info,
        }


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
    import os
    from datetime import datetime, timezone

    import orjson

    from . import __version__
    from .io import AtomicOutput

    data = report.to_dict()
    for entry, spec in zip(data.get("inputs", []), inputs):
        if spec != "-" and os.path.isfile(spec):
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
        fh.write(redact(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode()).encode())
