"""mem0: OSS ``get_all``/``search``/``get``/``history`` output (0.1.x - 2.2.1), Platform pages,
OpenMemory backups and the OSS-to-Platform migration file; written as ``get_all`` JSON or JSON-L.

Reading is in :mod:`.reader`, writing in :mod:`.writer`, the field mapping in :data:`.mapping.MAPPING`,
shared facts in :mod:`.shape`. Detection is by content (:func:`sniff`): mem0 has no version field,
so the shape decides. Source: ``shared/formats/mem0.md``.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath
from typing import Any, BinaryIO, Iterable, Iterator

import ijson
import orjson

from memconv.format import Format, ReadOptions, WriteOptions
from memconv.io import PEEK_BYTES, Input
from memconv.mapping import ReadTable
from memconv.jsonstream import first_value
from memconv.jsonutil import BOM, has_big_int, ijson_backend
from memconv.sniff import top_keys, whole_first_line

from .mapping import EMBED_KEY, MAPPING
from .markdown import read_markdown, sniff_markdown, wants_markdown, write_markdown
from .openmemory import read_openmemory_zip
from .reader import LISTED_DOCUMENT, read_document, read_jsonl
from .records import line_kind
from .shape import CLI_KEYS, HISTORY_KEYS, ITEM_CORE, ITEM_OPTIONAL, MIGRATION_KIND, OPENMEMORY_MARKERS, SYSTEM
from .writer import DOCUMENT_FRAME, write_mem0

_FOREIGN_KEYS = ("agents", "core_memory", "in_context_message_indices", "sessions", "observations", "format")
"""Top-level keys of other formats' documents (Letta, AgentMemory ExportData, canonical JSON)."""

_SCORES = {"markdown": 90, "migration": 95, "openmemory_zip": 90, "openmemory": 90, "results": 90, "history_list": 85,
           "history_table": 85, "jsonl": 85, "list": 80, "item": 80, "cli": 60}
MINE = 95
"""Score of a document memconv's mem0 writer marked as its own (the ``memconv`` list or an item's
``metadata.memconv``): above Letta's loose hints, which the Letta records kept inside can match."""


def _marked(obj: Any) -> bool:
    """True for a ``{"memconv": record}`` line or an item carrying ``metadata.memconv``."""
    if line_kind(obj) == "memconv":
        return True
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return isinstance(meta, dict) and isinstance(meta.get(EMBED_KEY), dict)


def _top_info(text: bytes) -> tuple[list[str], dict[str, Any]]:
    """Top-level keys seen in the start of a JSON object, and the string values of ``kind`` and
    ``memory`` when they are strings."""
    keys: list[str] = []
    scalars: dict[str, Any] = {}
    try:
        for prefix, event, value in ijson_backend(has_big_int(text)).parse(io.BytesIO(text)):
            if prefix == "" and event == "map_key":
                keys.append(value)
            elif prefix in ("kind", "memory") and event == "string":
                scalars[prefix] = value
    except (ijson.JSONError, UnicodeDecodeError):
        pass
    return keys, scalars


def _zip_names(inp: Input) -> list[str]:
    try:
        with inp.open_raw() as fh, zipfile.ZipFile(fh) as zf:
            return zf.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return []


def _settled(keys: list[str]) -> bool:
    """True when these top-level keys decide :func:`sniff`'s answer whatever keys follow."""
    seen = set(keys)
    return (keys[:1] == [EMBED_KEY] or bool(seen.intersection(_FOREIGN_KEYS)) or "kind" in seen
            or "results" in seen or ("memories" in seen and bool(seen.intersection(OPENMEMORY_MARKERS)))
            or {"rows", "schema"} <= seen or {"id", "memory"} <= seen)


def sniff(inp: Input) -> tuple[str | None, int]:
    """The mem0 shape of ``inp`` and how sure (0-100), from its first bytes.

    Shapes: ``openmemory_zip``, ``jsonl``, ``migration``, ``results`` (get_all, search, Platform page),
    ``openmemory`` (bare ``memories.json``), ``history_table``, ``item`` (``get``), ``list`` (legacy
    items or history rows; ``history_list`` scores higher). Never claims Letta files (``agents``,
    ``core_memory``), AgentMemory ``ExportData`` (``sessions``, ``observations``), canonical
    documents (``format``) or canonical JSON-L lines (``kind``). What memconv's own writer marked
    (a ``"memconv"`` list, an item's ``metadata.memconv``, a ``{"memconv": ...}`` line) scores
    :data:`MINE`, above the Letta hints that the Letta records kept inside can match.
    """
    if inp.is_dir:
        return None, 0
    raw = inp.raw_peek(4)
    if raw.startswith(b"PK\x03\x04") or raw.startswith(b"PK\x05\x06"):
        bases = {PurePosixPath(n).name for n in _zip_names(inp)}
        if "memories.json" in bases or "memories.jsonl.gz" in bases:
            return "openmemory_zip", _SCORES["openmemory_zip"]
        return None, 0
    head = inp.peek(PEEK_BYTES)
    text = head.lstrip(BOM + b" \t\r\n")
    if text[:3] == b"---" or text[:4] == b"<!--":
        return ("markdown", _SCORES["markdown"]) if sniff_markdown(head) else (None, 0)
    if text[:1] == b"{":
        line, nl, rest = text.partition(b"\n")
        if not nl and len(head) >= PEEK_BYTES:  # a first line longer than the peek: read it whole
            whole = whole_first_line(inp)
            if whole is not None:
                line, rest = whole, b"{"  # more follows: JSON-L
        try:
            first = orjson.loads(line)
        except orjson.JSONDecodeError:
            first = None
        if isinstance(first, dict) and rest.strip():
            return ("jsonl", MINE if _marked(first) else _SCORES["jsonl"]) if line_kind(first) else (None, 0)
        if line_kind(first) in ("history", "openmemory", "relation", "memconv"):
            return "jsonl", MINE if _marked(first) else _SCORES["jsonl"]  # one line (a lone item reads as a `get`)
        keys, scalars = _top_info(text)
        if not _settled(keys) and len(head) >= PEEK_BYTES:
            # the peek ends inside the document and its keys settle nothing: look at the whole top level
            top = top_keys(inp, lambda t: _settled(t.keys))
            keys = top.keys
            scalars = {k: v for k, v in top.scalars.items() if k in ("kind", "memory") and isinstance(v, str)}
        if keys[:1] == [EMBED_KEY]:
            return "jsonl", MINE  # memconv's JSON-L whose first line is longer than the peek
        if any(k in keys for k in _FOREIGN_KEYS):
            return None, 0
        if "kind" in keys:
            return ("migration", _SCORES["migration"]) if scalars.get("kind") == MIGRATION_KIND else (None, 0)
        if "results" in keys:
            item = first_value(text, "results.item")
            if item is None:
                return "results", MINE if EMBED_KEY in keys else 60
            looks = line_kind(item) == "item" or (isinstance(item, dict) and "id" in item and "memory" in item)
            return ("results", MINE if _marked(item) else _SCORES["results"]) if looks else (None, 0)
        if "memories" in keys and any(k in keys for k in OPENMEMORY_MARKERS):
            return "openmemory", _SCORES["openmemory"]
        if "rows" in keys and "schema" in keys:
            row = first_value(text, "rows.item")
            return ("history_table", _SCORES["history_table"]) if line_kind(row) == "history" else (None, 0)
        if "id" in keys and isinstance(scalars.get("memory"), str):
            return "item", MINE if _marked(first) else _SCORES["item"]
        if all(k in keys for k in CLI_KEYS):  # the mem0 CLI's JSON output (--output json, --agent)
            return "cli", _SCORES["cli"]
        return None, 0
    if text[:1] == b"[":
        item = first_value(text, "item")
        kind = line_kind(item)
        if kind == "history":
            return "list", _SCORES["history_list"]
        if kind == "item":
            return "list", MINE if _marked(item) else _SCORES["list"]
        if item is None and text.rstrip() == b"[]":
            return "list", 20
    return None, 0


class Mem0Format(Format):
    """mem0 memory and history JSON (OSS, Platform, OpenMemory), read and written."""

    name = "mem0"
    line_form = True
    listed_document = LISTED_DOCUMENT
    document_frame = DOCUMENT_FRAME
    record_lines = True
    part_kinds = frozenset({"memory"})  # relations take a listing's scope; the writer joins agents and history
    header_once = True  # the export time and a document's top-level fields (writer.header_blob)
    whole_outputs = (".md",)  # the Markdown export (.markdown.wants_markdown)
    title = "mem0 get_all/search/get/history JSON, JSON-L, Platform pages, OpenMemory backups"
    system = "mem0"
    extensions = (".json", ".jsonl", ".zip")
    read_versions = ("OSS 0.1.x-2.2.1 (v1.1 {results[, relations]}, v1.0 bare list, get, history, "
                     "TypeScript history), Platform v3 pages, OpenMemory export 1, migration file 1, JSON-L, "
                     "the mem0 plugin's Markdown export (mem0-export-<project>-<date>.md), the mem0 CLI's JSON "
                     "envelope (list, search, get, add with --agent; list --output json)")
    write_versions = ("v1.1 get_all {results[, relations, history, memconv]} (default), v1.0 bare list, JSON-L, "
                      "the mem0 plugin's Markdown export (-o mem0-export-<project>-<date>.md, or --target-version "
                      "markdown)")
    default_write_version = "v1.1"
    mapping = MAPPING
    read_tables = (
        ReadTable("memory", "results[]", {**ITEM_CORE, **ITEM_OPTIONAL}, SYSTEM,
                  "an OSS get_all item (TypeScript OSS: createdAt/updatedAt); id -> id"),
        ReadTable("event", "[]", HISTORY_KEYS, SYSTEM, "a Memory.history() row; id -> id"),
    )
    live = ".live"

    def detect(self, inp: Input) -> int:
        """0-100 from :func:`sniff` (content only; file names are not trusted)."""
        return sniff(inp)[1]

    def read(self, inp: Input, options: ReadOptions) -> Iterator[Any]:
        """Yield a :class:`~memconv.model.Header` then the records of one mem0 input (:mod:`.reader`).

        Raises:
            InputInvalid: not a mem0 shape, bad JSON, a malformed item/row (file and place named).
            InputUnreadable: not UTF-8, corrupt gzip. LimitExceeded: a zip member over the caps.
        """
        shape, _ = sniff(inp)
        if not inp.is_dir and not inp.peek(4096).strip():
            shape = "jsonl"  # memconv's own JSON-L of an empty stream: a header and no records
        if shape == "markdown":
            with inp.open() as fh:
                yield from read_markdown(fh.read(), inp.name, options.report)
        elif shape == "openmemory_zip":
            yield from read_openmemory_zip(inp, options.report)
        elif shape == "jsonl":
            yield from read_jsonl(inp, options.report)
        else:
            yield from read_document(inp, options.report, shape)

    def merge(self, existing: Input, new: Input, out: BinaryIO, strategy: str, options: WriteOptions) -> Any:
        """Memories keyed by their mem0 ``id``, history rows by theirs, relations by their ends
        (:func:`memconv.strategies.merge_streams`: only keys in memory). The output is JSON-L when
        asked for (``--jsonl``) or when the existing file is JSON-L (its one record a line stays so), a
        legacy bare list (v1.0) when the existing file is one and no ``--target-version`` says otherwise,
        with the new file's header."""
        from memconv.strategies import Plan, merge_streams

        plan = Plan(strategy)
        ropts = ReadOptions(report=options.report)
        jsonl = options.jsonl or sniff(existing)[0] == "jsonl"
        version = options.target_version
        if version is None:  # a legacy bare list (v1.0) stays one
            reader = self.read(existing, ReadOptions(report=options.report.__class__()))
            head = next(reader, None)
            reader.close()
            version = "v1.0" if getattr(head, "source_variant", None) == "legacy_list" else None
        stream = merge_streams(lambda: self.read(existing, ropts), lambda: self.read(new, ropts), strategy, plan)
        self.write(stream, out, WriteOptions(report=options.report.__class__(), jsonl=jsonl,
                                             target_version=version, output_path=options.output_path))
        return plan

    def write(self, items: Iterable[Any], out: BinaryIO, options: WriteOptions) -> None:
        """Write ``get_all`` JSON (or JSON-L with ``options.jsonl``; see :mod:`.writer`), or the mem0
        plugin's Markdown export for ``--target-version markdown`` or an output named ``*.md``
        (:mod:`.markdown`).

        Raises:
            UnsupportedVersion: ``--target-version`` other than v1.1 / v1.0. UsageError: ``--split``.
        """
        if wants_markdown(options):
            write_markdown(items, out, options)
            return
        write_mem0(items, out, options)


FORMAT = Mem0Format()
