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

# reading: the input's bytes and JSON
NOT_UTF8 = _m("not-utf8", "a file's text or name is not UTF-8; memconv does not read that file")
TRANSCODED = _m("transcoded", "the input is UTF-16 or UTF-32 text with a byte order mark; memconv reads it as such "
                              "and writes UTF-8")
DOUBLE_ENCODED = _m("double-encoded", "the JSON input is a string that holds the JSON document (encoded twice); "
                                      "memconv decodes it and reads the document")
DUPLICATE_KEY = _m("duplicate-key", "an object gives a key twice; the last value is read, as JSON parsers and "
                                    "JavaScript read it")
EMPTY_INPUT = _m("empty-input", "an input holds no records; the output holds nothing of it")
FILE_SKIPPED = _m("file-skipped", "a file or folder of the input is not read (a link, or not a Markdown memory file)")
OPTION_IGNORED = _m("option-ignored", "an option does not apply to this input (--history on an archive, or on a "
                                      "folder without git history); memconv reads the input without it")

# reading: versions, shapes and what the input holds
VERSION_GUESSED = _m("version-guessed", "the input gives no version, or one memconv has not seen; memconv reads it "
                                        "in the shape of the version it knows")
INCOMPLETE_INPUT = _m("incomplete-input", "the input holds only part of what the source has (one page of a listing, "
                                          "a capped or partial export, an agent without its messages); memconv "
                                          "reads what is there")
COUNT_MISMATCH = _m("count-mismatch", "a count the input or a server gives does not match the records there are; "
                                      "memconv goes on with the records it has")
BAD_VALUE = _m("bad-value", "a value is missing or does not have the type or form its format gives it; memconv "
                            "reads it as the warning says (as it is, as a default, or not at all)")
UNKNOWN_KEY = _m("unknown-key", "a key the format's schema does not have; memconv keeps it as is when it writes "
                                "the same format back, and other formats lose it")
KEY_MOVED = _m("key-moved", "a key has no place where it was given; memconv moves it to where the target or the "
                            "source's own API keeps it (into or out of metadata)")
KEY_DROPPED = _m("key-dropped", "a key of the input says how it was made, not what a record holds (the mem0 CLI's "
                                "status, command, duration); memconv does not keep it, and names it")
FRONT_MATTER_PROBLEM = _m("front-matter-problem", "a memory file's front matter is not as Letta Code writes it "
                                                  "(missing, malformed, an unknown key, no description); memconv "
                                                  "reads the file as the warning says")
DERIVED_ID = _m("derived-id", "a record has no usable id; memconv reads it under an id it derives (from its place "
                              "in the input)")

# reading: memconv's own data kept in or beside the input
MEMCONV_DATA_INVALID = _m("memconv-data-invalid", "memconv's own data in the input (a record embedded in a native "
                                                  "one, its sidecar, a header comment) is not valid; memconv reads "
                                                  "the native data without it")
SIDECAR_READ = _m("sidecar-read", "an agent file's archival passages are read from the passages sidecar beside it")
SIDECAR_MISMATCH = _m("sidecar-mismatch", "a sidecar file is missing, or the one beside the file does not belong to "
                                          "it (stale); memconv reads without it, or names it so that it can be "
                                          "removed")
EDITED_SINCE_WRITTEN = _m("edited-since-written", "a file memconv wrote was edited or removed since; memconv reads "
                                                  "it as it is now and takes the rest from its sidecar")

# ids and references
ID_CLASH = _m("id-clash", "two records have the same id; memconv gives the later one a new id so that the target "
                          "keeps both, or resolves references to the first")
ID_RENUMBERED = _m("id-renumbered", "ids are renumbered to the form the target requires; references to them are "
                                    "rewritten")
REFERENCE_UNRESOLVED = _m("reference-unresolved", "a record names another that is not in the input (or comes after "
                                                  "it); memconv keeps the reference, or gives the record to the only "
                                                  "agent, as the warning says")
REFERENCE_DROPPED = _m("reference-dropped", "a reference names a record that is not in the output; it is dropped "
                                            "(by memconv, or by the target's importer)")

# writing: records the target refuses, changes or lacks
RECORD_DROPPED = _m("record-dropped", "a record the target refuses or cannot take (or its importer skips) is left "
                                      "out of the target's own records, as the warning says")
RECORD_FOLDED = _m("record-folded", "the target keeps one record per name or per session and the input has several; "
                                    "memconv folds them into one and reports those that differ as lost")
RECORD_BUILT = _m("record-built", "the target requires a record the input lacks (an agent to hold archival records, "
                                  "a system message); memconv builds it")
BUILT_RECORD_LEFT_OUT = _m("built-record-left-out", "records memconv built when it wrote a Letta file (tagged "
                                                    "memconv) are not written as the target's own records: the "
                                                    "source had none of them")
VALUE_CHANGED = _m("value-changed", "a value is changed so the target accepts it (a limit raised, a name made valid, "
                                    "a required config filled with a default, a setting turned off); the warning "
                                    "says to what")
SHAPE_CONVERTED = _m("shape-converted", "the input is another shape of the target's format (a legacy file, an "
                                        "AgentState, a bundle, a multi-agent group); memconv writes it in the "
                                        "target's current shape, with the changes the warning lists")
INACTIVE_AS_LIVE = _m("inactive-as-live", "records the source marks superseded, paused, archived or deleted are "
                                          "written as live records, since the target has no such state")
SEVERAL_AGENTS = _m("several-agents", "the target holds one agent and the input has several; the first is written "
                                      "as the target's own and the others are kept in memconv's sidecar")
UNSCOPED_RECORD = _m("unscoped-record", "records written have no user, agent or run id, so the target's usual "
                                        "queries cannot reach them; memconv writes them as they are")
NO_NATIVE_RECORD = _m("no-native-record", "records were read but none became a record of the target's own (all "
                                          "kept only in memconv's side channel, lost or filtered out); the output "
                                          "is written as it is")

# the output file
SIZE_NEAR_CAP = _m("size-near-cap", "the output is over the size the target takes in one import; memconv writes it "
                                    "whole (--split writes parts that fit)")
HARD_LINKED_OUTPUT = _m("hard-linked-output", "the output file has other hard links; the new file replaces this "
                                              "name only, and the other links keep the old content")


def render_markdown() -> str:
    """``docs/warnings.md``: the catalogue, one row per code (``memconv warnings``)."""
    out = ["# Warnings", "",
           "Generated from the catalogue in code (`memconv.logmessages`) by `memconv warnings > docs/warnings.md`;",
           "a test fails when this file drifts from it. Every warning memconv prints has one of these codes;",
           "`--report FILE` lists the warnings by code under `warnings_by_code`.", "",
           "| code | meaning |", "|---|---|"]
    out += [f"| `{m.code}` | {m.summary} |" for m in sorted(CATALOGUE.values(), key=lambda m: m.code)]
    return "\n".join(out) + "\n"
