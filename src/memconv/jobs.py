"""``--jobs N``: one conversion cut into N byte ranges, converted by N worker processes, joined.

The serial pipeline (:mod:`memconv.pipeline`) stays the definition of the output: the parallel path is
taken only where its output is byte for byte the serial one, and it checks that after the fact.

**Several inputs** (``memconv a.json b.json ... --jobs N``, or a folder of exports): each local input
is one part, read whole by a worker as the serial run reads it, ``N`` parts at a time, and the parts
are joined in the inputs' order, under the same rules as below; the inputs are of one format,
canonical or mem0, at least :data:`MIN_BYTES` together, compressed or not. A part that starts with a
file-local id (``agent-0``) gives way: the serial run qualifies such ids by what came before
(:mod:`memconv.localids`).

**Where it applies** (:func:`eligible`): one local, uncompressed input of at least :data:`MIN_BYTES`,
either JSON-L (canonical or mem0: one record a line) or a mem0 ``get_all`` document that is one list
(``{"results": [...]}`` and nothing else), written as the line form of ``canonical`` or ``mem0``
(``--jsonl``), or, from mem0, as mem0's default document form; with no ``--strategy``, no ``--split``,
no ``--target-version``, no selection option (``--agent``, ``--user-id``, ``--since``, ``--exclude`` and
``--rename-agent`` decide at the end of the stream) and no live system.

**How:** the records are located first. A JSON-L file is cut at line ends into N ranges. A mem0
document is cut between two items of its list, where the bytes read ``},{`` (spaces allowed): each
part is then the document's own opening (``{"results":[``), the items of its range and ``]}``, a
valid document of the same shape. A cut that is not between two items (the bytes ``},{`` inside a
string or inside an item) leaves some part unbalanced, so that part fails to parse and the serial run
does the work: every part parsing is what proves the cuts right. Each worker reads its part (the file's
header line put before it, as the serial reader would have it), runs the same reader, secrets stage and
writer into a scratch file, and returns its :class:`~memconv.report.Report`, its header and the
fingerprints of every id its writer claimed (:class:`~memconv.uniqueids.UniqueIds`). The parent joins
the parts in order (without the header line the canonical writer puts first in a later part; for mem0's
document form, without the opening and closing of each part's document, the items joined by ``,``)
and adds the reports up.

**When it gives way to the serial run** (the serial run then does all the work, so its output,
report and errors are what the user sees): a worker failed (bad input, a wrong cut, a full disk: the
serial run reports it with its place); a worker warned (warnings carry line numbers and counts of the
whole stream); the parts read different headers (mem0 tells ``search`` from ``get_all`` by its first
item); a part holds fewer than :data:`MIN_PART_RECORDS` records (a reader may warn about a whole
stream's count, as mem0 does of a ``get_all`` of exactly 100); two parts claimed one id (the serial
writer would have given the later one a new id); a part holds a header line of its own; a mem0 input
or the mem0 writer met a record other than a memory (relations take the scope of the whole listing;
the mem0 writer looks up agents, and writes history and relations at the end); a part's document is
not framed as the join expects; the records outnumber ``--max-records``. The report's ``info["jobs"]``
says which path ran and why.

Workers are started by ``fork`` where that is safe (Linux, and the parent runs no other thread: no
lock can be held across the fork), so that they begin with memconv already imported; elsewhere with
``spawn``, under a fixed ``PYTHONHASHSEED`` so that their id fingerprints compare (a forked worker has
its parent's). Either way a worker starts with the default signal handlers (:func:`_worker_start`), as
a fresh process would: a Ctrl-C or the parent's ``terminate`` ends it.

Measured on the 2-core benchmark machine: see ``benchmarks/run.py`` (the ``--jobs`` rows).
"""

from __future__ import annotations

import io
import os
import pickle
import random
import signal
import sys
import threading
from array import array
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Any, BinaryIO, Callable, Iterator

import orjson

from .io import Input
from .jsonstream import BETWEEN, list_span
from .localids import LOCAL_ID
from .logmessages import OTHER, LogMessage
from .report import Report
from .signals import SIGNALS

MIN_BYTES = 8 << 20
"""Inputs smaller than this (8 MiB, about 16,000 memories) are converted by one process: starting
workers costs more than they save."""

MAX_JOBS = 8
"""At most this many workers (each holds its own flat working set, about 60 MB)."""


MAX_CUT_SCAN = 16 << 20
"""How far past a cut's place (16 MiB) :func:`cut_list` looks for the next ``},{`` before it gives up that
cut (fewer, larger parts), so that one vast item is never read into memory whole."""

ID_BUCKETS = 64
"""A part's id fingerprints come back in this many shares (by their low bits); the parent holds one share
of every part's in a set at a time: 1/64 of the ids, at about 60 bytes each."""

MIN_PART_RECORDS = 128
"""A part with fewer records than this gives way to the serial run: a reader may warn about a whole
stream's count, which no part sees (mem0: a ``get_all`` of exactly 20 or 100 items, its default caps),
and with this many in every part the whole holds more."""



def default_jobs() -> int:
    """The cores this process may run on (``os.sched_getaffinity``), at most :data:`MAX_JOBS`."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    return max(1, min(n, MAX_JOBS))


def eligible(jobs: int, inputs: list[Any], source: Any, target: Any, *, jsonl: bool, strategy: str | None,
             selecting: bool, options: dict[str, Any], target_version: str | None = None,
             output: str = "") -> str | None:
    """Why this conversion (asked for with ``jobs`` > 1) runs in one process (a short reason), or None
    when :func:`run` may cut it.

    ``inputs``: the :class:`~memconv.io.Input` objects; ``source``, ``target``: the detected input
    format (of every input, when there are several) and the output's (:class:`~memconv.format.Format`:
    their ``listed_document`` and ``document_frame`` say which documents are cut and joined); ``output``:
    the output path (``-o``).
    """
    if not inputs or not local_files(inputs):
        return "not local files" if len(inputs) > 1 else "not one local file"
    if len(inputs) > 1:  # one part per input, each read whole
        if not source.record_lines:
            return "several inputs of a format of one record a line (canonical or mem0) only"
        if sum(os.path.getsize(i.path) for i in inputs) < MIN_BYTES:
            return f"under {MIN_BYTES >> 20} MiB"
    else:
        inp = inputs[0]
        if inp.is_gzip:
            return "a compressed input is read in one stream"
        if (inp.size() or 0) < MIN_BYTES:
            return f"under {MIN_BYTES >> 20} MiB"
        lines = source.record_lines and _is_lines(inp)
        listed = not lines and source.listed_document is not None and \
            list_span(str(inp.path), *source.listed_document) is not None
        if not lines and not listed:
            return "only JSON-L (canonical or mem0) and a mem0 get_all of one list are cut into ranges"
    if not target.record_lines or not (jsonl or (target.name == source.name and target.document_frame)):
        return "the target's line form (--jsonl, canonical or mem0), or mem0's document form from mem0, only"
    if strategy or selecting or options.get("split"):
        return "--strategy, --split and the selection options see the whole stream"
    if target_version:
        return "--target-version"
    if target.whole_outputs and output.lower().endswith(target.whole_outputs):
        return f"a {os.path.splitext(output)[1]} output (another document of {target.name}'s, " \
               f"Format.whole_outputs) is written in one process"
    return None


def local_files(inputs: list[Any]) -> bool:
    """True when every input is a local file (an :class:`~memconv.io.Input` with a path, not a folder):
    what a worker can open again by its path."""
    return all(isinstance(i, Input) and i.path is not None and not i.is_dir for i in inputs)


def _is_lines(inp: Input) -> bool:
    head = inp.peek(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    first = head.split(b"\n", 1)[0].rstrip()
    return first.startswith(b"{") and first.endswith(b"}") and not first.startswith(b'{"format"')


def cut(path: str, n: int, skip: int = 0) -> list[tuple[int, int]]:
    """``n`` byte ranges ``(start, end)`` of the file at ``path`` after its first ``skip`` bytes (the
    header line), beginning at line starts and covering the rest (fewer when it has fewer lines)."""
    size = os.path.getsize(path)
    bounds = [skip]
    with open(path, "rb") as fh:
        for k in range(1, n):
            at = max(skip + (size - skip) * k // n, bounds[-1])
            fh.seek(at)
            if at:
                fh.readline()  # to the start of the next line
            pos = fh.tell()
            if pos >= size:
                break
            if pos > bounds[-1]:
                bounds.append(pos)
    bounds.append(size)
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def cut_list(path: str, n: int, start: int, end: int) -> list[tuple[int, int]]:
    """``n`` byte ranges ``(a, b)`` of the items of a list lying from ``start`` to ``end`` (the closing
    ``]``), each from an item's ``{`` to the ``}`` before the comma that follows it (fewer ranges where
    no ``},{`` is found). Where a cut fell inside an item or a string, a part fails to parse (the module
    docstring says why), so the serial run takes over."""
    cuts: list[tuple[int, int]] = []  # (end of a part, start of the next)
    with open(path, "rb") as fh:
        for k in range(1, n):
            at = max(start + (end - start) * k // n, cuts[-1][1] if cuts else start)
            fh.seek(at)
            window, m = b"", None
            while m is None:  # the first "},{" after ``at`` (an item may be large: read on, up to a bound)
                more = fh.read(1 << 16)
                if not more or at + len(window) >= end or len(window) >= MAX_CUT_SCAN:
                    break
                window += more
                m = BETWEEN.search(window, max(0, len(window) - len(more) - 64))
            if m is None or at + m.end() >= end:
                break
            cuts.append((at + m.start() + 1, at + m.end() - 1))
    starts = [start] + [b for _, b in cuts]
    ends = [a for a, _ in cuts] + [end]
    return [(a, b) for a, b in zip(starts, ends) if b > a]


class _Range(io.RawIOBase):
    """``prefix``, then bytes ``start`` to ``end`` of a file, then ``suffix``, as one readable, seekable
    stream (readers seek back after a byte order mark check)."""

    def __init__(self, path: str, start: int, end: int, prefix: bytes, suffix: bytes = b""):
        self.fh = open(path, "rb")
        self.start, self.prefix, self.suffix = start, prefix, suffix
        self.middle = len(prefix) + end - start  # where the suffix begins
        self.total = self.middle + len(suffix)
        self.pos = 0
        self.tail = b""
        self.header_inside = False  # a '"header"' met in the range itself (not in the prefix)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.total}[whence]
        self.pos = max(0, base + offset)
        self.tail = b""
        return self.pos

    def readinto(self, buf: Any) -> int:
        pos, n = self.pos, 0
        if pos < len(self.prefix):
            data = self.prefix[pos:pos + len(buf)]
        elif pos < self.middle:
            self.fh.seek(self.start + pos - len(self.prefix))
            data = self.fh.read(min(len(buf), self.middle - pos))
            if not self.header_inside:
                self.header_inside = b'"header"' in self.tail + data
                self.tail = data[-7:]
        else:
            data = self.suffix[pos - self.middle:pos - self.middle + len(buf)]
        n = len(data)
        buf[:n] = data
        self.pos += n
        return n

    def close(self) -> None:
        self.fh.close()
        super().close()


class RangeInput(Input):
    """One range of a file, between ``prefix`` and ``suffix``, as an :class:`~memconv.io.Input` (the
    file's name in messages)."""

    def __init__(self, path: str, start: int, end: int, prefix: bytes = b"", suffix: bytes = b""):
        super().__init__(path)
        self.start, self.end, self.prefix, self.suffix = start, end, prefix, suffix
        self.opened: list[_Range] = []

    def open(self) -> BinaryIO:  # type: ignore[override]
        raw = _Range(str(self.path), self.start, self.end, self.prefix, self.suffix)
        self.opened.append(raw)
        return io.BufferedReader(raw, 1 << 16)

    @property
    def header_inside(self) -> bool:
        """True when a read of the range met ``"header"`` (a header line, or the word as a key or value:
        either way the part gives way to the serial run)."""
        return any(r.header_inside for r in self.opened)

    def peek(self, n: int = 4096) -> bytes:
        with self.open() as fh:
            return fh.read(n)

    def size(self) -> int | None:
        return self.end - self.start + len(self.prefix) + len(self.suffix)

    def file_path(self) -> str | None:  # its bytes are a range of the file, framed: no file has them
        return None


def _header_line(path: str) -> bytes:
    """The file's first line when it is a canonical header record (BOM and all), else ``b""``."""
    with open(path, "rb") as fh:
        line = fh.readline()
    try:
        obj = orjson.loads(line.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError:
        return b""
    return line if isinstance(obj, dict) and obj.get("kind") == "header" else b""


def _work(task: dict[str, Any]) -> dict[str, Any]:
    """One worker's part (in its own process): read ``task``'s range, write it to ``task["out"]``.

    Returns ``{"report", "ids", "header", "give_way"}``: the part's report, its writer's id fingerprints
    per collection (:data:`ID_BUCKETS` shares of ``array('q')`` bytes) and the header its reader made
    (JSON bytes); or ``give_way``,
    what made it stop at once (a warning, a header line inside the range, a record joined across the
    stream, a failure), and the parent stops the other parts and runs the serial conversion.
    """
    from . import registry
    from .format import WriteOptions
    from .pipeline import _depth_guard, _with_header, iter_records
    from .secrets import blank
    from .uniqueids import recording

    report = _Strict()
    try:
        inp = Input(task["path"]) if task["whole"] else \
            RangeInput(task["path"], task["start"], task["end"], task["prefix"], task["suffix"])
        inp.name = task["name"]  # as the user gave it (./x.json), for the report and messages
        if task["listed"]:  # its bytes between prefix and suffix are items of the file's one list
            inp.list_part = (task["path"], task["start"], task["end"])
        fmt = registry.get(task["to"])
        opts = WriteOptions(report=report, target_version=task["target_version"], timestamp=task["timestamp"],
                            jsonl=task["jsonl"], output_path=task["output_path"],
                            extra={**task["options"], "keep_secrets": task["keep_secrets"]})
        with recording() as guards, open(task["out"], "wb") as fh, _depth_guard(report):
            watch = _Watch(inp, task["from"], task["to"], task.get("ordinal", 1))
            stream = watch(iter_records([inp], format=task["from"], report=report, max_records=0))
            fmt.write(_with_header(blank(stream, report, keep=task["keep_secrets"])), fh, opts)
        if watch.header_lines and not task["whole"] and inp.header_inside:
            raise GiveWay("holds a header line")
        ids: dict[str, list[bytes]] = {}
        for guard in guards:
            for coll, fp in guard.seen.items():
                buckets = [array("q") for _ in range(ID_BUCKETS)]
                for h in fp.table:  # by their low bits, so that the parent compares a share at a time
                    if h:
                        buckets[h & (ID_BUCKETS - 1)].append(h)
                got = ids.setdefault(coll, [b""] * ID_BUCKETS)
                ids[coll] = [a + b.tobytes() for a, b in zip(got, buckets)]
        from .transport import registered_secrets
        return {"report": Report(**{f: getattr(report, f) for f in ("read", "written", "placed", "losses",
                                                                      "warnings", "info")}),
                "ids": ids, "header": watch.header, "give_way": None, "secrets": registered_secrets()}
    except GiveWay as e:  # what the serial run must decide: stop here, at once
        return _gave_way(str(e))
    except Exception as e:  # noqa: BLE001 - any failure: the serial run reports it properly
        return _gave_way(f"failed ({type(e).__name__})")


def _gave_way(why: str) -> dict[str, Any]:
    """A part's result when it stopped (:func:`_work`): ``why`` and nothing else."""
    return {"report": None, "ids": {}, "header": None, "give_way": why}


class GiveWay(Exception):
    """A part met what only the one-process run can decide (the message says what); the worker stops."""


class _Strict(Report):
    """A part's report that stops the part at its first warning (warnings carry the stream's places)."""

    def warn(self, message: str, kind: LogMessage | str = OTHER) -> None:
        raise GiveWay("warned")


class _Watch:
    """Passes a part's records on, keeping its header, and stops the part (:class:`GiveWay`) at a
    header line met inside its range (:attr:`~memconv.format.Format.header_line`: canonical), or at a
    record of a kind the input's or the output's format joins across the stream
    (:attr:`~memconv.format.Format.part_kinds`: mem0 takes memories only, since a mem0 input's relations
    take the scope of the whole listing, and the mem0 writer looks up agents and writes history and
    relations at the end). A part that is a whole
    input after the first (``ordinal`` > 1) stops when its first record has a file-local id
    (:data:`memconv.localids.LOCAL_ID`): whether the serial run qualifies its ids depends on the
    inputs before it (:class:`memconv.localids.RunIds`)."""

    def __init__(self, inp: Input, source: str, target: str, ordinal: int = 1):
        self.inp = inp
        from . import registry

        self.header_lines = isinstance(inp, RangeInput) and registry.get(source).header_line
        held = {name: k for name in dict.fromkeys((source, target)) if (k := registry.get(name).part_kinds) is not None}
        self.kinds: frozenset[str] | None = frozenset.intersection(*held.values()) if held else None
        self.joiners = " and ".join(held)
        self.ordinal = ordinal
        self.header: bytes | None = None

    def __call__(self, items: Iterator[Any]) -> Iterator[Any]:
        first = True
        for item in items:
            if self.header_lines and self.inp.header_inside:  # type: ignore[attr-defined]
                raise GiveWay("holds a header line")
            kind = item.kind
            if kind == "header":
                self.header = item.model_dump_json().encode()
            else:
                if first and self.ordinal > 1 and LOCAL_ID.match(item.id):
                    raise GiveWay("starts with a file-local id, which the serial run may qualify")
                first = False
                if self.kinds is not None and kind not in self.kinds:
                    raise GiveWay(f"met a {kind} record: the {self.joiners} reader or writer joins records other "
                                  f"than {' and '.join(sorted(self.kinds))} records across the stream "
                                  f"(Format.part_kinds)")
            yield item


@contextmanager
def _hash_seed(seed: str) -> Iterator[None]:
    old = os.environ.get("PYTHONHASHSEED")
    os.environ["PYTHONHASHSEED"] = seed
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PYTHONHASHSEED", None)
        else:
            os.environ["PYTHONHASHSEED"] = old


def run(jobs: int, inputs: Input | list[Input], source: Any, target: Any, scratch: str, *,
        target_version: str | None, timestamp: str | None, jsonl: bool, keep_secrets: bool,
        output_path: str | None, max_records: int, options: dict[str, Any],
        started: Callable[[int], None] = lambda workers: None,
        ) -> tuple[Callable[[BinaryIO, Report], None] | None, int, str | None]:
    """Convert ``inputs`` (one input, or several of one format; format ``source`` to format ``target``,
    :class:`~memconv.format.Format` objects :func:`eligible` accepted) in ``jobs`` worker processes into
    parts under ``scratch``: one input is cut into ``jobs`` ranges; several are one part each, read whole
    (the input's position in the run with it), ``jobs`` at a time. ``started(workers)`` is called as the
    workers start (:func:`memconv.progress.in_workers`).

    Returns:
        ``(join, workers, None)``: ``join(out, report)`` writes the joined output to ``out`` and adds the
        parts' reports to ``report``; or ``(None, 1, why)`` when the serial run must do the conversion
        (``why`` says what the parts met).
    """
    inputs = inputs if isinstance(inputs, list) else [inputs]
    to = target.name
    common = {"from": source.name, "to": to, "target_version": target_version, "timestamp": timestamp,
              "jsonl": jsonl, "output_path": output_path, "options": dict(options), "keep_secrets": keep_secrets}
    if len(inputs) > 1:
        tasks = [{**common, "path": str(inp.path), "name": inp.name, "whole": True, "ordinal": k, "listed": False,
                  "out": os.path.join(scratch, f"part-{k:04d}")} for k, inp in enumerate(inputs, 1)]
    else:
        path = str(inputs[0].path)
        span = list_span(path, *source.listed_document) if source.listed_document and not _is_lines(inputs[0]) \
            else None
        if span is not None:  # a document of one list: each part is a document of some of its items
            prefix, suffix = span[0], b"]}"
            ranges = cut_list(path, jobs, span[1], span[2])
        else:
            prefix, suffix = _header_line(path) if source.header_line else b"", b""
            ranges = cut(path, jobs, len(prefix))
        if len(ranges) < 2:
            return None, 1, "one range"
        tasks = [{**common, "path": path, "name": inputs[0].name, "start": a, "end": b, "prefix": prefix,
                  "suffix": suffix, "whole": False,
                  "out": os.path.join(scratch, f"part-{i:04d}"), "listed": span is not None}
                 for i, (a, b) in enumerate(ranges)]
    workers = min(jobs, len(tasks))
    started(workers)
    try:
        results = _map(tasks, workers)
    except (OSError, RuntimeError) as e:  # no processes to be had, or one died (BrokenProcessPool)
        return None, 1, f"workers could not run ({e})"
    frame = target.document_frame if not jsonl and target.document_frame else (b"", b"")
    why = _why_serial(results, max_records, whole=len(inputs) > 1) or _unframed(tasks, *frame)
    if not why and target.header_once and results[0]["header"]:
        head = orjson.loads(results[0]["header"])
        if head.get("extras") or head.get("exported_at"):
            why = (f"the header holds what the {target.name} writer writes once (an export time, a document's "
                   f"top-level fields)")
    if why:
        return None, 1, why

    from .transport import register_secret
    for res in results:  # the secrets the parts met, hidden in what this process prints (the report...)
        for secret in res.get("secrets", ()):
            register_secret(secret)

    def join(out: BinaryIO, report: Report) -> None:
        opening, closing = frame
        last = len(tasks) - 1
        for i, (task, res) in enumerate(zip(tasks, results)):
            with open(task["out"], "rb") as part:
                size = os.fstat(part.fileno()).st_size
                skip = len(opening) if i else 0
                if i and target.header_line:
                    skip = len(part.readline())  # the header line the writer puts first in every part
                if i and opening:
                    out.write(b",\n")  # the items of a document's parts, joined as one list
                part.seek(skip)
                _copy(part, out, size - skip - (len(closing) if i < last else 0))
            report.absorb(res["report"])
        if len(inputs) > 1:  # each part read one input: the run's list of inputs is theirs, in order
            report.info["inputs"] = [e for res in results for e in res["report"].info.get("inputs", [])]

    return join, workers, None


def _copy(src: BinaryIO, dst: BinaryIO, n: int) -> None:
    while n > 0:
        chunk = src.read(min(n, 1 << 20))
        if not chunk:
            raise OSError("a part file ended early")
        dst.write(chunk)
        n -= len(chunk)


def _unframed(tasks: list[dict[str, Any]], opening: bytes, closing: bytes) -> str | None:
    """Why the parts' documents cannot be joined (one does not start with ``opening`` and end with
    ``closing``, with at least one item between), or None."""
    if not opening:
        return None
    for i, task in enumerate(tasks, 1):
        with open(task["out"], "rb") as part:
            size = os.fstat(part.fileno()).st_size
            head = part.read(len(opening))
            part.seek(max(0, size - len(closing)))
            if head != opening or part.read() != closing or size <= len(opening) + len(closing):
                return f"part {i}'s document is not framed as the join expects"
    return None


def start_context() -> Any:
    """How workers are started: ``fork`` on Linux when this process runs one thread (a worker then
    begins with memconv imported: 0.2 to 0.3 s less a run on the benchmark machine), else ``spawn``
    (a library caller with threads of its own, a notebook, macOS, Windows)."""
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        for stream in (sys.stdout, sys.stderr):  # nothing of the parent's buffered output is copied into a worker
            try:
                stream.flush()
            except (AttributeError, OSError, ValueError):
                pass
        return get_context("fork")
    return get_context("spawn")


def _worker_start(parent: int = 0) -> None:
    """A worker's signal handlers: SIGTERM and SIGHUP end it at once (a forked worker would otherwise
    run the command line's, :mod:`memconv.signals`), and SIGINT is ignored: a Ctrl-C reaches the whole
    process group, and the parent, which handles it, terminates its workers. (A worker interrupted
    while it sends a long traceback back, then terminated, would leave half a message in the pool's
    pipe, and the pool would wait for the rest for ever.) On Linux a worker also ends when ``parent``
    (the pid that started it) does."""
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        # a worker ends with its parent (PR_SET_PDEATHSIG): a parent killed outright (SIGKILL, the OOM
        # killer) left its workers waiting for work for ever, holding what they inherited
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if parent and os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
    if hasattr(signal, "pthread_sigmask"):  # held back by the parent while it started the workers (_map)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)


def _work_in_file(task: dict[str, Any]) -> dict[str, Any]:
    """:func:`_work`, its result pickled into a file beside the part's output (``<out>.result``):
    what goes back through the pool's pipe is a small dict (``give_way``, ``result_file``), written
    in one piece (POSIX writes a pipe's first 4,096 bytes at once). A worker terminated while it
    sent a long result left half a message there, and the parent's pool waited for the rest for ever;
    :func:`_loaded` reads the file back."""
    res = _work(task)
    if res["give_way"]:
        return res
    path = task["out"] + ".result"
    try:
        with open(path, "wb") as fh:
            pickle.dump(res, fh, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError as e:  # a full disk: the serial run says so properly
        return _gave_way(f"failed ({type(e).__name__})")
    return {"give_way": None, "result_file": path}


def _loaded(res: dict[str, Any]) -> dict[str, Any]:
    """A part's result as :func:`_work` returned it (read back from :func:`_work_in_file`'s file)."""
    path = res.get("result_file")
    if path is None:
        return res
    with open(path, "rb") as fh:
        return pickle.load(fh)  # noqa: S301 - written by this run's own worker, in its scratch folder


_HELD = SIGNALS
"""The signals held back while the workers start (:func:`_map`): the ones the command line handles."""


def _map(tasks: list[dict[str, Any]], workers: int) -> list[dict[str, Any]]:
    """:func:`_work` on each task in ``workers`` processes (through :func:`_work_in_file`); the results in
    task order.

    The stop signals are held back (``pthread_sigmask``) while the workers start: a signal that lands as
    a process forks would run the command line's handler inside an at-fork hook, where the exception it
    raises is printed and dropped (the run then went on, or waited for ever for a worker it never
    stopped). Workers inherit the mask and take their own handlers before they let signals in
    (:func:`_worker_start`); the parent lets them in once every part is submitted, inside the ``try``
    that stops the workers. An exception in the parent while it waits (an interrupt,
    :class:`~memconv.errors.Interrupted`) stops the workers at once rather than waiting for their parts
    (``ProcessPoolExecutor`` has no public way to before Python 3.14's ``terminate_workers``: its
    ``_processes`` are terminated).
    """
    held = _hold_signals()
    pool: ProcessPoolExecutor | None = None
    stop = False
    try:
        try:
            with _hash_seed(str(random.randrange(1, 1 << 32))):
                pool = ProcessPoolExecutor(max_workers=workers, mp_context=start_context(),
                                           initializer=_worker_start, initargs=(os.getpid(),))
                futures = [pool.submit(_work_in_file, t) for t in tasks]  # the workers start here, under the seed
        finally:
            _release_signals(held)  # a signal held back is raised here
        for done in as_completed(futures):  # the first part that gives way stops the others
            if done.result()["give_way"]:
                stop = True
                break
        return [_loaded(f.result()) if f.done() and not f.cancelled() else _gave_way("stopped")
                for f in futures] if stop else [_loaded(f.result()) for f in futures]
    except BaseException:
        stop = True
        raise
    finally:
        if pool is not None:
            if stop:
                for proc in list((getattr(pool, "_processes", None) or {}).values()):
                    proc.terminate()
            pool.shutdown(wait=True, cancel_futures=True)


def _hold_signals() -> Any:
    """Block :data:`_HELD` in this thread; the mask to put back (None where there is no ``pthread_sigmask``)."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)


def _release_signals(held: Any) -> None:
    """Put back the mask :func:`_hold_signals` returned; a signal that came meanwhile is handled now."""
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def children_peak_rss_mb() -> float | None:
    """The peak RSS (MB) of the largest child process this process has waited for (the workers), or None
    where the platform does not say."""
    try:
        import resource
    except ImportError:
        return None
    kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(kib / 1024, 1) if kib else None


def _why_serial(results: list[dict[str, Any]], max_records: int, whole: bool = False) -> str | None:
    """Why the parts cannot be joined (:func:`run`; ``whole``: each part is a whole input), or None."""
    for i, res in enumerate(results, 1):
        if res["give_way"] and res["give_way"] != "stopped":
            return f"part {i} {res['give_way']}"
    for i, res in enumerate(results, 1):
        if res["header"] != results[0]["header"]:
            return f"part {i} read another header than part 1"
        if not whole and sum(res["report"].read.values()) < MIN_PART_RECORDS:
            return f"part {i} holds fewer than {MIN_PART_RECORDS} records"
    if max_records and sum(sum(r["report"].read.values()) for r in results) > max_records:
        return "over --max-records"
    for coll in {c for r in results for c in r["ids"]}:
        for b in range(ID_BUCKETS):  # one share of the fingerprints in a set at a time (C-speed checks)
            seen: set[int] = set()
            for res in results:  # a part's fingerprints are distinct: one met again is another part's
                part = array("q")
                part.frombytes(res["ids"][coll][b] if coll in res["ids"] else b"")
                if not seen.isdisjoint(part):
                    return f"an id of {coll} in two parts"
                seen.update(part)
    return None
