"""Time memconv's conversions as whole processes, against an orjson floor and the peer tool, in one run.

    python benchmarks/run.py [--small] [--only NAME]... [--json OUT] [--markdown] [--no-peer]

Every conversion runs as its own child process (``python -m memconv ...``, the interpreter running
this script), output to a temporary folder deleted afterwards. For each one it reports the wall
time, records/s, MB/s (input bytes / wall), the child's own peak RSS (``ru_maxrss`` from
``os.wait4`` on that child alone), and the ratio to the *floor*: another child, in the same run,
that reads the same input bytes, ``orjson.loads`` them, ``orjson.dumps`` the result and writes the
bytes out (for JSON-L inputs: the same per line). The peer, memlink-bridge, is installed into
``benchmarks/peer/.venv`` by ``benchmarks/peer/install.sh`` and runs mem0 -> mem0 on the same
mem0 get_all input. Missing data is generated with ``benchmarks/generate.py``. A conversion that
fails is reported with the tail of its stderr and the run goes on; one whose format memconv cannot
read or write yet (``memconv formats --json``) is reported as "not available".

See benchmarks/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATE = os.path.join(HERE, "generate.py")
PEER_DIR = os.path.join(HERE, "peer")
PEER_INSTALL = os.path.join(PEER_DIR, "install.sh")
MEMLINK = os.path.join(PEER_DIR, ".venv", "bin", "memlink")
MEMLINK_PY = os.path.join(PEER_DIR, ".venv", "bin", "python")

MB = 1e6
RSS_BOUND_MB = 100.0
FLOOR_BOUND = 2.5
FLOOR_BOUND_WIDE = 3.0
"""The issue's bound for the conversions that split records across files or sessions: mem0 → AgentMemory
``--split``, Letta → AgentMemory ``--split``, AgentMemory ``ExportData`` → canonical JSON-L."""
PEER_SPEEDUP = 4.0
JOBS_SPEEDUP = 1.6
"""``--jobs 2`` against ``--jobs 1`` on the same input (issue 13's target on a 2-core machine)."""
PEER_RSS_FACTOR = 10.0
# "Peak RSS that does not grow with the number of messages": the 100k-message file may use at most
# this much more than the 10k-message one (10x the messages).
LETTA_GROWTH = 1.20

FILES = {
    "mem0_200k": "mem0_get_all_200k.json",
    "mem0_1m": "mem0_get_all_1m.json",
    "agentmemory": "agentmemory_50k_500k.json",
    "letta": "letta_100k_messages.af",
    "canonical": "canonical_1m.jsonl",
    "mem0_200k_varied": "mem0_get_all_200k_varied.json",
    "mem0_1m_varied": "mem0_get_all_1m_varied.json",
    "canonical_varied": "canonical_1m_varied.jsonl",
    "mem0_lines_varied": "mem0_1m_varied.jsonl",
    "letta_varied": "letta_100k_messages_varied.af",
    "agentmemory_varied": "agentmemory_50k_500k_varied.json",
    "mem0_shards_varied": "mem0_8x25k_varied",
}

# The floor child: read the bytes, orjson.loads, orjson.dumps, write the bytes; or, for JSON-L, the
# same per line. It prints the number of records it saw (counted after the work, a few len()s).
# Python's cyclic GC is off in it: with it on, orjson.loads of a whole 234 MB document spends most
# of its time in collections that rescan the growing heap (3-4x slower here), which would make the
# floor slower than the least work a converter must do.
FLOOR_CODE = r"""
import gc, os, sys, orjson
gc.disable()  # a floor: the cyclic GC rescanning a whole parsed document is not work a converter must do
mode, src, dst = sys.argv[1:4]
def one(src):
    if mode == "json":
        with open(src, "rb") as f:
            data = f.read()
        obj = orjson.loads(data)
        out = orjson.dumps(obj)
        with open(dst, "wb") as f:
            f.write(out)
        def n(x):
            return len(x) if isinstance(x, list) else 0
        if isinstance(obj, list):
            count = len(obj)
        elif "results" in obj:                      # mem0 get_all
            count = n(obj["results"])
        elif "agents" in obj:                       # Letta AgentFileSchema
            count = sum(1 + n(a.get("messages")) for a in obj["agents"])
            count += sum(n(obj.get(k)) for k in ("blocks", "tools", "sources", "files", "groups", "mcp_servers"))
        elif "memories" in obj:                     # AgentMemory ExportData
            obs = obj.get("observations") or {}
            count = n(obj.get("sessions")) + n(obj.get("memories")) + n(obj.get("summaries"))
            count += sum(n(v) for v in obs.values()) if isinstance(obs, dict) else n(obs)
        else:
            count = 0
    else:
        count = 0
        with open(src, "rb") as f, open(dst, "wb") as g:
            for line in f:
                g.write(orjson.dumps(orjson.loads(line)) + b"\n")
                count += 1
        with open(src, "rb") as f:
            if b'"kind":"header"' in f.readline():
                count -= 1
    return count
# a folder of inputs: each file in name order, as memconv reads them
count = sum(one(os.path.join(src, f)) for f in sorted(os.listdir(src))) if os.path.isdir(src) else one(src)
print(count)
"""


# --------------------------------------------------------------------------------------------- #
# running one child


@dataclass
class Run:
    """One timed child process."""

    argv: list[str]
    wall: float | None = None
    cpu: float | None = None
    rss_mb: float | None = None
    rc: int | None = None
    stdout: str = ""
    stderr_tail: str = ""
    out_bytes: int = 0
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.timed_out


def _tail(path: str, lines: int = 12, limit: int = 4000) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - limit))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def _dir_bytes(path: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(root, name))
            except OSError:
                pass
    return total


def run_child(argv: list[str], workdir: str, timeout: float, out_dir: str | None = None) -> Run:
    """Run ``argv`` as one child; wall from just before spawn to the reaping ``os.wait4``.

    ``ru_maxrss`` from ``wait4`` is that child's own peak RSS (KiB on Linux), not the cumulative
    RUSAGE_CHILDREN of everything this process has waited for.
    """
    run = Run(argv=argv)
    out_path = os.path.join(workdir, "child.stdout")
    err_path = os.path.join(workdir, "child.stderr")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=workdir)
        timer = threading.Timer(timeout, _kill, (proc.pid, run))
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        run.wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
    run.rc = proc.returncode
    kib = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024
    run.rss_mb = kib * 1024 / MB
    run.cpu = usage.ru_utime + usage.ru_stime
    with open(out_path, "rb") as f:
        run.stdout = f.read(1 << 16).decode("utf-8", "replace")
    if not run.ok:
        run.stderr_tail = _tail(err_path)
    if out_dir:
        run.out_bytes = _dir_bytes(out_dir)
    return run


def _kill(pid: int, run: Run) -> None:
    run.timed_out = True
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# --------------------------------------------------------------------------------------------- #
# what is measured


@dataclass
class Case:
    name: str            # stable id for --only (named after the full-size data set)
    label: str           # what the table shows (sizes of the data set actually used)
    key: str             # input file key in FILES
    from_fmt: str
    to_fmt: str
    args: list[str]      # memconv arguments after the input; OUT is replaced by the output path
    out_name: str
    small_data: bool = False  # always read from the --small data set (the 10k Letta file)
    peer: bool = False
    targets: list[str] = field(default_factory=list)


def cases(small: bool) -> list[Case]:
    s = (lambda full, tenth: tenth) if small else (lambda full, tenth: full)
    m200, m1m = s("200k", "20k"), s("1M", "100k")
    am, let, can = s("50k mem + 500k obs", "5k mem + 50k obs"), s("100k", "10k"), s("1M", "100k")
    out = []
    for key, size in (("mem0_200k_varied", m200), ("mem0_200k", m200), ("mem0_1m_varied", m1m), ("mem0_1m", m1m)):
        varied = key.endswith("_varied")
        n = ("200k" if key.startswith("mem0_200k") else "1m") + ("-varied" if varied else "")
        size = f"{size} {'varied' if varied else 'uniform'}"
        speed = ["floor", "rss"] if key.startswith("mem0_200k") else ["rss"]
        wide = ["floor3", "rss"] if key.startswith("mem0_200k") else ["rss"]
        out += [
            Case(f"mem0-{n}-to-mem0", f"mem0 get_all {size} → mem0", key, "mem0", "mem0",
                 ["--to", "mem0", "-o", "OUT"], "out.json",
                 targets=speed + (["peer"] if key.startswith("mem0_200k") else [])),
            Case(f"mem0-{n}-to-canonical-jsonl", f"mem0 get_all {size} → canonical JSON-L", key, "mem0",
                 "canonical", ["--to", "canonical", "--jsonl", "-o", "OUT"], "out.jsonl", targets=speed),
            Case(f"mem0-{n}-to-agentmemory-split", f"mem0 get_all {size} → agentmemory --split", key, "mem0",
                 "agentmemory", ["--to", "agentmemory", "--split", "-o", "OUT"], "out.json", targets=wide),
        ]
        if key.startswith("mem0_200k"):
            out.append(Case(f"memlink-mem0-{n}-to-mem0", f"peer: memlink mem0 {size} → mem0", key, "mem0", "mem0",
                            [], "", peer=True, targets=["peer-ref"]))
        if varied:  # the document cut between items (memconv.jobs), against the rows above
            out += [
                Case(f"jobs2-mem0-{n}-to-mem0", f"mem0 get_all {size} → mem0, --jobs 2", key, "mem0", "mem0",
                     ["--to", "mem0", "-o", "OUT", "--jobs", "2"], "out.json", targets=["jobs", *speed]),
                Case(f"jobs2-mem0-{n}-to-canonical-jsonl", f"mem0 get_all {size} → canonical JSON-L, --jobs 2", key,
                     "mem0", "canonical", ["--to", "canonical", "--jsonl", "-o", "OUT", "--jobs", "2"], "out.jsonl",
                     targets=["jobs", *speed]),
            ]
    shards = s("8 dumps of 25k", "8 dumps of 2.5k")
    for to, args, name in (("canonical", ["--to", "canonical", "--jsonl", "-o", "OUT"], "out.jsonl"),
                           ("mem0", ["--to", "mem0", "-o", "OUT"], "out.json")):
        what = "canonical JSON-L" if to == "canonical" else "mem0"
        out += [  # several inputs (a folder): one part each under --jobs (memconv.jobs)
            Case(f"mem0-8x25k-varied-to-{to}{'-jsonl' if to == 'canonical' else ''}",
                 f"mem0 get_all folder, {shards} varied → {what}", "mem0_shards_varied", "mem0", to, args, name,
                 targets=["floor", "rss"]),
            Case(f"jobs2-mem0-8x25k-varied-to-{to}{'-jsonl' if to == 'canonical' else ''}",
                 f"mem0 get_all folder, {shards} varied → {what}, --jobs 2", "mem0_shards_varied", "mem0", to,
                 [*args, "--jobs", "2"], name, targets=["jobs", "floor", "rss"]),
        ]
    out += [
        Case("mem0-jsonl-1m-varied-to-canonical-jsonl", f"mem0 {can} varied JSON-L → canonical JSON-L",
             "mem0_lines_varied", "mem0", "canonical", ["--to", "canonical", "--jsonl", "-o", "OUT"], "out.jsonl",
             targets=["floor", "rss"]),
        Case("jobs2-mem0-jsonl-1m-varied-to-canonical-jsonl", f"mem0 {can} varied JSON-L → canonical JSON-L, --jobs 2",
             "mem0_lines_varied", "mem0", "canonical", ["--to", "canonical", "--jsonl", "-o", "OUT", "--jobs", "2"],
             "out.jsonl", targets=["jobs"]),
        Case("canonical-1m-varied-to-mem0-jsonl", f"canonical {can} varied JSON-L → mem0 JSON-L", "canonical_varied",
             "canonical", "mem0", ["--to", "mem0", "--jsonl", "-o", "OUT"], "out.jsonl", targets=["floor", "rss"]),
        Case("jobs2-canonical-1m-varied-to-mem0-jsonl", f"canonical {can} varied JSON-L → mem0 JSON-L, --jobs 2",
             "canonical_varied", "canonical", "mem0", ["--to", "mem0", "--jsonl", "-o", "OUT", "--jobs", "2"],
             "out.jsonl", targets=["jobs"]),
        Case("jobs2-canonical-1m-varied-to-canonical-jsonl",
             f"canonical {can} varied JSON-L → canonical JSON-L, --jobs 2", "canonical_varied", "canonical",
             "canonical", ["--to", "canonical", "--jsonl", "-o", "OUT", "--jobs", "2"], "out.jsonl", targets=["jobs"]),
        Case("canonical-1m-varied-to-canonical-jsonl", f"canonical {can} varied JSON-L → canonical JSON-L",
             "canonical_varied", "canonical", "canonical", ["--to", "canonical", "--jsonl", "-o", "OUT"], "out.jsonl",
             targets=["floor", "rss"]),
        Case("canonical-1m-to-mem0-jsonl", f"canonical {can} uniform JSON-L → mem0 JSON-L", "canonical", "canonical",
             "mem0", ["--to", "mem0", "--jsonl", "-o", "OUT"], "out.jsonl", targets=["floor", "rss"]),
        Case("letta-100k-varied-to-agentmemory-split", f"letta {let} messages varied → agentmemory --split",
             "letta_varied", "letta", "agentmemory", ["--to", "agentmemory", "--split", "-o", "OUT"], "out.json",
             targets=["floor3", "rss"]),
        Case("letta-100k-to-agentmemory-split", f"letta {let} messages → agentmemory --split", "letta", "letta",
             "agentmemory", ["--to", "agentmemory", "--split", "-o", "OUT"], "out.json",
             targets=["floor3", "letta-growth"]),
    ]
    if not small:
        out.append(Case("letta-10k-to-agentmemory-split", "letta 10k messages (--small file) → agentmemory --split",
                        "letta", "letta", "agentmemory", ["--to", "agentmemory", "--split", "-o", "OUT"], "out.json",
                        small_data=True, targets=["floor3", "letta-growth"]))
    out += [
        Case("agentmemory-50k-500k-varied-to-canonical-jsonl", f"agentmemory {am} varied → canonical JSON-L",
             "agentmemory_varied", "agentmemory", "canonical", ["--to", "canonical", "--jsonl", "-o", "OUT"],
             "out.jsonl", targets=["floor3", "rss"]),
        Case("agentmemory-50k-500k-to-canonical-jsonl", f"agentmemory {am} → canonical JSON-L", "agentmemory",
             "agentmemory", "canonical", ["--to", "canonical", "--jsonl", "-o", "OUT"], "out.jsonl",
             targets=["floor3", "rss"]),
        Case("agentmemory-50k-500k-to-agentmemory-split", f"agentmemory {am} → agentmemory --split", "agentmemory",
             "agentmemory", "agentmemory", ["--to", "agentmemory", "--split", "-o", "OUT"], "out.json"),
    ]
    return out


TARGET_TEXT = {
    "floor": f"≤ {FLOOR_BOUND:g}x floor",
    "floor3": f"≤ {FLOOR_BOUND_WIDE:g}x floor",
    "rss": f"RSS < {RSS_BOUND_MB:g} MB",
    "peer": f"vs memlink: ≥ {PEER_SPEEDUP:g}x faster, ≥ {PEER_RSS_FACTOR:g}x less RSS",
    "peer-ref": "(peer, reference)",
    "jobs": f"≥ {JOBS_SPEEDUP:g}x --jobs 1",
    "letta-growth": f"RSS not growing: 100k ≤ {LETTA_GROWTH:g} × 10k",
}


# --------------------------------------------------------------------------------------------- #
# helpers


def memconv_formats() -> dict[str, dict[str, Any]]:
    """``memconv formats --json`` as {name: row}; empty when it fails (then nothing is skipped)."""
    try:
        p = subprocess.run([sys.executable, "-m", "memconv", "formats", "--json"], capture_output=True, timeout=120)
        return {r["name"]: r for r in json.loads(p.stdout)} if p.returncode == 0 else {}
    except (OSError, ValueError, subprocess.SubprocessError):
        return {}


def availability(fmts: dict[str, dict[str, Any]], case: Case) -> str | None:
    """None when memconv can do ``case``, else why not."""
    if not fmts:
        return None
    src, dst = fmts.get(case.from_fmt), fmts.get(case.to_fmt)
    why = []
    if src is None or not src.get("reads"):
        why.append(f"{case.from_fmt} cannot be read yet")
    if dst is None or not dst.get("writes"):
        why.append(f"{case.to_fmt} cannot be written yet")
    if case.from_fmt == case.to_fmt and len(why) == 2 and why[0].split()[0] == why[1].split()[0]:
        why = [f"{case.from_fmt} cannot be read or written yet"]
    return "; ".join(why) or None


def ensure_data(data_dir: str, small: bool) -> None:
    missing = [f for f in FILES.values() if not os.path.exists(os.path.join(data_dir, f))]
    if not missing:
        return
    log(f"generating {'small ' if small else ''}data in {data_dir} (missing: {', '.join(missing)}) ...")
    cmd = [sys.executable, GENERATE, "--out", data_dir] + (["--small"] if small else [])
    subprocess.run(cmd, check=True, stdout=sys.stderr)


def ensure_peer() -> str | None:
    """Install memlink-bridge into benchmarks/peer/.venv when needed; None when ready, else why not."""
    try:
        p = subprocess.run(["sh", PEER_INSTALL], capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.SubprocessError) as e:
        return f"install failed: {e}"
    if p.returncode != 0 or not os.access(MEMLINK, os.X_OK):
        return "install failed: " + (p.stderr.strip().splitlines() or ["?"])[-1]
    return None


def peer_version() -> str | None:
    try:
        p = subprocess.run([MEMLINK_PY, "-c", "from importlib.metadata import version; print(version('memlink-bridge'))"],
                           capture_output=True, text=True, timeout=60)
        return p.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def files_of(path: str) -> list[str]:
    """The input files of ``path``: itself, or a folder's files in name order (several inputs)."""
    return [os.path.join(path, f) for f in sorted(os.listdir(path))] if os.path.isdir(path) else [path]


def warm(path: str) -> None:
    """Read an input (a file, or a folder's files) once so every child finds it in the page cache (not timed)."""
    for name in files_of(path):
        with open(name, "rb") as f:
            while f.read(1 << 24):
                pass


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"nproc": os.cpu_count(), "python": platform.python_version(),
                            "platform": platform.platform(), "date": _dt.datetime.now().isoformat(timespec="seconds")}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), None)
    except OSError:
        info["cpu"] = None
    try:
        with open("/proc/meminfo") as f:
            kb = int(next(ln.split()[1] for ln in f if ln.startswith("MemTotal")))
        info["mem_gib"] = round(kb / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        info["mem_gib"] = None
    try:
        p = subprocess.run([sys.executable, "-m", "memconv", "--version"], capture_output=True, text=True, timeout=60)
        info["memconv"] = p.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        info["memconv"] = None
    return info


def show(path: str) -> str:
    """A path for the output: relative to benchmarks/ when inside it."""
    rel = os.path.relpath(path, HERE)
    return path if rel.startswith("..") else rel


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------- #
# the run


def best(runs: list[Run]) -> Run:
    """Of repeats: the fastest wall; peak RSS is the largest seen."""
    ok = [r for r in runs if r.ok] or runs
    pick = min(ok, key=lambda r: r.wall or 0.0)
    pick.rss_mb = max(r.rss_mb or 0.0 for r in ok)
    return pick


def measure_floor(path: str, tmp: str, timeout: float, repeat: int) -> dict[str, Any]:
    mode = "jsonl" if path.endswith(".jsonl") else "json"
    runs = []
    for _ in range(repeat):
        work = tempfile.mkdtemp(dir=tmp)
        try:
            runs.append(run_child([sys.executable, "-c", FLOOR_CODE, mode, path, os.path.join(work, "floor.out")],
                                  work, timeout, out_dir=None))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    r = best(runs)
    records = None
    if r.ok:
        try:
            records = int(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            records = None
    return {"input": path, "mode": "orjson line loop" if mode == "jsonl" else "read + orjson loads/dumps + write",
            "wall_s": r.wall if r.ok else None, "cpu_s": r.cpu, "peak_rss_mb": r.rss_mb, "records": records,
            "ok": r.ok, "rc": r.rc, "stderr_tail": r.stderr_tail}


def measure_case(case: Case, path: str, tmp: str, timeout: float, repeat: int) -> tuple[Run, dict[str, Any]]:
    extra: dict[str, Any] = {}
    runs = []
    for _ in range(repeat):
        work = tempfile.mkdtemp(dir=tmp)
        try:
            out_dir = os.path.join(work, "out")
            os.mkdir(out_dir)
            if case.peer:
                # memlink reads a *directory* (its mem0 reader takes memories.json, or the first *.json,
                # and accepts {"results": [...]} as is): link the get_all file in as memories.json.
                src_dir = os.path.join(work, "src")
                os.mkdir(src_dir)
                os.symlink(path, os.path.join(src_dir, "memories.json"))
                argv = [MEMLINK, "convert", "--from", "mem0", "--to", "mem0", "--source", src_dir, "--target", out_dir]
                extra["command"] = " ".join(["memlink", "convert", "--from", "mem0", "--to", "mem0",
                                             "--source", "SRC", "--target", "OUT"])
                extra["layout"] = ("SRC/memories.json = symlink to the get_all file (made before timing); "
                                   "memlink reads the {\"results\": [...]} shape directly; writes OUT/memories.json")
            else:
                # one process unless the row says otherwise (the command line's default is the cores)
                args = case.args if "--jobs" in case.args else [*case.args, "--jobs", "1"]
                rest = [os.path.join(out_dir, case.out_name) if a == "OUT" else a for a in args]
                argv = [sys.executable, "-m", "memconv", path, *rest]
                extra["command"] = " ".join(["memconv", os.path.basename(path),
                                             *[("OUT/" + case.out_name) if a == "OUT" else a for a in args]])
            runs.append(run_child(argv, work, timeout, out_dir=out_dir))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return best(runs), extra


def evaluate(rows: list[dict[str, Any]]) -> None:
    """Fill ``checks`` (target -> (met: bool|None, detail)) of every row."""
    by_name = {r["name"]: r for r in rows}
    for r in rows:
        checks: list[tuple[str, bool | None, str]] = []
        measured = r["status"] == "ok"
        for t in r["targets"]:
            if t == "peer-ref":
                continue
            if not measured:
                checks.append((t, None, "not measured"))
            elif t in ("floor", "floor3"):
                ratio = r.get("ratio_to_floor")
                bound = FLOOR_BOUND if t == "floor" else FLOOR_BOUND_WIDE
                checks.append((t, None, "no floor") if ratio is None else
                              (t, ratio <= bound, f"{ratio:.2f}x floor"))
            elif t == "rss":
                checks.append((t, r["peak_rss_mb"] < RSS_BOUND_MB, f"{r['peak_rss_mb']:.0f} MB"))
            elif t == "peer":
                peer = by_name.get("memlink-" + r["name"])
                if not peer or peer["status"] != "ok":
                    checks.append((t, None, "peer not measured"))
                else:
                    speed = peer["wall_s"] / r["wall_s"]
                    less = peer["peak_rss_mb"] / r["peak_rss_mb"]
                    r["vs_peer"] = {"speedup": speed, "rss_factor": less}
                    peer["vs_memconv"] = {"memconv_speedup": speed, "memconv_rss_factor": less}
                    checks.append(("peer-speed", speed >= PEER_SPEEDUP, f"{speed:.1f}x faster"))
                    checks.append(("peer-rss", less >= PEER_RSS_FACTOR, f"{less:.1f}x less RSS"))
            elif t == "jobs":
                serial = by_name.get(r["name"][len("jobs2-"):])
                if not serial or serial["status"] != "ok":
                    checks.append((t, None, "the --jobs 1 row not measured"))
                else:
                    speed = serial["wall_s"] / r["wall_s"]
                    r["vs_jobs1"] = speed
                    checks.append((t, speed >= JOBS_SPEEDUP, f"{speed:.2f}x --jobs 1 (parent's RSS "
                                                             f"{r['peak_rss_mb']:.0f} MB; each worker's is apart)"))
            elif t == "letta-growth":
                big = by_name.get("letta-100k-to-agentmemory-split")
                small = by_name.get("letta-10k-to-agentmemory-split")
                if not big or not small:
                    checks.append((t, None, "needs the full run (10k and 100k files)"))
                elif big["status"] != "ok" or small["status"] != "ok":
                    checks.append((t, None, "one of the two not measured"))
                else:
                    a, b = small["peak_rss_mb"], big["peak_rss_mb"]
                    checks.append((t, b <= LETTA_GROWTH * a, f"10k {a:.0f} MB, 100k {b:.0f} MB"))
        r["checks"] = [{"target": t, "met": m, "detail": d} for t, m, d in checks]
        if any(c["met"] is False for c in r["checks"]):
            r["met"] = False
        elif r["checks"] and all(c["met"] is True for c in r["checks"]):
            r["met"] = True
        else:
            r["met"] = None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="use the --small data set (benchmarks/data-small)")
    ap.add_argument("--only", action="append", metavar="NAME",
                    help="run only conversions whose name contains NAME (repeatable; see --list)")
    ap.add_argument("--list", action="store_true", help="list the conversion names and exit")
    ap.add_argument("--json", metavar="OUT", help="write the results as JSON to OUT")
    ap.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    ap.add_argument("--no-peer", action="store_true", help="do not install or run memlink")
    ap.add_argument("--data", metavar="DIR", help="data folder (default benchmarks/data, or benchmarks/data-small)")
    ap.add_argument("--tmp", metavar="DIR", help="where outputs go while a conversion runs (default: system temp)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each child; the fastest wall is kept (default 1)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds before a child is killed (default 3600)")
    args = ap.parse_args(argv)

    all_cases = cases(args.small)
    if args.list:
        for c in all_cases:
            print(f"{c.name:45} {c.label}")
        return 0
    selected = [c for c in all_cases if not args.only or any(o in c.name for o in args.only)]
    if args.no_peer:
        selected = [c for c in selected if not c.peer]
    if not selected:
        log("no conversion matches --only; see --list")
        return 2
    data_dir = args.data or os.path.join(HERE, "data-small" if args.small else "data")
    small_dir = os.path.join(HERE, "data-small")
    ensure_data(data_dir, args.small)
    if any(c.small_data for c in selected):
        ensure_data(small_dir, True)

    info = machine()
    fmts = memconv_formats()
    peer_problem = None
    if any(c.peer for c in selected):
        peer_problem = ensure_peer()
        info["memlink"] = peer_version()
    info["loadavg_start"] = os.getloadavg()
    log(f"memconv: {info.get('memconv')}; python {info['python']}; {info['nproc']} CPUs; {info.get('cpu')}")

    tmp_root = tempfile.mkdtemp(prefix="memconv-bench-", dir=args.tmp)
    floors: dict[str, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    try:
        # What every row pays before touching its input: the interpreter, click, pydantic, the adapters.
        work = tempfile.mkdtemp(dir=tmp_root)
        start = best([run_child([sys.executable, "-m", "memconv", "formats"], work, args.timeout)
                      for _ in range(max(3, args.repeat))])
        info["startup"] = {"command": "python -m memconv formats", "wall_s": start.wall, "peak_rss_mb": start.rss_mb}
        log(f"memconv startup (python -m memconv formats): {start.wall:.2f} s, {start.rss_mb:.0f} MB")
        for i, case in enumerate(selected, 1):
            path = os.path.join(small_dir if case.small_data else data_dir, FILES[case.key])
            size = sum(os.path.getsize(f) for f in files_of(path))
            row: dict[str, Any] = {"name": case.name, "conversion": case.label, "input": path,
                                   "input_mb": size / MB, "targets": case.targets, "peer": case.peer,
                                   "loadavg_1min_at_start": os.getloadavg()[0]}
            prefix = f"[{i}/{len(selected)}] {case.name}"
            why = peer_problem if case.peer else availability(fmts, case)
            if why:
                row.update(status="not available", reason=why)
                log(f"{prefix}: not available ({why})")
                rows.append(row)
                continue
            if path not in floors:
                warm(path)
                log(f"{prefix}: floor on {show(path)} ...")
                floors[path] = measure_floor(path, tmp_root, args.timeout, args.repeat)
                fl = floors[path]
                if fl["ok"]:
                    log(f"{prefix}: floor {fl['wall_s']:.2f} s ({fl['cpu_s']:.2f} s CPU), {fl['peak_rss_mb']:.0f} MB")
            floor = floors[path]
            row["records"] = floor["records"]
            row["floor_s"] = floor["wall_s"]
            log(f"{prefix}: running ...")
            run, extra = measure_case(case, path, tmp_root, args.timeout, args.repeat)
            row.update(extra)
            row.update(wall_s=run.wall, cpu_s=run.cpu, peak_rss_mb=run.rss_mb, rc=run.rc, output_mb=run.out_bytes / MB)
            if run.ok:
                row["status"] = "ok"
                row["mb_per_s"] = size / MB / run.wall
                row["records_per_s"] = floor["records"] / run.wall if floor["records"] else None
                row["ratio_to_floor"] = run.wall / floor["wall_s"] if floor["wall_s"] else None
                log(f"{prefix}: {run.wall:.2f} s ({run.cpu:.2f} s CPU), {run.rss_mb:.0f} MB peak RSS"
                    + (f", {row['ratio_to_floor']:.2f}x floor" if row["ratio_to_floor"] else ""))
            else:
                row["status"] = "timed out" if run.timed_out else f"failed (exit {run.rc})"
                row["stderr_tail"] = run.stderr_tail
                log(f"{prefix}: {row['status']} after {run.wall:.1f} s\n    " + run.stderr_tail.replace("\n", "\n    "))
            rows.append(row)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)

    info["loadavg_end"] = os.getloadavg()
    evaluate(rows)
    result = {"machine": info, "small": args.small, "data": data_dir, "repeat": args.repeat,
              "floors": list(floors.values()), "rows": rows,
              "targets": {"rss_mb": RSS_BOUND_MB, "floor_ratio": FLOOR_BOUND, "floor_ratio_wide": FLOOR_BOUND_WIDE, "peer_speedup": PEER_SPEEDUP,
                          "peer_rss_factor": PEER_RSS_FACTOR, "letta_growth": LETTA_GROWTH}}
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2, ensure_ascii=False)
    print(render(result, markdown=args.markdown))
    return 0


# --------------------------------------------------------------------------------------------- #
# output


def _f(x: float | None, fmt: str) -> str:
    return "" if x is None else format(x, fmt)


def _met(row: dict[str, Any]) -> str:
    if row["status"] == "not available":
        return "n/a"
    if row["status"] != "ok":
        return "FAILED"
    if row.get("peer"):
        vs = row.get("vs_memconv")
        return (f"memconv {vs['memconv_speedup']:.1f}x faster, {vs['memconv_rss_factor']:.1f}x less RSS"
                if vs else "—")
    parts = [("yes" if c["met"] else "NO" if c["met"] is False else "?") + f" ({c['detail']})"
             for c in row.get("checks", [])]
    return "; ".join(parts) or "—"


def render(result: dict[str, Any], markdown: bool) -> str:
    head = ["conversion", "input MB", "records", "wall s", "records/s", "MB/s", "peak RSS MB",
            "floor s", "ratio to floor", "target", "met?"]
    body = []
    for r in result["rows"]:
        target = "; ".join(TARGET_TEXT[t] for t in r["targets"]) or "—"
        if r["status"] == "ok":
            body.append([r["conversion"], _f(r["input_mb"], ".1f"), _f(r.get("records"), ",d"), _f(r["wall_s"], ".2f"),
                         _f(r.get("records_per_s"), ",.0f"), _f(r.get("mb_per_s"), ".1f"), _f(r["peak_rss_mb"], ".0f"),
                         _f(r.get("floor_s"), ".2f"), _f(r.get("ratio_to_floor"), ".2f") + ("x" if r.get("ratio_to_floor") else ""),
                         target, _met(r)])
        else:
            status = r["status"] + (f": {r['reason']}" if r.get("reason") else "")
            body.append([r["conversion"], _f(r["input_mb"], ".1f"), _f(r.get("records"), ",d"), status, "", "",
                         _f(r.get("peak_rss_mb"), ".0f") if r["status"] != "not available" else "",
                         _f(r.get("floor_s"), ".2f"), "", target, _met(r)])
    m = result["machine"]
    lines = []
    if markdown:
        lines.append(f"memconv benchmarks, {m['date']}: {m.get('memconv')}, Python {m['python']}, "
                     f"{m['nproc']} CPUs ({m.get('cpu')}), {m.get('mem_gib')} GiB RAM"
                     + (f", memlink-bridge {m['memlink']}" if m.get("memlink") else "")
                     + (" — small data set" if result["small"] else "")
                     + f"; load average {m['loadavg_start'][0]:.2f} at start, {m['loadavg_end'][0]:.2f} at end"
                     + (f"; best of {result['repeat']} runs" if result["repeat"] > 1 else ""))
        lines.append("")
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "|".join("---" if i in (0, 9, 10) else "---:" for i in range(len(head))) + "|")
        for row in body:
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
    else:
        widths = [max(len(head[i]), *(len(row[i]) for row in body)) for i in range(len(head))]
        lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths)))
        for row in body:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    lines.append("")
    st = m.get("startup")
    if st:
        lines.append(f"memconv startup ({st['command']}, best of 3): {st['wall_s']:.2f} s, "
                     f"{st['peak_rss_mb']:.0f} MB peak RSS (included in every memconv wall above)")
    for fl in result["floors"]:
        lines.append(f"floor {show(fl['input'])} ({fl['mode']}): "
                     + (f"{fl['wall_s']:.2f} s, {fl['peak_rss_mb']:.0f} MB peak RSS, {fl['records']:,} records"
                        if fl["ok"] else f"FAILED (exit {fl['rc']}): {fl['stderr_tail']}"))
    for r in result["rows"]:
        if r.get("peer") and r.get("command"):
            lines.append(f"peer command: {r['command']}  ({r['layout']})")
    for r in result["rows"]:
        if r["status"] not in ("ok", "not available"):
            lines.append(f"{r['name']}: {r['status']}; stderr tail:\n    " + r.get("stderr_tail", "").replace("\n", "\n    "))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
