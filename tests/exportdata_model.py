"""A strict pydantic model of AgentMemory 0.9.29 ``ExportData``, built from ``shared/formats/agentmemory.md``
section 1 (``src/types.ts``), used by the tests to check what memconv writes.

Strict on required keys and on types (no coercion: a number where a string belongs fails); extra
keys are allowed, as in real exports (``Session.updatedAt``) and as AgentMemory stores them.
This is a test oracle, independent of memconv's own writer code.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict

VERSIONS = tuple("""
0.3.0 0.4.0 0.5.0 0.6.0 0.6.1 0.7.0 0.7.2 0.7.3 0.7.4 0.7.5 0.7.6 0.7.7 0.7.9
0.8.0 0.8.1 0.8.2 0.8.3 0.8.4 0.8.5 0.8.6 0.8.7 0.8.8 0.8.9 0.8.10 0.8.11 0.8.12 0.8.13
0.9.0 0.9.1 0.9.2 0.9.3 0.9.4 0.9.5 0.9.6 0.9.7 0.9.8 0.9.9 0.9.10 0.9.11 0.9.12 0.9.13 0.9.14
0.9.15 0.9.16 0.9.17 0.9.18 0.9.19 0.9.20 0.9.21 0.9.22 0.9.23 0.9.24 0.9.25 0.9.26 0.9.27 0.9.28 0.9.29
""".split())

ObservationType = Literal["file_read", "file_write", "file_edit", "command_run", "search", "web_fetch",
                          "conversation", "error", "decision", "discovery", "subagent", "notification",
                          "task", "image", "other"]
MemoryType = Literal["pattern", "preference", "architecture", "bug", "workflow", "fact"]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class Origin(_Strict):
    channel: Literal["user", "agent", "tool", "import", "shared"]
    detail: Optional[str] = None
    capturedAt: str


class Session(_Strict):
    id: str
    project: str
    cwd: str
    startedAt: str
    endedAt: Optional[str] = None
    status: Literal["active", "completed", "abandoned"]
    observationCount: int
    model: Optional[str] = None
    tags: Optional[list[str]] = None
    firstPrompt: Optional[str] = None
    summary: Optional[str] = None
    commitShas: Optional[list[str]] = None
    agentId: Optional[str] = None


class CompressedObservation(_Strict):
    id: str
    sessionId: str
    timestamp: str
    type: ObservationType
    title: str
    subtitle: Optional[str] = None
    facts: list[str]
    narrative: str
    concepts: list[str]
    files: list[str]
    importance: int | float
    confidence: Optional[int | float] = None
    imageRef: Optional[str] = None
    imageData: Optional[str] = None
    imageDescription: Optional[str] = None
    modality: Optional[Literal["text", "image", "mixed"]] = None
    agentId: Optional[str] = None
    origin: Optional[Origin] = None


class Memory(_Strict):
    id: str
    createdAt: str
    updatedAt: str
    type: MemoryType
    title: str
    content: str
    concepts: list[str]
    files: list[str]
    sessionIds: list[str]
    strength: int | float
    version: int | float
    parentId: Optional[str] = None
    supersedes: Optional[list[str]] = None
    relatedIds: Optional[list[str]] = None
    sourceObservationIds: Optional[list[str]] = None
    isLatest: bool
    forgetAfter: Optional[str] = None
    imageRef: Optional[str] = None
    imageData: Optional[str] = None
    agentId: Optional[str] = None
    project: Optional[str] = None
    origin: Optional[Origin] = None


class SessionSummary(_Strict):
    sessionId: str
    project: str
    createdAt: str
    title: str
    narrative: str
    keyDecisions: list[str]
    filesModified: list[str]
    concepts: list[str]
    observationCount: int


class GraphNode(_Strict):
    id: str
    type: str
    name: str
    properties: dict[str, Any]
    sourceObservationIds: list[str]
    createdAt: str


class GraphEdge(_Strict):
    id: str
    type: str
    sourceNodeId: str
    targetNodeId: str
    weight: int | float
    sourceObservationIds: list[str]
    createdAt: str


class ExportData(_Strict):
    version: str
    exportedAt: str
    sessions: list[Session]
    observations: dict[str, list[CompressedObservation]]
    memories: list[Memory]
    summaries: list[SessionSummary]
    graphNodes: Optional[list[GraphNode]] = None
    graphEdges: Optional[list[GraphEdge]] = None


def check_export(doc: Any) -> ExportData:
    """Validate ``doc`` as ExportData and the importer's own checks (version, caps, buckets).

    Raises:
        AssertionError or pydantic.ValidationError.
    """
    model = ExportData.model_validate(doc)
    assert model.version in VERSIONS, model.version
    session_ids = {s.id for s in model.sessions}
    for key, bucket in model.observations.items():
        assert key in session_ids, f"bucket {key} has no session (it would never be exported again)"
        assert len(bucket) <= 5000
        for o in bucket:
            assert o.sessionId == key
    assert len(model.sessions) <= 10_000 and len(model.memories) <= 50_000
    ids = [m.id for m in model.memories]
    assert len(ids) == len(set(ids)), "duplicate memory ids"
    return model
