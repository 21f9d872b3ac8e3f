"""The real AgentMemory 0.9.29 worker for the tests: started once per test session, stopped at the end.

The worker is the one ``../shared/agentmemory-server/serve.sh DIR`` starts: the unmodified published
``@agentmemory/agentmemory@0.9.29`` (``dist/index.mjs``, from npm) over a small stand-in for its
native engine (the engine's key-value store and HTTP front). Its REST routes, import validation,
caps, strategies, audit entry and paged export are AgentMemory's own code; like the engine, the
stand-in drops a request or an answer over 16 MiB. node >= 20 and npm must be on ``PATH``.

Each worker gets a folder of its own under ``$MEMCONV_AGENTMEMORY_DIR`` (default
``/tmp/memconv-agentmemory``): ``work-<pid>-<n>/`` (log, pid, env) with a port picked by ``serve.sh``,
so two test sessions on one machine never share a store. The npm install (``cache/``) is made once
(``setup.sh`` locks it) and each worker folder gets a hard-linked copy, so only the first start
installs (about 20 s); later starts take a few seconds. ``../shared`` may be read-only: nothing is written there.

Environment:

* ``MEMCONV_AGENTMEMORY_URL=http://...``: use a worker that is already running (nothing is started,
  and the tests that restart a worker on a state file start their own).
* ``MEMCONV_AGENTMEMORY_DIR``: the parent folder (default ``/tmp/memconv-agentmemory``).

A worker that cannot start FAILS the tests that need it (never skips), with the tail of its log.

Use the :func:`agentmemory_server` fixture (imported in ``conftest.py``); it yields an
:class:`AgentMemoryWorker` whose store is emptied before each use with :meth:`AgentMemoryWorker.reset`.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import orjson
import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO.parent / "shared" / "agentmemory-server"
DEFAULT_DIR = "/tmp/memconv-agentmemory"
START_TIMEOUT = 900  # seconds: the first start runs npm install
_counter = itertools.count()


def _tail(path: Path, n: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return f"({path}: not there)"


class AgentMemoryWorker:
    """A running AgentMemory 0.9.29 worker: ``url``, an ``httpx.Client`` (``client``), REST helpers.

    Args:
        secret: ``AGENTMEMORY_SECRET`` for the worker (then every route wants ``Bearer <secret>``).
        state_file: ``AGENTMEMORY_STATE_FILE``: the store is saved there (every 0.5 s) and loaded on start.
        url: a worker that already runs (then :meth:`start` and :meth:`stop` do nothing).
    """

    def __init__(self, secret: str | None = None, state_file: Path | None = None, url: str | None = None):
        parent = Path(os.environ.get("MEMCONV_AGENTMEMORY_DIR", DEFAULT_DIR))
        self.parent = parent
        self.work = parent / f"work-{os.getpid()}-{next(_counter)}"
        self.secret = secret
        self.state_file = state_file
        self.url = url
        self.external = url is not None
        self.client: httpx.Client | None = None
        self.started_in: float | None = None

    # ------------------------------------------------------------------ life

    def start(self) -> "AgentMemoryWorker":
        """Run ``serve.sh`` into this worker's own folder and wait until ``/agentmemory/livez`` answers.

        Raises:
            RuntimeError: the worker did not come up; the message holds the tail of its logs.
        """
        if not self.external:
            self.work.mkdir(parents=True, exist_ok=True)
            self._cache()
            env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTMEMORY_", "III_"))}
            if self.secret:
                env["AGENTMEMORY_SECRET"] = self.secret
            if self.state_file:
                env["AGENTMEMORY_STATE_FILE"] = str(self.state_file)
            log = self.work / "serve.log"
            t0 = time.monotonic()
            with open(log, "wb") as fh:  # a file, not a pipe: the worker outlives serve.sh
                try:
                    rc = subprocess.run(["bash", str(SCRIPTS / "serve.sh"), str(self.work)], stdout=fh,
                                        stderr=subprocess.STDOUT, env=env, cwd=self.work,
                                        timeout=START_TIMEOUT).returncode
                except (subprocess.TimeoutExpired, OSError) as e:
                    rc = f"{type(e).__name__}: {e}"
            self.started_in = time.monotonic() - t0
            envf = self.work / "env"
            if rc != 0 or not envf.exists():
                self.stop()
                raise RuntimeError(f"the AgentMemory worker did not start (serve.sh: {rc}, {self.started_in:.0f}s, "
                                   f"folder {self.work}).\n--- serve.log ---\n{_tail(log)}\n--- worker.log ---\n"
                                   f"{_tail(self.work / 'worker.log')}")
            self.url = envf.read_text().split("AGENTMEMORY_URL=", 1)[1].split()[0]
        headers = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        self.client = httpx.Client(base_url=self.url or "", timeout=300, headers=headers)
        r = self.client.get("/agentmemory/livez")
        if r.status_code != 200:
            raise RuntimeError(f"{self.url}/agentmemory/livez answered {r.status_code}: {r.text[:300]}")
        return self

    def _cache(self) -> None:
        """Give the worker's folder a ``cache/`` (the npm install): ``setup.sh`` into the shared
        ``cache/`` once, then a hard-linked copy of it (``cp -al``: no second install, and real folders,
        since ``setup.sh`` checks that the worker resolves ``iii-sdk`` to its own path)."""
        cache = self.parent / "cache"
        if (self.work / "cache").exists():
            return
        self.parent.mkdir(parents=True, exist_ok=True)
        log = self.parent / "setup.log"
        with open(log, "ab") as fh:
            rc = subprocess.run(["bash", str(SCRIPTS / "setup.sh"), str(cache)], stdout=fh, stderr=subprocess.STDOUT,
                                timeout=START_TIMEOUT).returncode
        if rc != 0:
            raise RuntimeError(f"setup.sh {cache} failed (exit {rc}):\n{_tail(log)}")
        rc = subprocess.run(["cp", "-al", str(cache), str(self.work / "cache")], capture_output=True).returncode
        if rc != 0:
            subprocess.run(["cp", "-a", str(cache), str(self.work / "cache")], check=True, capture_output=True)

    def stop(self) -> None:
        """Stop the worker (``stop.sh``: its process group) and wait until its pid is gone."""
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.external:
            return
        pidf = self.work / "pid"
        pid = int(pidf.read_text()) if pidf.exists() and pidf.read_text().strip().isdigit() else None
        subprocess.run(["bash", str(SCRIPTS / "stop.sh"), str(self.work)], capture_output=True, timeout=60)
        deadline = time.monotonic() + 30
        while pid and time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.1)
        if self.work.exists():  # the logs stay; the copy of the install goes
            for sub in ("cache", "home", "tmp"):
                shutil.rmtree(self.work / sub, ignore_errors=True)

    def kill(self) -> None:
        """SIGKILL the worker (a crash: no answer is finished), as :meth:`stop` otherwise."""
        pidf = self.work / "pid"
        if pidf.exists():
            try:
                os.killpg(int(pidf.read_text()), 9)
            except OSError:
                pass
        self.stop()

    def __enter__(self) -> "AgentMemoryWorker":
        if self.client is not None:  # started already (start_worker)
            return self
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def log_tail(self, n: int = 30) -> str:
        """The end of the worker's log (for failure messages)."""
        return _tail(self.work / "worker.log", n)

    # ------------------------------------------------------------------ REST

    def import_(self, doc: dict[str, Any] | bytes, strategy: str = "merge") -> dict[str, Any]:
        """``POST /agentmemory/import`` ``{exportData, strategy}``; the JSON answer (any status)."""
        assert self.client is not None
        data = doc if isinstance(doc, bytes) else orjson.dumps(doc)
        body = b'{"exportData":' + data + b',"strategy":' + orjson.dumps(strategy) + b"}"
        r = self.client.post("/agentmemory/import", content=body, headers={"Content-Type": "application/json"})
        return r.json() | {"status": r.status_code}

    def export(self, **params: Any) -> dict[str, Any]:
        """``GET /agentmemory/export`` (``maxSessions``, ``offset``) as it answers."""
        assert self.client is not None
        r = self.client.get("/agentmemory/export", params=params)
        r.raise_for_status()
        return r.json()

    def reset(self) -> None:
        """Empty the store: an empty ``replace`` import (AgentMemory's replace deletes every collection
        its export lists before it writes)."""
        res = self.import_({"version": "0.9.29", "exportedAt": "2026-01-01T00:00:00.000Z", "sessions": [],
                            "observations": {}, "memories": [], "summaries": []}, "replace")
        assert res.get("success") is True, res

    def counts(self) -> dict[str, int]:
        """Records per collection of the whole store, read collection by collection (no full export:
        a store may be past the export's frame limit): sessions, observations, memories, summaries."""
        assert self.client is not None
        sessions = self.client.get("/agentmemory/sessions").json()["sessions"]
        obs = sum(len(self.client.get("/agentmemory/observations", params={"sessionId": s["id"]}).json()
                      ["observations"]) for s in sessions)
        mems = self.client.get("/agentmemory/memories", params={"count": "true"}).json()["total"]
        return {"sessions": len(sessions), "observations": obs, "memories": mems,
                "summaries": sum(1 for s in sessions if s.get("summary"))}


def start_worker(**kw: Any) -> AgentMemoryWorker:
    """A started :class:`AgentMemoryWorker`, or ``pytest.fail`` (never skip) with the log tail."""
    w = AgentMemoryWorker(**kw)
    try:
        return w.start()
    except (RuntimeError, httpx.HTTPError, OSError, KeyError, IndexError) as e:
        w.stop()
        pytest.fail(f"cannot start the real AgentMemory worker: {e}", pytrace=False)


@pytest.fixture(scope="session")
def agentmemory_worker() -> Iterator[AgentMemoryWorker]:
    """One real AgentMemory 0.9.29 worker (no secret) for the whole session (see the module docstring)."""
    w = start_worker(url=os.environ.get("MEMCONV_AGENTMEMORY_URL"))
    try:
        yield w
    finally:
        w.stop()


@pytest.fixture
def agentmemory_server(agentmemory_worker: AgentMemoryWorker) -> AgentMemoryWorker:
    """The session's real worker with an empty store."""
    agentmemory_worker.reset()
    return agentmemory_worker
