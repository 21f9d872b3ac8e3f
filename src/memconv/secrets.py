"""Blanking secrets on the way through: tool environment variables, agent secrets, MCP credentials,
credentials in URLs and secret-named keys of configuration metadata.

Letta blanks secret values on export (values become ``""``, keys stay) and strips MCP tokens; memconv
does the same on every write unless ``--keep-secrets``, whatever the source, and counts what it
blanked (``report.info["secrets_blanked"]``). Keys are kept so a user can supply the values again
(Letta's import takes them in its ``secrets`` form field).

What is blanked, per record (:func:`blank`):

* agent: ``secrets`` values; Letta extras ``secrets`` and ``tool_exec_environment_variables`` (dict or
  list-of-``{key, value}`` form); in ``metadata``, ``llm_config``, ``embedding_config`` and the other
  Letta extras, the value of every key named like a secret (:func:`is_secret_key`) and the credentials
  of every URL (:func:`blank_url`);
* MCP server: ``server_url`` credentials; extras ``token``, ``custom_headers``... (removed),
  ``stdio_config.env`` values, secret-named keys and URLs of the other extras;
* skill: ``source_url`` credentials; source and tool: secret-named keys and URLs of ``metadata`` and
  extras.

Memories, passages, messages and blocks are the user's own text and are left as they are.

Whether blanked or kept (``--keep-secrets``), every value met in a secret-bearing place is registered
with :func:`memconv.transport.register_secret`, so no message or report prints it.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Iterator
from urllib.parse import unquote, urlsplit, urlunsplit

from .model import is_marker
from .report import Report
from .transport import register_secret

MCP_SECRET_KEYS = ("token", "custom_headers", "auth_token", "api_key", "headers")

_SECRET_KEY_RE = re.compile(
    r"(?:^|[_\-.])(?:api[_\-]?key|apikey|key|token|access[_\-]?token|refresh[_\-]?token|auth[_\-]?token|"
    r"secret|secrets|client[_\-]?secret|password|passwd|pwd|passphrase|credential|credentials|auth|"
    r"authorization|private[_\-]?key|custom[_\-]?headers|tool[_\-]exec[_\-]environment[_\-]variables)$",
    re.IGNORECASE)


def is_secret_key(name: Any) -> bool:
    """True when a key or query parameter is named like a secret: ``api_key``, ``token``, ``key``,
    ``secret``, ``password``, ``authorization``... alone or as the last word (``OPENAI_API_KEY``,
    ``github-token``, ``db.password``); ``max_tokens`` or ``token_count`` are not."""
    return isinstance(name, str) and bool(_SECRET_KEY_RE.search(name.strip()))


def blank_url(url: Any) -> tuple[Any, int]:
    """``url`` without credentials: the user information (``user:PASS@``) removed and the value of
    every secret-named query parameter (``?api_key=KEY``) blanked; other parts are kept byte for byte.

    Returns:
        ``(url, n)``: the blanked URL and how many credentials it held (``url`` itself when none, or
        when it is not a string).
    """
    if not isinstance(url, str) or "://" not in url and "?" not in url:
        return url, 0
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, 0
    n = 0
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        for piece in userinfo.split(":", 1):
            register_secret(unquote(piece))
        netloc = host
        n += 1
    query = parts.query
    if query:
        out = []
        for pair in query.split("&"):
            key, eq, value = pair.partition("=")
            if eq and value and is_secret_key(unquote(key)):
                register_secret(unquote(value))
                pair = key + "="
                n += 1
            out.append(pair)
        query = "&".join(out)
    if not n:
        return url, 0
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)), n


def blank_named(value: Any, *, secret: bool = False) -> tuple[Any, int]:
    """``value`` (JSON) with the value of every secret-named key blanked (strings become ``""``, the
    strings inside an object or list under such a key too) and the credentials of every URL string
    removed (:func:`blank_url`).

    Returns:
        ``(value, n)``: the blanked copy (``value`` itself when nothing changed) and the count.
    """
    if isinstance(value, dict):
        n, out = 0, {}
        for k, v in value.items():
            out[k], m = blank_named(v, secret=secret or is_secret_key(k))
            n += m
        return (out, n) if n else (value, 0)
    if isinstance(value, list):
        n, items = 0, []
        for v in value:
            b, m = blank_named(v, secret=secret)
            items.append(b)
            n += m
        return (items, n) if n else (value, 0)
    if isinstance(value, str):
        if secret:
            if value == "":
                return value, 0
            register_secret(value)
            return "", 1
        return blank_url(value)
    return value, 0


def _blank_mapping(d: dict[str, Any]) -> tuple[dict[str, Any], int]:
    n = 0
    for v in d.values():
        if v not in (None, ""):
            register_secret(str(v))
            n += 1
    return {k: "" for k in d}, n


def _blank_env(env: Any) -> tuple[Any, int]:
    if isinstance(env, dict):
        return _blank_mapping(env)
    if isinstance(env, list):
        n, out = 0, []
        for e in env:
            if isinstance(e, dict) and e.get("value") not in (None, ""):
                register_secret(str(e["value"]))
                n += 1
                e = {**e, "value": ""}
            out.append(e)
        return out, n
    return env, 0


_AGENT_SECRET_EXTRAS = ("secrets", "tool_exec_environment_variables")


def _blank_record(item: Any) -> tuple[Any, int]:
    """One record with its secrets blanked, and the count (the record itself when none)."""
    kind = getattr(item, "kind", None)
    total = 0
    update: dict[str, Any] = {}

    def named(field: str) -> None:
        nonlocal total
        value, n = blank_named(getattr(item, field))
        if n:
            update[field] = value
            total += n

    def extras(skip: tuple[str, ...] = ()) -> dict[str, Any] | None:
        nonlocal total
        ex = item.extras.get("letta")
        if not ex:
            return None
        rest, n = blank_named({k: v for k, v in ex.items() if k not in skip and not is_marker(k)})
        if not n:
            return None
        total += n
        return {**ex, **rest}

    if kind == "agent":
        if item.secrets:
            update["secrets"], n = _blank_mapping(item.secrets)
            total += n
        for field in ("metadata", "llm_config", "embedding_config"):
            named(field)
        ex = extras(_AGENT_SECRET_EXTRAS) or item.extras.get("letta")
        if ex and any(k in ex for k in _AGENT_SECRET_EXTRAS):
            ex = dict(ex)
            for key in _AGENT_SECRET_EXTRAS:
                if key in ex:
                    ex[key], n = _blank_env(ex[key])
                    total += n
        if ex is not item.extras.get("letta"):
            update["extras"] = {**item.extras, "letta": ex}
    elif kind == "mcp_server":
        url, n = blank_url(item.server_url)
        if n:
            update["server_url"] = url
            total += n
        ex = item.extras.get("letta")
        if ex:
            ex = dict(ex)
            for key in MCP_SECRET_KEYS:
                value = ex.pop(key, None)
                if value not in (None, "", {}):
                    blank_named(value, secret=True)  # registers it
                    total += 1
            stdio = ex.get("stdio_config")
            if isinstance(stdio, dict) and isinstance(stdio.get("env"), dict):
                env, n = _blank_mapping(stdio["env"])
                ex["stdio_config"] = {**stdio, "env": env}
                total += n
            rest, n = blank_named({k: v for k, v in ex.items() if k != "stdio_config" and not is_marker(k)})
            ex.update(rest)
            total += n
            update["extras"] = {**item.extras, "letta": ex}
    elif kind == "skill":
        url, n = blank_url(item.source_url)
        if n:
            update["source_url"] = url
            total += n
    elif kind in ("source", "tool"):
        if kind == "source":
            named("metadata")
        ex = extras()
        if ex is not None:
            update["extras"] = {**item.extras, "letta": ex}
    if not update:
        return item, total
    return item.model_copy(update=update), total


def blank(items: Iterable[Any], report: Report, *, keep: bool = False) -> Iterator[Any]:
    """Yield ``items`` with secret values blanked; count them in ``report.info["secrets_blanked"]``.

    With ``keep`` (``--keep-secrets``) the records pass unchanged, but their secret values are still
    registered for redaction, so that no message or report prints them. What is blanked: see the
    module docstring.
    """
    total = report.info.get("secrets_blanked", 0)
    for item in items:
        blanked, n = _blank_record(item)
        if not keep:
            item = blanked
            total += n
            report.info["secrets_blanked"] = total
        yield item
