"""The Letta REST client: the few calls memconv makes of a Letta server (0.16.x, all paths under
``/v1``), over :class:`memconv.transport.Transport` (retries, timeouts, one-line errors). Pull and
push (:mod:`.live`) build on it.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from memconv.errors import RemoteError
from memconv.remote import RemoteURL, resolve_token
from memconv.transport import HTTPError, Transport

PAGE = 100
"""Page size of the listings (agents, passages, messages)."""


class LettaAPI:
    """The few Letta REST calls memconv makes (all paths under ``/v1``)."""

    def __init__(self, url: RemoteURL, token: str | None, direction: str):
        self.url = url
        self.t = Transport(url.base_url, token, auth_scheme="Bearer", label=url.display,
                           token_hint=f"LETTA_API_KEY or --{direction}-token")

    def close(self) -> None:
        self.t.close()

    def agent(self, agent_id: str) -> dict[str, Any]:
        try:
            return self.t.json("GET", f"/v1/agents/{agent_id}")
        except HTTPError as e:
            if e.status == 404:
                raise RemoteError(f"{self.url.display}: no agent {agent_id!r} on the server") from None
            raise

    def agents(self, name: str | None = None) -> list[dict[str, Any]]:
        """Every agent (or those named ``name``), oldest first, paged with ``after``."""
        out: list[dict[str, Any]] = []
        after = None
        while True:
            params: dict[str, Any] = {"limit": PAGE, "order": "asc", "order_by": "created_at"}
            if after:
                params["after"] = after
            if name is not None:
                params["name"] = name
            page = self.t.json("GET", "/v1/agents/", params=params)
            if not isinstance(page, list):
                raise RemoteError(f"{self.url.display}: GET /v1/agents/ did not answer a list of agents")
            new = [a for a in page if isinstance(a, dict) and a.get("id") not in {o["id"] for o in out}]
            out += new
            if len(page) < PAGE or not new:
                break
            after = page[-1]["id"]
        if name is not None:
            out = [a for a in out if a.get("name") == name]
        return out

    def export(self, agent_id: str) -> dict[str, Any]:
        doc = self.t.json("GET", f"/v1/agents/{agent_id}/export")
        if isinstance(doc, str):  # a double-encoded answer
            doc = json.loads(doc)
        if not isinstance(doc, dict) or not isinstance(doc.get("agents"), list):
            raise RemoteError(f"{self.url.display}: GET /v1/agents/{agent_id}/export did not answer an "
                              f"AgentFileSchema document")
        return doc

    def _paged(self, path: str, params: dict[str, Any], size: int = PAGE, short_ends: bool = True
               ) -> Iterator[dict[str, Any]]:
        """Every item of a listing paged with ``after`` (the last item's id). ``short_ends``: a page shorter
        than ``size`` is the last one; the message listing is not like that (``limit`` counts stored
        messages, and each becomes zero, one or several REST messages), so it ends on an empty page."""
        after = None
        seen: set[str] = set()
        while True:
            q = {**params, "limit": size}
            if after:
                q["after"] = after
            page = self.t.json("GET", path, params=q)
            if isinstance(page, dict) and isinstance(page.get("messages"), list):
                page = page["messages"]
            if not isinstance(page, list):
                raise RemoteError(f"{self.url.display}: GET {path} did not answer a list")
            fresh = 0
            for item in page:
                key = f"{item.get('id')}/{item.get('message_type', '')}" if isinstance(item, dict) else ""
                if key in seen:
                    continue
                seen.add(key)
                fresh += 1
                yield item
            if not fresh or (short_ends and len(page) < size):
                return
            after = page[-1].get("id")

    def passages(self, agent_id: str) -> Iterator[dict[str, Any]]:
        return self._paged(f"/v1/agents/{agent_id}/archival-memory", {"ascending": "true"})

    def messages(self, agent_id: str) -> Iterator[dict[str, Any]]:
        return self._paged(f"/v1/agents/{agent_id}/messages", {"order": "asc"}, size=PAGE * 5, short_ends=False)

    def import_af(self, data: bytes, form: dict[str, str]) -> list[str]:
        res = self.t.json("POST", "/v1/agents/import", files={"file": ("memconv.af", data, "application/json")},
                          data=form)
        ids = res.get("agent_ids") if isinstance(res, dict) else None
        if not isinstance(ids, list):
            raise RemoteError(f"{self.url.display}: POST /v1/agents/import did not answer {{\"agent_ids\": [...]}}")
        return ids

    def delete_agent(self, agent_id: str) -> None:
        self.t.request("DELETE", f"/v1/agents/{agent_id}", ok=(200, 204, 404))  # 404: a retried delete did it

    def add_passage(self, agent_id: str, body: dict[str, Any]) -> None:
        self.t.request("POST", f"/v1/agents/{agent_id}/archival-memory", json=body)

    def patch_block(self, agent_id: str, label: str, body: dict[str, Any]) -> None:
        self.t.request("PATCH", f"/v1/agents/{agent_id}/core-memory/blocks/{label}", json=body, idempotent=True)

    def add_block(self, agent_id: str, body: dict[str, Any]) -> None:
        block = self.t.json("POST", "/v1/blocks/", json=body)
        self.t.request("PATCH", f"/v1/agents/{agent_id}/core-memory/blocks/attach/{block['id']}", idempotent=True)


def connect(url: RemoteURL, options: Any, direction: str) -> LettaAPI:
    """A client for ``url`` with the token of ``options`` (``--from-token``/``--to-token``), else the
    environment's (``LETTA_API_KEY``); ``direction``: ``from`` or ``to``, for the error hints."""
    return LettaAPI(url, resolve_token(url, options.extra.get("token")), direction)
