"""memconv's own canonical format: the lossless pivot.

Two shapes, both read and written:

* JSON-L (``--jsonl``): a header line ``{"kind": "header", "schema_version": ...}`` then one record
  per line, each with its ``kind``. The header line is optional on input, so a stream can be
  filtered with ``grep`` and piped back in.
* JSON: ``{"format": "memconv-canonical", "header": {...}, "records": [...]}``, written and read
  incrementally (ijson), so neither shape is held in memory.

Fields equal to their default are left out; reading fills them in again, so any input written as
canonical and read back gives the same model. Schema rule: a major ``schema_version`` other than
memconv's is refused; a newer minor is read with a warning.
"""

from __future__ import annotations

from typing import Any, BinaryIO, Iterable, Iterator

import orjson
from pydantic import ValidationError

from memconv.sniff import top_keys, whole_first_line
from memconv.errors import InputInvalid, UnsupportedVersion
from memconv.format import Format, ReadOptions, WriteOptions
from memconv.io import Input
from memconv.jsonutil import (BOM, DupDict, check_dups, has_big_int, ijson_backend, json_error, json_lines,
                              last_items, open_skip_bom, scan_numbers, top_keys_twice)
from memconv.mapping import MAPPED_FIELDS, FieldMap, MappingTable, ReadTable
from memconv.report import Report
from memconv.strategies import Plan, merge_streams
from memconv.uniqueids import UniqueIds
from memconv.model import ITEM_ADAPTER, RECORD_ADAPTER, RECORD_TYPES, SCHEMA_VERSION, Header
from memconv.logmessages import DUPLICATE_KEY, VERSION_GUESSED

DOC_FORMAT = "memconv-canonical"
_DOC_KEYS = frozenset({"format", "header", "records"})


def dump_item(item: Any) -> bytes:
    """One item as compact JSON, ``None`` fields left out (every optional field defaults to None,
    so reading it back gives the same model). pydantic writes it directly; integers beyond 64 bits
    included."""
    return item.__pydantic_serializer__.to_json(item, exclude_none=True)


def _check_version(header: Header, name: str, report: Any) -> None:
    v = header.schema_version or SCHEMA_VERSION
    major, _, minor = v.partition(".")
    ours_major, _, ours_minor = SCHEMA_VERSION.partition(".")
    if major != ours_major:
        raise UnsupportedVersion(f"{name}: canonical schema {v} is not supported; memconv reads {ours_major}.x "
                                 f"(this memconv writes {SCHEMA_VERSION})")
    if minor.isdigit() and ours_minor.isdigit() and int(minor) > int(ours_minor):
        report.warn(f"{name}: canonical schema {v} is newer than {SCHEMA_VERSION}; fields memconv does not "
                    f"know will be refused", VERSION_GUESSED)


def _invalid(name: str, where: str, e: ValidationError) -> InputInvalid:
    err = e.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    return InputInvalid(f"{name}: {where}: {loc + ': ' if loc else ''}{err['msg'].lower()}")


class CanonicalFormat(Format):
    """memconv's canonical JSON and JSON-L."""

    name = "canonical"
    line_form = True
    record_lines = True
    header_line = True
    title = "memconv canonical model (JSON or JSON-L), the lossless pivot"
    system = "canonical"
    extensions = (".jsonl", ".ndjson", ".canonical.json")
    read_versions = f"schema {SCHEMA_VERSION.split('.')[0]}.x"
    write_versions = f"schema {SCHEMA_VERSION}"
    default_write_version = SCHEMA_VERSION
    mapping = MappingTable(
        target="canonical", system="", rows=[
            FieldMap(kind, f, f) for kind, fields in MAPPED_FIELDS.items() for f in fields],
        kinds={k: (k, "every field, as is") for k in RECORD_TYPES}, keeps_extras=True,
        intro="The canonical format holds every field of every record, extras and provenance included.")
    read_tables = tuple(
        ReadTable(kind, f"{kind} lines", {f: f for f in cls.model_fields if f != "kind"}, "canonical",
                  "a JSON-L line (or an element of the document's records) with \"kind\": \"" + kind + "\"; "
                  "validated against the model, each key its field of the same name",
                  refuses_others=True)
        for kind, cls in RECORD_TYPES.items())

    def detect(self, inp: Input) -> int:
        head = inp.peek(64 * 1024).lstrip(BOM + b" \t\r\n")
        if head.startswith(b"{"):
            line = _first_line(inp)
            if b'"format":"' + DOC_FORMAT.encode() in head.replace(b" ", b"")[:4096]:
                return 95
            try:
                first = orjson.loads(line)
            except orjson.JSONDecodeError:
                # a document longer than the peek: "format" may come after "records" (keys in any order)
                top = top_keys(inp, lambda t: "format" in t.scalars or bool(t.seen - _DOC_KEYS))
                return 95 if top.scalars.get("format") == DOC_FORMAT and not top.seen - _DOC_KEYS else 0
            if isinstance(first, dict) and first.get("kind") == "header":
                return 95
            if isinstance(first, dict) and isinstance(first.get("kind"), str) and first["kind"] in RECORD_TYPES \
                    and "id" in first:
                return 70
        return 0

    def read(self, inp: Input, options: ReadOptions) -> Iterator[Any]:
        head = inp.peek(4096).lstrip(BOM + b" \t\r\n")
        first_line = _first_line(inp)
        is_doc = False
        try:
            first = orjson.loads(first_line)
            is_doc = isinstance(first, dict) and first.get("format") == DOC_FORMAT
        except orjson.JSONDecodeError:
            is_doc = b'"format"' in head
        if is_doc or not first_line.rstrip().endswith(b"}"):
            yield from self._read_doc(inp, options)
        else:
            yield from self._read_lines(inp, options)

    def _read_lines(self, inp: Input, options: ReadOptions) -> Iterator[Any]:
        sent_header = False
        with inp.open() as fh:
            # orjson first (NaN is refused; its parse serves the duplicate-key check), then pydantic on
            # what orjson built, or, where an integer beyond 64 bits may be (orjson makes it a float), on
            # the bytes, which keeps it exactly (2.4 us a line less than pydantic parsing every line again)
            for lineno, line, obj in json_lines(fh, inp.name, options.report, exact_ints=False):
                try:
                    item = ITEM_ADAPTER.validate_json(line) if has_big_int(line) else ITEM_ADAPTER.validate_python(obj)
                except ValidationError as e:
                    if e.errors()[0]["type"] == "json_invalid":
                        raise json_error(inp.name, line, e, line=lineno) from None
                    raise _invalid(inp.name, f"line {lineno}", e) from None
                if item.kind == "header":
                    if sent_header:
                        continue
                    _check_version(item, inp.name, options.report)
                    sent_header = True
                    yield item
                    continue
                if not sent_header:
                    sent_header = True
                    yield Header(source_system="canonical", source_variant="jsonl")
                yield item
        if not sent_header:
            yield Header(source_system="canonical", source_variant="jsonl")

    def _read_doc(self, inp: Input, options: ReadOptions) -> Iterator[Any]:
        with open_skip_bom(inp) as fh:
            ij = ijson_backend(scan_numbers(fh, inp.name))
        times = top_keys_twice(lambda: open_skip_bom(inp), ("format", "header", "records"), ij)
        if times:  # the last value of each is read, as JSON.parse, orjson and Python's json keep it
            options.report.warn(f"{inp.name}: $: duplicate key(s) {', '.join(repr(k) for k in times)} in one "
                                f"object; the last value of each was used", DUPLICATE_KEY)

        def values(fh: BinaryIO, key: str, prefix: str) -> Iterator[Any]:
            if times.get(key, 1) == 1:
                return ij.items(fh, prefix, use_float=True, map_type=DupDict)
            return last_items(fh, key, times[key], ij, whole=prefix == key)

        with open_skip_bom(inp) as fh:
            try:
                fmt = next(values(fh, "format", "format"), None)
            except (ij.JSONError, UnicodeDecodeError) as e:
                raise json_error(inp.name, inp.open, e) from None
        if fmt != DOC_FORMAT:
            raise InputInvalid(f"{inp.name}: not a memconv canonical document: expected "
                               f"\"format\": \"{DOC_FORMAT}\" at the top level, or JSON-L records")
        with open_skip_bom(inp) as fh:
            try:
                hdr = next(values(fh, "header", "header"), None)
            except (ij.JSONError, UnicodeDecodeError) as e:
                raise json_error(inp.name, inp.open, e) from None
        check_dups(hdr, options.report, inp.name, "header")
        try:
            header = ITEM_ADAPTER.validate_python(hdr) if hdr is not None else Header()
        except ValidationError as e:
            raise _invalid(inp.name, "header", e) from None
        if header.kind != "header":
            raise InputInvalid(f"{inp.name}: header: expected kind \"header\"")
        _check_version(header, inp.name, options.report)
        yield header
        with open_skip_bom(inp) as fh:
            try:
                for i, obj in enumerate(values(fh, "records", "records.item")):
                    check_dups(obj, options.report, inp.name, f"records[{i}]")
                    try:
                        yield RECORD_ADAPTER.validate_python(obj)
                    except ValidationError as e:
                        raise _invalid(inp.name, f"records[{i}]", e) from None
            except (ij.JSONError, UnicodeDecodeError) as e:
                raise json_error(inp.name, inp.open, e) from None

    def merge(self, existing: Input, new: Input, out: BinaryIO, strategy: str, options: WriteOptions) -> Any:
        """Combine by ``(kind, id)`` (:func:`memconv.strategies.merge_streams`: only keys in memory);
        the output keeps the existing file's shape (JSON-L or JSON) and the new file's header."""
        plan = Plan(strategy)
        ropts = ReadOptions(report=options.report)
        jsonl = not existing.peek(64).lstrip(BOM + b" \t\r\n").startswith(b'{"format"')
        stream = merge_streams(lambda: self.read(existing, ropts), lambda: self.read(new, ropts), strategy, plan)
        self.write(stream, out, WriteOptions(report=Report(), jsonl=jsonl))
        return plan

    def write(self, items: Iterable[Any], out: BinaryIO, options: WriteOptions) -> None:
        """Write the header and records as JSON-L (``options.jsonl``) or one document; no two records of
        one kind (raw records: of one system's collection) under one id (:class:`UniqueIds`)."""
        ids = UniqueIds(options.report, "canonical")
        it = _unique(iter(items), ids)
        header = next(it)
        if options.jsonl:
            out.write(dump_item(header) + b"\n")
            for rec in it:
                out.write(dump_item(rec) + b"\n")
                options.report.wrote(f"canonical:{rec.kind}")
                options.report.place(rec.kind, "native")
            ids.finish()
            return
        out.write(b'{"format":"' + DOC_FORMAT.encode() + b'","header":' + dump_item(header) + b',"records":[')
        first = True
        for rec in it:
            out.write((b"" if first else b",\n") + dump_item(rec))
            first = False
            options.report.wrote(f"canonical:{rec.kind}")
            options.report.place(rec.kind, "native")
        out.write(b"]}\n")
        ids.finish()


def _first_line(inp: Input) -> bytes:
    """The input's first non-blank line: from the first 4 KiB, or read whole when it is longer and more
    lines follow (:func:`memconv.sniff.whole_first_line`: a JSON-L record longer than a peek)."""
    peek = inp.peek(4096)
    head = peek.lstrip(BOM + b" \t\r\n")
    peek_line = head.split(b"\n", 1)[0]
    if b"\n" in head or len(peek) < 4096:
        return peek_line
    whole = whole_first_line(inp)
    return peek_line if whole is None else whole


def _unique(items: Iterator[Any], ids: UniqueIds) -> Iterator[Any]:
    """The header, then each record under an id no earlier record of its kind has."""
    yield next(items)
    for rec in items:
        coll = f"raw {rec.system} {rec.collection}" if rec.kind == "raw" else rec.kind
        rid = ids.claim(coll, rec.id)
        yield rec if rid == rec.id else rec.model_copy(update={"id": rid})


FORMAT = CanonicalFormat()
