"""``memconv validate FILE``: check a file against its format and list every problem with its place.

The file is read through its reader (shape, references, version: the first fatal problem stops
the reader and is listed; two records of one kind under one id are listed, as the target would keep
one of them), then through the format's own checks (:meth:`memconv.format.Format.problems`,
which list every problem they find, such as AgentMemory's caps and required keys).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import registry
from .errors import MemconvError
from .io import Input
from .pipeline import _depth_guard, iter_records
from .report import Report
from .uniqueids import duplicates


@dataclass
class Validation:
    """What ``validate`` found: the format, its version, record counts, problems and warnings."""

    name: str
    format: str | None = None
    version: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there are no problems."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"name": self.name, "format": self.format, "version": self.version, "ok": self.ok,
                "counts": self.counts, "problems": self.problems, "warnings": self.warnings}


def id_scope(rec: Any) -> str:
    """What a record's id must be unique in: its kind; an observation's session (AgentMemory keys
    observations per session); a raw record's system and collection."""
    if rec.kind == "observation":
        return f"observation (session {rec.session_id!r})"
    if rec.kind == "raw":
        return f"raw {rec.system} {rec.collection}"
    return rec.kind


def _key(rec: Any) -> str:
    """What must be unique within :func:`id_scope`: the id; a summary's session (AgentMemory keys
    summaries by ``sessionId``, so two summaries of one session are one there)."""
    return rec.session_id if rec.kind == "summary" and rec.session_id else rec.id


def validate(path: str | Input, format: str | None = None) -> Validation:
    """Validate one file (a path, or an :class:`~memconv.io.Input` such as a member of an archive
    :func:`memconv.several.expand` gave); problems are collected, not raised (except for an
    unreadable file).

    Raises:
        InputUnreadable: the file cannot be read at all.
        UsageError: an unknown ``format``.
    """
    named = registry.get(format) if format else None  # an unknown name is the caller's error, raised
    inp = path if isinstance(path, Input) else Input(path)
    result = Validation(name=inp.name)
    try:
        fmt = named or registry.detect(inp)
    except MemconvError as e:
        result.problems.append(e.message)
        return result
    result.format = fmt.name
    report = Report()
    try:
        items = iter_records([inp], format=fmt.name, report=report)
        header = next(items)
        result.version = header.source_format_version
        keyed = []
        for rec in items:
            keyed.append((id_scope(rec), _key(rec), f"{rec.kind} #{report.read[rec.kind]}"))
    except MemconvError as e:
        result.problems.append(e.message)
    else:
        result.problems += duplicates(keyed)
    result.counts = dict(sorted(report.read.items()))
    result.warnings = list(report.warnings)
    try:
        with _depth_guard(report):  # the format's own checks read the input again
            more = fmt.problems(inp)
    except MemconvError as e:  # what the read above met already, as a problem
        more = [e.message]
    result.problems += [p for p in more if p not in result.problems]
    result.warnings = [w for w in result.warnings if w not in result.problems]  # listed once, as a problem
    return result
