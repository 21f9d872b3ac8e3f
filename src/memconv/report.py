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
