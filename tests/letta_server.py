"""A real Letta 0.16.8 server for the tests: started once per test session, stopped at the end.

The server is the one ``../shared/letta-server/serve.sh`` builds: letta 0.16.8 (the last PyPI release
of the Python server) on a throwaway PostgreSQL 16 + pgvector taken from a PyPI wheel, all on
127.0.0.1 (ports 55432, 18283, 18284). Its work folder (venv, database, logs) is ``/tmp/memconv-letta``
or ``$MEMCONV_LETTA_DIR``; the venv is kept, so only the first run installs letta (about a minute).

Environment:

* ``MEMCONV_SKIP_LETTA=1``: skip the real-server tests (otherwise a server that cannot start FAILS them,
  with the tail of its logs).
* ``MEMCONV_LETTA_URL=http://...``: use a Letta server that is already running; nothing is started or
  stopped.
* ``MEMCONV_LETTA_DIR``: the work folder (default ``/tmp/memconv-letta``).

The ports are fixed, so two test sessions (two engineers running the suite in the same machine) must
not run servers at once: a session holds an exclusive lock on ``/tmp/memconv-letta.lock``
(``$MEMCONV_LETTA_LOCK``) from start to stop, and another session waits for it (up to
``$MEMCONV_LETTA_LOCK_WAIT`` seconds, default 1200) instead of stopping the first one's server.

Use the :func:`letta_server` fixture (import it into the test module); it yields a :class:`LettaServer`
with an ``httpx`` client.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

REPO = Path(__file__).resolve().parents[1]
SERVER_SCRIPTS = REPO.parent / "shared" / "letta-server"
DEFAULT_DIR = "/tmp/memconv-letta"
START_TIMEOUT = 1500  # seconds: first run installs letta into a venv
DEFAULT_LOCK = "/tmp/memconv-letta.lock"


def _tail(path: Path, n: int = 40) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"({path}: not there)"
    return "\n".join(lines[-n:])


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return True


def _read_env(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


class LettaServer:
    """A running Letta server: ``url``, an ``httpx.Client`` (``client``), and how long it took to start.

    Args:
        work: the work folder given to ``serve.sh`` (its ``env`` file names the pids and the URL).
        url: an already running server to use instead (then :meth:`start`/:meth:`stop` do nothing).
    """

    def __init__(self, work: Path, url: str | None = None):
        self.work = work
        self.url = url
        self.external = url is not None
        self.started_in: float | None = None
        self.waited: float = 0.0
        self.client: httpx.Client | None = None
        self._lock: Any = None

    def _acquire(self) -> None:
        """Hold the machine-wide lock of the server's ports (see the module docstring).

        Raises:
            RuntimeError: another session held it for longer than ``$MEMCONV_LETTA_LOCK_WAIT`` seconds.
        """
        path = os.environ.get("MEMCONV_LETTA_LOCK", DEFAULT_LOCK)
        wait = float(os.environ.get("MEMCONV_LETTA_LOCK_WAIT", "1200"))
        fh = open(path, "a+")
        t0 = time.monotonic()
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - t0 > wait:
                    fh.close()
                    raise RuntimeError(f"another test session has held {path} (the Letta server's ports) for "
                                       f"more than {wait:.0f}s; set MEMCONV_LETTA_LOCK_WAIT to wait longer") from None
                time.sleep(1)
        self.waited = time.monotonic() - t0
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._lock = fh

    def _release(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def start(self) -> None:
        """Run ``serve.sh`` (after stopping a server a previous session left in the same folder).

        Raises:
            RuntimeError: the server did not come up; the message holds the tail of the logs.
        """
        if self.external:
            self._connect()
            return
        self._acquire()
        self.work.mkdir(parents=True, exist_ok=True)
        if (self.work / "env").exists():  # left by a session that died: nobody else holds the lock
            subprocess.run(["bash", str(SERVER_SCRIPTS / "stop.sh"), str(self.work)], capture_output=True,
                           timeout=120)
        log = self.work / "serve.log"
        t0 = time.monotonic()
        # Output to a file, not a pipe: serve.sh leaves postgres, the embedder stub and letta running.
        with open(log, "wb") as fh:
            try:
                rc = subprocess.run(["bash", str(SERVER_SCRIPTS / "serve.sh"), str(self.work)], stdout=fh,
                                    stderr=subprocess.STDOUT, timeout=START_TIMEOUT, cwd=self.work).returncode
            except subprocess.TimeoutExpired:
                rc = -1
        self.started_in = time.monotonic() - t0
        env = self.work / "env"
        if rc != 0 or not env.exists():
            self.stop()
            raise RuntimeError(
                f"the Letta server did not start (serve.sh exit {rc}, {self.started_in:.0f}s; work folder "
                f"{self.work}).\n--- serve.log ---\n{_tail(log)}\n--- letta-server.log ---\n"
                f"{_tail(self.work / 'letta-server.log')}\n--- install.log ---\n{_tail(self.work / 'install.log', 15)}")
        self.url = _read_env(env)["LETTA_URL"]
        self._connect()

    def _connect(self) -> None:
        assert self.url
        self.client = httpx.Client(base_url=self.url, timeout=180)
        r = self.client.get("/v1/health/")
        if r.status_code != 200:
            raise RuntimeError(f"{self.url}/v1/health/ answered {r.status_code}: {r.text[:300]}")
        self.version = r.json().get("version")

    def stop(self) -> None:
        """Stop what ``serve.sh`` started (``stop.sh``: the pids from ``env``, then postgres)."""
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.external or self._lock is None:
            return
        env = self.work / "env"
        pids = []
        if env.exists():
            pids = [int(v) for k, v in _read_env(env).items() if k in ("LETTA_PID", "EMB_PID") and v.isdigit()]
        subprocess.run(["bash", str(SERVER_SCRIPTS / "stop.sh"), str(self.work)], capture_output=True, timeout=120)
        deadline = time.monotonic() + 60  # stop.sh sends SIGTERM; wait for letta to let go of its port
        for pid in pids:
            while time.monotonic() < deadline:
                if not _alive(pid):
                    break
                time.sleep(0.2)
        self._release()

    def log_tail(self, n: int = 30) -> str:
        """The end of the letta server's log (for failure messages)."""
        return _tail(self.work / "letta-server.log", n)

    # ------------------------------------------------------------------ REST helpers

    def import_af(self, data: bytes, name: str = "agent.af") -> httpx.Response:
        """``POST /v1/agents/import`` (multipart ``file``; ``append_copy_suffix=false`` keeps names)."""
        assert self.client is not None
        return self.client.post("/v1/agents/import", files={"file": (name, data, "application/json")},
                                data={"append_copy_suffix": "false"})

    def agent(self, agent_id: str) -> dict[str, Any]:
        """``GET /v1/agents/{id}`` (an ``AgentState``)."""
        assert self.client is not None
        r = self.client.get(f"/v1/agents/{agent_id}")
        r.raise_for_status()
        return r.json()

    def messages(self, agent_id: str) -> list[dict[str, Any]]:
        """Every ``GET /v1/agents/{id}/messages`` item, oldest first (paged by ``after``)."""
        assert self.client is not None
        out: list[dict[str, Any]] = []
        after = None
        while True:
            params: dict[str, Any] = {"limit": 500, "order": "asc"}
            if after:
                params["after"] = after
            r = self.client.get(f"/v1/agents/{agent_id}/messages", params=params)
            r.raise_for_status()
            page = r.json()
            out += page
            if len(page) < 500:
                return out
            after = page[-1]["id"]

    def add_passage(self, agent_id: str, text: str, tags: list[str] | None = None,
                    created_at: str | None = None) -> httpx.Response:
        """``POST /v1/agents/{id}/archival-memory`` with ``{text, tags, created_at}``."""
        assert self.client is not None
        body: dict[str, Any] = {"text": text}
        if tags:
            body["tags"] = tags
        if created_at:
            body["created_at"] = created_at
        return self.client.post(f"/v1/agents/{agent_id}/archival-memory", json=body)

    def passages(self, agent_id: str) -> list[dict[str, Any]]:
        """``GET /v1/agents/{id}/archival-memory`` (up to 1000)."""
        assert self.client is not None
        r = self.client.get(f"/v1/agents/{agent_id}/archival-memory", params={"limit": 1000})
        r.raise_for_status()
        return r.json()


@pytest.fixture(scope="session")
def letta_server() -> Iterator[LettaServer]:
    """A real Letta 0.16.8 server for the whole test session (see the module docstring).

    Skips only when ``MEMCONV_SKIP_LETTA=1``; a server that cannot start fails the tests.
    """
    if os.environ.get("MEMCONV_SKIP_LETTA") == "1":
        pytest.skip("MEMCONV_SKIP_LETTA=1: tests against a real Letta server are skipped")
    srv = LettaServer(Path(os.environ.get("MEMCONV_LETTA_DIR", DEFAULT_DIR)), os.environ.get("MEMCONV_LETTA_URL"))
    try:
        srv.start()
    except (RuntimeError, httpx.HTTPError, OSError, KeyError) as e:
        srv.stop()
        pytest.fail(f"cannot start the real Letta server: {e}", pytrace=False)
    try:
        yield srv
    finally:
        srv.stop()
