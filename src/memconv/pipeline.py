"""The one-way flow: inputs -> readers -> canonical stream -> writer -> atomic output.

Library entry points (re-exported by :mod:`memconv`):

* :func:`iter_records` - a stream of canonical items from one or more inputs;
* :func:`read` - the same gathered into a :class:`~memconv.model.Bundle`;
* :func:`write_records` / :func:`write` - a stream or a bundle written in a format;
* :func:`convert` - both, with the loss report.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tempfile
from contextlib import contextmanager, nullcontext
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Sequence

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

from . import registry
from .commit import OutputSet, is_special, resolve
from .errors import (DestinationExists, InputInvalid, LossRefused, MemconvError, OutputUnwritable, UsageError,
                     memconv_cause)
from .filters import parse_kinds, parse_since, select
from .format import Format, ReadOptions, WriteOptions
from .progress import in_workers, progress
from .remote import RemoteInput, is_remote, parse as parse_remote
from .guards import DEFAULT_MAX_BYTES, DEFAULT_MAX_RECORDS, check_bytes, check_count
from .io import AtomicOutput, Input, same_file
from .localids import RunIds
from .locking import destination_lock
from .scratch import sweep, tag, temp_dir
from .model import ITEM_ADAPTER, SCHEMA_VERSION, Base, Bundle, Header, Item, fields_typed
from .report import Report
from .secrets import blank
from .timeutil import parse_ts
from .several import expand
from .strategies import Plan, check_strategy
from .jsonutil import first_unplain
from .logmessages import (BAD_VALUE, EMPTY_INPUT, HARD_LINKED_OUTPUT, RECORD_FOLDED, TRANSCODED,
                          VALUE_CHANGED)

Source = str | os.PathLike | Input | RemoteInput
Producer = Callable[[BinaryIO, Report], None]


def _as_inputs(sources: Source | Sequence[Source]) -> list[Any]:
    """The :class:`~memconv.io.Input` (or :class:`~memconv.remote.RemoteInput`) of each source: a path, ``"-"``,
    a live system's URL, an ``Input``, an open file (binary or text; read once, spooled like standard
    input, named by its ``name``), or the bytes of a file (``bytes``, named ``<bytes>``).

    Raises:
        UsageError: a source of another type (named); a closed file or one not open for reading.
    """
    if isinstance(sources, (str, os.PathLike, Input, RemoteInput, bytes, bytearray)) or hasattr(sources, "read"):
        sources = [sources]  # type: ignore[list-item]
    if not isinstance(sources, Iterable):
        sources = [sources]  # refused below, by its type
    out: list[Any] = []
    for s in sources:
        if isinstance(s, (Input, RemoteInput)):
            out.append(s)
        elif hasattr(s, "read"):
            out.append(_file_input(s))
        elif isinstance(s, (bytes, bytearray)):
            inp = Input("-", stdin=io.BytesIO(bytes(s)))
            inp.name = "<bytes>"
            out.append(inp)
        elif isinstance(s, (str, os.PathLike)):
            out.append(RemoteInput(s) if is_remote(s) else Input(s))
        else:
            raise UsageError(f"an input must be a path, '-', a live system's URL, an open file or a memconv.io.Input; "
                             f"got {type(s).__name__}")
    return out


def _file_input(fh: Any) -> Input:
    """An open file as an :class:`~memconv.io.Input` (spooled to a temporary file when first opened). A
    text file's own encoding is honoured (its text is read as UTF-8 when it is not UTF-8 already).

    Raises:
        UsageError: the file is closed, or not open for reading.
    """
    name = getattr(fh, "name", None)
    shown = str(name) if isinstance(name, (str, os.PathLike)) else "<stream>"
    try:
        probe = fh.read(0)
    except (ValueError, OSError) as e:  # closed (ValueError), write-only (io.UnsupportedOperation)
        raise UsageError(f"{shown}: an open file to read was expected ({e})") from None
    raw = fh if isinstance(probe, bytes) else getattr(fh, "buffer", None)
    encoding = str(getattr(fh, "encoding", None) or "utf-8").lower().replace("_", "-")
    if raw is None or (not isinstance(probe, bytes) and encoding not in ("utf-8", "utf8", "utf-8-sig")):
        raw = io.BytesIO(fh.read().encode("utf-8", "surrogateescape"))  # io.StringIO, or text of another encoding
    inp = Input("-", stdin=raw)
    inp.name = shown
    return inp


def iter_records(sources: Source | Sequence[Source], format: str | None = None,
                 report: Report | None = None, max_records: int = 0, **read_options: Any) -> Iterator[Item]:
    """Yield one :class:`~memconv.model.Header`, then the canonical records of every input.

    Args:
        sources: path(s), ``"-"`` for standard input, open files (binary or text), or
            :class:`~memconv.io.Input` objects.
        format: force the input format (``--from``); None detects each input by content.
        report: receives read counts and warnings (a new one when None).
        max_records: refuse more records than this (0: no limit; :mod:`memconv.guards`).
        read_options: adapter-specific options passed as ``ReadOptions.extra``.

    Yields:
        The first input's header (later inputs' headers are folded into warnings when they differ),
        then records in each input's stream order.

    Raises:
        InputUnreadable, InputInvalid, UnsupportedVersion, UsageError.
    """
    report = report if report is not None else Report()
    inputs = _as_inputs(sources)
    if not inputs:
        raise UsageError("no input given")
    inputs = expand(inputs, format, report)
    unknown = sorted(k for k in read_options if "read_" + k not in READ_OPTIONS)
    if unknown:
        raise UsageError(f"unknown read option{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                         f"expected one of {', '.join(sorted(k[5:] for k in READ_OPTIONS))}")
    fmts: list[Format] = []
    for inp in inputs:
        if isinstance(inp, RemoteInput):  # a live system: its adapter pulls from it
            fmt = registry.get(inp.url.system)
            if format and registry.get(format) is not fmt:
                raise UsageError(f"{inp.name} is a {fmt.name} system; --from {format} does not match")
            fmts.append(fmt)
            continue
        fmt = registry.get(format) if format else registry.detect(inp)
        if not fmt.can_read:
            raise UsageError(f"format {fmt.name!r} cannot be read")
        fmts.append(fmt)
    report.info.setdefault("inputs", [])
    header_sent = False
    total = 0
    run_ids = RunIds()
    try:
        with _depth_guard(report):  # a value nested too deep: one line naming the input, for every caller
            for ordinal, (inp, fmt) in enumerate(zip(inputs, fmts), 1):
                opts = ReadOptions(report=report, extra=dict(read_options))
                entry: dict[str, Any] = {"name": inp.name, "format": fmt.name}
                report.info["inputs"].append(entry)
                items = fmt.pull(inp.url, opts) if isinstance(inp, RemoteInput) else fmt.read(inp, opts)
                items = run_ids.stream(items, ordinal)  # another file's agent-0 becomes agent-0@2
                first = next(items, None)
                if not isinstance(first, Header):
                    raise InputInvalid(f"{inp.name}: the {fmt.name} reader yielded no header (a bug in the adapter)")
                entry["version"] = first.source_format_version
                entry["variant"] = first.source_variant
                if not header_sent:
                    header_sent = True
                    yield first
                counts = report.read
                before = total
                for rec in items:
                    counts[rec.kind] += 1
                    total += 1
                    if max_records and total > max_records:
                        check_count(counts, max_records)
                    yield rec
                if getattr(inp, "transcoded", None):
                    report.warn(f"{inp.name}: {inp.transcoded} text (it starts with a byte order mark); read as such, "
                                f"written as UTF-8", TRANSCODED)
                if total == before:  # an empty stream is valid, but say so: the output holds nothing of it
                    report.warn(f"{inp.name}: no records read (an empty {fmt.name} input)", EMPTY_INPUT)
    finally:
        for inp in inputs:
            inp.close()


def read(source: Source | Sequence[Source], format: str | None = None, **read_options: Any) -> Bundle:
    """Read input(s) whole into a :class:`~memconv.model.Bundle` (header plus records).

    Raises: as :func:`iter_records`.
    """
    items = iter_records(source, format=format, **read_options)
    header = next(items)
    return Bundle(header=header, records=list(items))


WRITE_KEYWORDS = ("target_version", "timestamp", "jsonl", "fail_on_loss", "compress", "fsync", "wait")
"""The keyword arguments of :func:`write_records` that :func:`convert` passes through."""

PUSH_OPTIONS = frozenset({"model", "embedding", "secrets_file", "tool_secrets"})
"""Options of a push into a live system (``--model``, ``--embedding``, ``--secrets`` for Letta)."""

READ_OPTIONS = frozenset({"read_all_messages", "read_page_sessions", "read_sidecar", "read_token",
                          "read_only_agents", "read_skip_kinds", "read_progress", "read_history"})
"""Reader options, passed as ``read_<name>`` (``read_all_messages`` for a live Letta)."""


def _check_options(fmt: Format, options: dict[str, Any], *, push: bool = False, reads: bool = True) -> None:
    """Refuse an option no part of this write takes (a typo must not pass in silence), or a value of
    another type than the format declares (:class:`~memconv.format.Option`).

    Raises:
        UsageError: an unknown keyword option or a value of the wrong type, named, with what is expected.
    """
    declared = {o.name: o for o in fmt.write_options}
    known = set(declared) | (READ_OPTIONS if reads else frozenset()) | (PUSH_OPTIONS if push else frozenset())
    unknown = sorted(k for k in options if k not in known)
    if unknown:
        elsewhere = {k: [f.name for f in registry.formats().values() if k in f.options] for k in unknown}
        hint = "; ".join(f"{k!r} is for {', '.join(v)}" for k, v in elsewhere.items() if v)
        raise UsageError(f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} for "
                         f"a {fmt.name} write{' (' + hint + ')' if hint else ''}; expected "
                         f"{'one of ' + ', '.join(sorted(known)) + ' or ' if known else ''}the keyword arguments of "
                         f"memconv.{'convert' if reads else 'write_records'}")
    for k, v in options.items():
        o = declared.get(k)
        if o is not None and v is not None and not o.accepts(v):
            raise UsageError(f"option {k!r} of the {fmt.name} writer takes {o.type.__name__}, got "
                             f"{type(v).__name__} {v!r}")


def write_records(records: Iterable[Any], format: str, destination: str | os.PathLike = "-", *,
                  report: Report | None = None, strategy: str | None = None, dry_run: bool = False,
                  target_version: str | None = None, timestamp: str | None = None, jsonl: bool = False,
                  fail_on_loss: bool = False, compress: bool | None = None, keep_secrets: bool = False,
                  fsync: bool = True, wait: float = 0.0, **write_options: Any) -> Report:
    """Write a canonical stream (a header, then records) in ``format`` to ``destination``, with the
    same guarantees as the command line (it is the code path the command line uses).

    Args:
        records: the stream: models, or dicts of canonical JSON (validated; a bad one raises UsageError
            naming its position and field); a missing header is supplied.
        format: target format name. destination: a path (``.gz`` compresses) or ``"-"`` for stdout.
        strategy: ``merge``/``replace``/``skip`` when ``destination`` exists (:mod:`memconv.strategies`);
            None refuses an existing destination.
        dry_run: do everything but commit; ``report.info["plan"]`` says what would happen.
        target_version, timestamp, jsonl: see :class:`~memconv.format.WriteOptions`; the line form is also
            written when ``destination`` is named ``.jsonl`` or ``.ndjson`` (:func:`line_form`).
        fail_on_loss: raise :class:`~memconv.errors.LossRefused` (and write nothing) when the target
            cannot hold something.
        compress: gzip the output (default: when the path ends in ``.gz``).
        keep_secrets: do not blank secrets (:mod:`memconv.secrets`).
        fsync: fsync the outputs and their folder before reporting success.
        wait: seconds to wait for another memconv writing the same destination (0: refuse at once).
        write_options: adapter options: ``split`` (AgentMemory parts), ``passages`` (Letta sidecar path).

    Returns:
        The :class:`~memconv.report.Report`.

    Raises:
        UsageError: unknown format or option, a bad destination. DestinationExists (exit 8),
        DestinationBusy (exit 12), OutputUnwritable (exit 11), UnsupportedVersion, LimitExceeded,
        LossRefused.
    """
    report = report if report is not None else Report()
    fmt = registry.get(format)
    _check_destination(destination)
    _check_timestamp(timestamp)
    if not isinstance(records, Iterable) or isinstance(records, (str, bytes)):
        raise UsageError(f"records: expected an iterable of records (or a Bundle with memconv.write); "
                         f"got {type(records).__name__}")
    _check_options(fmt, write_options, reads=False)  # nothing is read: a read option would do nothing
    _preflight_sidecar(write_options.get("passages"), str(destination), strategy)
    return _write(_plain_records(records, report), fmt, str(destination), report=report, strategy=check_strategy(strategy),
                  dry_run=dry_run, fail_on_loss=fail_on_loss, compress=compress, keep_secrets=keep_secrets,
                  fsync=fsync, wait=wait, target_version=target_version, timestamp=timestamp,
                  jsonl=line_form(fmt, str(destination), jsonl),
                  options=dict(write_options))


def _named(n: int, x: Any) -> str:
    """``records[3] (memory m1)``: a caller's record by its position, kind and id."""
    return f"records[{n}] ({getattr(x, 'kind', '?')} {getattr(x, 'id', None) or '?'})"


def _check_timestamp(timestamp: Any) -> None:
    """Raises UsageError: a ``--timestamp`` that is not an ISO-8601 time."""
    if timestamp is not None and (not isinstance(timestamp, str) or parse_ts(timestamp) is None):
        raise UsageError(f"--timestamp {timestamp!r}: expected an ISO-8601 time, e.g. 2026-01-31T12:00:00Z")


def _check_destination(destination: Any) -> None:
    """Raises UsageError: a destination that is not a path, ``"-"`` or a live system's URL (None...)."""
    if not isinstance(destination, (str, os.PathLike)):
        raise UsageError(f"the destination must be a path, '-' for standard output, or a live system's URL; "
                         f"got {type(destination).__name__}")


def _plain_records(records: Iterable[Any], report: Report) -> Iterator[Any]:
    """A library caller's stream made what memconv's readers give a writer:

    * counted in ``report.read`` (unless :func:`iter_records` reads it into the same report), so that
      the ledger adds up;
    * one header: a later one (streams chained) is left out, with a warning when it differs;
    * a record the caller built is validated again (pydantic does not check an assignment such as
      ``m.text = None`` made after it was built);
    * a record whose free-form JSON fields (``metadata``, ``extras``, a Letta config...) hold Python
      values that are not JSON (a set, a tuple, bytes, a Decimal, a datetime, non-string keys, a NaN
      float) is built again from pydantic's JSON form of it, the form the canonical writer writes, so
      that every writer gets the same JSON values, with a ``bad-value`` warning naming the record and
      the place.

    (Records from memconv's readers hold parsed JSON only; a conversion does not take this path.)

    Raises:
        UsageError: a record that is no longer valid, or holds a value with no JSON form (an arbitrary
            object, a lone surrogate), named by its position, kind, id and place; a dict that is no
            canonical record (:func:`_as_item`).
    """
    header: Header | None = None
    given_records = 0
    count: bool | None = None  # the records given are what was read, unless iter_records counts them in this report
    for n, given in enumerate(records):
        x = _as_item(given, n)
        if count is None:
            count = not report.info.get("inputs")
        if count and not isinstance(x, Header):
            report.read[x.kind] += 1
        if isinstance(x, Header):
            if header is not None or n > 0:  # streams chained (two iter_records): one header, as iter_records gives
                if header is None or x.model_dump() != header.model_dump():
                    report.warn(f"records[{n}]: a header after the stream's start ({x.source_system or 'no'} source "
                                f"system); left out: the header the stream started with stands", RECORD_FOLDED)
                continue
            if x.schema_version != SCHEMA_VERSION:  # the records were checked against this model
                report.warn(f"records[{n}]: a header of canonical schema {x.schema_version!r}; the records are "
                            f"this memconv's model, written as schema {SCHEMA_VERSION}", VALUE_CHANGED)
                x = x.model_copy(update={"schema_version": SCHEMA_VERSION})
            header = x
        if isinstance(given, Base) and not fields_typed(x):  # changed since it was built: pydantic checks no
            try:                                                # assignment; validated again for the error
                x = type(x).model_validate(x.__dict__)
            except ValidationError as e:
                err = e.errors()[0]
                where = ".".join(str(p) for p in err["loc"]) or "?"
                raise UsageError(f"{_named(n, x)}: {where}: {err['msg'].lower()}") from None
        found = first_unplain(x)
        if found is not None:
            where, what, fixable = found
            where = where.encode("utf-8", "backslashreplace").decode("utf-8")  # a key may hold the surrogate
            if not fixable:
                raise UsageError(f"{_named(n, x)}: {where}: {what}, which UTF-8 JSON cannot hold")
            try:
                x = type(x).model_validate(x.model_dump(mode="json"))
            except (PydanticSerializationError, ValidationError, UnicodeDecodeError) as e:  # bytes not UTF-8
                raise UsageError(f"{_named(n, x)}: {where}: {what}, which has no JSON form "
                                 f"({' '.join(str(e).split())[:160]})") from None
            report.warn(f"{_named(n, x)}: {where}: {what}, not a JSON value; written in its JSON form as canonical JSON "
                        f"holds it (pydantic's JSON mode)", BAD_VALUE)
        given_records += not isinstance(x, Header)
        yield x
    if not given_records and count is not False:  # (iter_records warns of an empty input itself)
        report.warn("records: none given (an empty or exhausted iterable?); the output holds no record", EMPTY_INPUT)


def _preflight_sidecar(side: Any, out: str, strategy: str | None, inputs: Sequence[Any] = ()) -> None:
    """Checks of an output named apart from ``-o`` (Letta's ``passages`` sidecar): not the output
    itself, not an input, and not an existing file unless a strategy is given (as ``-o``).

    Raises:
        UsageError: it is the output or an input. DestinationExists: it exists and no strategy.
    """
    if not side:
        return
    side = str(side)
    if same_file(side, out):  # ("-" is never the same file)
        raise UsageError(f"--passages {side}: is the output itself; name another file for the passages sidecar")
    for inp in inputs:
        path = getattr(inp, "path", None)
        if path is None:
            continue
        read_with = [str(path), *registry.companions(str(path))]
        if any(same_file(p, side) for p in read_with if os.path.lexists(p)):
            raise UsageError(f"--passages {side}: is an input (or a file read with one); name another file for "
                             f"the passages sidecar")
    if strategy is None and side != "-" and os.path.lexists(side):
        raise DestinationExists(f"{side}: exists (the passages sidecar); choose --strategy merge|replace|skip, "
                                f"or another --passages path")


def _preflight(fmt: Format, out: str, strategy: str | None, split: bool, dry_run: bool,
               report: Report, jsonl: bool = False) -> None:
    """Every check of the destination that can be made before anything is read.

    Raises:
        UsageError, DestinationExists, OutputUnwritable.
    """
    if not fmt.can_write:
        raise UsageError(f"format {fmt.name!r} cannot be written")
    if jsonl and not fmt.line_form:
        raise UsageError(f"--jsonl: {fmt.name} has no line form (formats with one: canonical, mem0)")
    if out == "":
        raise UsageError("-o '': expected a file path, or - for standard output")
    if out == "-":
        if split:
            raise UsageError("--split needs -o OUT.json (the parts are written beside it)")
        if strategy:
            raise UsageError("--strategy needs -o PATH: the destination whose records are merged, replaced or skipped")
        return
    if strategy and split:
        raise UsageError("--strategy and --split do not go together: import the parts with merge instead")
    if fmt.writes_folder and fmt.is_folder_output(out):
        _preflight_folder(fmt, out, strategy)
        return
    if out.endswith(("/", os.sep)) or os.path.isdir(out):
        raise UsageError(f"{out}: is a folder; -o takes a file path (for example "
                         f"{os.path.join(out.rstrip('/' + os.sep) or '.', 'out.json')})")
    real = resolve(out)
    if is_special(real):
        if strategy or split:
            raise UsageError(f"{out}: is not a regular file; --strategy and --split need a file")
        return
    folder = os.path.dirname(real) or "."
    if not os.path.isdir(folder):
        raise UsageError(f"{out}: folder {folder} does not exist")
    exists = os.path.lexists(real)
    if exists and strategy is None and not split:
        raise DestinationExists(f"{out}: exists; choose --strategy merge|replace|skip, or another -o path")
    if exists and strategy and type(fmt).merge is Format.merge:
        raise UsageError(f"--strategy is not supported for {fmt.name} destinations; write to a new file")
    if exists and not dry_run:
        st = os.stat(real)
        if not st.st_mode & 0o222 and strategy != "replace":
            raise OutputUnwritable(f"{out}: is read-only (mode {stat.S_IMODE(st.st_mode):04o}); memconv does not "
                                   f"overwrite it unless --strategy replace")
        if st.st_nlink > 1:
            report.warn(f"{out}: has {st.st_nlink} hard links; the new file replaces this name only, the other "
                        f"links keep the old content", HARD_LINKED_OUTPUT)
    if strategy is None:
        for companion in fmt.companions(real):
            if os.path.lexists(companion):
                raise DestinationExists(f"{companion}: exists (it goes with {out}); choose --strategy "
                                        f"merge|replace|skip, or another -o path")


def _preflight_folder(fmt: Format, out: str, strategy: str | None) -> None:
    """:func:`_preflight` for a format that writes a folder (``-o DIR``).

    Raises:
        UsageError: ``out`` is a file, or its parent folder does not exist.
        DestinationExists: ``out`` is a folder with something in it and no strategy was given.
    """
    real = resolve(out.rstrip("/" + os.sep) or out)
    parent = os.path.dirname(os.path.abspath(real))
    if os.path.lexists(real) and not os.path.isdir(real):
        raise UsageError(f"{out}: is a file; {fmt.name} writes a folder (or name an archive: OUT.tar.gz, OUT.zip)")
    if not os.path.isdir(parent):
        raise UsageError(f"{out}: folder {parent} does not exist")
    if os.path.isdir(real) and os.listdir(real) and strategy is None:
        raise DestinationExists(f"{out}: exists and is not empty; choose --strategy merge|replace|skip, or another "
                                f"-o path")


def _write_folder(stream: Iterable[Any], fmt: Format, out: str, *, report: Report, strategy: str | None,
                  dry_run: bool, fail_on_loss: bool, fsync: bool, wait: float, target_version: str | None,
                  timestamp: str | None, options: dict[str, Any]) -> Report:
    """:func:`_write` for ``-o DIR`` of a format that writes folders: the adapter stages the folder beside
    ``DIR`` (:meth:`~memconv.format.Format.stage_folder`), under the destination's lock; a loss refused, a
    dry run or a failure discards it, else it is swapped into place."""
    real = os.path.abspath(resolve(out.rstrip("/" + os.sep) or out))
    parent = os.path.dirname(real)
    report.info["target"] = {"format": fmt.name}
    lock = destination_lock(real, wait) if not dry_run else nullcontext()
    with lock:
        sweep(parent)
        exists = os.path.isdir(real) and bool(os.listdir(real))
        if exists and strategy is None:
            raise DestinationExists(f"{out}: exists and is not empty; choose --strategy merge|replace|skip, or "
                                    f"another -o path")
        opts = WriteOptions(report=report, target_version=target_version, timestamp=timestamp,
                            output_path=real, extra=dict(options))
        with _depth_guard(report):
            staged = fmt.stage_folder(_with_header(stream), real, strategy if exists else None, opts)
        try:
            if fail_on_loss and report.has_loss:
                raise LossRefused(f"{fmt.name} cannot hold everything in the input ({report.format_losses()[0]}); "
                                  f"nothing was written (drop --fail-on-loss to accept the loss)")
            if not dry_run:
                staged.commit(fsync)
        finally:
            staged.discard()
    report.info["plan"] = staged.plan.to_dict()
    report.info["dry_run"] = dry_run
    return report


LINE_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
"""Output names that say JSON-L: a format with a line form writes it there without ``--jsonl``."""


def line_form(fmt: Format, out: str, jsonl: bool) -> bool:
    """Whether to write ``fmt``'s line form: ``--jsonl``, or an ``out`` named ``.jsonl``/``.ndjson``
    (a user naming ``backup.jsonl`` expects one record a line, not one JSON document on one line)."""
    return jsonl or (fmt.line_form and out.lower().endswith(LINE_SUFFIXES))


def _write(stream: Iterable[Any], fmt: Format, out: str, **kw: Any) -> Report:
    """The one write path of the library and the command line: check the destination, lock it, write
    every output into one :class:`~memconv.commit.OutputSet` (merged with the destination under
    ``strategy``), refuse a loss, and commit (or, for a dry run, discard) the set (:func:`_write_set`).

    Raises: a :class:`MemconvError` raised inside a C extension's callback (a signal's
    :class:`Interrupted` while ijson builds an object) as itself, not as CPython's ``SystemError``.
    """
    try:
        return _write_set(stream, fmt, out, **kw)
    except SystemError as e:
        cause = memconv_cause(e)
        if cause is None:
            raise
        raise cause from None


def _write_set(stream: Iterable[Any], fmt: Format, out: str, *, report: Report, strategy: str | None,
               dry_run: bool, fail_on_loss: bool, compress: bool | None, keep_secrets: bool, fsync: bool,
               wait: float, target_version: str | None, timestamp: str | None, jsonl: bool,
               options: dict[str, Any], produce: Producer | None = None) -> Report:
    """:func:`_write`'s work (``produce``: the joined output of a ``--jobs`` run, :mod:`memconv.jobs`,
    written instead of running the writer on ``stream``)."""
    split = bool(options.get("split"))
    _preflight(fmt, out, strategy, split, dry_run, report, jsonl)
    stream = blank(stream, report, keep=keep_secrets)  # kept values are still never printed
    if fmt.writes_folder and fmt.is_folder_output(out):
        options["keep_secrets"] = keep_secrets
        return _write_folder(stream, fmt, out, report=report, strategy=strategy, dry_run=dry_run,
                             fail_on_loss=fail_on_loss, fsync=fsync, wait=wait, target_version=target_version,
                             timestamp=timestamp, options=options)
    options["keep_secrets"] = keep_secrets  # writers that blank secrets themselves honour it too
    compress = compress if compress is not None else out.endswith(".gz")
    real = resolve(out) if out != "-" else out
    folder = (os.path.dirname(real) or ".") if out != "-" and not is_special(real) else None
    report.info["target"] = {"format": fmt.name}
    plan = Plan(strategy)
    lock = destination_lock(os.path.abspath(real), wait) if folder is not None and not dry_run else nullcontext()
    with lock:
        if folder is not None:
            sweep(folder)  # scratch that killed runs left here
        exists = folder is not None and os.path.lexists(real)
        if exists and strategy is None and not split:  # it appeared while we waited for the lock
            raise DestinationExists(f"{out}: exists; choose --strategy merge|replace|skip, or another -o path")
        with OutputSet(exclusive=strategy is None, fsync=fsync) as outputs:
            if exists and strategy:
                assert folder is not None
                scratch = temp_dir(folder)  # the converted input (and its companions), then merged
                try:
                    tmp = os.path.join(scratch, os.path.basename(real))
                    with OutputSet(exclusive=False, fsync=False, final=False) as inner:
                        _emit(stream, fmt, tmp, report, target_version, timestamp, jsonl, compress, options)
                        inner.commit()
                    opts = WriteOptions(report=report, target_version=target_version, timestamp=timestamp,
                                        jsonl=jsonl, output_path=real, extra=dict(options))
                    placed = {k: c.copy() for k, c in report.placed.items()}
                    with AtomicOutput(real, compress=compress, main=True) as fh:
                        plan = fmt.merge(Input(real), Input(tmp), fh, strategy, opts)
                    report.placed = placed  # the ledger says where the input went; the merge's rewrite recounts
                finally:
                    shutil.rmtree(scratch, ignore_errors=True)
            else:
                _emit(stream, fmt, out, report, target_version, timestamp, jsonl, compress, options, produce)
                _fresh_plan(plan, report)
            report.check_native_output(fmt.name)
            if fail_on_loss and report.has_loss:
                raise LossRefused(f"{fmt.name} cannot hold everything in the input ({report.format_losses()[0]}); "
                                  f"nothing was written (drop --fail-on-loss to accept the loss)")
            if not dry_run:
                outputs.commit()
    report.info["plan"] = plan.to_dict()
    report.info["dry_run"] = dry_run
    return report


def _emit(stream: Iterable[Any], fmt: Format, dest: str, report: Report, target_version: str | None,
          timestamp: str | None, jsonl: bool, compress: bool, options: dict[str, Any],
          produce: Producer | None = None) -> None:
    """Run ``fmt``'s writer into the active output set: ``dest`` as the main output, or the parts
    beside it with ``split`` (or ``produce``, the joined parts of a ``--jobs`` run)."""
    opts = WriteOptions(report=report, target_version=target_version, timestamp=timestamp, jsonl=jsonl,
                        output_path=None if dest == "-" else dest, extra=dict(options))
    with _depth_guard(report):
        if options.get("split"):
            fmt.write(_with_header(stream), None, opts)  # type: ignore[arg-type]  # the writer writes the parts
            return
        with AtomicOutput(dest, compress=compress, main=True) as fh:
            if produce is not None:
                produce(fh, report)
            else:
                fmt.write(_with_header(stream), fh, opts)


MAX_DEPTH_HINT = 1000


@contextmanager
def _depth_guard(report: Report) -> Iterator[None]:
    """Turn a value nested too deeply to process (Python's recursion limit, pydantic's serialisation
    depth) into :class:`InputInvalid` naming the input, instead of an internal error."""
    try:
        yield
    except (RecursionError, PydanticSerializationError, TypeError) as e:
        text = str(e).lower()
        if not isinstance(e, RecursionError) and "depth" not in text and "recursion" not in text:
            raise
        names = ", ".join(i.get("name", "?") for i in report.info.get("inputs", [])) or "input"
        raise InputInvalid(f"{names}: a value is nested more than about {MAX_DEPTH_HINT} levels deep; "
                           f"memconv refuses such input") from None


def _with_header(records: Iterable[Any]) -> Iterator[Any]:
    """The stream with a header first (a default one when it has none), each item a model: a dict
    (canonical JSON, as a canonical file holds it) is validated into its record.

    Raises:
        UsageError: an item that is neither a model nor a dict, or a dict that is no canonical record
            (its position, the field and what was expected).
    """
    it = iter(records)
    first = next(it, None)
    if first is None:
        yield Header()
        return
    first = _as_item(first, 0)
    if not isinstance(first, Header):
        yield Header()
    yield first
    models = (Base, Header)
    for n, x in enumerate(it, 1):  # a model (what every reader yields) passes as it is, without a call
        yield x if isinstance(x, models) else _as_item(x, n)


def _as_item(x: Any, n: int) -> Any:
    if isinstance(x, (Base, Header)):
        return x
    if isinstance(x, dict):
        try:
            return ITEM_ADAPTER.validate_python(x)
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(p) for p in err["loc"][1:]) or "kind"
            raise UsageError(f"records[{n}]: {where}: {err['msg'].lower()} (a dict must be a canonical record, "
                             f"e.g. {{\"kind\": \"memory\", \"id\": ..., \"text\": ...}})") from None
    raise UsageError(f"records[{n}]: expected a memconv.model record (Memory, Agent...) or a dict of one, "
                     f"got {type(x).__name__}")


def write(bundle: Bundle | Iterable[Base], format: str, destination: str | os.PathLike = "-",
          **options: Any) -> Report:
    """Write a :class:`~memconv.model.Bundle` (or records) in ``format``; see :func:`write_records`."""
    if isinstance(bundle, Bundle):
        stream: Iterable[Any] = [bundle.header, *bundle.records]
    else:
        stream = bundle
    return write_records(stream, format, destination, **options)


def convert(source: Source | Sequence[Source], to: str, output: str | os.PathLike = "-", *,
            from_: str | None = None, report: Report | None = None, strategy: str | None = None,
            dry_run: bool = False, agents: Sequence[str] = (), user_ids: Sequence[str] = (),
            since: str | None = None, exclude: Sequence[str] = (), rename: dict[str, str] | None = None,
            keep_secrets: bool = False, max_records: int = DEFAULT_MAX_RECORDS,
            max_bytes: int = DEFAULT_MAX_BYTES, show_progress: bool = False, source_token: str | None = None,
            target_token: str | None = None, jobs: int = 1, **options: Any) -> Report:
    """Convert input(s) to format ``to``, streaming through the canonical model.

    Args:
        source: path(s), ``"-"`` or open file(s). to: target format name. output: path or ``"-"``.
        from_: force the input format.
        strategy: ``merge``/``replace``/``skip`` when ``output`` exists (:mod:`memconv.strategies`);
            None refuses an existing output.
        dry_run: do everything but write; ``report.info["plan"]`` says what would happen.
        agents, user_ids, since, exclude, rename: selection (:mod:`memconv.filters`).
        keep_secrets: do not blank secrets (:mod:`memconv.secrets`).
        max_records, max_bytes: guards (:mod:`memconv.guards`; 0 turns one off).
        show_progress: draw progress on stderr (:mod:`memconv.progress`).
        jobs: worker processes for a large JSON-L or mem0 ``get_all`` input, or several inputs of canonical
            or mem0 (one part each), written as JSON-L or as mem0's document (:mod:`memconv.jobs`;
            the output is byte for byte the one of ``jobs=1``, and the serial run does the work where it
            could differ; ``report.info["jobs"]`` says which ran). The command line's ``--jobs``
            defaults to the number of cores; here the default is 1, as a library should not start
            processes unasked. On Linux, from a process that runs one thread, the workers are forked;
            elsewhere (threads of the caller's own, macOS, Windows) they are started with ``spawn``,
            which imports the calling script's main module again: a script that passes ``jobs`` > 1
            should call :func:`convert` under ``if __name__ == "__main__":`` (else spawned workers
            cannot start, and the serial run does the work).
        source_token / target_token: tokens of live systems named as input / as ``output``
            (default: the system's environment variable, :mod:`memconv.remote`).
        options: :func:`write_records` options and adapter options (``split``, ``passages``...);
            ``read_*`` options go to the readers (``read_all_messages`` for a live Letta).

    A live system (``letta+http://...``, ``agentmemory+http://...``, ``mem0+config:...``) may be an input
    (its adapter's :meth:`~memconv.format.Format.pull`) or ``output`` (:meth:`~memconv.format.Format.push`,
    see :func:`_push`).

    Returns:
        The :class:`~memconv.report.Report` (counts, losses, warnings, ``info["plan"]``).

    Raises:
        UsageError: output path equals an input path, unknown format, bad option.
        DestinationExists: ``output`` exists and no ``strategy`` was given.
        InputUnreadable, InputInvalid, UnsupportedVersion, LimitExceeded, LossRefused.
    """
    report = report if report is not None else Report()
    check_strategy(strategy)
    _check_destination(output)
    _check_timestamp(options.get("timestamp"))
    for opt, value in (("jobs", jobs), ("max_records", max_records), ("max_bytes", max_bytes),
                       ("wait", options.get("wait", 0))):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (opt != "wait" and not isinstance(value, int)):
            raise UsageError(f"{opt}: expected a{' number' if opt == 'wait' else 'n integer'}, got {type(value).__name__} "
                             f"{value!r}")
    # one name given as a string is that name, not its letters
    agents, user_ids, exclude = ([v] if isinstance(v, str) else list(v or ()) for v in (agents, user_ids, exclude))
    inputs = expand(_as_inputs(source), from_, report)
    out = str(output)
    if any(isinstance(i, RemoteInput) for i in inputs) or is_remote(out):
        options.update(_live_read_options(options, source_token, agents, exclude, show_progress))
    if is_remote(out):
        return _push(inputs, to, out, report=report, from_=from_, strategy=strategy, dry_run=dry_run, agents=agents,
                     user_ids=user_ids, since=since, exclude=exclude, rename=rename, keep_secrets=keep_secrets,
                     max_records=max_records, max_bytes=max_bytes, show_progress=show_progress,
                     target_token=target_token, options=options)
    for inp in inputs:
        if inp.path is not None and same_file(str(inp.path), out):
            raise UsageError(f"{out}: the output is the input; write to another path")
    fmt = registry.get(to)  # fail on an unknown target before reading anything
    write_opts = {k: options.pop(k) for k in WRITE_KEYWORDS if k in options}
    write_opts["jsonl"] = line_form(fmt, out, write_opts.get("jsonl", False))
    _check_options(fmt, options)  # first: a passages option for a target without a sidecar is refused as such
    _preflight_sidecar(options.get("passages"), out, strategy, inputs)
    _preflight(fmt, out, strategy, bool(options.get("split")), dry_run, report, write_opts.get("jsonl", False))
    check_bytes(inputs, max_bytes)
    since_dt = parse_since(since)
    kinds = parse_kinds(exclude)
    read_opts = {k[len("read_"):]: options.pop(k) for k in list(options) if k.startswith("read_")}
    write_kw = dict(report=report, strategy=strategy, dry_run=dry_run,
                    fail_on_loss=write_opts.get("fail_on_loss", False), compress=write_opts.get("compress"),
                    keep_secrets=keep_secrets, fsync=write_opts.get("fsync", True), wait=write_opts.get("wait", 0.0),
                    target_version=write_opts.get("target_version"), timestamp=write_opts.get("timestamp"),
                    jsonl=write_opts.get("jsonl", False), options=options)
    if jobs > 1:
        done = _convert_jobs(jobs, inputs, from_, fmt, out, read_opts, max_records,
                             bool(agents or user_ids or since or exclude or rename), write_kw, show_progress)
        if done is not None:
            return done
    stream: Iterable[Any] = iter_records(inputs, format=from_, report=report, max_records=max_records,
                                         **read_opts)
    stream = progress(stream, show_progress)
    stream = select(stream, agents=agents, user_ids=user_ids, since=since_dt, exclude=kinds,
                    rename=rename, report=report)
    return _write(stream, fmt, out, **write_kw)


def _convert_jobs(jobs: int, inputs: list[Any], from_: str | None, fmt: Format, out: str,
                  read_opts: dict[str, Any], max_records: int, selecting: bool,
                  write_kw: dict[str, Any], show_progress: bool = False) -> Report | None:
    """:func:`convert` in ``jobs`` worker processes (:mod:`memconv.jobs`); None when the serial run
    must do it (the reason in ``report.info["jobs"]``). ``show_progress``: say that the workers run, and
    the count once they are joined (:func:`memconv.progress.in_workers`)."""
    from . import jobs as parallel

    report: Report = write_kw["report"]
    try:
        sources = {registry.get(from_) if from_ else registry.detect(i) for i in inputs} \
            if parallel.local_files(inputs) else set()
    except MemconvError:  # the serial run reports it, in its order
        sources = set()
    source = sources.pop() if len(sources) == 1 else None
    why = ("inputs of several formats" if sources else "not local files (or a folder read whole, or an input of "
                                                       "no known format)") if source is None else \
        "read options" if read_opts else parallel.eligible(
        jobs, inputs, source, fmt, jsonl=write_kw["jsonl"], strategy=write_kw["strategy"],
        selecting=selecting, options=write_kw["options"], target_version=write_kw["target_version"], output=out)
    if why is None:
        real = resolve(out) if out != "-" else out
        folder = os.path.dirname(real) or "." if out != "-" and not is_special(real) else None
        scratch = temp_dir(folder) if folder else tempfile.mkdtemp(prefix=f".{tag()}", suffix=".d")
        try:
            started, done = in_workers(show_progress)
            join, workers, why = parallel.run(jobs, list(inputs), source, fmt, scratch, started=started,
                                              target_version=write_kw["target_version"],
                                              timestamp=write_kw["timestamp"], jsonl=write_kw["jsonl"],
                                              keep_secrets=write_kw["keep_secrets"],
                                              output_path=None if out == "-" else real,
                                              max_records=max_records, options=dict(write_kw["options"]))
            if join is not None:
                report.info["jobs"] = {"workers": workers, "serial": None,
                                       "worker_peak_rss_mb": parallel.children_peak_rss_mb()}
                written = _write(iter(()), fmt, out, produce=join, **write_kw)
                done(sum(report.read.values()))
                return written
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    report.info["jobs"] = {"workers": 1, "serial": why}
    return None


def _fresh_plan(plan: Plan, report: Report) -> None:
    for what, n in report.written.items():
        plan.add(what.split(":", 1)[-1], "insert", n)


def _live_read_options(options: dict[str, Any], source_token: str | None, agents: Sequence[str],
                       exclude: Sequence[str], show_progress: bool) -> dict[str, Any]:
    """``read_*`` options for live inputs: the token, and hints that let a pull fetch less (the
    filters still apply afterwards)."""
    out: dict[str, Any] = {}
    if source_token:
        out["read_token"] = source_token
    if agents:
        out["read_only_agents"] = list(agents)
    if exclude:
        out["read_skip_kinds"] = sorted(parse_kinds(exclude))
    out["read_progress"] = show_progress
    return out


def _push(inputs: list[Any], to: str | None, out: str, *, report: Report, from_: str | None,
          strategy: str | None, dry_run: bool, agents: Sequence[str], user_ids: Sequence[str], since: str | None,
          exclude: Sequence[str], rename: dict[str, str] | None, keep_secrets: bool, max_records: int,
          max_bytes: int, show_progress: bool, target_token: str | None, options: dict[str, Any]) -> Report:
    """:func:`convert` into a live system: the same stream (read, filtered, secrets blanked), handed to
    the target adapter's :meth:`~memconv.format.Format.push`, which returns the plan.

    Raises:
        UsageError: ``to`` names another system, ``--split``. Others: as the adapter's ``push``.
    """
    url = parse_remote(out)
    fmt = registry.get(url.system)
    if to and registry.get(to) is not fmt:
        raise UsageError(f"-o {url.display} is a {fmt.name} system; --to {to} does not match")
    if options.pop("split", None):
        raise UsageError("--split is for files: a push to a live system is cut into imports within its limits by itself")
    if options.pop("jsonl", False):
        raise UsageError("--jsonl is for files: a live system takes its own import format")
    fail_on_loss = bool(options.pop("fail_on_loss", False))  # the CLI always passes both (jsonl=False)
    _check_options(fmt, {k: v for k, v in options.items() if k not in WRITE_KEYWORDS}, push=True)
    check_bytes(inputs, max_bytes)
    since_dt = parse_since(since)
    kinds = parse_kinds(exclude)
    read_opts = {k[len("read_"):]: options.pop(k) for k in list(options) if k.startswith("read_")}
    stream: Iterable[Any] = iter_records(inputs, format=from_, report=report, max_records=max_records, **read_opts)
    stream = progress(stream, show_progress)
    stream = select(stream, agents=agents, user_ids=user_ids, since=since_dt, exclude=kinds, rename=rename,
                    report=report)
    stream = blank(stream, report, keep=keep_secrets)  # kept values are still never printed
    opts = WriteOptions(report=report, target_version=options.pop("target_version", None),
                        timestamp=options.pop("timestamp", None), jsonl=False, output_path=None,
                        extra={**options, "keep_secrets": keep_secrets, "fail_on_loss": fail_on_loss,
                               "strategy": strategy, "dry_run": dry_run,
                               "token": target_token, "progress": show_progress})
    plan = fmt.push(stream, url, opts)
    report.info["target"] = {**report.info.get("target", {}), "format": fmt.name, "url": url.display}
    report.info["plan"] = plan.to_dict()
    report.info["dry_run"] = dry_run
    return report
