"""Converting a store that one machine takes too long for: shards on Dask.

A store of hundreds of millions of memories (a mem0 Platform organisation, a fleet of Letta servers)
is first sharded into JSON-L files (mem0 JSON-L, canonical JSON-L: one record a line, so any split at
a line boundary is a valid shard). Each shard is converted on its own, by the same
:func:`memconv.convert` a single process runs, as one task of an existing distributed engine, Dask
(``pip install 'memconv[dask]'``): a ``dask.bag`` of shard paths, mapped with :func:`convert_shard`,
computed on whatever cluster the caller's ``dask.distributed.Client`` points at (or Dask's local
scheduler without one). memconv adds no scheduler of its own.

The shard outputs are JSON-L too, and :func:`join_jsonl` joins them in shard order into the output
one process would have written from all shards given in that order: a canonical stream's header line
is written once. Each task returns its report as a dict (counts read and written, losses, warnings),
and :func:`merge_reports` adds them up.

Limits: each shard is converted alone, so what needs the whole store at once is per shard: file-local
ids (``agent-0``) are not qualified across shards, and the duplicate-id guard sees one shard at a time.
Shard by agent or user when records refer to each other.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Sequence

def line_targets() -> list[str]:
    """The formats whose JSON-L is one record a line in stream order
    (:attr:`~memconv.format.Format.record_lines`): their shard outputs join into one file."""
    from . import registry

    return sorted(name for name, f in registry.formats().items() if f.record_lines)


def convert_shard(src: str, to: str, out_dir: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Convert one shard ``src`` to ``to`` as JSON-L in ``out_dir`` (``<shard stem><suffix>``); return
    ``{"shard", "output", "report", "pid"}`` with the report as :meth:`memconv.report.Report.to_dict` and
    the id of the process that ran it.

    A Dask task: its arguments and result are plain data, so it runs in any worker process.

    Raises:
        UsageError: ``to`` has no line form.
        MemconvError: as :func:`memconv.convert` (the task fails, and Dask re-raises it in the caller).
    """
    from .pipeline import convert

    targets = line_targets()
    if to not in targets:
        raise _usage(f"--to {to}: sharded conversion writes JSON-L; targets with a line form: {', '.join(targets)}")
    stem = Path(src).name.split(".")[0]
    out = str(Path(out_dir) / f"{stem}.{to}.jsonl")
    report = convert(src, to, out, jsonl=True, **(options or {}))
    return {"shard": src, "output": out, "report": report.to_dict(), "pid": os.getpid()}


def convert_shards(shards: Sequence[str], to: str, out_dir: str, *, options: dict[str, Any] | None = None,
                   partitions: int | None = None) -> list[dict[str, Any]]:
    """Convert every shard on Dask: a ``dask.bag`` of the shard paths mapped with :func:`convert_shard`
    and computed on the current ``dask.distributed.Client`` when there is one (else Dask's default
    scheduler). Results are in shard order.

    Args:
        shards: JSON-L shard paths, in the order their records should be joined.
        to: ``canonical`` or ``mem0``.
        out_dir: an existing folder for the shard outputs (one per shard, named after it).
        options: keyword options of :func:`memconv.convert` for every shard (``since``, ``timestamp``...;
            an ``agents`` or ``user_ids`` selection fails on a shard that lacks them, as it does for one input).
        partitions: Dask partitions (default: one per shard).

    Raises:
        ImportError: Dask is not installed (``pip install 'memconv[dask]'``).
        UsageError, MemconvError: as :func:`convert_shard`, from the first shard that fails.
    """
    import dask.bag as db

    if not os.path.isdir(out_dir):
        raise _usage(f"{out_dir}: expected an existing folder for the shard outputs")
    stems = [Path(s).name.split(".")[0] for s in shards]
    if len(set(stems)) != len(stems):
        raise _usage("two shards have the same file name stem; their outputs would collide")
    bag = db.from_sequence(list(shards), npartitions=partitions or max(1, len(shards)))
    return list(bag.map(convert_shard, to, out_dir, options).compute())


def join_jsonl(outputs: Iterable[str], dst: str) -> int:
    """Join shard outputs (JSON-L, in order) into ``dst``: every line of each, except a canonical
    header line (``{"kind":"header"...``) after the first. Returns the number of lines written.
    ``dst`` is written whole and renamed into place."""
    from .io import AtomicOutput

    n = 0
    seen_header = False
    with AtomicOutput(dst) as out:
        for path in outputs:
            with open(path, "rb") as fh:
                for line in fh:
                    if line.startswith(b'{"kind":"header"'):
                        if seen_header:
                            continue
                        seen_header = True
                    out.write(line if line.endswith(b"\n") else line + b"\n")
                    n += 1
    return n


def merge_reports(results: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """The shards' ``read`` and ``written`` counts added up: ``{"read": {kind: n}, "written": {...}}``."""
    total: dict[str, dict[str, int]] = {"read": {}, "written": {}}
    for r in results:
        for what in ("read", "written"):
            for k, v in (r["report"].get(what) or {}).items():
                total[what][k] = total[what].get(k, 0) + int(v)
    return total


def _usage(message: str) -> Exception:
    from .errors import UsageError

    return UsageError(message)
