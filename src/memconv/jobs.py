"""``--jobs N``: one JSON-L conversion cut into N byte ranges, converted by N worker processes, joined.

The serial pipeline (:mod:`memconv.pipeline`) stays the definition of the output: the parallel path is
taken only where its output is byte for byte the serial one, and it checks that after the fact.

**Where it applies** (:func:`eligible`): one local, uncompressed canonical JSON-L input of at least
:data:`MIN_BYTES`, written as the line form of ``canonical`` or ``mem0`` (``--jsonl``; canonical's
document form and the other targets join records across the file), with no ``--strategy``, no
``--split``, no selection option (``--agent``, ``--user-id``, ``--since``, ``--exclude`` and
``--rename-agent`` decide at the end of the stream) and no live system.

**How:** the file is cut at line ends into N ranges; each worker reads its range (the file's header
line put before it, as the serial reader would have it), runs the same reader, secrets stage and writer
into a scratch file, and returns its :class:`~memconv.report.Report` and the fingerprints of every id
its writer claimed (:class:`~memconv.uniqueids.UniqueIds`). The parent joins the parts in order (a
part after the first without the header line the writer put first) and adds the reports up.

**When it gives way to the serial run** (the serial run then does all the work, so its output,
report and errors are what the user sees): a worker failed (bad input, a full disk: the serial run
reports it with its place); a worker warned (warnings carry line numbers and counts of the whole
stream); two parts claimed one id (the serial writer would have given the later one a new id); a
part holds a header line of its own; the mem0 writer met a record other than a memory (it looks up
agents, and writes history and relations at the end); the records outnumber ``--max-records``. The
report's ``info["jobs"]`` says which path ran and why.

Workers are started with ``spawn`` (no fork of a parent holding locks or threads), under a fixed
``PYTHONHASHSEED`` so that their id fingerprints compare.

Measured on the 2-core benchmark machine: see ``benchmarks/run.py`` (the ``--jobs`` rows).
"""

from __future__ import annotations

import io
import os
import random
import shutil
from array import array
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Any, BinaryIO, Callable, Iterator

from .io import Input
from .logmessages import OTHER, LogMessage
from .report import Report

MIN_BYTES = 8 << 20
"""Inputs smaller than this (8 MiB, about 16,000 memories) are converted by one process: starting
workers costs more than they save."""

MAX_JOBS = 8
"""At most this many workers (each holds its own flat working set, about 60 MB)."""

TARGETS = ("canonical", "mem0")
"""Targets whose line form writes each record on its own lines, in stream order."""


def default_jobs() -> int:
    """The cores this process may run on (``os.sched_getaffinity``), at most :data:`MAX_JOBS`."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    return max(1, min(n, MAX_JOBS))


def eligible(jobs: int, inputs: list[Any], source: Any, target: str, *, jsonl: bool, strategy: str | None,
             selecting: bool, options: dict[str, Any]) -> str | None:
    """Why this conversion (asked for with ``jobs`` > 1) runs in one process (a short reason), or None
    when :func:`run` may cut it.

    ``inputs``: the :class:`~memconv.io.Input` objects; ``source``: the detected input format.
    """
    if len(inputs) != 1 or not isinstance(inputs[0], Input) or inputs[0].path is None or inputs[0].is_dir:
        return "not one local file"
    inp = inputs[0]
    if inp.is_gzip:
        return "a compressed input is read in one stream"
    if (inp.size() or 0) < MIN_BYTES:
        return f"under {MIN_BYTES >> 20} MiB"
    if source.name != "canonical" or not _is_lines(inp):
        return "only canonical JSON-L is cut into ranges"
    if target not in TARGETS or not jsonl:
        return "the target's line form (--jsonl, canonical or mem0) only"
    if strategy or selecting or options.get("split"):
        return "--strategy, --split and the selection options see the whole stream"
    return None


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


class _Range(io.RawIOBase):
    """``prefix`` then bytes ``start`` to ``end`` of a file, as one readable stream."""

    def __init__(self, path: str, start: int, end: int, prefix: bytes):
        self.fh = open(path, "rb")
        self.fh.seek(start)
        self.left = end - start
        self.prefix = prefix
        self.tail = b""
        self.header_inside = False  # a '"header"' met in the range itself (not in the prefix)

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        if self.prefix:
            n = min(len(buf), len(self.prefix))
            buf[:n] = self.prefix[:n]
            self.prefix = self.prefix[n:]
            return n
        if self.left <= 0:
            return 0
        data = self.fh.read(min(len(buf), self.left))
        self.left -= len(data)
        if not self.header_inside:
            self.header_inside = b'"header"' in self.tail + data
            self.tail = data[-7:]
        buf[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self.fh.close()
        super().close()


class RangeInput(Input):
    """One range of a JSON-L file as an :class:`~memconv.io.Input` (the file's name in messages)."""

    def __init__(self, path: str, start: int, end: int, prefix: bytes = b""):
        super().__init__(path)
        self.start, self.end, self.prefix = start, end, prefix
        self.opened: list[_Range] = []

    def open(self) -> BinaryIO:  # type: ignore[override]
        raw = _Range(str(self.path), self.start, self.end, self.prefix)
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
        return self.end - self.start + len(self.prefix)


def _header_line(path: str) -> bytes:
    """The file's first line when it is a canonical header record (BOM and all), else ``b""``."""
    with open(path, "rb") as fh:
        line = fh.readline()
    import orjson
    try:
        obj = orjson.loads(line.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError:
        return b""
    return line if isinstance(obj, dict) and obj.get("kind") == "header" else b""


def _work(task: dict[str, Any]) -> dict[str, Any]:
    """One worker's part (in its own process): read ``task``'s range, write it to ``task["out"]``.

    Returns ``{"report", "ids", "give_way"}``: the part's report and its writer's id fingerprints per
    collection (``array('q')`` bytes); or ``give_way``, what made it stop at once (a warning, a header
    line inside the range, a record the mem0 writer joins across the stream, a failure), and the parent
    stops the other parts and runs the serial conversion.
    """
    from . import registry
    from .format import WriteOptions
    from .pipeline import _depth_guard, _with_header, iter_records
    from .secrets import blank
    from .uniqueids import recording

    report = _Strict()
    try:
        inp = RangeInput(task["path"], task["start"], task["end"], task["prefix"])
        fmt = registry.get(task["to"])
        opts = WriteOptions(report=report, target_version=task["target_version"], timestamp=task["timestamp"],
                            jsonl=task["jsonl"], output_path=task["output_path"],
                            extra={**task["options"], "keep_secrets": task["keep_secrets"]})
        with recording() as guards, open(task["out"], "wb") as fh, _depth_guard(report):
            stream = _watched(iter_records([inp], format="canonical", report=report, max_records=0), inp, task["to"])
            fmt.write(_with_header(blank(stream, report, keep=task["keep_secrets"])), fh, opts)
        if inp.header_inside:
            raise GiveWay("holds a header line")
        ids: dict[str, bytes] = {}
        for guard in guards:
            for coll, fp in guard.seen.items():
                ids[coll] = ids.get(coll, b"") + array("q", (h for h in fp.table if h)).tobytes()
        return {"report": Report(**{f: getattr(report, f) for f in ("read", "written", "placed", "losses",
                                                                      "warnings", "info")}),
                "ids": ids, "give_way": None}
    except GiveWay as e:  # what the serial run must decide: stop here, at once
        return {"report": None, "ids": {}, "give_way": str(e)}
    except Exception as e:  # noqa: BLE001 - any failure: the serial run reports it properly
        return {"report": None, "ids": {}, "give_way": f"failed ({type(e).__name__})"}


class GiveWay(Exception):
    """A part met what only the one-process run can decide (the message says what); the worker stops."""


class _Strict(Report):
    """A part's report that stops the part at its first warning (warnings carry the stream's places)."""

    def warn(self, message: str, kind: LogMessage | str = OTHER) -> None:
        raise GiveWay("warned")


def _watched(items: Iterator[Any], inp: RangeInput, to: str) -> Iterator[Any]:
    """``items``, stopping the part at a header line met inside its range, or, on the way to mem0, at a
    record other than a memory (the mem0 writer names agents and writes history at the end)."""
    for item in items:
        if inp.header_inside:
            raise GiveWay("holds a header line")
        if to == "mem0" and item.kind not in ("header", "memory"):
            raise GiveWay("the mem0 writer joins records other than memories across the stream")
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


def run(jobs: int, inp: Input, to: str, scratch: str, *, target_version: str | None, timestamp: str | None,
        jsonl: bool, keep_secrets: bool, output_path: str | None, max_records: int,
        options: dict[str, Any]) -> tuple[Callable[[BinaryIO, Report], None] | None, int, str | None]:
    """Convert ``inp`` in ``jobs`` worker processes into parts under ``scratch``.

    Returns:
        ``(join, workers, None)``: ``join(out, report)`` writes the joined output to ``out`` and adds the
        parts' reports to ``report``; or ``(None, 1, why)`` when the serial run must do the conversion
        (``why`` says what the parts met).
    """
    path = str(inp.path)
    prefix = _header_line(path)
    ranges = cut(path, jobs, len(prefix))
    if len(ranges) < 2:
        return None, 1, "one range"
    tasks = [{"path": path, "start": a, "end": b, "prefix": prefix, "to": to,
              "out": os.path.join(scratch, f"part-{i:04d}"), "target_version": target_version,
              "timestamp": timestamp, "jsonl": jsonl, "output_path": output_path, "options": dict(options),
              "keep_secrets": keep_secrets} for i, (a, b) in enumerate(ranges)]
    try:
        results = _map(tasks)
    except (OSError, RuntimeError) as e:  # no processes to be had, or one died (BrokenProcessPool)
        return None, 1, f"workers could not run ({e})"
    why = _why_serial(results, max_records)
    if why:
        return None, 1, why

    def join(out: BinaryIO, report: Report) -> None:
        for i, (task, res) in enumerate(zip(tasks, results)):
            with open(task["out"], "rb") as part:
                if i and to == "canonical":
                    part.readline()  # the header line the canonical writer puts first in every part
                shutil.copyfileobj(part, out, 1 << 20)
            report.absorb(res["report"])

    return join, len(tasks), None


def _map(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`_work` on each task, one worker process each; the results in task order.

    An exception in the parent while it waits (an interrupt, :class:`~memconv.errors.Interrupted`)
    stops the workers at once rather than waiting for their parts (``ProcessPoolExecutor`` has no
    public way to before Python 3.14's ``terminate_workers``: its ``_processes`` are terminated).
    """
    with _hash_seed(str(random.randrange(1, 1 << 32))):
        pool = ProcessPoolExecutor(max_workers=len(tasks), mp_context=get_context("spawn"))
        try:
            futures = [pool.submit(_work, t) for t in tasks]  # the workers start here, under the seed
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    stop = False
    try:
        for done in as_completed(futures):  # the first part that gives way stops the others
            if done.result()["give_way"]:
                stop = True
                break
        return [f.result() if f.done() and not f.cancelled() else {"report": None, "ids": {}, "give_way": "stopped"}
                for f in futures] if stop else [f.result() for f in futures]
    except BaseException:
        stop = True
        raise
    finally:
        if stop:
            for proc in list((getattr(pool, "_processes", None) or {}).values()):
                proc.terminate()
        pool.shutdown(wait=True, cancel_futures=True)


def children_peak_rss_mb() -> float | None:
    """The peak RSS (MB) of the largest child process this process has waited for (the workers), or None
    where the platform does not say."""
    try:
        import resource
    except ImportError:
        return None
    kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(kib / 1024, 1) if kib else None


def _why_serial(results: list[dict[str, Any]], max_records: int) -> str | None:
    for i, res in enumerate(results, 1):
        if res["give_way"] and res["give_way"] != "stopped":
            return f"part {i} {res['give_way']}"
    if max_records and sum(sum(r["report"].read.values()) for r in results) > max_records:
        return "over --max-records"
    from .uniqueids import Fingerprints
    for coll in {c for r in results for c in r["ids"]}:
        seen = Fingerprints()
        for res in results:  # a part's fingerprints are distinct: one met again is another part's
            part = array("q")
            part.frombytes(res["ids"].get(coll, b""))
            if not all(seen.add_hash(h) for h in part):
                return f"an id of {coll} in two parts"
    return None
