"""Coded warnings: each kind of warning memconv gives is a :class:`LogMessage` with a stable code.

As pandoc's ``LogMessage``: the text of a warning says what happened to which record, with its place;
its code says which kind of thing happened, so ``--report`` can list warnings by code
(``warnings_by_code``) and a script can act on a kind without matching text. The catalogue
(:data:`CATALOGUE`) is closed: :meth:`memconv.report.Report.warn` refuses a code that is not in it, and
a plugin adds its own with :func:`register`. ``memconv warnings`` prints the catalogue, and
``docs/warnings.md`` is generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LogMessage:
    """One kind of warning.

    Attributes:
        code: stable, kebab-case (``duplicate-key``); what ``--report``'s ``warnings_by_code`` is keyed by.
        summary: one sentence on what it means and what memconv did about it.
    """

    code: str
    summary: str


CATALOGUE: dict[str, LogMessage] = {}
"""Every known kind of warning, by code."""


def register(message: LogMessage) -> LogMessage:
    """Add ``message`` to :data:`CATALOGUE` (a plugin's own kinds); returns it.

    Raises:
        ValueError: another kind already has the code.
    """
    have = CATALOGUE.get(message.code)
    if have is not None and have != message:
        raise ValueError(f"warning code {message.code!r} is already {have.summary!r}")
    CATALOGUE[message.code] = message
    return message


def _m(code: str, summary: str) -> LogMessage:
    return register(LogMessage(code, summary))


OTHER = _m("other", "a warning of no more specific kind")


def render_markdown() -> str:
    """``docs/warnings.md``: the catalogue, one row per code (``memconv warnings``)."""
    out = ["# Warnings", "",
           "Generated from the catalogue in code (`memconv.logmessages`) by `memconv warnings > docs/warnings.md`;",
           "a test fails when this file drifts from it. Every warning memconv prints has one of these codes;",
           "`--report FILE` lists the warnings by code under `warnings_by_code`.", "",
           "| code | meaning |", "|---|---|"]
    out += [f"| `{m.code}` | {m.summary} |" for m in sorted(CATALOGUE.values(), key=lambda m: m.code)]
    return "\n".join(out) + "\n"
