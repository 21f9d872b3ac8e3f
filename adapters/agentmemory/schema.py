"""AgentMemory's record types (``src/types.ts`` of ``@agentmemory/agentmemory`` 0.9.29) as strict pydantic
validators, to check what an ``ExportData`` holds the way the Letta and mem0 readers check theirs.

Source: ``src/types.ts`` recovered from the 0.9.29 npm tarball's source maps, tabled in
``shared/formats/agentmemory.md`` section 1.1 (fields, types, optionality) and 1.2 (string unions).
:data:`TYPES` is that table, one TypeScript type text per field (``?`` marks an optional field); the
validators are built from it, so every message quotes the TypeScript type.

Rules (no coercion, as TypeScript types are exact): a ``number`` is a JSON number (not a boolean,
not a numeric string); an optional field may be absent but not ``null`` (``endedAt?: string`` has no
``null``); unknown keys are allowed (AgentMemory stores records verbatim: real exports carry
``Session.updatedAt``). AgentMemory's importer checks none of this (``mem::import`` stores records
as they are), so a mismatch is a warning when converting and a problem for ``memconv validate``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, TypeAdapter, ValidationError
from typing_extensions import NotRequired, TypedDict

from .shape import OBSERVATION_TYPES

ENUMS: dict[str, tuple[str, ...]] = {
    "ObservationType": OBSERVATION_TYPES,
    "GraphNodeType": ("file", "function", "concept", "error", "decision", "pattern", "library", "person",
                      "project", "preference", "location", "organization", "event"),
    "GraphEdgeType": ("uses", "imports", "modifies", "causes", "fixes", "depends_on", "related_to",
                      "works_at", "prefers", "blocked_by", "caused_by", "optimizes_for", "rejected",
                      "avoids", "located_in", "succeeded_by"),
    "ActionEdgeType": ("requires", "unlocks", "spawned_by", "gated_by", "conflicts_with"),
    "HookType": ("session_start", "prompt_submit", "pre_tool_use", "post_tool_use", "post_tool_failure",
                 "pre_compact", "subagent_start", "subagent_stop", "notification", "task_completed", "stop",
                 "session_end"),
}
"""The named string unions of ``types.ts`` 0.9.29 (section 1.2)."""

TYPES: dict[str, dict[str, str]] = {
    "ConceptCount": {"concept": "string", "frequency": "number"},
    "FileCount": {"file": "string", "frequency": "number"},
    "ExportPagination": {
        "offset": "number",
        "limit": "number",
        "total": "number",
        "hasMore": "boolean",
    },
    "Session": {
        "id": "string",
        "project": "string",
        "cwd": "string",
        "startedAt": "string",
        "endedAt?": "string",
        "status": "'active' | 'completed' | 'abandoned'",
        "observationCount": "number",
        "model?": "string",
        "tags?": "string[]",
        "firstPrompt?": "string",
        "summary?": "string",
        "commitShas?": "string[]",
        "agentId?": "string",
    },
    "CompressedObservation": {
        "id": "string",
        "sessionId": "string",
        "timestamp": "string",
        "type": "ObservationType",
        "title": "string",
        "subtitle?": "string",
        "facts": "string[]",
        "narrative": "string",
        "concepts": "string[]",
        "files": "string[]",
        "importance": "number",
        "confidence?": "number",
        "imageRef?": "string",
        "imageData?": "string",
        "imageDescription?": "string",
        "modality?": "'text' | 'image' | 'mixed'",
        "agentId?": "string",
        "origin?": "Origin",
    },
    "Origin": {
        "channel": "'user' | 'agent' | 'tool' | 'import' | 'shared'",
        "detail?": "string",
        "capturedAt": "string",
    },
    "Memory": {
        "id": "string",
        "createdAt": "string",
        "updatedAt": "string",
        "type": "'pattern' | 'preference' | 'architecture' | 'bug' | 'workflow' | 'fact'",
        "title": "string",
        "content": "string",
        "concepts": "string[]",
        "files": "string[]",
        "sessionIds": "string[]",
        "strength": "number",
        "version": "number",
        "parentId?": "string",
        "supersedes?": "string[]",
        "relatedIds?": "string[]",
        "sourceObservationIds?": "string[]",
        "isLatest": "boolean",
        "forgetAfter?": "string",
        "imageRef?": "string",
        "imageData?": "string",
        "agentId?": "string",
        "project?": "string",
        "origin?": "Origin",
    },
    "SessionSummary": {
        "sessionId": "string",
        "project": "string",
        "createdAt": "string",
        "title": "string",
        "narrative": "string",
        "keyDecisions": "string[]",
        "filesModified": "string[]",
        "concepts": "string[]",
        "observationCount": "number",
    },
    "ProjectProfile": {
        "project": "string",
        "updatedAt": "string",
        "topConcepts": "ConceptCount[]",
        "topFiles": "FileCount[]",
        "conventions": "string[]",
        "commonErrors": "string[]",
        "recentActivity": "string[]",
        "sessionCount": "number",
        "totalObservations": "number",
        "summary?": "string",
    },
    "GraphNode": {
        "id": "string",
        "type": "GraphNodeType",
        "name": "string",
        "properties": "Record<string, unknown>",
        "sourceObservationIds": "string[]",
        "createdAt": "string",
        "updatedAt?": "string",
        "aliases?": "string[]",
        "stale?": "boolean",
    },
    "GraphEdge": {
        "id": "string",
        "type": "GraphEdgeType",
        "sourceNodeId": "string",
        "targetNodeId": "string",
        "weight": "number",
        "sourceObservationIds": "string[]",
        "createdAt": "string",
        "tcommit?": "string",
        "tvalid?": "string",
        "tvalidEnd?": "string",
        "context?": "EdgeContext",
        "version?": "number",
        "supersededBy?": "string",
        "isLatest?": "boolean",
        "stale?": "boolean",
    },
    "EdgeContext": {
        "reasoning?": "string",
        "sentiment?": "string",
        "alternatives?": "string[]",
        "situationalFactors?": "string[]",
        "confidence?": "number",
    },
    "SemanticMemory": {
        "id": "string",
        "fact": "string",
        "confidence": "number",
        "sourceSessionIds": "string[]",
        "sourceMemoryIds": "string[]",
        "accessCount": "number",
        "lastAccessedAt": "string",
        "strength": "number",
        "createdAt": "string",
        "updatedAt": "string",
    },
    "ProceduralMemory": {
        "id": "string",
        "name": "string",
        "steps": "string[]",
        "triggerCondition": "string",
        "expectedOutcome?": "string",
        "frequency": "number",
        "sourceSessionIds": "string[]",
        "sourceObservationIds?": "string[]",
        "tags?": "string[]",
        "concepts?": "string[]",
        "strength": "number",
        "createdAt": "string",
        "updatedAt": "string",
    },
    "Action": {
        "id": "string",
        "title": "string",
        "description": "string",
        "status": "'pending' | 'active' | 'done' | 'blocked' | 'cancelled'",
        "priority": "number",
        "createdAt": "string",
        "updatedAt": "string",
        "createdBy": "string",
        "assignedTo?": "string",
        "project?": "string",
        "tags": "string[]",
        "sourceObservationIds": "string[]",
        "sourceMemoryIds": "string[]",
        "result?": "string",
        "parentId?": "string",
        "metadata?": "Record<string, unknown>",
        "sketchId?": "string",
        "crystallizedInto?": "string",
    },
    "ActionEdge": {
        "id": "string",
        "type": "ActionEdgeType",
        "sourceActionId": "string",
        "targetActionId": "string",
        "createdAt": "string",
        "metadata?": "Record<string, unknown>",
    },
    "Routine": {
        "id": "string",
        "name": "string",
        "description": "string",
        "steps": "RoutineStep[]",
        "createdAt": "string",
        "updatedAt": "string",
        "frozen": "boolean",
        "tags": "string[]",
        "sourceProceduralIds": "string[]",
    },
    "RoutineStep": {
        "order": "number",
        "title": "string",
        "description": "string",
        "actionTemplate": "Record<string, unknown>",
        "dependsOn": "number[]",
    },
    "Signal": {
        "id": "string",
        "from": "string",
        "to?": "string",
        "threadId?": "string",
        "replyTo?": "string",
        "type": "'info' | 'request' | 'response' | 'alert' | 'handoff'",
        "content": "string",
        "metadata?": "Record<string, unknown>",
        "createdAt": "string",
        "readAt?": "string",
        "expiresAt?": "string",
    },
    "Checkpoint": {
        "id": "string",
        "name": "string",
        "description": "string",
        "status": "'pending' | 'passed' | 'failed' | 'expired'",
        "type": "'ci' | 'approval' | 'deploy' | 'external' | 'timer'",
        "createdAt": "string",
        "resolvedAt?": "string",
        "resolvedBy?": "string",
        "result?": "unknown",
        "expiresAt?": "string",
        "linkedActionIds": "string[]",
    },
    "Sentinel": {
        "id": "string",
        "name": "string",
        "type": "'webhook' | 'timer' | 'threshold' | 'pattern' | 'approval' | 'custom'",
        "status": "'watching' | 'triggered' | 'cancelled' | 'expired'",
        "config": "Record<string, unknown>",
        "result?": "unknown",
        "createdAt": "string",
        "triggeredAt?": "string",
        "expiresAt?": "string",
        "linkedActionIds": "string[]",
        "escalatedAt?": "string",
    },
    "Sketch": {
        "id": "string",
        "title": "string",
        "description": "string",
        "status": "'active' | 'promoted' | 'discarded'",
        "actionIds": "string[]",
        "project?": "string",
        "createdAt": "string",
        "expiresAt": "string",
        "promotedAt?": "string",
        "discardedAt?": "string",
    },
    "Crystal": {
        "id": "string",
        "narrative": "string",
        "keyOutcomes": "string[]",
        "filesAffected": "string[]",
        "lessons": "string[]",
        "sourceActionIds": "string[]",
        "sessionId?": "string",
        "project?": "string",
        "createdAt": "string",
    },
    "Facet": {
        "id": "string",
        "targetId": "string",
        "targetType": "'action' | 'memory' | 'observation'",
        "dimension": "string",
        "value": "string",
        "createdAt": "string",
    },
    "Lesson": {
        "id": "string",
        "content": "string",
        "context": "string",
        "confidence": "number",
        "reinforcements": "number",
        "source": "'crystal' | 'manual' | 'consolidation'",
        "sourceIds": "string[]",
        "project?": "string",
        "tags": "string[]",
        "createdAt": "string",
        "updatedAt": "string",
        "lastReinforcedAt?": "string",
        "lastDecayedAt?": "string",
        "decayRate": "number",
        "deleted?": "boolean",
    },
    "Insight": {
        "id": "string",
        "title": "string",
        "content": "string",
        "confidence": "number",
        "reinforcements": "number",
        "sourceConceptCluster": "string[]",
        "sourceMemoryIds": "string[]",
        "sourceLessonIds": "string[]",
        "sourceCrystalIds": "string[]",
        "project?": "string",
        "tags": "string[]",
        "createdAt": "string",
        "updatedAt": "string",
        "lastReinforcedAt?": "string",
        "lastDecayedAt?": "string",
        "decayRate": "number",
        "deleted?": "boolean",
    },
    "AccessLogExport": {
        "memoryId": "string",
        "count": "number",
        "lastAt": "string",
        "recent": "number[]",
    },
    "RawObservation": {
        "id": "string",
        "sessionId": "string",
        "timestamp": "string",
        "hookType": "HookType",
        "toolName?": "string",
        "toolInput?": "unknown",
        "toolOutput?": "unknown",
        "userPrompt?": "string",
        "assistantResponse?": "string",
        "raw": "unknown",
        "modality?": "'text' | 'image' | 'mixed'",
        "imageData?": "string",
        "agentId?": "string",
        "origin?": "Origin",
    },
}
"""``types.ts`` 0.9.29, type by type: field (``?``: optional) -> TypeScript type. ``ProjectProfile``'s
inline ``Array<{ concept: string; frequency: number }>`` is named ``ConceptCount[]`` here (and
``FileCount[]``); ``RoutineStep.actionTemplate`` (``Partial<Action>``) is checked as an object."""

COLLECTION_TYPES: dict[str, str] = {
    "sessions": "Session", "memories": "Memory", "summaries": "SessionSummary", "profiles": "ProjectProfile",
    "graphNodes": "GraphNode", "graphEdges": "GraphEdge", "semanticMemories": "SemanticMemory",
    "proceduralMemories": "ProceduralMemory", "actions": "Action", "actionEdges": "ActionEdge",
    "routines": "Routine", "signals": "Signal", "checkpoints": "Checkpoint", "sentinels": "Sentinel",
    "sketches": "Sketch", "crystals": "Crystal", "facets": "Facet", "lessons": "Lesson",
    "insights": "Insight", "accessLogs": "AccessLogExport",
}
"""``ExportData``'s arrays and their element type (``observations`` buckets hold
``CompressedObservation``, or ``RawObservation`` rows, see :func:`observation_type`)."""


_ADAPTERS: dict[str, TypeAdapter[Any]] = {}
_TYPEDDICTS: dict[str, Any] = {}


def _annotation(ts: str) -> Any:
    ts = ts.strip()
    if ts.endswith("[]"):
        return list[_annotation(ts[:-2])]  # type: ignore[misc]
    if ts == "string":
        return str
    if ts == "number":
        return float  # strict: an int or a float, never a bool or a string
    if ts == "boolean":
        return bool
    if ts == "unknown":
        return Any
    if ts == "Record<string, unknown>":
        return dict[str, Any]
    if "|" in ts:
        return Literal[tuple(p.strip().strip("'") for p in ts.split("|"))]  # type: ignore[misc]
    if ts in ENUMS:
        return Literal[ENUMS[ts]]  # type: ignore[misc]
    return _typeddict(ts)


def _typeddict(name: str) -> Any:
    if name not in _TYPEDDICTS:
        # an optional field may be absent (NotRequired) but not null; unknown keys are ignored
        fields = {k.rstrip("?"): NotRequired[_annotation(ts)] if k.endswith("?") else _annotation(ts)
                  for k, ts in TYPES[name].items()}
        td = TypedDict(name, fields)  # type: ignore[operator]
        td.__pydantic_config__ = ConfigDict(strict=True)  # type: ignore[attr-defined]
        _TYPEDDICTS[name] = td
    return _TYPEDDICTS[name]


def adapter(name: str) -> TypeAdapter[Any]:
    """A strict pydantic validator of the ``types.ts`` type ``name`` (built once)."""
    if name not in _ADAPTERS:
        _ADAPTERS[name] = TypeAdapter(_typeddict(name))
    return _ADAPTERS[name]


def observation_type(row: dict[str, Any]) -> str:
    """``RawObservation`` for a row with its required ``hookType`` and ``raw`` keys (a raw row of a
    bucket whose compression is pending), else ``CompressedObservation``."""
    return "RawObservation" if "hookType" in row and "raw" in row else "CompressedObservation"


def _ts_of(name: str, loc: tuple[Any, ...]) -> str | None:
    """The TypeScript type text of the field at ``loc`` inside type ``name`` (None: not found)."""
    ts: str | None = None
    for part in loc:
        if isinstance(part, int):
            if ts is None or not ts.endswith("[]"):
                return ts
            ts = ts[:-2]
            continue
        if ts is not None:
            if ts in TYPES:
                name = ts
            else:
                return ts
        fields = TYPES.get(name, {})
        ts = fields.get(part, fields.get(f"{part}?"))
        if ts is None:
            return None
    return ts


def _got(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int) and abs(v) > 2 ** 53:  # past Number.MAX_SAFE_INTEGER: not the number it says there
        return f"an integer of {len(str(abs(v)))} digits, beyond what a JavaScript number holds exactly"
    if isinstance(v, (int, float)):
        shown = repr(v)
        return f"a number ({shown if len(shown) <= 40 else shown[:37] + '...'})"
    if isinstance(v, str):
        shown = v if len(v) <= 40 else v[:37] + "..."
        return f"a string ({shown!r})"
    return "an object" if isinstance(v, dict) else "an array" if isinstance(v, list) else type(v).__name__


def mismatches(name: str, row: Any) -> list[tuple[str, str]]:
    """Where ``row`` differs from the ``types.ts`` type ``name``.

    Returns:
        ``[(where, what)]``: ``where`` the dotted place inside the row (``"strength"``,
        ``"origin.channel"``, ``"tags[2]"``), ``what`` a phrase such as ``expected string
        (types.ts Memory.content), got null`` or ``missing (types.ts Session.id: string)``.
        Empty when the row fits.
    """
    try:
        adapter(name).validate_python(row)
        return []
    except ValidationError as e:
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        for err in e.errors():
            loc = err["loc"]
            where = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(loc))
            if where in seen:
                continue
            seen.add(where)
            ts = _ts_of(name, loc)
            field = f"types.ts {name}.{'.'.join(str(p) for p in loc if not isinstance(p, int))}"
            if err["type"] == "missing":
                out.append((where, f"missing (required by {field}: {ts})"))
            elif not loc:
                out.append(("", f"expected an object ({name} in types.ts), got {_got(row)}"))
            else:
                out.append((where, f"expected {ts or err['msg'].lower()} ({field}), got {_got(err.get('input'))}"))
        return out


