"""Live systems named by URL, wherever a file can be named (as an input, or as ``-o``).

Addresses:

* ``letta+http://HOST:PORT`` (every agent of the server) and ``letta+http://HOST:PORT/agents/AGENT_ID``
  (one agent). A path before ``/agents`` is kept as the API's prefix (a trailing ``/v1`` is dropped:
  memconv adds it).
* ``agentmemory+http://HOST:PORT`` (the REST base; a trailing ``/agentmemory`` is dropped).
* ``mem0+https://HOST`` (the hosted Platform API) and ``mem0+config:PATH`` (a self-hosted store,
  reached through the mem0ai library with the user's mem0 config file, JSON or YAML).
* ``+https`` works wherever ``+http`` does.

Tokens never go in the URL (a URL with ``user:password@`` is refused, so that it cannot end up in a
message or a report). They come from ``--source-token`` / ``--target-token``, else from the
environment: ``LETTA_API_KEY``, ``AGENTMEMORY_SECRET``, ``MEM0_API_KEY`` (:func:`resolve_token`).
Every token memconv uses is registered with :func:`memconv.transport.register_secret`, and every
message memconv prints passes through :func:`memconv.transport.redact`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import UsageError

SYSTEMS = ("letta", "agentmemory", "mem0")
TOKEN_ENV = {"letta": "LETTA_API_KEY", "agentmemory": "AGENTMEMORY_SECRET", "mem0": "MEM0_API_KEY"}
"""The environment variable each system's token is read from."""

_SPEC = re.compile(r"^(letta|agentmemory|mem0)\+(https?|config):", re.IGNORECASE)
_AGENT = re.compile(r"^(?P<prefix>.*?)/agents(?:/(?P<id>[^/]+))?/?$")


def is_remote(spec: Any) -> bool:
    """True when ``spec`` is a string naming a live system (``letta+http://...``, ``mem0+config:...``)."""
    return isinstance(spec, str) and bool(_SPEC.match(spec))


@dataclass(frozen=True)
class RemoteURL:
    """A parsed live-system address.

    Attributes:
        system: ``letta``, ``agentmemory`` or ``mem0``.
        transport: ``http``, ``https`` or ``config``.
        base_url: ``http(s)://host[:port][/prefix]`` without a trailing slash (``""`` for ``config``).
        agent_id: the agent of a ``letta+.../agents/ID`` address, else None.
        config_path: the mem0 config file of ``mem0+config:PATH``, else None.
        spec: the address as given (it never holds a token).
    """

    system: str
    transport: str
    base_url: str = ""
    agent_id: str | None = None
    config_path: str | None = None
    spec: str = ""

    @property
    def display(self) -> str:
        """The address for messages."""
        return self.spec

    @property
    def token_env(self) -> str:
        """The environment variable this system's token comes from."""
        return TOKEN_ENV[self.system]

    def __str__(self) -> str:
        return self.spec


def parse(spec: str) -> RemoteURL:
    """Parse a live-system address (see the module docstring).

    Raises:
        UsageError: not such an address, a token in it, a query string, an unknown path, a bad port.
    """
    m = _SPEC.match(spec or "")
    if not m:
        raise UsageError(f"{spec!r}: not a live-system address; expected letta+http://HOST:PORT[/agents/ID], "
                         f"agentmemory+http://HOST:PORT, mem0+https://HOST or mem0+config:PATH")
    system, transport = m.group(1).lower(), m.group(2).lower()
    rest = spec[m.end():]
    if transport == "config":
        if system != "mem0":
            raise UsageError(f"{spec}: only mem0 is reached through a config file (mem0+config:PATH)")
        path = rest[2:] if rest.startswith("//") else rest
        if not path:
            raise UsageError(f"{spec}: name the mem0 config file: mem0+config:PATH")
        return RemoteURL(system, transport, config_path=os.path.expanduser(path), spec=spec)
    try:
        parts = urlsplit(f"{transport}:{rest}")
        port = parts.port
    except ValueError as e:
        raise UsageError(f"{spec}: bad address ({e})") from None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UsageError(f"{system}+{transport}://...: a token or password in the address is refused (it would be "
                         f"printed and logged); set {TOKEN_ENV[system]} or use --source-token/--target-token")
    if not parts.hostname:
        raise UsageError(f"{spec}: no host; expected {system}+{transport}://HOST[:PORT]")
    if parts.query or parts.fragment:
        raise UsageError(f"{spec}: a query string or fragment is not part of a memconv address")
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host + (f":{port}" if port is not None else "")
    path = parts.path.rstrip("/")
    agent_id = None
    if system == "letta":
        am = _AGENT.match(path)
        if am:
            path, agent_id = am.group("prefix"), am.group("id")
        if path.endswith("/v1"):
            path = path[:-3]
    elif system == "agentmemory":
        if path.endswith("/agentmemory"):
            path = path[: -len("/agentmemory")]
    else:
        for suffix in ("/v1", "/v2", "/v3"):
            if path.endswith(suffix):
                path = path[: -len(suffix)]
    return RemoteURL(system, transport, base_url=f"{transport}://{netloc}{path}", agent_id=agent_id, spec=spec)


def resolve_token(url: RemoteURL, explicit: str | None = None) -> str | None:
    """The token for ``url``: ``explicit`` (``--source-token``/``--target-token``) when given and not
    empty, else the system's environment variable (:data:`TOKEN_ENV`), else None. The token is
    registered for redaction."""
    from .transport import register_secret

    token = explicit if explicit else os.environ.get(url.token_env) or None
    if token:
        register_secret(token)
    return token


class RemoteInput:
    """An input that is a live system: what :class:`memconv.io.Input` offers the pipeline
    (``name``, ``path`` = None, ``size()``, ``close()``), plus the parsed :attr:`url`.

    Raises:
        UsageError: not a valid address (:func:`parse`).
    """

    is_dir = False
    path: Path | None = None

    def __init__(self, spec: str):
        self.spec = spec
        self.url = parse(spec)
        self.name = self.url.display

    def size(self) -> int | None:
        """Unknown before pulling: None (the ``--max-bytes`` guard counts it as 0)."""
        return None

    def close(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return f"RemoteInput({self.spec!r})"


def note(options: Any, message: str) -> None:
    """Progress of a long pull or push on stderr (``memconv: ...``) when ``options.extra["progress"]``."""
    if options.extra.get("progress"):
        import sys

        from .transport import redact

        sys.stderr.write(f"memconv: {redact(message)}\n")
        sys.stderr.flush()


def staging_options(options: Any, path: str, *, jsonl: bool = False, **extra: Any) -> Any:
    """The :class:`~memconv.format.WriteOptions` a push gives its adapter's own writer for the staging
    file at ``path``: the push's report, target version, timestamp and ``--keep-secrets``, plus
    ``extra`` (``split=True``)."""
    from .format import WriteOptions

    return WriteOptions(report=options.report, target_version=options.target_version, timestamp=options.timestamp,
                        jsonl=jsonl, output_path=path,
                        extra={"keep_secrets": options.extra.get("keep_secrets"), **extra})


def check_loss(options: Any, target: str) -> None:
    """Refuse to push when ``--fail-on-loss`` was given and the conversion lost something.

    Raises:
        LossRefused: naming the first loss; nothing has been sent.
    """
    from .errors import LossRefused

    report = options.report
    if options.extra.get("fail_on_loss") and report.has_loss:
        raise LossRefused(f"{target} cannot hold everything in the input ({report.format_losses()[0]}); "
                          f"nothing was sent (drop --fail-on-loss to accept the loss)")


class WriteLog:
    """What a push has written so far, for the report and for :class:`~memconv.errors.PartialWrite`.

    ``add(what, n)`` counts written items (``"agents"``, ``"passages into 'x'"``...); ``steps`` keeps them
    in order. :meth:`fail` turns an error into a PartialWrite when anything was written.
    """

    def __init__(self, url: RemoteURL):
        self.url = url
        self.steps: dict[str, int] = {}

    def add(self, what: str, n: int = 1) -> None:
        if n:
            self.steps[what] = self.steps.get(what, 0) + n

    @property
    def empty(self) -> bool:
        return not self.steps

    def describe(self) -> str:
        return "; ".join(f"{n} {what}" for what, n in self.steps.items()) or "nothing"

    def fail(self, error: Exception, hint: str, report: Any = None) -> Exception:
        """The exception to raise for ``error``: ``error`` itself when nothing was written, else a
        :class:`~memconv.errors.PartialWrite` saying what was written and how to finish (``hint``).

        The report's ``written`` then holds what the server confirmed (``<system>:<step>``, the steps of
        :meth:`add`), not what the push had prepared, which moves to ``info["prepared"]``; the request
        under way when the push failed may have been carried out by the server all the same (a server
        finishes a request whose client has gone), and the message says so."""
        from .errors import MemconvError, PartialWrite
        from .transport import redact

        if report is not None:
            report.info["remote_written"] = dict(self.steps)
            if report.written:  # counted as the push was prepared, not as the server took it
                report.info["prepared"] = dict(report.written)
                report.written.clear()
                report.written.update({f"{self.url.system}:{k}": n for k, n in self.steps.items()})
        if self.empty:
            return error
        msg = error.message if isinstance(error, MemconvError) else f"{type(error).__name__}: {error}"
        return PartialWrite(redact(f"{self.url.display}: the push failed part-way: {msg}. Written before the "
                                   f"failure: {self.describe()} (the request under way when it failed may have "
                                   f"been carried out as well). {hint}"))


__all__ = ["RemoteInput", "RemoteURL", "SYSTEMS", "TOKEN_ENV", "WriteLog", "check_loss", "is_remote", "note",
           "parse", "resolve_token"]
