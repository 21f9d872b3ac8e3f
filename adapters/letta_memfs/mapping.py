"""The canonical -> Letta Code memory folder (MemFS) mapping table (rendered in ``docs/mappings.md``).

The writer (:mod:`.writer`) calls ``MAPPING.account(record, report)`` for every record. Nothing is
lost: a field the folder has no place for is kept in the hidden sidecar ``.memconv.json`` (Letta Code
ignores hidden files), which the reader restores.
"""

from __future__ import annotations

from typing import Any

from memconv.mapping import MAPPED_FIELDS, FieldMap, MappingTable
from memconv.writetable import Put, Transform, WriteTable, tables_field_maps

from .shape import LETTA_DEFAULT_LIMIT, one_line

_SIDE = ".memconv.json records[]"

_KINDS: dict[str, tuple[str | None, str]] = {
    "agent": (_SIDE, "the first agent is the folder's: its attached blocks are the files under system/; every "
                     "agent (system prompt, tools, rules, configs) is kept whole in the sidecar"),
    "block": ("<label>.md", "one Markdown file: system/<label>.md when the folder's agent lists it (attached), "
                            "else <label>.md (detached); unsafe label characters %-escaped"),
    "memory": ("reference/<system>/<scope>/<type>/<id>.md", "a detached block the agent can open; the record "
                                                            "itself is kept in the sidecar"),
    "skill": ("skills/<name>/", "one file per skill file; the record in the sidecar"),
    "raw": ("<path> (a memory folder's own files), else .memconv.json records[]",
            "a file of a memory folder that holds no block (letta-memfs raw 'files': an image, a script) goes "
            "back to its path, byte for byte; any other raw record is kept whole in the sidecar"),
}
for _k in MAPPED_FIELDS:
    _KINDS.setdefault(_k, (_SIDE, "kept whole in the sidecar (Letta Code's folder has no place for it)"))

def _block_description(r: Any, o: dict[str, Any], c: Any) -> str:
    return r.description if r.description and one_line(r.description) else \
        f"Letta block {r.label!r}, converted by memconv"


def _memory_description(r: Any, o: dict[str, Any], c: Any) -> str:
    head = one_line(r.title or r.text)[:160] or r.id
    return f"{r.source_system() or 'another system'} memory {r.id}: {head}"


BLOCK_FILE = WriteTable("block", "<label>.md", [
    Put("description", "description", via=Transform("one-line", _block_description),
        note="front matter; a block without a one-line description gets 'Letta block <label>, converted by "
             "memconv' (the exact text in the sidecar)"),
    Put("read_only", "read_only", Transform("true-only", lambda v: "true" if v else None), omit="none",
        note="front matter, only when true"),
    Put("limit", "limit", Transform("not-default", lambda v: None if v == LETTA_DEFAULT_LIMIT else v), omit="none",
        note="front matter, only when the block has a limit other than Letta's default"),
    Put("value", "body", note="the file's body, verbatim"),
])
"""A block's file: its front matter keys (what Letta Code's hook allows) and its body
(:func:`.shape.render` writes them); the path comes from the label and whether the folder's agent has
the block attached (``system/``), which is the writer's."""

MEMORY_FILE = WriteTable("memory", "reference/<system>/<scope>/<type>/<id>.md", [
    Put(("title", "text"), "description", via=Transform("one-line", _memory_description),
        note="front matter: the system, the id and the title (else the text's start)"),
    Put("text", "body", note="the file's body, verbatim"),
])
"""A memory of another system as a detached block file Letta Code's agent can open."""

_TABLED = tables_field_maps((BLOCK_FILE, MEMORY_FILE))

_FILE_ROWS: dict[str, dict[str, str]] = {
    "block": {"label": "the file's path"},
    "memory": {"scope": "the file's folder (user-<id>, agent-<id>, run-<id>, project-<name>)",
               "memory_type": "the file's folder"},
    "skill": {"files": "skills/<name>/<file>"},
}


def _rows() -> list[FieldMap]:
    rows = []
    for kind, fields in MAPPED_FIELDS.items():
        native = _FILE_ROWS.get(kind, {})
        for name in fields:
            rows.append(_TABLED.get((kind, name)) or FieldMap(kind, name, native.get(name, _SIDE)))
    return rows


MAPPING = MappingTable(
    target="letta-memfs", system="letta", rows=_rows(), kinds=_KINDS, keeps_extras=True, side=frozenset({_SIDE}),
    intro=("A folder that Letta Code (npm `@letta-ai/letta-code`, the `letta` command since the Letta server's "
           "0.16.8) uses as an agent's memory: one Markdown file per block with only the front matter keys its "
           "pre-commit hook allows (`description`, `read_only`, `limit`), attached blocks under `system/`. "
           "Everything else (Letta block ids, metadata, tags, the agent's system prompt, tools, messages, "
           "passages, other agents) is kept in the hidden `.memconv.json` at the folder's root, so that "
           "`.af` -> folder -> `.af` gives the same agent back. `-o DIR` writes the folder atomically (a scratch "
           "folder beside it, then a rename), `--git` commits it; `-o X.tar.gz`, `-o X.zip` or standard output "
           "write an archive of it."),
)
