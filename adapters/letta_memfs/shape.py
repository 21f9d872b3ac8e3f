"""Letta Code's memory folder (MemFS): paths, labels and front matter, as Letta Code reads them.

Upstream: letta-ai/letta-code at 1f4d3e3 (2026-08-22), npm ``@letta-ai/letta-code`` 0.32.x:

* ``src/utils/frontmatter.ts`` ``parseFrontmatter``: a UTF-8 BOM is stripped, CRLF and lone CR become
  LF, the front matter is ``^---\\n(...)\\n---(\\n body)?$`` (the first closing ``---`` ends it), each
  line is ``key: value`` split at the first colon, values are raw text (no YAML quoting), and the body
  is trimmed.
* ``src/agent/memory-git-hooks.ts`` ``PRE_COMMIT_HOOK_SCRIPT``: keys ``description`` (required, not
  empty), ``read_only`` (protected: set by the server, never by the agent), ``limit`` (legacy,
  tolerated); any other key is refused. It checks ``.md`` files under ``system/`` and ``reference/``.
* ``src/backend/local/local-backend.ts`` ``memoryBlockPath``: a block labelled ``persona`` is the file
  ``system/persona.md``; a label that already starts with ``system/`` keeps its path.
  ``renderMemoryFile`` / ``sanitizeFrontmatterValue``: a description is one line (newlines become
  spaces), written as ``description: <text>``, then ``read_only: <value>``.
* ``src/agent/memory-scanner.ts``: names starting with ``.`` are hidden and never read.

Labels and paths (memconv's choice where Letta Code has none): an attached block is
``system/<label>.md`` (``system/<rest>.md`` for a label ``system/<rest>``); a detached block is
``<label>.md`` (``_detached/<label>.md`` when the label starts with ``system/``, so that it is not
attached on the way back). A label segment that is not a safe file name is percent-escaped
(:func:`label_to_path`), reversibly (:func:`path_to_label`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import orjson

SIDECAR = ".memconv.json"
"""The hidden file at the folder's root where memconv keeps what the front matter has no key for."""

SIDECAR_FORMAT = "memconv-letta-memfs-sidecar"
SIDECAR_VERSION = 1
SYSTEM_DIR = "system"
DETACHED_ESCAPE = "_detached"
SKILLS_DIR = "skills"
FILES = "files"
"""The :class:`~memconv.model.Raw` collection of a memory folder's files that hold no block (an image, a
script, a table the agent keeps in its memory's repository)."""
LETTA_DEFAULT_LIMIT = 100000
"""Letta's default block limit (``CORE_MEMORY_BLOCK_CHAR_LIMIT``, letta 0.16.8 ``constants.py``): what a
block without a ``limit`` gets, so a file need not say it."""
ALLOWED_KEYS = ("description", "read_only", "limit")
"""Front matter keys Letta Code's pre-commit hook accepts (``ALL_KNOWN_KEYS``)."""

FRONT_MATTER_KEYS = {"description": "description", "read_only": "read_only", "limit": "limit"}
"""The reader's key table: a block file's front matter key -> the block's field (``read_only: true`` a
boolean, ``limit`` a whole number); every other key goes to ``metadata.frontmatter``."""

_UNSAFE_CHAR = re.compile(r'[\x00-\x20\x7f%\\:*?"<>|]')
"""Escaped in file names: control characters, ``%``, characters Windows refuses, and the space (Letta
Code's pre-commit hook splits the staged file list on white space)."""
_FM = re.compile(r"^---\n([\s\S]*?)\n---(?:\n([\s\S]*))?$")


EMPTY_LABEL = "%EMPTY%"
"""The file name of a block whose label is empty (a real ``%`` is always escaped, so it cannot clash)."""


def _escape_segment(out: str) -> str:
    if out.startswith("."):  # hidden: Letta Code would not see it
        out = "%2E" + out[1:]
    if out.endswith("."):  # not a portable file name
        out = out[:-1] + "%2E"
    return out


def escape_label(label: str) -> str:
    """``label`` as a relative path without ``.md``: a ``/`` that would make an empty segment becomes
    ``%2F``, characters that are not portable in file names (and ``%``) become ``%XX``, a leading ``.``
    ``%2E`` (a hidden file would not be seen), a trailing ``.`` or space is escaped too."""
    if label == "":
        return EMPTY_LABEL
    out = []
    for i, ch in enumerate(label):
        if ch == "/":
            glued = i == 0 or i == len(label) - 1 or label[i - 1] == "/"
            out.append("%2F" if glued else "/")
        else:
            out.append(_UNSAFE_CHAR.sub(lambda m: "%{:02X}".format(ord(m.group())), ch))
    return "/".join(_escape_segment(s) for s in "".join(out).split("/"))


def unescape_label(path: str) -> str:
    """The inverse of :func:`escape_label` (a path without ``.md``)."""
    if path == EMPTY_LABEL:
        return ""
    return "/".join(unquote(s) for s in path.split("/"))


def label_to_path(label: str, attached: bool) -> str:
    """The file (relative, ``/``-separated) of a block: see the module docstring."""
    rel = escape_label(label)
    if attached:
        return (rel if rel.startswith(SYSTEM_DIR + "/") else f"{SYSTEM_DIR}/{rel}") + ".md"
    if rel == SYSTEM_DIR or rel.startswith(SYSTEM_DIR + "/") or rel.startswith(DETACHED_ESCAPE + "/") \
            or rel.startswith(SKILLS_DIR + "/"):
        rel = f"{DETACHED_ESCAPE}/{rel}"
    return rel + ".md"


def path_to_label(path: str, literal: bool = False) -> tuple[str, bool]:
    """``(label, attached)`` of a file: under ``system/`` the label is the path below ``system/``
    (Letta Code renders ``system/persona.md`` as the block ``persona``), elsewhere the path from the
    folder's root; ``.md`` removed. Escapes are undone and ``_detached/`` taken off only in a folder
    memconv wrote; in another (``literal``: no sidecar) the label is the path as Letta Code's
    ``labelFromRelativePath`` gives it (``notes/discount%20codes``, ``_detached/notes``)."""
    rel = path[:-3] if path.endswith(".md") else path
    undo = (lambda x: x) if literal else unescape_label
    if rel.startswith(SYSTEM_DIR + "/"):
        return undo(rel[len(SYSTEM_DIR) + 1:]), True
    if rel.startswith(DETACHED_ESCAPE + "/") and not literal:
        rel = rel[len(DETACHED_ESCAPE) + 1:]
    return undo(rel), False


def is_hidden(path: str) -> bool:
    """True when a segment of ``path`` starts with ``.`` (Letta Code's scanner skips it)."""
    return any(seg.startswith(".") for seg in path.split("/"))


def one_line(text: str) -> str:
    """A front matter value as Letta Code writes one (``sanitizeFrontmatterValue``)."""
    return re.sub(r"\r?\n|\r", " ", text).strip()


def render(file: dict[str, Any]) -> bytes:
    """One block file from ``{"description", "read_only"?, "limit"?, "body"}`` (a write table's
    output, :data:`.mapping.BLOCK_FILE`): front matter with only the keys the hook allows, in its
    order, then the body verbatim. ``description`` must not be empty after :func:`one_line`."""
    lines = ["---", f"description: {one_line(file['description'])}"]
    lines += [f"{k}: {file[k]}" for k in ALLOWED_KEYS[1:] if k in file]
    lines.append("---")
    return ("\n".join(lines) + "\n" + file["body"]).encode("utf-8")


@dataclass
class Parsed:
    """A block file as read: front matter keys (raw text values), the body, and what was wrong."""

    keys: dict[str, Any] = field(default_factory=dict)
    """Front matter key -> its value: a string, or a list of strings for a key followed by ``- item``
    lines (only keys Letta Code's hook does not check; the three it does are strings)."""
    body: str = ""
    has_front_matter: bool = False
    problems: list[str] = field(default_factory=list)
    key_lines: dict[str, int] = field(default_factory=dict)


def parse(text: str, exact: bool = False) -> Parsed:
    """Parse a block file the way Letta Code's ``parseFrontmatter`` does (BOM stripped, CRLF to LF,
    body trimmed). With ``exact``, the text is the file memconv wrote: nothing is normalised and the
    body is kept byte for byte. Problems (one line each, with the line number) are collected, not
    raised: a file Letta Code reads is read."""
    out = Parsed()
    if not exact:
        text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    m = _FM.match(text)
    if not m:
        out.body = text if exact else text.strip()
        out.problems.append("line 1: no front matter (expected '---', then 'description: ...', then '---'); "
                            "Letta Code's pre-commit hook refuses such a file")
        return out
    out.has_front_matter = True
    out.body = m.group(2) or ""
    if not exact:
        out.body = out.body.strip()
    last: str | None = None
    indented: dict[str, int] = {}  # key -> the first indented line under it that is not a list item
    for n, line in enumerate(m.group(1).split("\n"), 2):
        if not line.strip():
            continue
        if line[:1] in (" ", "\t"):
            item = line.strip()
            held = out.keys.get(last) if last is not None else None
            if (item == "-" or item.startswith("- ")) and last not in ALLOWED_KEYS and (held == "" or isinstance(held, list)):
                out.keys[last] = [*(held or []), item[1:].strip()]  # a YAML list, as parseFrontmatter reads it
                continue
            if last is not None:
                indented.setdefault(last, n)
                continue
            out.problems.append(f"line {n}: an indented line in the front matter is ignored")
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or not key:
            out.problems.append(f"line {n}: expected 'key: value' in the front matter")
            continue
        if key not in ALLOWED_KEYS:
            out.problems.append(f"line {n}: front matter key {key!r} is not one Letta Code allows "
                                f"({', '.join(ALLOWED_KEYS)}); kept in the block's metadata")
        out.keys[key] = value.strip()
        out.key_lines[key] = n
        last = key
    if indented:
        _yaml_values(m.group(1), indented, out)
    desc = out.keys.get("description")
    if not exact and "description" not in indented and isinstance(desc, str):
        quoted, value = yaml_scalar(desc)
        if quoted:
            out.keys["description"] = value or ""
            out.problems.append(f"line {out.key_lines['description']}: description: {desc[:40]!r} read as YAML reads "
                                f"it ({'null: no description' if value is None else 'its quotes taken off'}), as "
                                f"Letta's server wrote it; Letta Code's own parser reads the text as it is")
    if not str(out.keys.get("description", "")).strip():
        out.problems.append("line 2: no 'description' (Letta Code requires a non-empty one)")
    return out


def _yaml_load(text: str) -> Any:
    """``yaml.safe_load`` of ``text`` without aliases (``*a``: a few nested ones would make a mapping of
    billions of values out of a few lines; Letta's server never writes one). Raises ``yaml.YAMLError``."""
    import yaml

    class NoAliases(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                raise yaml.YAMLError("an alias")
            return super().compose_node(parent, index)

    return yaml.load(text, Loader=NoAliases)  # noqa: S506 - a SafeLoader


def _yaml_values(front: str, indented: dict[str, int], out: Parsed) -> None:
    """The values of the keys with indented lines under them (``indented``: key -> the first such line),
    read as YAML: a long value folded over several lines, or a mapping, as Letta's server writes front
    matter (letta 0.16.8 ``services/memory_repo/block_markdown.py``: ``yaml.dump``, read back with
    ``yaml.safe_load``). Letta Code's own parser reads such a key's first line only. When the front
    matter is no YAML mapping, the indented lines are ignored, each named in ``out.problems``."""
    import yaml

    try:
        data = _yaml_load(front)
    except yaml.YAMLError:
        data = None
    for key, n in indented.items():
        if not isinstance(data, dict) or key not in data:
            out.problems.append(f"line {n}: an indented line in the front matter is ignored (the front matter is "
                                f"not YAML either)")
            continue
        value = _plain(data[key])
        if key in ALLOWED_KEYS:
            value = ("true" if value else "false") if isinstance(value, bool) else "" if value is None else \
                value if isinstance(value, str) else str(value) if isinstance(value, (int, float)) else \
                orjson.dumps(value, default=str).decode()
        out.keys[key] = value
        out.problems.append(f"line {n}: {key}: indented lines read as YAML reads them (a value folded over "
                            f"several lines, or a mapping, as Letta's server writes front matter); Letta Code's "
                            f"own parser reads the first line only")


_QUOTED = re.compile(r"""^(?:'.*'|".*"|null|~)$""", re.S)


def yaml_scalar(value: str) -> tuple[bool, str | None]:
    """``(True, text)`` for a front matter value Letta's server wrote as YAML quotes it (``'Skills: an
    index'``: ``yaml.dump`` quotes a value holding ``: ``) or as ``null`` (a block with no description),
    read as YAML reads it (None for null); ``(False, None)`` for any other value (read as it is, as
    Letta Code does)."""
    import yaml

    if not _QUOTED.match(value):
        return False, None
    try:
        got = _yaml_load("v: " + value)
    except yaml.YAMLError:
        return False, None
    v = got.get("v") if isinstance(got, dict) else None
    return (True, v) if v is None or isinstance(v, str) else (False, None)


def _plain(value: Any) -> Any:
    """A YAML value as JSON: dates, non-finite numbers and other scalars YAML types as their text, keys as
    strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
