"""``--split``: an AgentMemory output as several ``ExportData`` files, each within every import cap
(``CAPS``) and AgentMemory's ~15 MiB payload limit (:data:`SAFE_PAYLOAD_BYTES`), each importable on
its own: a part repeats the sessions whose observations it holds, and a memory's access logs go in
its part (``mem::import`` keeps an access log only with its memory, 0.9.29).
"""

from __future__ import annotations

from typing import Any, Iterable

import orjson

from memconv.errors import LimitExceeded
from memconv.spool import Handles, Spool

from .document import write_doc
from .shape import CAPS, OPTIONAL_COLLECTIONS, SAFE_PAYLOAD_BYTES


def write_parts(self: Any, version: str, session_blobs: dict[str, bytes], mem_blobs: list[bytes]) -> None:
    """``--split``: OUT.part-0001.json, ... each within every cap and ~15 MiB, self-contained, from the
    writer ``self`` (:class:`.writer._Writer`, once it has read the whole stream): its sessions,
    observation buckets, memories, summaries and optional collections, by their spool handles.

    Raises:
        LimitExceeded: one record over the payload limit on its own.
        DestinationExists: a part file exists already.
    """
    parts = Parts(session_blobs)
    for sid, blob in session_blobs.items():
        if sid not in self.buckets:
            parts.add_session(sid)
    for sid, bucket in self.buckets.items():
        for h in bucket.ordered():
            parts.add_obs(sid, h)
    # mem::import keeps an access log only when its memory is in the same import: each goes with it
    log_spool = self.raw.get("accessLogs")
    logs: dict[Any, list[tuple[int, int]]] = {}
    for h in self.raw_handles.get("accessLogs", []):
        row = orjson.loads(log_spool.get(h))  # type: ignore[union-attr]
        logs.setdefault(row.get("memoryId") if isinstance(row, dict) else None, []).append(h)

    def with_logs(size: int, blob: bytes) -> list[tuple[int, int]]:
        mine = logs.pop(orjson.loads(blob).get("id"), []) if logs else []
        if mine:
            parts.keep_together(size + sum(h[1] + 1 for h in mine) + 32, "accessLogs", len(mine))
        return mine

    for blob in mem_blobs:
        mine = with_logs(len(blob) + 1, blob)
        parts.add_blob("memories", blob)
        for h in mine:
            parts.add_handle("accessLogs", log_spool, h)  # type: ignore[arg-type]
    for h in self.mem_handles:
        mine = with_logs(h[1] + 1, self.mem_spool.get(h)) if logs else []
        parts.add_handle("memories", self.mem_spool, h)
        for lh in mine:
            parts.add_handle("accessLogs", log_spool, lh)  # type: ignore[arg-type]
    for h in self.sum_handles:
        parts.add_handle("summaries", self.sum_spool, h)
    for coll, handles in self.raw_handles.items():
        if coll == "accessLogs":  # those of no memory in the output (the importer drops them anyway)
            handles = [h for hs in logs.values() for h in hs]
        for h in handles:
            parts.add_handle(coll, self.raw[coll], h)
    parts.flush()
    paths = write_part_files(self.opts.output_path or "out.json", len(parts.done),
                             lambda i, fh: write_doc(
                                 fh, version, self.export_time,
                                 [session_blobs[sid] for sid in parts.done[i]["sessions"]],
                                 ((sid, self.obs_spool.all(hs)) for sid, hs in parts.done[i]["buckets"].items()),
                                 parts.blobs(i, "memories"), parts.blobs(i, "summaries"),
                                 {c: parts.blobs(i, c) for c in OPTIONAL_COLLECTIONS if parts.done[i]["rows"].get(c)}))
    self.report.info["parts"] = paths


_COLL_CAP = {"memories": "MAX_MEMORIES", "summaries": "MAX_SUMMARIES", "accessLogs": "MAX_ACCESS_LOGS"}
PART_OVERHEAD = 64 * 1024


class Parts:
    """Packs records into parts, each within every AgentMemory cap and :data:`SAFE_PAYLOAD_BYTES`.

    Keeps only handles (offsets) and sizes, never the records. A part repeats the sessions whose
    observations it holds, so each part imports on its own.
    """

    def __init__(self, session_blobs: dict[str, bytes]):
        self.session_size = {sid: len(b) + 1 for sid, b in session_blobs.items()}
        self.done: list[dict[str, Any]] = []
        self.cur = self._new()

    @staticmethod
    def _new() -> dict[str, Any]:
        return {"sessions": [], "session_set": set(), "buckets": {}, "rows": {}, "bytes": 256, "obs": 0}

    def flush(self) -> None:
        c = self.cur
        if c["sessions"] or c["rows"]:
            self.done.append(c)
        self.cur = self._new()

    def _fits(self, extra_bytes: int) -> bool:
        return self.cur["bytes"] + extra_bytes <= SAFE_PAYLOAD_BYTES - PART_OVERHEAD

    def _too_big(self, n: int, what: str) -> None:
        if n > SAFE_PAYLOAD_BYTES - PART_OVERHEAD - 256:
            raise LimitExceeded(f"one {what} is {n:,} bytes, over AgentMemory's ~15 MiB payload limit on its own; "
                                f"it cannot be imported even with --split")

    def add_session(self, sid: str) -> None:
        size = self.session_size[sid]
        if len(self.cur["sessions"]) >= CAPS["MAX_SESSIONS"] or not self._fits(size):
            self.flush()
        self.cur["sessions"].append(sid)
        self.cur["session_set"].add(sid)
        self.cur["bytes"] += size

    def add_obs(self, sid: str, handle: tuple[int, int]) -> None:
        size = handle[1] + 1
        self._too_big(size + self.session_size[sid], "observation")
        c = self.cur
        bucket = c["buckets"].get(sid)
        need = size + (0 if sid in c["session_set"] else self.session_size[sid] + len(sid) + 8)
        if (not self._fits(need) or c["obs"] >= CAPS["MAX_TOTAL_OBSERVATIONS"]
                or (bucket is not None and len(bucket) >= CAPS["MAX_OBS_PER_SESSION"])
                or (bucket is None and len(c["buckets"]) >= CAPS["MAX_OBS_BUCKETS"])
                or (sid not in c["session_set"] and len(c["sessions"]) >= CAPS["MAX_SESSIONS"])):
            self.flush()
            c = self.cur
        if sid not in c["session_set"]:
            c["sessions"].append(sid)
            c["session_set"].add(sid)
            c["bytes"] += self.session_size[sid]
        hs = c["buckets"].get(sid)
        if hs is None:
            hs = c["buckets"][sid] = Handles()
        hs.append(handle)
        c["bytes"] += size + (len(sid) + 8 if len(hs) == 1 else 0)
        c["obs"] += 1

    def _add_row(self, coll: str, size: int) -> "_Rows":
        self._too_big(size, f"record of {coll}")
        cap = CAPS.get(_COLL_CAP.get(coll, ""), 10 ** 9)
        rows = self.cur["rows"].get(coll)
        if not self._fits(size + len(coll) + 8) or (rows is not None and len(rows) >= cap):
            self.flush()
            rows = None
        if rows is None:
            rows = self.cur["rows"][coll] = _Rows()
            self.cur["bytes"] += len(coll) + 8
        self.cur["bytes"] += size
        return rows

    def keep_together(self, size: int, coll: str, n: int) -> None:
        """Start a new part unless ``size`` more bytes and ``n`` more rows of ``coll`` fit in this one
        (a memory and its access logs: one import must carry both)."""
        rows = self.cur["rows"].get(coll)
        cap = CAPS.get(_COLL_CAP.get(coll, ""), 10 ** 9)
        if not self._fits(size + len(coll) + 8) or (rows is not None and len(rows) + n > cap):
            self.flush()

    def add_blob(self, coll: str, blob: bytes) -> None:
        self._add_row(coll, len(blob) + 1).blobs.append(blob)

    def add_handle(self, coll: str, spool: Spool, handle: tuple[int, int]) -> None:
        rows = self._add_row(coll, handle[1] + 1)
        rows.spool = spool
        rows.handles.append(handle)

    def blobs(self, i: int, coll: str) -> Iterable[bytes]:
        rows = self.done[i]["rows"].get(coll)
        if rows is None:
            return
        yield from rows.blobs
        if rows.spool is not None:
            yield from rows.spool.all(rows.handles)


class _Rows:
    """One collection's rows in one part: small blobs held, spooled rows as compact handles."""

    __slots__ = ("blobs", "spool", "handles")

    def __init__(self) -> None:
        self.blobs: list[bytes] = []
        self.spool: Spool | None = None
        self.handles = Handles()

    def __len__(self) -> int:
        return len(self.blobs) + len(self.handles)


def part_path(output_path: str, n: int) -> str:
    """``OUT.json`` -> ``OUT.part-0001.json`` (``OUT.json.gz`` -> ``OUT.part-0001.json.gz``)."""
    import os

    folder, name = os.path.split(output_path)
    gz = name.endswith(".gz")
    if gz:
        name = name[:-3]
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, "json"
    return os.path.join(folder, f"{stem}.part-{n:04d}.{ext}" + (".gz" if gz else ""))


def write_part_files(output_path: str, count: int, write_one) -> list[str]:
    """Write ``count`` parts as members of the active output set (:mod:`memconv.commit`): every part
    is staged under a name unique to this run, and all are renamed into place together when the
    write commits, or none.

    Raises:
        DestinationExists: a part file already exists (checked before and again at the rename).
    """
    import os

    from memconv.errors import DestinationExists
    from memconv.io import AtomicOutput

    paths = [part_path(output_path, i + 1) for i in range(count)]
    for p in paths:
        if os.path.exists(p):
            raise DestinationExists(f"{p}: exists; remove the old parts or write elsewhere")
    for i, p in enumerate(paths):
        with AtomicOutput(p, compress=p.endswith(".gz"), exclusive=True) as fh:
            write_one(i, fh)
    return paths
