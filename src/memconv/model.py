"""The canonical model: the hub every format is read into and written out of.

A conversion is a stream: one :class:`Header`, then records, each a pydantic model with a ``kind``
discriminator. Readers yield records one at a time; writers consume them one at a time. Small parts
(agents, blocks, tools, groups, sources, files, MCP servers, skills, sessions) come first so that a
writer may buffer them; large parts (memories, passages, messages, observations, summaries, events,
entities, relations, raw records) follow and are never held whole. :data:`KIND_ORDER` fixes that order.

Every record carries:

* ``id``: the id the source gave it (a Letta file-local ``block-3``, a mem0 UUID, an AgentMemory
  ``mem_…``). References between records (``Agent.block_ids``, ``Message.agent_id``) use these ids.
* ``provenance``: the source system (``letta``, ``mem0``, ``agentmemory``, ``canonical``), the id there
  and the format version it was read from.
* ``extras``: fields with no canonical home, keyed by system name then field name, for example
  ``{"letta": {"include_base_tools": false}}``. A writer for the same system puts them back, so a
  same-format round trip loses nothing; a writer for another system reports them as lost.

Timestamps are kept as the strings the source wrote (ISO-8601 with any UTC offset, or naive). They
are never re-formatted on the way through, so a round trip is byte-faithful;
:func:`memconv.timeutil.parse_ts` parses them when a writer needs a real time.

Schema version: :data:`SCHEMA_VERSION`. The JSON Schema generated from these models is committed as
``src/memconv/schema/canonical.schema.json`` (``memconv schema`` prints it).
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

SCHEMA_VERSION = "1.0"
"""Version of the canonical model. Major bumps break readers; minor bumps only add optional fields."""

JSON = Any


def _null_secrets(value: Any) -> Any:
    """A secret whose value is null (``{"K": null}``, as Letta's own importer accepts) is read as empty."""
    if isinstance(value, dict):
        return {k: "" if v is None else v for k, v in value.items()}
    return value



MARKERS = frozenset({"$absent", "$null", "$content", "$order", "$int", "$dest", "$relations", "$message_types",
                     "$metadata_revision"})
"""The keys memconv itself puts in a record's ``extras`` (how the source had a value: absent keys,
explicit nulls, a message's content as a string, key order, integer ids, mem0's ``destination``, a
mem0 document's ``relations`` key, a live Letta message's ``message_type`` list, an agent file whose
``metadata`` held only its ``revision_id``).
Every other key, ``$schema`` and ``$comment`` included, is the source's own and travels as such."""


def is_marker(key: str) -> bool:
    """True for a key of :data:`MARKERS` (memconv's own, never written as a source key)."""
    return key in MARKERS

class Provenance(BaseModel):
    """Where a record came from.

    Attributes:
        system: source system name: ``letta``, ``mem0``, ``agentmemory``, or a plugin's name.
        id: the record's id in the source (None when the source had none, e.g. a legacy Letta block).
        version: the source format version (``"0.9.29"``, ``"0.6.47"``, a Letta ``revision_id``).
        variant: the source shape when a format has several (``"v2"``, ``"legacy"``, ``"get_all"``).
    """

    model_config = ConfigDict(extra="forbid")

    system: str
    id: str | None = None
    version: str | None = None
    variant: str | None = None


class Base(BaseModel):
    """Fields shared by every record."""

    model_config = ConfigDict(extra="forbid")

    id: str
    provenance: Provenance | None = None
    extras: dict[str, dict[str, JSON]] = Field(default_factory=dict)

    def extra(self, system: str) -> dict[str, JSON]:
        """Return this record's extras for ``system`` (an empty dict when none)."""
        return self.extras.get(system, {})

    @property
    def original_id(self) -> str:
        """The id the source system gave this record (``provenance.id``), else its canonical ``id``."""
        p = self.provenance
        return p.id if p is not None and p.id else self.id

    def source_system(self, default: str | None = None) -> str | None:
        """The system the record was read from (``provenance.system``), else ``default``."""
        return self.provenance.system if self.provenance is not None else default

    def came_from(self, system: str, variant: str | None = None) -> bool:
        """True when the record was read from ``system`` (and, when given, its ``variant``): a writer
        for that system can put it back key for key."""
        p = self.provenance
        return p is not None and p.system == system and (variant is None or p.variant == variant)


class Header(BaseModel):
    """First item of every stream: what the data is and where it came from.

    Attributes:
        schema_version: :data:`SCHEMA_VERSION` of the model that wrote it.
        source_system / source_format_version / source_variant: what the reader read.
        exported_at: the export time the source carried (Letta ``created_at``, AgentMemory
            ``exportedAt``), as written; None when the source has none.
        extras: top-level fields of the source with no canonical home (Letta ``metadata``...).
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["header"] = "header"
    schema_version: str = SCHEMA_VERSION
    source_system: str | None = None
    source_format_version: str | None = None
    source_variant: str | None = None
    exported_at: str | None = None
    extras: dict[str, dict[str, JSON]] = Field(default_factory=dict)


class Agent(Base):
    """A stateful agent (Letta ``AgentSchema`` / legacy ``AgentSchema``; mem0 and AgentMemory have
    no agent object, only ``agent_id`` scopes).

    Attributes:
        name, description: Letta ``name``, ``description``.
        system: the system prompt (Letta ``system``).
        agent_type: Letta ``agent_type`` (``memgpt_agent``, ``letta_v1_agent``...).
        llm_config / embedding_config: Letta's config objects, verbatim.
        model / embedding: handles ``provider/name`` (``llm_config.handle`` when no ``model``).
        tags: plain strings (the Letta reader flattens legacy ``[{tag}]`` objects; the model takes strings).
        tool_rules: Letta tool rules, verbatim dicts.
        tool_ids, block_ids, source_ids, group_ids: references to Tool, Block, Source, Group ids.
        in_context_message_ids: Message ids of the context window, in context order.
        secrets: tool environment variables (Letta ``secrets`` / ``tool_exec_environment_variables``).
        metadata: Letta ``metadata`` (``metadata_`` in legacy files).
        created_at / updated_at: as the source wrote them.
    """

    kind: Literal["agent"] = "agent"
    name: str
    description: str | None = None
    system: str | None = None
    agent_type: str | None = None
    llm_config: dict[str, JSON] | None = None
    embedding_config: dict[str, JSON] | None = None
    model: str | None = None
    embedding: str | None = None
    tags: list[str] = Field(default_factory=list)
    tool_rules: list[dict[str, JSON]] = Field(default_factory=list)
    tool_ids: list[str] = Field(default_factory=list)
    block_ids: list[str] = Field(default_factory=list)
    source_ids: list[str] = Field(default_factory=list)
    group_ids: list[str] = Field(default_factory=list)
    in_context_message_ids: list[str] = Field(default_factory=list)
    secrets: Annotated[dict[str, str] | None, BeforeValidator(_null_secrets)] = None
    metadata: dict[str, JSON] | None = None
    created_at: str | None = None
    updated_at: str | None = None

    def built_by_memconv(self) -> bool:
        """True for an agent memconv built around archival records when it wrote a Letta file, which
        its source never had: tag ``memconv`` and ``metadata.memconv.scope`` naming the scope it was
        built for (``adapters/letta/writer.py``). Writers of other formats leave it and what only it
        holds (its blocks, its system message) out of their native records."""
        meta = (self.metadata or {}).get("memconv")
        return "memconv" in self.tags and isinstance(meta, dict) and "scope" in meta

    def built_for(self) -> tuple[str, str] | None:
        """The scope an agent memconv built stands for (:meth:`built_by_memconv`; its
        ``metadata.memconv.scope`` of one key: ``("user", "alice")``, ``("agent", "Ada")``,
        ``("project", "/work/app")``), or None for any other agent."""
        meta = (self.metadata or {}).get("memconv")
        scope = meta.get("scope") if isinstance(meta, dict) else None
        if "memconv" in self.tags and isinstance(scope, dict) and len(scope) == 1:
            ((key, value),) = scope.items()
            return (str(key), str(value))
        return None


BUILT_MARK = "memconv_built"
"""The ``metadata`` key of a block memconv builds for an agent it builds (the Letta writer, around
archival records): :func:`built_mark` of the value it wrote, so an edit made in Letta since is seen."""


def built_mark(value: str) -> str:
    """The first 16 hex digits of the SHA-256 of ``value`` (UTF-8): what :data:`BUILT_MARK` holds."""
    import hashlib

    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class Block(Base):
    """A core-memory block (Letta ``BlockSchema`` / legacy ``core_memory[]``).

    Attributes:
        label: ``human``, ``persona``...; unique within one agent.
        value: the text. limit: character limit (Letta default 100000).
        description, read_only, metadata, tags: as in Letta.
    """

    kind: Literal["block"] = "block"
    label: str
    value: str = ""
    limit: int | None = None
    description: str | None = None
    read_only: bool = False
    metadata: dict[str, JSON] | None = None
    tags: list[str] | None = None
    created_at: str | None = None
    updated_at: str | None = None

    def edited_since_built(self) -> bool:
        """True for a block memconv built (its ``metadata`` holds :data:`BUILT_MARK`, the mark of the
        value it was built with: :func:`built_mark`) whose value has been changed since, in Letta: the
        user's own words now, which a writer keeps as any block's. False for an unchanged one, and for a
        block with no mark (any other, or one built before the mark was written)."""
        mark = (self.metadata or {}).get(BUILT_MARK)
        return isinstance(mark, str) and mark != built_mark(self.value)


class Scope(BaseModel):
    """Who a memory belongs to: mem0's ``user_id``/``agent_id``/``run_id`` (+``actor_id``, Platform
    ``app_id``), AgentMemory's ``agentId``/``project``/``sessionIds``, Letta's owning agent."""

    model_config = ConfigDict(extra="forbid")

    user_id: str | None = None
    agent_id: str | None = None
    run_id: str | None = None
    session_id: str | None = None
    actor_id: str | None = None
    app_id: str | None = None
    project: str | None = None

    def is_empty(self) -> bool:
        """True when no scope field is set."""
        return not any(getattr(self, f) for f in type(self).model_fields)


class _MemoryFields(Base):
    """Fields shared by :class:`Memory` and :class:`Passage`.

    Attributes:
        text: the memory text (mem0 ``memory``, AgentMemory ``content``, Letta passage ``text``).
        title: a short title (AgentMemory ``title``); None when the source has none.
        memory_type: the source's type (AgentMemory ``type`` such as ``fact``; mem0 ``memory_type``).
        scope: :class:`Scope`. metadata: free-form JSON object.
        tags: Letta passage ``tags``; categories: mem0 Platform/OpenMemory ``categories``;
            concepts: AgentMemory ``concepts``.
        created_at / updated_at: as written. hash: mem0 ``hash`` (md5 hex of the text).
        embedding / embedding_model: the vector and the model that made it, when the source has them.
        role: mem0 ``role`` (``user``/``assistant``). expiration_date: mem0 ``YYYY-MM-DD``.
    """

    text: str
    title: str | None = None
    memory_type: str | None = None
    scope: Scope = Field(default_factory=Scope)
    metadata: dict[str, JSON] | None = None
    tags: list[str] | None = None
    categories: list[str] | None = None
    concepts: list[str] | None = None
    created_at: str | None = None
    updated_at: str | None = None
    hash: str | None = None
    embedding: list[float] | None = None
    embedding_model: str | None = None
    role: str | None = None
    expiration_date: str | None = None


class Memory(_MemoryFields):
    """A memory: mem0 memory item, AgentMemory ``Memory``, OpenMemory memory."""

    kind: Literal["memory"] = "memory"


class Passage(_MemoryFields):
    """A Letta archival-memory passage (``GET /v1/agents/{id}/archival-memory`` item)."""

    kind: Literal["passage"] = "passage"


class Message(Base):
    """One conversation message (Letta ``MessageSchema`` / legacy message).

    Attributes:
        agent_id: the Agent it belongs to (None for a bare conversation).
        role: ``system``, ``user``, ``assistant``, ``tool``, ``function``, ``approval``, ``summary``.
        content: Letta content parts, verbatim dicts with ``type`` (``text``, ``reasoning``,
            ``tool_call``, ``tool_return``, ``image``...); the Letta reader makes a plain-string
            content one text part (the model takes a list).
        name: tool name on old ``tool`` messages. model: the model that produced it.
        tool_calls: OpenAI-style ``[{id, type:"function", function:{name, arguments}}]``.
        tool_call_id: on ``tool`` messages. tool_returns: Letta ``ToolReturn`` dicts.
        created_at: as written. in_context: whether it sits in the agent's context window.
        conversation_id: Letta conversation / AgentMemory session the message belongs to.
    """

    kind: Literal["message"] = "message"
    agent_id: str | None = None
    role: str
    content: list[dict[str, JSON]] = Field(default_factory=list)
    name: str | None = None
    model: str | None = None
    tool_calls: list[dict[str, JSON]] | None = None
    tool_call_id: str | None = None
    tool_returns: list[dict[str, JSON]] | None = None
    created_at: str | None = None
    in_context: bool | None = None
    conversation_id: str | None = None

    def text(self) -> str:
        """The message's readable text: text parts, reasoning, tool calls and returns, one per line."""
        lines: list[str] = []
        for part in self.content:
            t = part.get("type")
            if t == "text" and part.get("text"):
                lines.append(str(part["text"]))
            elif t == "reasoning" and part.get("reasoning"):
                lines.append(f"[reasoning] {part['reasoning']}")
            elif t == "tool_call":
                lines.append(f"[tool call] {part.get('name')}({_dumps(part.get('input'))})")
            elif t == "tool_return":
                lines.append(f"[tool return] {part.get('content')}")
            elif t == "image":
                lines.append("[image]")
        for call in self.tool_calls or []:
            fn = call.get("function")
            fn = fn if isinstance(fn, dict) else {}  # a list or a string there is read as it is, shown as nothing
            lines.append(f"[tool call] {fn.get('name')}({fn.get('arguments')})")
        return "\n".join(lines)


def _dumps(value: Any) -> str:
    import orjson

    return orjson.dumps(value).decode()


class Session(Base):
    """A session (AgentMemory ``Session``); also a Letta conversation when one is known.

    Attributes:
        agent_id: the Agent the session belongs to. project, cwd: AgentMemory ``project``/``cwd``.
        started_at / ended_at: as written. status: ``active``/``completed``/``abandoned``.
        model, tags, first_prompt, summary, commit_shas: AgentMemory fields.
        observation_count: AgentMemory ``observationCount``.
    """

    kind: Literal["session"] = "session"
    agent_id: str | None = None
    project: str | None = None
    cwd: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    status: str | None = None
    model: str | None = None
    tags: list[str] | None = None
    first_prompt: str | None = None
    summary: str | None = None
    commit_shas: list[str] | None = None
    observation_count: int | None = None


class Observation(Base):
    """An AgentMemory ``CompressedObservation`` (or a ``RawObservation`` row, kept in extras).

    Attributes:
        session_id: the bucket key it was exported under. timestamp: as written.
        observation_type: ``ObservationType`` (``conversation``, ``file_edit``...).
        title, subtitle, facts, narrative, concepts, files, importance (1-10), confidence (0-1).
        agent_id: AgentMemory ``agentId``. origin: AgentMemory ``Origin`` dict, verbatim.
    """

    kind: Literal["observation"] = "observation"
    session_id: str
    timestamp: str | None = None
    observation_type: str | None = None
    title: str | None = None
    subtitle: str | None = None
    facts: list[str] = Field(default_factory=list)
    narrative: str | None = None
    concepts: list[str] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list)
    importance: int | float | None = None
    confidence: int | float | None = None
    agent_id: str | None = None
    origin: dict[str, JSON] | None = None

    def text(self, files: bool = False) -> str:
        """The observation as one readable text, as the writers that have no field for its parts write
        it (a mem0 memory, a Letta passage): title, subtitle, narrative, a ``Facts:`` list and, with
        ``files``, a ``Files:`` line, one per line; ``""`` when it has none of them."""
        return text_lines(self.title, self.subtitle, self.narrative, bullets("Facts:", self.facts),
                          files and self.files and "Files: " + ", ".join(self.files) or None)


class Summary(Base):
    """An AgentMemory ``SessionSummary`` (keyed by its session: ``id`` equals ``session_id``)."""

    kind: Literal["summary"] = "summary"
    session_id: str
    project: str | None = None
    created_at: str | None = None
    title: str | None = None
    narrative: str | None = None
    key_decisions: list[str] = Field(default_factory=list)
    files_modified: list[str] = Field(default_factory=list)
    concepts: list[str] = Field(default_factory=list)
    observation_count: int | None = None

    def text(self) -> str:
        """The summary as one readable text (a mem0 memory, a Letta passage): title, narrative, a
        ``Key decisions:`` list and a ``Files modified:`` line, one per line; ``Summary of session <id>``
        when it has none of them."""
        return text_lines(self.title, self.narrative, bullets("Key decisions:", self.key_decisions),
                          self.files_modified and "Files modified: " + ", ".join(self.files_modified) or None) \
            or f"Summary of session {self.session_id}"


def text_lines(*parts: str | None) -> str:
    """The parts that are set, one per line."""
    return "\n".join(p for p in parts if p)


def bullets(title: str, items: list[str] | None) -> str | None:
    """``title`` then ``- item`` lines; None without items."""
    return title + "\n" + "\n".join(f"- {x}" for x in items) if items else None


class HistoryEvent(Base):
    """A change to a memory (mem0 history row).

    Attributes:
        memory_id: the Memory changed. event: ``ADD``, ``UPDATE`` or ``DELETE``.
        old_text / new_text: mem0 ``old_memory`` / ``new_memory``.
        created_at / updated_at: as written. is_deleted: mem0 ``is_deleted``.
        actor_id, role: mem0 fields.
    """

    kind: Literal["event"] = "event"
    memory_id: str
    event: Literal["ADD", "UPDATE", "DELETE"]
    old_text: str | None = None
    new_text: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    is_deleted: bool | None = None
    actor_id: str | None = None
    role: str | None = None


class Entity(Base):
    """A graph entity (AgentMemory ``GraphNode``; a mem0 relation's endpoint)."""

    kind: Literal["entity"] = "entity"
    name: str
    entity_type: str | None = None
    properties: dict[str, JSON] = Field(default_factory=dict)
    aliases: list[str] | None = None
    scope: Scope = Field(default_factory=Scope)
    created_at: str | None = None
    updated_at: str | None = None


class Relation(Base):
    """A graph relation (mem0 ``relations[]``: source, relationship, target; AgentMemory
    ``GraphEdge``: sourceNodeId, type, targetNodeId, weight)."""

    kind: Literal["relation"] = "relation"
    source: str
    relationship: str
    target: str
    weight: int | float | None = None
    scope: Scope = Field(default_factory=Scope)
    created_at: str | None = None


class Source(Base):
    """A Letta source (folder) that files belong to (``SourceSchema``)."""

    kind: Literal["source"] = "source"
    name: str
    description: str | None = None
    instructions: str | None = None
    metadata: dict[str, JSON] | None = None
    embedding_config: dict[str, JSON] | None = None


class File(Base):
    """A Letta file with its full extracted text (``FileSchema``)."""

    kind: Literal["file"] = "file"
    source_id: str | None = None
    file_name: str | None = None
    file_type: str | None = None
    content: str | None = None
    created_at: str | None = None


class Tool(Base):
    """A Letta tool (``ToolSchema`` / legacy tool).

    Attributes:
        name, description, tool_type (``custom``, ``letta_core``...), source_type (``python``...),
        source_code (None for built-in tools), json_schema (OpenAI function schema), tags.
    """

    kind: Literal["tool"] = "tool"
    name: str | None = None
    description: str | None = None
    tool_type: str | None = None
    source_type: str | None = None
    source_code: str | None = None
    json_schema: dict[str, JSON] | None = None
    tags: list[str] | None = None


class McpServer(Base):
    """A Letta MCP server (``MCPServerSchema``); tokens are never carried."""

    kind: Literal["mcp_server"] = "mcp_server"
    server_name: str
    server_type: str | None = None
    server_url: str | None = None


class Skill(Base):
    """A Letta skill (``SkillSchema``, 0.16.5+): named files or a ``source_url``."""

    kind: Literal["skill"] = "skill"
    name: str
    files: dict[str, str] | None = None
    source_url: str | None = None


class Group(Base):
    """A Letta multi-agent group (``GroupSchema``)."""

    kind: Literal["group"] = "group"
    agent_ids: list[str] = Field(default_factory=list)
    description: str | None = None
    manager_config: dict[str, JSON] | None = None


class Raw(Base):
    """A record with no canonical kind, carried verbatim (pandoc's ``RawBlock``).

    Attributes:
        system: the system it belongs to (``agentmemory``). collection: where it lives there
            (``lessons``, ``actions``...). data: the record exactly as read.
    """

    kind: Literal["raw"] = "raw"
    system: str
    collection: str
    data: JSON


Record = Annotated[
    Union[
        Agent,
        Group,
        Block,
        Tool,
        Source,
        File,
        McpServer,
        Skill,
        Session,
        Memory,
        Passage,
        Message,
        Observation,
        Summary,
        HistoryEvent,
        Entity,
        Relation,
        Raw,
    ],
    Field(discriminator="kind"),
]
"""Any canonical record, discriminated by ``kind``."""

Item = Annotated[Union[Header, Record], Field(discriminator="kind")]

RecordKind = Literal["agent", "group", "block", "tool", "source", "file", "mcp_server", "skill", "session", "memory",
                     "passage", "message", "observation", "summary", "event", "entity", "relation", "raw"]
"""A canonical record's ``kind``, as a type: the keys of :data:`RECORD_TYPES`, in stream order (a test
checks that the two agree)."""

ItemKind = Literal[RecordKind, "header"]
"""The ``kind`` of any stream item: a record's, or ``header`` (which the report also counts losses of)."""

RECORD_TYPES: dict[RecordKind, type[Base]] = {
    cls.model_fields["kind"].default: cls
    for cls in (Agent, Group, Block, Tool, Source, File, McpServer, Skill, Session, Memory, Passage,
                Message, Observation, Summary, HistoryEvent, Entity, Relation, Raw)
}
"""``kind`` name to record class."""

PLURALS: dict[RecordKind, str] = {
    "agent": "agents", "group": "groups", "block": "blocks", "tool": "tools", "source": "sources",
    "file": "files", "mcp_server": "mcp_servers", "skill": "skills", "session": "sessions",
    "memory": "memories", "passage": "passages", "message": "messages", "observation": "observations",
    "summary": "summaries", "event": "events", "entity": "entities", "relation": "relations", "raw": "raw records",
}
"""Canonical kind -> its plural, as ``memconv inspect`` prints it and ``--exclude`` accepts it."""

KIND_ORDER: tuple[RecordKind, ...] = tuple(RECORD_TYPES)
"""Stream order: small, bufferable kinds first, then the large ones from ``memory`` on."""

SMALL_KINDS = frozenset(KIND_ORDER[: KIND_ORDER.index("memory")])
"""Kinds a writer may buffer in memory."""

RECORD_ADAPTER: TypeAdapter[Any] = TypeAdapter(Record)
ITEM_ADAPTER: TypeAdapter[Any] = TypeAdapter(Item)


class Bundle(BaseModel):
    """A whole stream gathered in memory, for callers who want one (``memconv.read``).

    Attributes:
        header: the :class:`Header`. records: every record in stream order.
    """

    header: Header = Field(default_factory=Header)
    records: list[Record] = Field(default_factory=list)

    def of(self, kind: RecordKind) -> list[Any]:
        """All records of one ``kind``, in stream order."""
        return [r for r in self.records if r.kind == kind]

    def counts(self) -> dict[str, int]:
        """Number of records per kind, in :data:`KIND_ORDER`."""
        out: dict[str, int] = {}
        for r in self.records:
            out[r.kind] = out.get(r.kind, 0) + 1
        return {k: out[k] for k in KIND_ORDER if k in out}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of one canonical stream item (header or record), generated from the models."""
    schema = ITEM_ADAPTER.json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://memconv.dev/schema/canonical-{SCHEMA_VERSION}.json"
    schema["title"] = f"memconv canonical item, schema {SCHEMA_VERSION}"
    return schema


_TYPES: dict[type, tuple[tuple[str, tuple[type, ...] | None], ...]] = {}


def value_classes(ann: Any) -> tuple[type, ...] | None:
    """The classes a value of annotation ``ann`` has once validated (None: any)."""
    if ann is Any:  # a class of its own since Python 3.11, which isinstance refuses
        return None
    origin = get_origin(ann)
    if origin is Annotated:
        return value_classes(get_args(ann)[0])
    if origin is Union or origin is types.UnionType:
        out: tuple[type, ...] = ()
        for part in get_args(ann):
            got = value_classes(part)
            if got is None:
                return None
            out += got
        return out
    if origin is Literal:
        return tuple({type(a) for a in get_args(ann)})
    if origin in (list, dict):
        return (origin,)
    if ann is None or ann is type(None):
        return (type(None),)
    if ann is float:
        return (float, int)
    return (ann,) if isinstance(ann, type) and ann is not object else None


def fields_typed(record: BaseModel) -> bool:
    """True when each field of ``record`` holds a value of its field's type at the top level (a string,
    a list, a :class:`Scope`...; the items of a list are not looked at): what pydantic checked when the
    record was built and does not check again when a field is assigned (``m.text = None``). Worked out
    per class once; a few class tests a record."""
    table = _TYPES.get(record.__class__)
    if table is None:
        table = _TYPES[record.__class__] = tuple((n, value_classes(f.annotation))
                                                 for n, f in type(record).model_fields.items())
    values = record.__dict__
    for name, allowed in table:
        if allowed is not None:
            v = values.get(name)
            if v.__class__ not in allowed and not isinstance(v, allowed):
                return False
    return True
