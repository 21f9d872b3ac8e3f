"""mem0's Markdown export: the file the mem0 plugin's ``export`` skill writes and its ``import`` skill reads.

Upstream: mem0ai/mem0 ``integrations/mem0-plugin/skills/export/SKILL.md`` (the format),
``skills/import/SKILL.md`` and ``scripts/parse_export_file.py`` (the reader). The file is
``mem0-export-<project>-<YYYY-MM-DD>.md``; one memory per block::

    ---
    id: <memory.id>
    created_at: <memory.created_at>
    type: <metadata.type or "">
    confidence: <metadata.confidence or "">
    branch: <metadata.branch or "">
    files: <metadata.files joined with ", " or "">
    categories: <categories joined with ", " or "">
    ---
    <memory text>

The importer splits the file on lines that are exactly ``---`` (trailing white space allowed), reads
``key: value`` lines (first colon), strips the text and skips blocks with no text; it ignores keys it
does not know and anything before the first ``---``.

memconv writes the seven keys in that order, then, only when the memory has more than they hold
(``updated_at``, the user or agent it belongs to, ``hash``, other metadata, a type that is not a
string...), one more key ``memconv:`` with that rest as one line of JSON, and before the first block
an HTML comment with the stream's header. The importer ignores both; memconv reads them back, so
mem0 -> Markdown -> mem0 gives the same memories. A text the format cannot hold as is (a line ``---``,
white space at its ends, no text) is written as close as it can be and kept exactly in ``memconv:``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator

import orjson
from pydantic import ValidationError

from memconv.errors import InputInvalid, InputUnreadable
from memconv.format import WriteOptions
from memconv.model import RECORD_ADAPTER, Header
from memconv.logmessages import DERIVED_ID, MEMCONV_DATA_INVALID, RECORD_DROPPED

NATIVE_KEYS = ("id", "created_at", "type", "confidence", "branch", "files", "categories")
"""The export skill's keys, in its order."""

EXTRA_KEY = "memconv"
PREAMBLE = "<!-- memconv "
_DELIM = re.compile(r"(?m)^---[ \t\f\v]*$")
_KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$")
_NAME = re.compile(r"mem0-export-(.+)-(\d{4}-\d{2}-\d{2})\.md$")
_TEXT_FIELD = {"memory": "text", "passage": "text", "block": "value"}


def wants_markdown(options: WriteOptions) -> bool:
    """True when the mem0 writer is asked for the Markdown export: ``--target-version markdown``, or an
    output name ending in ``.md``."""
    return (options.target_version or "").lower() in ("markdown", "md") or \
        (options.output_path or "").lower().endswith(".md")


def sniff_markdown(head: bytes) -> bool:
    """True when ``head`` starts like a mem0 Markdown export: (memconv's header comment, then) a
    front matter block with ``id`` and two more of the export's keys; or memconv's header comment alone."""
    text = head.decode("utf-8", "ignore").lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = text.lstrip()
    if text.startswith(PREAMBLE):
        end = text.find("-->")
        if end < 0:
            return False
        text = text[end + 3:].lstrip()
        if not text:
            return True  # memconv's export of no memories: its header comment alone
    if not text.startswith("---\n"):
        return False
    block = _DELIM.split(text[4:], maxsplit=1)[0]
    keys = {m.group(1) for m in (_KEY_LINE.match(ln.strip()) for ln in block.split("\n")) if m}
    return "id" in keys and len(keys & set(NATIVE_KEYS[1:])) >= 2


def _plain(value: Any) -> bool:
    """A string the format holds as is: one line, no white space at its ends."""
    return isinstance(value, str) and "\n" not in value and "\r" not in value and value == value.strip()


def _plain_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_plain(v) and v and "," not in v for v in value)


def write_markdown(items: Iterable[Any], out: BinaryIO, options: WriteOptions) -> None:
    """Write memories (and passages and blocks, as memories) as the mem0 plugin's Markdown export.

    Every other kind is reported lost whole (the export holds memories only).
    """
    report = options.report
    for item in items:
        if isinstance(item, Header):
            head = orjson.loads(item.__pydantic_serializer__.to_json(item, exclude_none=True))
            out.write(f"{PREAMBLE}{orjson.dumps({'header': head}).decode()} -->\n\n".encode())
            continue
        kind = item.kind
        field = _TEXT_FIELD.get(kind)
        if field is None:
            report.lost(kind, "*", "the mem0 plugin's Markdown export holds memories only")
            continue
        text = getattr(item, field)
        dump = orjson.loads(item.__pydantic_serializer__.to_json(item, exclude_none=True))
        dump.pop("id", None)
        fm: dict[str, str] = {k: "" for k in NATIVE_KEYS}
        fm["id"] = item.id
        created = getattr(item, "created_at", None)
        if _plain(created):
            fm["created_at"] = created
            dump.pop("created_at", None)
        meta = dict(item.metadata) if isinstance(item.metadata, dict) else None
        derived = []
        for key in ("type", "confidence", "branch"):
            v = meta.get(key) if meta else None
            if _plain(v) and v:
                fm[key] = v
                del meta[key]  # type: ignore[union-attr]
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                fm[key] = str(v)  # for the importer; the number itself stays in the metadata
        if not fm["type"] and _plain(getattr(item, "memory_type", None)) and item.memory_type:
            fm["type"] = item.memory_type
            derived.append("type")
        files = meta.get("files") if meta else None
        if _plain_list(files):
            fm["files"] = ", ".join(files)
            del meta["files"]  # type: ignore[union-attr]
        cats = getattr(item, "categories", None)
        if _plain_list(cats):
            fm["categories"] = ", ".join(cats)
            dump.pop("categories", None)
        if meta is None or (not meta and item.metadata):
            dump.pop("metadata", None)
        else:
            dump["metadata"] = meta
        body = text
        if not text or text != text.strip() or _DELIM.search(text):
            body = _DELIM.sub(lambda m: " " + m.group(), text).strip()
            if not body:
                report.warn(f"mem0 Markdown: {kind} {item.id}: no text; mem0's import skips such a block "
                            f"(memconv reads it back)", RECORD_DROPPED)
        else:
            dump.pop(field, None)
        if dump.get("kind") == "memory":
            dump.pop("kind")
        if derived:
            dump["$derived"] = derived
        if not dump.get("extras"):
            dump.pop("extras", None)
        lines = ["---", *(f"{k}: {fm[k]}".rstrip() for k in NATIVE_KEYS)]
        if dump:
            lines.append(f"{EXTRA_KEY}: {orjson.dumps(dump).decode()}")
        lines += ["---", body, "", ""]
        out.write("\n".join(lines).encode("utf-8"))
        report.wrote(f"mem0:markdown:{kind}")
        # a block of its own (what it has beyond the export's keys in its memconv: key); one with no text is
        # skipped by mem0's import and read back by memconv only: memconv's side channel
        report.place(kind, "native" if body else "side_channel")


def read_markdown(data: bytes, name: str, report: Any) -> Iterator[Any]:
    """Yield a :class:`Header` then the memories of a mem0 Markdown export, split and parsed as the
    plugin's ``parse_export_file.py`` does (blocks with no text are skipped, with a warning naming the
    line). What memconv kept (its header comment, a block's ``memconv:`` JSON) is restored.

    Raises:
        InputUnreadable: not UTF-8 (the line named). InputInvalid: a ``memconv:`` value that is not a
            JSON object, or one that does not make a canonical record (the line and field named).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line_no = data[: e.start].count(b"\n") + 1
        raise InputUnreadable(f"{name}: line {line_no}: not UTF-8 text") from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    header = Header(source_system="mem0", source_variant="markdown")
    project = None
    m = _NAME.search(Path(name).name)
    if m:
        project = m.group(1)
    pieces = _DELIM.split(text)
    delims, line_no, last = [1], 1, 0  # the line of each --- (counted on from the one before: one pass)
    for mt in _DELIM.finditer(text):
        line_no += text.count("\n", last, mt.start())
        last = mt.start()
        delims.append(line_no)
    pre = pieces[0].strip()
    if pre.startswith(PREAMBLE) and pre.endswith("-->"):
        try:
            head = orjson.loads(pre[len(PREAMBLE):-3])["header"]
            header = Header.model_validate(head)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValidationError):
            report.warn(f"{name}: line 1: memconv's header comment is not readable; ignored", MEMCONV_DATA_INVALID)
    yield header
    n = 0
    for i in range(1, len(pieces), 2):
        fm_raw = pieces[i]
        body = pieces[i + 1] if i + 1 < len(pieces) else ""
        line = delims[i]  # the block's opening ---
        keys: dict[str, str] = {}
        key_line: dict[str, int] = {}
        for off, ln in enumerate(fm_raw.split("\n")):
            km = _KEY_LINE.match(ln.strip())
            if km:
                keys[km.group(1)] = km.group(2).strip()
                key_line[km.group(1)] = line + off  # piece 0 is the rest of the --- line
        dump: dict[str, Any] = {}
        if EXTRA_KEY in keys:
            try:
                dump = orjson.loads(keys[EXTRA_KEY])
            except orjson.JSONDecodeError as e:
                raise InputInvalid(f"{name}: line {key_line[EXTRA_KEY]}: memconv: expected a JSON object ({e})") from None
            if not isinstance(dump, dict):
                raise InputInvalid(f"{name}: line {key_line[EXTRA_KEY]}: memconv: expected a JSON object")
        kind = dump.get("kind", "memory")
        field = _TEXT_FIELD.get(kind, "text")
        content = body.strip()
        if not content and field not in dump:
            report.warn(f"{name}: line {line}: a block with no text; skipped (as mem0's import skips it)",
                        RECORD_DROPPED)
            continue
        derived = set(dump.pop("$derived", []) or [])
        rec: dict[str, Any] = {"kind": kind, **dump}
        rec.setdefault(field, content)
        rec["id"] = keys.get("id") or f"mem0-markdown-{n}"
        if not keys.get("id"):
            report.warn(f"{name}: line {line}: a block with no id; read as {rec['id']}", DERIVED_ID)
        if keys.get("created_at") and "created_at" not in rec:
            rec["created_at"] = keys["created_at"]
        meta = rec.get("metadata")
        natives: dict[str, Any] = {}
        for key in ("type", "confidence", "branch"):
            if keys.get(key) and key not in derived and not (isinstance(meta, dict) and key in meta):
                natives[key] = keys[key]
        files = [f.strip() for f in keys.get("files", "").split(",") if f.strip()]
        if files:
            natives["files"] = files
        if natives:
            rec["metadata"] = {**(meta if isinstance(meta, dict) else {}), **natives}
        cats = [c.strip() for c in keys.get("categories", "").split(",") if c.strip()]
        if cats and "categories" not in rec and kind != "block":
            rec["categories"] = cats
        if not dump:
            rec["provenance"] = {"system": "mem0", "id": rec["id"], "variant": "markdown"}
            if project:
                rec["scope"] = {"app_id": project}
        try:
            yield RECORD_ADAPTER.validate_python(rec)
        except ValidationError as e:
            err = e.errors()[0]
            loc = ".".join(str(x) for x in err.get("loc", ()))
            raise InputInvalid(f"{name}: line {line}: {loc}: {err.get('msg')}") from None
        n += 1


__all__ = ["read_markdown", "sniff_markdown", "wants_markdown", "write_markdown"]
