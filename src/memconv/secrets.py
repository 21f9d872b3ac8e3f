"""Blanking secrets on the way through: tool environment variables, agent secrets, MCP credentials.

Letta blanks secret values on export (values become ``""``, keys stay) and strips MCP tokens; memconv
does the same on every write unless ``--keep-secrets``, whatever the source, and counts what it
blanked (``report.info["secrets_blanked"]``). Keys are kept so a user can supply the values again
(Letta's import takes them in its ``secrets`` form field).
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from .report import Report

MCP_SECRET_KEYS = ("token", "custom_headers", "auth_token", "api_key", "headers")


def _blank_mapping(d: dict[str, Any]) -> tuple[dict[str, Any], int]:
    n = sum(1 for v in d.values() if v not in (None, ""))
    return {k: "" for k in d}, n


def _blank_env(env: Any) -> tuple[Any, int]:
    if isinstance(env, dict):
        return _blank_mapping(env)
    if isinstance(env, list):
        n, out = 0, []
        for e in env:
            if isinstance(e, dict) and e.get("value") not in (None, ""):
                n += 1
                e = {**e, "value": ""}
            out.append(e)
        return out, n
    return env, 0


def blank(items: Iterable[Any], report: Report) -> Iterator[Any]:
    """Yield ``items`` with secret values blanked; count them in ``report.info["secrets_blanked"]``.

    Blanked: ``Agent.secrets`` values; Letta extras ``secrets`` and ``tool_exec_environment_variables``
    (dict or list-of-``{key, value}`` form); MCP server extras ``token``, ``custom_headers``...
    (removed) and ``stdio_config.env`` values.
    """
    total = report.info.get("secrets_blanked", 0)
    for item in items:
        kind = getattr(item, "kind", None)
        if kind == "agent":
            update: dict[str, Any] = {}
            if item.secrets:
                update["secrets"], n = _blank_mapping(item.secrets)
                total += n
            ex = item.extras.get("letta")
            if ex and any(k in ex for k in ("secrets", "tool_exec_environment_variables")):
                ex = dict(ex)
                for key in ("secrets", "tool_exec_environment_variables"):
                    if key in ex:
                        ex[key], n = _blank_env(ex[key])
                        total += n
                update["extras"] = {**item.extras, "letta": ex}
            if update:
                item = item.model_copy(update=update)
        elif kind == "mcp_server":
            ex = item.extras.get("letta")
            if ex:
                ex = dict(ex)
                for key in MCP_SECRET_KEYS:
                    if ex.pop(key, None) not in (None, "", {}):
                        total += 1
                stdio = ex.get("stdio_config")
                if isinstance(stdio, dict) and isinstance(stdio.get("env"), dict):
                    env, n = _blank_mapping(stdio["env"])
                    ex["stdio_config"] = {**stdio, "env": env}
                    total += n
                item = item.model_copy(update={"extras": {**item.extras, "letta": ex}})
        report.info["secrets_blanked"] = total
        yield item
