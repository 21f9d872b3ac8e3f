"""Facts about Letta's agent file that both the reader and the writer use.

Sources: ``letta/schemas/agent_file.py`` and ``agent_serialization_manager.py`` at letta 0.16.8
(``56ba9c255``), summarised in ``shared/formats/letta-af.md`` sections 2 and 6.
"""

from __future__ import annotations

import re

# Letta key -> canonical field, per entity of the current AgentFileSchema (v2).
AGENT_KEYS = {
    "name": "name", "description": "description", "system": "system", "agent_type": "agent_type",
    "llm_config": "llm_config", "embedding_config": "embedding_config", "model": "model",
    "embedding": "embedding", "tags": "tags", "tool_rules": "tool_rules", "tool_ids": "tool_ids",
    "block_ids": "block_ids", "source_ids": "source_ids", "group_ids": "group_ids",
    "in_context_message_ids": "in_context_message_ids", "secrets": "secrets", "metadata": "metadata",
}
BLOCK_KEYS = {"label": "label", "value": "value", "limit": "limit", "description": "description",
              "read_only": "read_only", "metadata": "metadata", "tags": "tags"}
TOOL_KEYS = {"name": "name", "description": "description", "tool_type": "tool_type",
             "source_type": "source_type", "source_code": "source_code", "json_schema": "json_schema",
             "tags": "tags"}
SOURCE_KEYS = {"name": "name", "description": "description", "instructions": "instructions",
               "metadata": "metadata", "embedding_config": "embedding_config"}
FILE_KEYS = {"source_id": "source_id", "file_name": "file_name", "file_type": "file_type",
             "content": "content"}
MCP_KEYS = {"server_name": "server_name", "server_type": "server_type", "server_url": "server_url"}
SKILL_KEYS = {"name": "name", "files": "files", "source_url": "source_url"}
GROUP_KEYS = {"agent_ids": "agent_ids", "description": "description", "manager_config": "manager_config"}
MESSAGE_KEYS = {"role": "role", "content": "content", "name": "name", "model": "model",
                "agent_id": "agent_id", "tool_calls": "tool_calls", "tool_call_id": "tool_call_id",
                "tool_returns": "tool_returns", "created_at": "created_at"}

TOP_LEVEL_LISTS = ("agents", "groups", "blocks", "files", "sources", "tools", "mcp_servers")
"""Top-level lists AgentFileSchema requires (``skills`` is optional, 0.16.5+)."""

ID_PREFIX = {"agent": "agent", "group": "group", "block": "block", "file": "file", "source": "source",
             "tool": "tool", "mcp_server": "mcp_server", "message": "message"}

KNOWN_REVISIONS = {
    "bc190ab9f": "0.8.16", "ffb17eb241fc": "0.11.4", "066857381578": "0.13.0", "f6cd5a1e519d": "0.13.0",
    "6756d04c3ddb": "0.13.0", "b1c2d3e4f5a6": "0.14.0", "ee2b43eea55e": "0.16.2", "308a180244fc": "0.16.4",
    "297e8217e952": "0.16.4", "3e54e2fa2f7e": "0.16.5", "b2c3d4e5f6a8": "0.16.5", "9fa274fb0b83": "0.16.7",
    "1c28e167b74f": "0.16.8",
}
"""``metadata.revision_id`` (alembic head) -> first Letta release that has it (letta-af.md section 1)."""

LEGACY_VERSIONS = ((0, 6, 40), (0, 11, 99))
"""Letta releases that wrote the legacy ``AgentSchema`` (export from 0.6.40, v2 default from 0.11.7)."""

NAME_RE = re.compile(r"^[\w '\-]+$")
"""Letta's agent name validator (``letta/schemas/agent.py``)."""

CORE_MEMORY_BLOCK_CHAR_LIMIT = 100000


def version_tuple(v: str) -> tuple[int, ...] | None:
    """``"0.6.47"`` -> ``(0, 6, 47)``; None when not dotted integers."""
    try:
        return tuple(int(p) for p in v.strip().lstrip("v").split("."))
    except (ValueError, AttributeError):
        return None
