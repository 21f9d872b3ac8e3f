"""The one-way flow: inputs -> readers -> canonical stream -> writer -> atomic output.

Library entry points (re-exported by :mod:`memconv`):

* :func:`iter_records` - a stream of canonical items from one or more inputs;
* :func:`read` - the same gathered into a :class:`~memconv.model.Bundle`;
* :func:`write_records` / :func:`write` - a stream or a bundle written in a format;
* :func:`convert` - both, with the loss report.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Iterator, Sequence

from . import registry
import shutil
from contextlib import contextmanager
import tempfile

from pydantic_core import PydanticSerializationError

from .errors import DestinationExists, InputInvalid, LossRefused, UsageError
from .filters import parse_kinds, parse_since, select
from .format import Format, ReadOptions, WriteOptions
from .progress import progress
from .remote import RemoteInput, is_remote, parse as parse_remote
from .guards import DEFAULT_MAX_BYTES, DEFAULT_MAX_RECORDS, check_bytes, check_count
from .io import AtomicOutput, Input, same_file
from .localids import RunIds
from .model import Base, Bundle, Header
from .report import Report
from .secrets import blank
from .strategies import Plan, check_strategy

Source = str | os.PathLike | Input | RemoteInput


def _as_inputs(sources: Source | Sequence[Source]) -> list[Any]:
    if isinstance(sources, (str, os.PathLike, Input, RemoteInput)):
        sources = [sources]
    return [s if isinstance(s, (Input, RemoteInput)) else RemoteInput(s) if is_remote(s) else Input(s)
            for s in sources]


def iter_records(sources: Source | Sequence[Source], format: str | None = None,
                 report: Report | None = None, max_records: int = 0, **read_options: Any) -> Iterator[Any]:
    """Yield one :class:`~memconv.model.Header`, then the canonical records of every input.

    Args:
        sources: path(s), ``"-"`` for standard input, or :class:`~memconv.io.Input` objects.
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
            for rec in items:
                counts[rec.kind] += 1
                total += 1
                if max_records and total > max_records:
                    check_count(counts, max_records)
                yield rec
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


def write_records(records: Iterable[Any], format: str, destination: str | os.PathLike = "-", *,
                  report: Report | None = None, target_version: str | None = None,
                  timestamp: str | None = None, jsonl: bool = False, fail_on_loss: bool = False,
                  compress: bool | None = None, **write_options: Any) -> Report:
    """Write a canonical stream (a header, then records) in ``format`` to ``destination``, atomically.

    Args:
        records: the stream; a missing header is supplied.
        format: target format name. destination: a path (``.gz`` compresses) or ``"-"`` for stdout.
        target_version, timestamp, jsonl: see :class:`~memconv.format.WriteOptions`.
        fail_on_loss: raise :class:`~memconv.errors.LossRefused` (and write nothing) when the target
            cannot hold something.
        write_options: adapter-specific options.

    Returns:
        The :class:`~memconv.report.Report`.

    Raises:
        UsageError, UnsupportedVersion, LimitExceeded, LossRefused.
    """
    report = report if report is not None else Report()
    fmt = registry.get(format)
    if not fmt.can_write:
        raise UsageError(f"format {fmt.name!r} cannot be written")
    dest = str(destination)
    opts = WriteOptions(report=report, target_version=target_version, timestamp=timestamp, jsonl=jsonl,
                        output_path=None if dest == "-" else dest, extra=dict(write_options))
    report.info["target"] = {"format": fmt.name}
    if write_options.get("split"):
        if dest == "-":
            raise UsageError("--split needs -o OUT.json (the parts are written beside it)")
        fmt.write(_with_header(records), None, opts)  # type: ignore[arg-type]  # the writer writes the parts
        report.check_native_output(fmt.name)
        if fail_on_loss and report.has_loss:
            raise LossRefused(f"{fmt.name} cannot hold everything in the input ({report.format_losses()[0]})")
        return report
    with AtomicOutput(dest, compress=compress) as out:
        with _depth_guard(report):
            fmt.write(_with_header(records), out, opts)
        report.check_native_output(fmt.name)
        if fail_on_loss and report.has_loss:
            first = report.format_losses()[0]
            raise LossRefused(f"{fmt.name} cannot hold everything in the input ({first}); "
                              f"nothing was written (drop --fail-on-loss to accept the loss)")
    return report


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
    it = iter(records)
    first = next(it, None)
    if first is None:
        yield Header()
        return
    if not isinstance(first, Header):
        yield Header()
    yield first
    yield from it


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
            target_token: str | None = None, **options: Any) -> Report:
    """Convert input(s) to format ``to``, streaming through the canonical model.

    Args:
        source: path(s) or ``"-"``. to: target format name. output: path or ``"-"``.
        from_: force the input format.
        strategy: ``merge``/``replace``/``skip`` when ``output`` exists (:mod:`memconv.strategies`);
            None refuses an existing output.
        dry_run: do everything but write; ``report.info["plan"]`` says what would happen.
        agents, user_ids, since, exclude, rename: selection (:mod:`memconv.filters`).
        keep_secrets: do not blank secrets (:mod:`memconv.secrets`).
        max_records, max_bytes: guards (:mod:`memconv.guards`; 0 turns one off).
        show_progress: draw progress on stderr (:mod:`memconv.progress`).
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
    inputs = _as_inputs(source)
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
    exists = out != "-" and os.path.exists(out)
    split = bool(options.get("split"))
    if split and out == "-":
        raise UsageError("--split needs -o OUT.json (the parts are written beside it)")
    if strategy and out == "-":
        raise UsageError("--strategy needs -o PATH: the destination whose records are merged, replaced or skipped")
    if strategy and split:
        raise UsageError("--strategy and --split do not go together: import the parts with merge instead")
    if exists and strategy is None and not split:
        raise DestinationExists(f"{out}: exists; choose --strategy merge|replace|skip, or another -o path")
    if exists and strategy and type(fmt).merge is Format.merge:
        raise UsageError(f"--strategy is not supported for {fmt.name} destinations; write to a new file")
    if dry_run:
        options.pop("passages", None)  # a dry run writes no sidecar either
    options["keep_secrets"] = keep_secrets  # writers that blank secrets themselves honour it too
    check_bytes(inputs, max_bytes)
    since_dt = parse_since(since)
    kinds = parse_kinds(exclude)
    read_opts = {k[len("read_"):]: options.pop(k) for k in list(options) if k.startswith("read_")}
    stream: Iterable[Any] = iter_records(inputs, format=from_, report=report, max_records=max_records,
                                         **read_opts)
    stream = progress(stream, show_progress)
    stream = select(stream, agents=agents, user_ids=user_ids, since=since_dt, exclude=kinds,
                    rename=rename, report=report)
    if not keep_secrets:
        stream = blank(stream, report)
    plan = Plan(strategy)
    if exists and strategy:
        # the converted input goes to a scratch folder beside the destination (with any sidecar files
        # its writer adds), is merged into the destination, and the folder is removed
        folder = os.path.dirname(os.path.abspath(out))
        scratch = tempfile.mkdtemp(prefix=".memconv-new-", dir=folder)
        try:
            tmp = os.path.join(scratch, os.path.basename(out))
            write_records(stream, to, tmp, report=report, compress=out.endswith(".gz"), **options)
            sink = os.path.join(scratch, "dry-run-" + os.path.basename(out)) if dry_run else out
            opts = WriteOptions(report=report, output_path=sink, extra=dict(options))
            placed = {k: c.copy() for k, c in report.placed.items()}
            with AtomicOutput(sink, compress=out.endswith(".gz")) as fh:
                plan = fmt.merge(Input(out), Input(tmp), fh, strategy, opts)
            report.placed = placed  # the ledger says where the input went; a merge that writes again recounts
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    elif dry_run:
        with tempfile.TemporaryDirectory(prefix="memconv-dry-") as d:
            target = os.path.join(d, os.path.basename(out) if out != "-" else "out")
            write_records(stream, to, target, report=report, **options)
        _fresh_plan(plan, report)
    else:
        write_records(stream, to, out, report=report, **options)
        _fresh_plan(plan, report)
    report.info["plan"] = plan.to_dict()
    report.info["dry_run"] = dry_run
    return report


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
    check_bytes(inputs, max_bytes)
    since_dt = parse_since(since)
    kinds = parse_kinds(exclude)
    read_opts = {k[len("read_"):]: options.pop(k) for k in list(options) if k.startswith("read_")}
    stream: Iterable[Any] = iter_records(inputs, format=from_, report=report, max_records=max_records, **read_opts)
    stream = progress(stream, show_progress)
    stream = select(stream, agents=agents, user_ids=user_ids, since=since_dt, exclude=kinds, rename=rename,
                    report=report)
    if not keep_secrets:
        stream = blank(stream, report)
    opts = WriteOptions(report=report, target_version=options.pop("target_version", None),
                        timestamp=options.pop("timestamp", None), jsonl=False, output_path=None,
                        extra={**options, "keep_secrets": keep_secrets, "strategy": strategy, "dry_run": dry_run,
                               "token": target_token, "progress": show_progress})
    plan = fmt.push(stream, url, opts)
    report.info["target"] = {**report.info.get("target", {}), "format": fmt.name, "url": url.display}
    report.info["plan"] = plan.to_dict()
    report.info["dry_run"] = dry_run
    return report
