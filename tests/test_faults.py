"""Faults an operator meets: two writers, a full disk, signals, links, odd destinations, durability.

Real processes and a real small filesystem where the machine allows it: the full-disk test mounts a
2 MiB tmpfs (root can, here and in CI); where mounting is refused it injects ENOSPC into the same
write path and says so. Each test asserts what the destination holds afterwards and that no staged
file (``.memconv-<pid>-``) is left behind.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson
import pytest

import memconv
from memconv.commit import OutputSet
from memconv.errors import DestinationExists, OutputUnwritable, UsageError
from memconv.io import AtomicOutput

from helpers import FIXTURES, LETTA, run_cli

AM_SEEDED = FIXTURES / "agentmemory" / "real_export_seeded.json"
CONVO_AF = LETTA / "letta-tests__memgpt_agent_with_convo.af"


def mem0_file(path: Path, user: str, n: int) -> Path:
    """A mem0 ``get_all`` of ``n`` memories of ``user``, with distinct ids."""
    rows = [{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{user}/{i}")), "memory": f"{user} fact {i}",
             "hash": f"{i:032x}", "metadata": None, "created_at": "2026-01-01T00:00:00+00:00",
             "updated_at": None, "user_id": user} for i in range(n)]
    path.write_bytes(orjson.dumps({"results": rows}))
    return path


def stray(folder: Path) -> list[str]:
    """Staged files, scratch folders and locks memconv left in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if "memconv-" in p.name)


def mem0_ids(path: Path) -> set[str]:
    return {r["id"] for r in orjson.loads(path.read_bytes())["results"]}


def popen(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "memconv", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


# ---------------------------------------------------------------- the library gives the CLI's guarantees

def test_library_write_merges_refuses_and_rejects_typos(tmp_path):
    store = tmp_path / "store.json"
    bundle = memconv.read(AM_SEEDED)
    memconv.write(bundle, "agentmemory", store)
    before = orjson.loads(store.read_bytes())
    with pytest.raises(DestinationExists):
        memconv.write(bundle, "agentmemory", store)
    with pytest.raises(UsageError, match="tpyo_option"):
        memconv.write(bundle, "agentmemory", tmp_path / "x.json", tpyo_option=1)
    assert not (tmp_path / "x.json").exists()
    other = memconv.read(FIXTURES / "mem0" / "get_all_v11.json")
    plan = memconv.write(other, "agentmemory", store, strategy="merge", dry_run=True).info["plan"]
    assert orjson.loads(store.read_bytes()) == before  # a dry run writes nothing
    memconv.write(other, "agentmemory", store, strategy="merge")
    after = orjson.loads(store.read_bytes())
    old_ids = {m["id"] for m in before["memories"]}
    assert old_ids <= {m["id"] for m in after["memories"]}  # merge keeps the store's memories
    assert len(after["memories"]) == len(before["memories"]) + plan["collections"]["memories"]["insert"]


def test_library_read_rejects_unknown_options():
    with pytest.raises(UsageError, match="tpyo"):
        memconv.read(AM_SEEDED, tpyo=True)


def test_fail_on_loss_leaves_no_sidecar(tmp_path):
    out = tmp_path / "a.af"
    r = run_cli(AM_SEEDED, "--to", "letta", "-o", out, "--fail-on-loss")
    assert r.returncode == 6, r.stderr
    assert stray(tmp_path) == [] and list(tmp_path.iterdir()) == []  # neither the .af nor its sidecar


# ---------------------------------------------------------------- two writers

def test_two_concurrent_merges_both_land(tmp_path):
    dest = mem0_file(tmp_path / "dest.json", "base", 10)
    a, b = mem0_file(tmp_path / "a.json", "alice", 4000), mem0_file(tmp_path / "b.json", "bob", 4000)
    procs = [popen(src, "--to", "mem0", "-o", dest, "--strategy", "merge", "--wait", "120") for src in (a, b)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    assert mem0_ids(dest) == mem0_ids(a) | mem0_ids(b) | mem0_ids(tmp_path / "dest.json")
    assert stray(tmp_path) == []


def test_second_writer_without_wait_is_refused_with_its_own_code(tmp_path):
    dest = mem0_file(tmp_path / "dest.json", "base", 10)
    src = mem0_file(tmp_path / "a.json", "alice", 10)
    from memconv.locking import destination_lock

    with destination_lock(str(dest)):  # another memconv holds the destination
        r = run_cli(src, "--to", "mem0", "-o", dest, "--strategy", "merge")
    assert r.returncode == 12
    assert b"another memconv is writing it" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert mem0_ids(dest) == {str(uuid.uuid5(uuid.NAMESPACE_URL, f"base/{i}")) for i in range(10)}


def test_a_plain_write_refuses_at_the_rename_if_the_destination_appeared(tmp_path):
    dest = tmp_path / "out.json"
    with pytest.raises(DestinationExists):
        with OutputSet(exclusive=True) as outputs:
            with AtomicOutput(dest, main=True) as fh:
                fh.write(b"mine")
            dest.write_bytes(b"theirs")  # another program wrote it meanwhile
            outputs.commit()
    assert dest.read_bytes() == b"theirs"
    assert stray(tmp_path) == []


def test_two_split_runs_never_mix_parts(tmp_path):
    a, b = mem0_file(tmp_path / "a.json", "alice", 3000), mem0_file(tmp_path / "b.json", "bob", 3000)
    out = tmp_path / "OUT.json"
    procs = [popen(src, "--to", "agentmemory", "--split", "-o", out, "--wait", "120") for src in (a, b)]
    codes = []
    for p in procs:
        p.communicate(timeout=300)
        codes.append(p.returncode)
    assert sorted(codes) == [0, 8]  # the second finds the first's parts and refuses; never exit 70
    parts = sorted(tmp_path.glob("OUT.part-*.json"))
    users = {m.get("project") or m.get("memconv", {}).get("scope", {}).get("user_id")
             for p in parts for m in orjson.loads(p.read_bytes())["memories"]}
    assert len(parts) >= 1 and len(users) == 1  # one input's parts only
    assert stray(tmp_path) == []


# ---------------------------------------------------------------- an .af and its sidecar

def test_af_records_its_sidecar_and_a_mixed_pair_is_refused(tmp_path):
    out = tmp_path / "a.af"
    assert run_cli(AM_SEEDED, "--to", "letta", "-o", out).returncode == 0
    side = tmp_path / "a.passages.jsonl"
    assert side.exists()
    old_af = out.read_bytes()
    # a new conversion into the same pair, cut between the two renames: new sidecar, old .af
    r = run_cli(FIXTURES / "mem0" / "get_all_v11.json", "--to", "letta", "-o", tmp_path / "b.af")
    assert r.returncode == 0
    side.write_bytes((tmp_path / "b.passages.jsonl").read_bytes())
    out.write_bytes(old_af)
    v = run_cli("validate", out)
    assert v.returncode == 1 and b"does not belong to" in v.stdout
    c = run_cli(out, "--to", "canonical")
    assert c.returncode == 4 and b"does not belong to" in c.stderr
    # an .af written with no sidecar, beside a stale one: the sidecar is not read, and a warning says so
    out = tmp_path / "c.af"
    r = run_cli(FIXTURES / "letta" / "letta-tests__test_agent.af", "--to", "letta", "-o", out, "--exclude", "passages")
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_bytes())["metadata"]["memconv_passages_sha256"] == ""
    (tmp_path / "c.passages.jsonl").write_bytes((tmp_path / "b.passages.jsonl").read_bytes())
    c = run_cli(out, "--to", "canonical")
    assert c.returncode == 0 and b"is not read" in c.stderr and b'"kind":"passage"' not in c.stdout


def test_an_existing_sidecar_is_an_existing_destination(tmp_path):
    side = tmp_path / "a.passages.jsonl"
    side.write_bytes(b'{"text": "mine"}\n')
    r = run_cli(AM_SEEDED, "--to", "letta", "-o", tmp_path / "a.af")
    assert r.returncode == 8 and b"a.passages.jsonl" in r.stderr
    assert side.read_bytes() == b'{"text": "mine"}\n' and not (tmp_path / "a.af").exists()


# ---------------------------------------------------------------- a full disk, OS errors

@pytest.fixture
def small_fs(tmp_path):
    """A 2 MiB tmpfs (real ENOSPC), or None where this machine refuses to mount one."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        yield None
        return
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


def test_full_disk_is_exit_11_and_leaves_nothing(tmp_path, small_fs, monkeypatch):
    big = mem0_file(tmp_path / "big.json", "alice", 20000)  # several MiB of output
    if small_fs is not None:  # a real full filesystem
        r = run_cli(big, "--to", "canonical", "-o", small_fs / "out.json")
        assert r.returncode == 11, r.stderr
        assert b"No space left on device" in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert list(small_fs.iterdir()) == []
        env = {**os.environ, "TMPDIR": str(small_fs)}  # standard output is spooled in a full TMPDIR
        r = subprocess.run([sys.executable, "-m", "memconv", str(big), "--to", "canonical"], capture_output=True,
                           env=env, timeout=300)
        assert r.returncode == 11, r.stderr
        assert r.stdout == b"" and b"No space left on device" in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert list(small_fs.iterdir()) == []
        return
    # this machine refused the mount: ENOSPC injected into the same write path (os.fsync of the staged file)
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device")))
    with pytest.raises(OutputUnwritable, match="No space left on device"):
        memconv.convert(big, to="canonical", output=tmp_path / "out.json")
    monkeypatch.setattr(os, "fsync", real)
    assert not (tmp_path / "out.json").exists() and stray(tmp_path) == []


@pytest.mark.parametrize("dest, code, words", [
    ("", 2, b"expected a file path"),
    ("adir/", 2, b"is a folder"),
    ("newdir/", 2, b"is a folder"),
    ("missing/out.json", 2, b"does not exist"),
])
def test_odd_destinations_are_one_line_errors(tmp_path, dest, code, words):
    (tmp_path / "adir").mkdir()
    r = run_cli(AM_SEEDED, "--to", "canonical", "-o", dest, cwd=tmp_path)
    assert r.returncode == code and words in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and b"Traceback" not in r.stderr
    assert not (tmp_path / "newdir").exists()


def test_report_path_is_checked_before_any_work(tmp_path):
    r = run_cli(AM_SEEDED, "--to", "canonical", "-o", tmp_path / "out.json", "--report", tmp_path / "missing/r.json")
    assert r.returncode == 2 and b"missing" in r.stderr
    assert not (tmp_path / "out.json").exists()


def test_read_only_destination_is_refused_unless_replaced(tmp_path):
    dest = tmp_path / "ro.json"
    assert run_cli(AM_SEEDED, "--to", "agentmemory", "-o", dest).returncode == 0
    dest.chmod(0o444)
    before = dest.read_bytes()
    r = run_cli(FIXTURES / "mem0" / "get_all_v11.json", "--to", "agentmemory", "-o", dest, "--strategy", "merge")
    assert r.returncode == 11 and b"read-only (mode 0444)" in r.stderr
    assert dest.read_bytes() == before
    r = run_cli(FIXTURES / "mem0" / "get_all_v11.json", "--to", "agentmemory", "-o", dest, "--strategy", "replace")
    assert r.returncode == 0, r.stderr
    assert dest.read_bytes() != before and (dest.stat().st_mode & 0o777) == 0o444


def test_read_only_folder_is_exit_11(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)], capture_output=True)
    if r.returncode != 0:  # not root or no mount: a folder without write permission (root ignores it)
        folder.chmod(0o555)
        if os.access(folder, os.W_OK):
            pytest.fail("cannot make a read-only folder on this machine (mount refused, and running as root)")
    try:
        r = run_cli(AM_SEEDED, "--to", "canonical", "-o", folder / "out.json")
        assert r.returncode == 11, r.stderr
        assert b"Read-only file system" in r.stderr or b"Permission denied" in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
    finally:
        subprocess.run(["umount", str(folder)], capture_output=True)


def test_symbolic_link_is_written_through_and_kept(tmp_path):
    target = tmp_path / "real.json"
    assert run_cli(FIXTURES / "mem0" / "get_all_v11.json", "--to", "canonical", "-o", target).returncode == 0
    link = tmp_path / "link.json"
    link.symlink_to(target)
    r = run_cli(AM_SEEDED, "--to", "canonical", "-o", link, "--strategy", "replace")
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert orjson.loads(target.read_bytes())["format"] == "memconv-canonical"
    assert stray(tmp_path) == []


def test_hard_link_is_named_in_a_warning(tmp_path):
    dest = tmp_path / "a.json"
    assert run_cli(AM_SEEDED, "--to", "canonical", "-o", dest).returncode == 0
    os.link(dest, tmp_path / "b.json")
    r = run_cli(AM_SEEDED, "--to", "canonical", "-o", dest, "--strategy", "replace")
    assert r.returncode == 0 and b"2 hard links" in r.stderr


def test_dev_null_is_a_destination(tmp_path):
    r = run_cli(AM_SEEDED, "--to", "canonical", "-o", "/dev/null")
    assert r.returncode == 0, r.stderr
    assert not Path("/dev/null").is_file()  # written into, never replaced by a regular file


# ---------------------------------------------------------------- durability

def test_output_and_folder_are_fsynced_before_success(tmp_path, monkeypatch):
    synced: list[str] = []
    real = os.fsync

    def spy(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    memconv.convert(AM_SEEDED, to="letta", output=tmp_path / "a.af")
    assert any(".a.af.memconv-" in p for p in synced)  # the staged .af, before its rename
    assert any(".a.passages.jsonl.memconv-" in p for p in synced)
    assert str(tmp_path) in synced  # the folder, after the renames
    synced.clear()
    memconv.convert(AM_SEEDED, to="letta", output=tmp_path / "b.af", fsync=False)
    assert synced == []


# ---------------------------------------------------------------- signals and scratch

def _big_merge_setup(tmp_path):
    dest = mem0_file(tmp_path / "dest.json", "base", 5000)
    src = mem0_file(tmp_path / "src.json", "alice", 60000)
    return dest, src, dest.read_bytes()


BASE_IDS = {str(uuid.uuid5(uuid.NAMESPACE_URL, f"base/{i}")) for i in range(5000)}


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130),
                                       (signal.SIGKILL, -9)])
@pytest.mark.parametrize("delay", [0.4, 1.2, 2.5])
def test_a_signal_at_any_point_of_a_merge_leaves_before_or_after_and_no_scratch(tmp_path, sig, code, delay):
    dest, src, before = _big_merge_setup(tmp_path)
    p = popen(src, "--to", "mem0", "-o", dest, "--strategy", "merge")
    time.sleep(delay)  # start-up, reading the destination, converting, merging, committing: any of them
    p.send_signal(sig)
    _, err = p.communicate(timeout=120)
    assert b"Traceback" not in err, err.decode()
    if p.returncode == 0:  # it had finished: the destination is the whole merge
        assert mem0_ids(dest) == BASE_IDS | mem0_ids(src)
    else:
        assert p.returncode == code, err.decode()
        assert dest.read_bytes() == before  # never half-written
        if sig != signal.SIGKILL:
            assert len(err.strip().splitlines()) <= 1
            assert stray(tmp_path) == []  # a handled signal cleans up at once
    # whatever a SIGKILL left, the next run sweeps, and the merge completes
    r = run_cli(src, "--to", "mem0", "-o", dest, "--strategy", "merge")
    assert r.returncode == 0, r.stderr
    assert stray(tmp_path) == []
    assert mem0_ids(dest) == BASE_IDS | mem0_ids(src)


def _loaded(pid: int, library: str) -> bool:
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.parametrize("library", ["orjson.cpython", "_pydantic_core", "_yajl2"])
def test_sigint_during_start_up_prints_no_traceback(library):
    """SIGINT while memconv's modules load (seen by the native libraries the process has mapped; the
    interpreter's own start-up, before any memconv code runs, is Python's and not memconv's to handle)."""
    p = popen(FIXTURES / "mem0" / "get_all_v11.json", "--to", "canonical")
    deadline = time.monotonic() + 30
    while not _loaded(p.pid, library) and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert b"Traceback" not in err, err.decode()
    assert p.returncode in (0, 130)


# ---------------------------------------------------------------- the command line a user meets

@pytest.mark.parametrize("args", [["--strategy", "merg"], ["--too", "letta"], ["--to", "letta", "--jsonl"]])
def test_usage_errors_are_one_line_exit_2(args):
    r = run_cli(AM_SEEDED, *(args if "--to" in args or "--too" in args else ["--to", "mem0", *args]))
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(b"memconv: error: "), r.stderr


def test_output_name_af_implies_letta(tmp_path):
    r = run_cli(AM_SEEDED, "-o", tmp_path / "out.af")
    assert r.returncode == 0, r.stderr
    assert b"writing letta" in r.stderr
    assert "agents" in json.loads((tmp_path / "out.af").read_text())


def _interrupt_the_third_key(monkeypatch, signum: int) -> None:
    """Make memconv's DupDict raise the signal's Interrupted on the third key ijson's C backend sets
    (a stand-in for the signal's timing only: the C path and CPython's SystemError are real), on the
    streamed path of the mem0 reader."""
    from memconv import jsonutil
    from memconv.errors import Interrupted

    calls = {"n": 0}
    real = jsonutil.DupDict.__setitem__

    def interrupted(self, key, value):
        calls["n"] += 1
        if calls["n"] == 3:
            raise Interrupted(signum)
        real(self, key, value)

    monkeypatch.setattr(jsonutil.DupDict, "__setitem__", interrupted)
    monkeypatch.setattr("memconv.adapters.mem0.reader.SMALL_BYTES", 0)  # the streamed (ijson) path,
    monkeypatch.setattr("memconv.adapters.mem0.reader.list_items", lambda *a, **k: None)  # item by item


def test_a_signal_inside_a_c_extension_callback_is_the_signal_not_a_bug(tmp_path, monkeypatch, capsys):
    """A signal handler's Interrupted raised while ijson's C backend calls back into Python (building
    an object with memconv's DupDict) comes out of CPython as a SystemError "returned a result with an
    exception set", with Interrupted as its cause. That flaked the 1.2 s SIGHUP case above as exit 70;
    the command line now exits with the signal's code. Here the real C path raises it, through a
    DupDict that is interrupted on its third key (a stand-in for the signal's timing only)."""
    from memconv import cli

    _interrupt_the_third_key(monkeypatch, signal.SIGHUP)
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        with pytest.raises(SystemExit) as e:
            cli.main([str(FIXTURES / "mem0" / "get_all_v11.json"), "--to", "canonical", "-o", str(tmp_path / "o.json")])
    finally:
        for s, h in saved.items():
            signal.signal(s, h)
    err = capsys.readouterr().err
    assert e.value.code == 128 + signal.SIGHUP, err
    assert "internal error" not in err and err.count("\n") == 1
    assert not (tmp_path / "o.json").exists()


def test_the_library_raises_the_signal_not_a_system_error(tmp_path, monkeypatch):
    """The same C-callback case through :func:`memconv.convert`: Interrupted, nothing written."""
    from memconv.errors import Interrupted

    _interrupt_the_third_key(monkeypatch, signal.SIGTERM)
    with pytest.raises(Interrupted):
        memconv.convert(str(FIXTURES / "mem0" / "get_all_v11.json"), "canonical", str(tmp_path / "o.json"))
    assert list(tmp_path.iterdir()) == []
