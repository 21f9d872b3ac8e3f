"""HTTP to live systems: one httpx client per system, with timeouts, bounded retries and safe errors.

* **Timeouts**: connect 10 s, read/write ``$MEMCONV_HTTP_TIMEOUT`` seconds (default 300: a Letta import
  of a large agent or an AgentMemory import of a 15 MiB part takes a while).
* **Retries**: at most ``$MEMCONV_HTTP_RETRIES`` (default 3) more tries, after 0.5 s, 1 s, 2 s...
  (``$MEMCONV_HTTP_BACKOFF``; ``Retry-After`` is honoured up to 30 s). Retried: a refused or timed-out
  connection and HTTP 429, for every request (the server did not act on it); HTTP 500/502/503/504 and a
  connection lost mid-answer only for requests that are safe to repeat (GET, PUT, DELETE, and calls
  marked ``idempotent=True``), so that a retry never writes a record twice.
* **Errors** are :class:`RemoteError` (exit 9) naming the method, the URL and the status, with the
  start of the server's answer; a refused token names the variable or option it came from.
* **Secrets**: tokens go in a header only; :func:`register_secret` records each one and
  :func:`redact` replaces it with ``***`` in every message memconv builds (the CLI also redacts what
  it prints). Headers are never logged.

Tests may wrap the network layer: :data:`TRANSPORT_WRAPPER`, when set, is called with the httpx
transport memconv would use and returns the one to use (to fail the Nth request, say).
"""

from __future__ import annotations

import os
import random
import time
from typing import Any, Callable

import httpx

from .errors import RemoteError

_SECRETS: set[str] = set()

TRANSPORT_WRAPPER: Callable[[httpx.BaseTransport], httpx.BaseTransport] | None = None
"""Test hook: wraps the httpx transport of every :class:`Transport` created while it is set."""

RETRY_STATUSES = (500, 502, 503, 504)
MAX_RETRY_AFTER = 30.0
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "PUT", "DELETE")


def register_secret(value: str | None) -> None:
    """Remember a secret so that :func:`redact` hides it (values shorter than 4 characters are
    ignored: hiding them would mangle ordinary words)."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def registered_secrets() -> list[str]:
    """The secrets :func:`register_secret` has been given in this process (a ``--jobs`` worker hands them to
    its parent, which registers them in turn)."""
    return sorted(_SECRETS)


def redact(text: Any) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    s = str(text)
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in s:
            s = s.replace(secret, "***")
    return s


class HTTPError(RemoteError):
    """A live system answered with an error status (exit 9). ``status`` is the HTTP status (0 when
    there was no answer) and ``url`` the request's URL."""

    def __init__(self, message: str, status: int = 0, url: str = ""):
        super().__init__(redact(message))
        self.status = status
        self.url = url


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def _snippet(resp: httpx.Response, n: int = 300) -> str:
    try:
        text = resp.text
    except Exception:  # undecodable body
        return ""
    text = " ".join(text.split())
    return text[:n] + ("..." if len(text) > n else "")


class Transport:
    """An httpx client for one live system.

    Args:
        base_url: ``http(s)://host[:port][/prefix]``.
        token: sent as ``Authorization: <auth_scheme> <token>`` (None: no header).
        auth_scheme: ``Bearer`` (Letta, AgentMemory) or ``Token`` (mem0 Platform).
        token_hint: where a token comes from, for the message of a 401/403
            (``"AGENTMEMORY_SECRET or --target-token"``).
        label: the address as the user wrote it, for messages.
        retries / backoff / timeout: see the module docstring (None: the environment or the default).
    """

    def __init__(self, base_url: str, token: str | None = None, *, auth_scheme: str = "Bearer",
                 token_hint: str = "", label: str = "", retries: int | None = None,
                 backoff: float | None = None, timeout: float | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        register_secret(token)
        self.base_url = base_url.rstrip("/")
        self.label = label or self.base_url
        self.token_hint = token_hint
        self.retries = int(_env_float("MEMCONV_HTTP_RETRIES", 3)) if retries is None else retries
        self.backoff = _env_float("MEMCONV_HTTP_BACKOFF", 0.5) if backoff is None else backoff
        read = _env_float("MEMCONV_HTTP_TIMEOUT", 300.0) if timeout is None else timeout
        self.sleep = sleep
        headers = {"User-Agent": "memconv", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"{auth_scheme} {token}"
        transport: httpx.BaseTransport = httpx.HTTPTransport()
        if TRANSPORT_WRAPPER is not None:
            transport = TRANSPORT_WRAPPER(transport)
        self.client = httpx.Client(base_url=self.base_url, headers=headers, transport=transport,
                                   timeout=httpx.Timeout(read, connect=min(10.0, read)), follow_redirects=False)
        self.requests = 0

    # ------------------------------------------------------------------ requests

    def request(self, method: str, path: str, *, params: Any = None, json: Any = None, content: bytes | None = None,
                data: Any = None, files: Any = None, headers: dict[str, str] | None = None,
                idempotent: bool | None = None, ok: tuple[int, ...] = (200, 201, 204)) -> httpx.Response:
        """Send a request, retrying as the module docstring says; return the response.

        Raises:
            HTTPError: a status outside ``ok`` (after retries), or no answer after every try.
        """
        method = method.upper()
        safe = method in SAFE_METHODS if idempotent is None else idempotent
        url = f"{self.base_url}{path}"
        attempt = 0
        while True:
            attempt += 1
            self.requests += 1
            try:
                resp = self.client.request(method, path, params=params, json=json, content=content, data=data,
                                           files=files, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:
                if attempt <= self.retries:
                    self._wait(attempt, None)
                    continue
                raise HTTPError(f"{method} {url}: cannot connect ({_reason(e)}) after {attempt} "
                                f"tr{'y' if attempt == 1 else 'ies'}; is the server running?", 0, url) from None
            except (httpx.ReadTimeout, httpx.WriteTimeout) as e:
                if safe and attempt <= self.retries:
                    self._wait(attempt, None)
                    continue
                raise HTTPError(f"{method} {url}: no answer in time ({_reason(e)}; raise $MEMCONV_HTTP_TIMEOUT, "
                                f"now {self.client.timeout.read:.0f}s)", 0, url) from None
            except httpx.TransportError as e:
                if safe and attempt <= self.retries:
                    self._wait(attempt, None)
                    continue
                raise HTTPError(f"{method} {url}: connection failed ({_reason(e)})", 0, url) from None
            if resp.status_code in ok:
                return resp
            retry = resp.status_code == 429 or (safe and resp.status_code in RETRY_STATUSES)
            if retry and attempt <= self.retries:
                self._wait(attempt, resp.headers.get("Retry-After"))
                continue
            raise self._status_error(method, url, resp)

    def json(self, method: str, path: str, **kw: Any) -> Any:
        """:meth:`request`, then the answer parsed as JSON.

        Raises:
            HTTPError: as :meth:`request`, or an answer that is not JSON.
        """
        resp = self.request(method, path, **kw)
        if resp.status_code == 204 or not resp.content:
            return None
        try:
            return resp.json()
        except ValueError:
            raise HTTPError(f"{method.upper()} {self.base_url}{path}: the answer is not JSON "
                            f"(HTTP {resp.status_code}: {_snippet(resp, 120)})", resp.status_code,
                            f"{self.base_url}{path}") from None

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff * (2 ** (attempt - 1))
        if retry_after:
            try:
                delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER))
            except ValueError:
                pass
        delay = min(delay, MAX_RETRY_AFTER) * (0.9 + 0.2 * random.random())
        if delay > 0:
            self.sleep(delay)

    def _status_error(self, method: str, url: str, resp: httpx.Response) -> HTTPError:
        status = resp.status_code
        reason = resp.reason_phrase or ""
        if status in (401, 403):
            where = f"; check {self.token_hint}" if self.token_hint else ""
            got = "the token was refused" if "Authorization" in self.client.headers else "no token was sent"
            return HTTPError(f"{method} {url}: HTTP {status} {reason} ({got}{where})", status, url)
        body = _snippet(resp)
        return HTTPError(f"{method} {url}: HTTP {status} {reason}" + (f": {body}" if body else ""), status, url)

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()

    def __enter__(self) -> "Transport":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _reason(e: Exception) -> str:
    text = str(e) or type(e).__name__
    return redact(" ".join(text.split()))


__all__ = ["HTTPError", "TRANSPORT_WRAPPER", "Transport", "redact", "register_secret"]
