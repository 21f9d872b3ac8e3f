"""Facts about Letta's agent file that both the reader and the writer use.

Sources: ``letta/schemas/agent_file.py`` and ``agent_serialization_manager.py`` at letta 0.16.8
(``56ba9c255``), summarised in ``shared/formats/letta-af.md`` sections 2 and 6.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from .revisions import REVISIONS

SYSTEM = "letta"
"""The system name in provenance and extras."""

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

KNOWN_REVISIONS = REVISIONS
"""``metadata.revision_id`` (alembic head) -> first Letta release that has it (None: a development
server's); the whole migration history, see :mod:`.revisions`."""

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


# ---------------------------------------------------------------- writing (AgentFileSchema, letta 0.16.8)

SIDECAR_SUFFIX = ".passages.jsonl"
"""Suffix of memconv's archival-passage sidecar beside an ``.af`` (``agent.af`` -> ``agent.passages.jsonl``)."""


SIDECAR_SHA256_KEY = "memconv_passages_sha256"
"""Key of the ``.af``'s top-level ``metadata`` (a ``Dict[str, str]`` in letta 0.16.8's
``AgentFileSchema``, which Letta's import ignores) holding the sha256 of the decoded bytes of the
passages sidecar written with it. The sidecar is committed before the ``.af``; a reader that finds a
sidecar whose hash differs knows the pair is mixed (a write was cut between the two renames, or one
file was replaced) and refuses it."""


def sidecar_path(af_path: str | Path) -> Path:
    """``agent.af`` -> ``agent.passages.jsonl`` beside it (``.af.gz`` and ``.json`` likewise).

    The sidecar holds what an ``.af`` cannot: archival passages (letta-af.md section 5), one JSON
    object per line. memconv's Letta reader reads it automatically; its writer writes it.
    """
    p = Path(af_path)
    name = p.name
    for suffix in (".gz",):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    stem = name.rsplit(".", 1)[0] if "." in name[1:] else name  # ".hidden" keeps its whole name
    return p.with_name(stem + SIDECAR_SUFFIX)


WRITE_VERSION = "0.16.8"
"""The AgentFileSchema the writer targets: letta 0.16.8 (the last release of the Python server)."""

WRITE_REVISION = "1c28e167b74f"
"""``metadata.revision_id`` written for files memconv builds (the alembic head of letta 0.16.8)."""

ID_RE = re.compile(r"^(agent|group|block|file|source|tool|mcp_server|message)-(\d+)$")
"""A file-local id as the importer accepts it (``_validate_id_format``: prefix, then an int)."""

TOP_LEVEL_ORDER = ("agents", "groups", "blocks", "files", "sources", "tools", "mcp_servers", "skills",
                   "metadata", "created_at")
"""Top-level keys in the order Letta's exporter writes them."""

# Keys of each v2 entity in the order letta 0.16.8's exporter writes them (the JSON Schema
# ``letta-0.16.8-agent-file.schema.json`` lists the same sets). Entities marked STRICT forbid any
# other key (pydantic ``extra="forbid"``); the others ignore extra keys.
V2_AGENT_KEYS = (
    "name", "memory_blocks", "tools", "tool_ids", "source_ids", "folder_ids", "block_ids", "tool_rules", "tags",
    "system", "agent_type", "llm_config", "embedding_config", "initial_message_sequence", "include_base_tools",
    "include_multi_agent_tools", "include_base_tool_rules", "include_default_source", "description", "metadata",
    "model", "embedding", "model_settings", "compaction_settings", "context_window_limit", "embedding_chunk_size",
    "max_tokens", "max_reasoning_tokens", "enable_reasoner", "reasoning", "from_template", "template", "project",
    "tool_exec_environment_variables", "secrets", "memory_variables", "project_id", "template_id",
    "base_template_id", "identity_ids", "message_buffer_autoclear", "enable_sleeptime", "response_format",
    "timezone", "max_files_open", "per_file_view_window_char_limit", "hidden", "parallel_tool_calls", "id",
    "in_context_message_ids", "messages", "files_agents", "group_ids",
)
V2_MESSAGE_KEYS = (
    "type", "role", "content", "name", "otid", "sender_id", "batch_item_id", "group_id", "id", "model", "agent_id",
    "tool_calls", "tool_call_id", "tool_returns", "created_at", "approve", "approval_request_id", "denial_reason",
    "approvals",
)
V2_BLOCK_KEYS = (
    "value", "limit", "project_id", "template_name", "is_template", "template_id", "base_template_id",
    "deployment_id", "entity_id", "preserve_on_migration", "label", "read_only", "description", "metadata",
    "hidden", "tags", "id",
)
V2_TOOL_KEYS = (  # STRICT
    "id", "tool_type", "description", "source_type", "name", "tags", "source_code", "json_schema",
    "args_json_schema", "return_char_limit", "pip_requirements", "npm_requirements", "default_requires_approval",
    "enable_parallel_execution", "created_by_id", "last_updated_by_id", "metadata_", "project_id",
)
V2_SOURCE_KEYS = ("name", "description", "instructions", "metadata", "embedding", "embedding_chunk_size",
                  "embedding_config", "id")  # STRICT
V2_FILE_KEYS = (  # STRICT
    "source_id", "file_name", "original_file_name", "file_path", "file_type", "file_size", "file_creation_date",
    "file_last_modified_date", "processing_status", "error_message", "total_chunks", "chunks_embedded",
    "content", "id",
)
V2_FILE_AGENT_KEYS = ("agent_id", "file_id", "source_id", "file_name", "is_open", "visible_content",
                      "last_accessed_at", "start_line", "end_line", "id")  # STRICT
V2_GROUP_KEYS = ("agent_ids", "description", "manager_config", "project_id", "shared_block_ids", "hidden", "id")
V2_MCP_KEYS = ("server_type", "server_name", "server_url", "stdio_config", "metadata_", "id")
V2_SKILL_KEYS = ("name", "files", "source_url")

TOOL_RULE_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # type -> (allowed keys besides tool_name/type/prompt_template, required ones); all STRICT
    "run_first": (("args",), ()),
    "exit_loop": ((), ()),
    "continue_loop": ((), ()),
    "required_before_exit": ((), ()),
    "requires_approval": ((), ()),
    "constrain_child_tools": (("children", "child_arg_nodes"), ("children",)),
    "parent_last_tool": (("children",), ("children",)),
    "conditional": (("default_child", "child_output_mapping", "require_output_mapping"), ("child_output_mapping",)),
    "max_count_per_step": (("max_count_limit",), ("max_count_limit",)),
}
"""Tool-rule types of letta 0.16.8 (``letta/schemas/tool_rule.py``) with their extra and required keys."""

LETTA_FREE_LLM_CONFIG = {
    "model": "letta-free", "display_name": None, "model_endpoint_type": "openai",
    "model_endpoint": "https://inference.letta.com/v1/", "provider_name": "letta", "provider_category": "base",
    "model_wrapper": None, "context_window": 30000, "put_inner_thoughts_in_kwargs": False,
    "handle": "letta/letta-free", "temperature": 1.0, "max_tokens": 4096, "enable_reasoner": False,
    "reasoning_effort": None, "max_reasoning_tokens": 0, "effort": None, "frequency_penalty": None,
    "compatibility_type": None, "verbosity": None, "tier": None, "parallel_tool_calls": False,
    "response_format": None, "strict": False, "return_logprobs": False, "top_logprobs": None,
    "return_token_ids": False, "tool_call_parser": None,
}
"""``llm_config`` of the ``letta/letta-free`` handle as a real 0.16.8 server returns it
(``GET /v1/agents/{id}``, fixtures/letta-rest/agent.support-desk.json). Every server registers that
handle, so agents memconv builds import anywhere; pick a model after import."""

ARCHIVAL_TOOL_NAMES = ["archival_memory_search", "archival_memory_insert"]
"""Built-in tools attached by name (``AgentSchema.tools``) to agents memconv builds around passages,
so the imported agent can search them (``letta_v1_agent``'s base tools do not include them)."""

_UNSAFE_NAME = re.compile(r"[^\w '\-]")


def safe_name(name: str | None) -> str:
    """An agent name Letta accepts (``^[\\w '\\-]+$``): other characters become ``_``; empty -> ``agent``."""
    if name and NAME_RE.match(name):
        return name
    out = _UNSAFE_NAME.sub("_", name or "").strip()
    return out if out and NAME_RE.match(out) else "agent"


def dedup(items: Iterable[str]) -> list[str]:
    """The non-empty strings of ``items``, each once, in their first order."""
    seen: dict[str, None] = {}
    for i in items:
        if isinstance(i, str) and i:
            seen.setdefault(i, None)
    return list(seen)


REVISION_ONLY = "$metadata_revision"
"""Header marker (:data:`memconv.model.MARKERS`): the agent file's ``metadata`` was only
``{"revision_id": <its revision>}``, which the header's ``source_format_version`` holds; the writer
puts it back, and no other format reports it lost."""
