"""Hypothesis strategies for the per-format property tests (``test_properties_formats.py``).

They build canonical streams of the kinds each writable format is meant to carry: mem0-like memories
and history events, Letta-like agents with blocks, tools, messages and archival passages. Text is any
Unicode (control characters, NUL, U+2028/U+2029, a BOM, astral characters), JSON values nest and
hold integers beyond 64 bits and floats, timestamps carry any UTC offset (or none, or a ``Z``).

The Letta-like streams are *consistent* (every reference names a record of the stream, block labels
are unique per agent, an agent's ``in_context_message_ids`` name its own messages and the messages'
``in_context`` flags agree with that list), because that is what the formats are meant to carry; the
properties then say what each target keeps of it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from memconv.model import (Agent, Block, Header, HistoryEvent, Memory, Message, Passage, Provenance, Scope,
                           Tool)

from strategies_hyp import ident

# ---------------------------------------------------------------- scalars

SPECIALS = ["\x00", "\u2028", "\u2029", "\r", "\n", "\t", "\x1b", "\x7f", "\ufeff", "\U0001f600",
            '"', "\\", "<", "\u0085", "\ud7ff", "\uffff"]
"""Characters that have broken JSON writers before: NUL and other controls, JavaScript's line
separators, a byte-order mark, an astral character, quotes and backslashes."""

chars = st.one_of(st.characters(codec="utf-8", exclude_categories=("Cs",)), st.sampled_from(SPECIALS))
wild_text = st.text(chars, max_size=40)
"""Any Unicode text (surrogates excluded: they cannot be UTF-8)."""
short = st.text(chars, min_size=1, max_size=12)


def _numbered(name: str | None, k: int) -> str | None:
    """``name`` made unique among its kind by its position (None stays None)."""
    return None if name is None else f"{name}#{k}"
maybe = st.none().__or__  # maybe(s): None or a value of s

offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
_moments = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1))
timestamp = st.one_of(
    st.none(),
    st.builds(lambda d, tz: d.replace(tzinfo=tz).isoformat(), _moments, offsets),  # any offset
    _moments.map(lambda d: d.isoformat()),  # naive (Letta legacy)
    _moments.map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)
                 .strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"),  # JavaScript toISOString
)


def json_values(big_ints: bool = True):
    """Nested JSON (objects with any text keys, lists, strings, floats, integers beyond 64 bits when
    ``big_ints``)."""
    bound = 2 ** 80 if big_ints else 2 ** 63 - 1
    scalar = st.one_of(st.none(), st.booleans(), st.integers(min_value=-bound, max_value=bound),
                       st.floats(allow_nan=False, allow_infinity=False), wild_text)
    return st.recursive(scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(wild_text, inner, max_size=3)),
                        max_leaves=8)


def json_objects(big_ints: bool = True, max_size: int = 4):
    return st.dictionaries(wild_text, json_values(big_ints), max_size=max_size)


uuid_ids = st.uuids().map(str)
record_ids = st.one_of(uuid_ids, uuid_ids.map(str.upper), ident, short)
"""Ids as sources give them: UUIDs (also upper-case), slugs, and any text."""

scopes = st.builds(Scope, user_id=maybe(short), agent_id=maybe(short), run_id=maybe(short),
                   session_id=maybe(short), actor_id=maybe(short), app_id=maybe(short), project=maybe(short))
OTHER_SYSTEMS = ("letta", "agentmemory", "mem0", "zep")


def provenances(systems):
    """None (a canonical file's own record) or the provenance of one of ``systems``."""
    return st.one_of(st.none(), st.builds(Provenance, system=st.sampled_from(systems), id=maybe(short)))


def extras_of(systems):
    """No extras, or fields only ``systems`` hold (``{"zep": {...}}``)."""
    return st.one_of(st.just({}), st.dictionaries(st.sampled_from(systems), json_objects(False, 2),
                                                  min_size=1, max_size=2))


def unique_ids(draw, n: int, base=record_ids) -> list[str]:
    return draw(st.lists(base, min_size=n, max_size=n, unique=True))


# ---------------------------------------------------------------- mem0-like


@st.composite
def memory_fields(draw, big_ints: bool = True, systems=OTHER_SYSTEMS) -> dict[str, Any]:
    """Every field of a memory (or passage), any of them possibly unset."""
    return dict(
        text=draw(wild_text), title=draw(maybe(wild_text)),
        memory_type=draw(maybe(st.one_of(st.sampled_from(["fact", "procedural_memory", "workflow", "episodic"]),
                                         short))),
        scope=draw(scopes), metadata=draw(maybe(json_objects(big_ints))),
        tags=draw(maybe(st.lists(short, max_size=3))), categories=draw(maybe(st.lists(short, max_size=3))),
        concepts=draw(maybe(st.lists(short, max_size=3))),
        created_at=draw(timestamp), updated_at=draw(timestamp),
        hash=draw(maybe(st.from_regex(r"[0-9a-f]{32}", fullmatch=True))),
        embedding=draw(maybe(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), max_size=4))),
        embedding_model=draw(maybe(short)), role=draw(maybe(st.sampled_from(["user", "assistant"]))),
        expiration_date=draw(maybe(st.dates(date(2000, 1, 1), date(2100, 1, 1)).map(date.isoformat))),
        provenance=draw(provenances(systems)), extras=draw(extras_of(systems)))


@st.composite
def mem0_streams(draw, big_ints: bool = True, systems=("letta", "agentmemory", "zep")) -> list[Any]:
    """A header, memories and history events of other systems (or of a canonical file)."""
    n_mem = draw(st.integers(0, 6))
    n_ev = draw(st.integers(0, 4))
    ids = unique_ids(draw, n_mem + n_ev)
    mems = [Memory(id=ids[i], **draw(memory_fields(big_ints, systems))) for i in range(n_mem)]
    events = []
    for j in range(n_ev):
        # an event changes a memory of the stream (and comes from the same system), or one not in it
        target = draw(st.sampled_from(mems)) if mems and draw(st.booleans()) else None
        events.append(HistoryEvent(
            id=ids[n_mem + j],
            memory_id=target.id if target else draw(record_ids.filter(lambda i: i not in {m.id for m in mems})),
            event=draw(st.sampled_from(["ADD", "UPDATE", "DELETE"])), old_text=draw(maybe(wild_text)),
            new_text=draw(maybe(wild_text)), created_at=draw(timestamp), updated_at=draw(timestamp),
            is_deleted=draw(maybe(st.booleans())), actor_id=draw(maybe(short)),
            role=draw(maybe(st.sampled_from(["user", "assistant"]))),
            provenance=target.provenance if target else draw(provenances(systems)),
            extras=draw(extras_of(systems))))
    header = Header(source_system=draw(st.sampled_from([None, "canonical", "letta", "agentmemory", "mem0"])))
    return [header, *mems, *events]


# ---------------------------------------------------------------- Letta-like

ROLES = ["system", "user", "assistant", "tool", "function", "approval", "summary"]


def content_parts(big_ints: bool):
    text_part = st.builds(lambda t: {"type": "text", "text": t}, wild_text)
    reasoning = st.builds(lambda t, s: {"type": "reasoning", "reasoning": t, "is_native": True, "signature": s},
                          wild_text, maybe(short))
    tool_call = st.builds(lambda i, n, a: {"type": "tool_call", "id": i, "name": n, "input": a},
                          short, short, json_objects(big_ints, 3))
    tool_return = st.builds(lambda i, c, s: {"type": "tool_return", "tool_call_id": i, "content": c, "status": s},
                            short, wild_text, st.sampled_from(["success", "error"]))
    image = st.just({"type": "image", "source": {"type": "url", "url": "https://example.org/a.png"}})
    anything = json_objects(big_ints, 3).map(lambda d: {"type": "custom", **d})
    return st.one_of(text_part, reasoning, tool_call, tool_return, image, anything)


def tool_calls(big_ints: bool):
    call = st.builds(lambda i, n, a: {"id": i, "type": "function", "function": {"name": n, "arguments": a}},
                     short, short, wild_text)
    return maybe(st.lists(call, max_size=2))


TOOL_RULES = st.one_of(
    st.builds(lambda n: {"tool_name": n, "type": "exit_loop"}, short),
    st.builds(lambda n, p: {"tool_name": n, "type": "continue_loop", "prompt_template": p}, short, wild_text),
    st.builds(lambda n, c: {"tool_name": n, "type": "constrain_child_tools", "children": c}, short,
              st.lists(short, max_size=3)),
    st.builds(lambda n, k: {"tool_name": n, "type": "max_count_per_step", "max_count_limit": k}, short,
              st.integers(1, 50)),
    st.builds(lambda n, a: {"tool_name": n, "type": "run_first", "args": a}, short, json_objects(False, 2)),
)
"""Tool rules letta 0.16.8 knows, with their required keys (the writer drops and reports others)."""


def letta_ids(prefix: str):
    """Ids of a Letta kind: file-local ``<prefix>-<n>`` (kept by the Letta writer) or anything else
    (renumbered)."""
    return st.one_of(st.integers(0, 30).map(lambda n: f"{prefix}-{n}"), record_ids)


@st.composite
def agent_streams(draw, *, big_ints: bool = True, min_agents: int = 0, max_agents: int = 3,
                  archival: bool = True, model_beside_llm_config: bool = False,
                  unique_names: bool = False, systems=OTHER_SYSTEMS) -> list[Any]:
    """A header, then agents with their blocks (labels unique per agent), shared tools, messages
    (random roles, content parts, tool calls) and archival records (passages and mem0-like memories
    scoped to an agent of the stream, to an unknown agent, or to no agent).

    ``model_beside_llm_config``: an agent's ``model`` may differ from its ``llm_config.handle`` (by
    default it is either that handle or set only when there is no ``llm_config``). ``unique_names``:
    no two agents share a name. ``systems``: the systems records may come from (provenance, extras).
    """
    n_agents = draw(st.integers(min_agents, max_agents))
    n_tools = draw(st.integers(0, 3))
    tool_ids = unique_ids(draw, n_tools, letta_ids("tool"))
    # names unique, as in every real agent file (Letta keys tools by name; the writer folds two of one name)
    tools = [Tool(id=tid, name=_numbered(draw(maybe(short)), k), description=draw(maybe(wild_text)),
                  tool_type=draw(maybe(st.sampled_from(["custom", "letta_core", "external_mcp"]))),
                  source_type=draw(maybe(st.sampled_from(["python", "typescript"]))),
                  source_code=draw(maybe(wild_text)), json_schema=draw(maybe(json_objects(big_ints, 3))),
                  tags=draw(maybe(st.lists(short, max_size=3))), provenance=draw(provenances(systems)),
                  extras=draw(extras_of(systems)))
             for k, tid in enumerate(tool_ids)]
    agent_ids = unique_ids(draw, n_agents, letta_ids("agent"))
    agent_names = draw(st.lists(short, min_size=n_agents, max_size=n_agents, unique=unique_names))
    block_ids = iter(unique_ids(draw, 4 * n_agents, letta_ids("block")))
    message_ids = iter(unique_ids(draw, 6 * n_agents, letta_ids("message")))
    agents, blocks, messages = [], [], []
    for aid, agent_name in zip(agent_ids, agent_names):
        n_blocks = draw(st.integers(0, 4))
        labels = draw(st.lists(short, min_size=n_blocks, max_size=n_blocks, unique=True))
        mine = [Block(id=next(block_ids), label=label, value=draw(wild_text), limit=draw(maybe(st.integers(1, 10 ** 6))),
                      read_only=draw(st.booleans()), description=draw(maybe(wild_text)),
                      metadata=draw(maybe(json_objects(big_ints, 3))), tags=draw(maybe(st.lists(short, max_size=2))),
                      created_at=draw(timestamp), updated_at=draw(timestamp), provenance=draw(provenances(systems)),
                      extras=draw(extras_of(systems)))
                for label in labels]
        blocks += mine
        n_msgs = draw(st.integers(0, 6))
        msgs = [Message(id=next(message_ids), agent_id=aid,
                        role=draw(st.one_of(st.sampled_from(ROLES), ident)),
                        content=draw(st.lists(content_parts(big_ints), max_size=3)), name=draw(maybe(short)),
                        model=draw(maybe(short)), tool_calls=draw(tool_calls(big_ints)),
                        tool_call_id=draw(maybe(short)),
                        tool_returns=draw(maybe(st.lists(json_objects(big_ints, 2), max_size=2))),
                        created_at=draw(timestamp), conversation_id=draw(maybe(short)),
                        provenance=draw(provenances(systems)), extras=draw(extras_of(systems)))
                for _ in range(n_msgs)]
        listed = draw(st.booleans())
        if listed and msgs:  # the agent lists its context; the messages' flags agree with the list
            in_ctx = draw(st.lists(st.sampled_from([m.id for m in msgs]), unique=True, max_size=len(msgs)))
            msgs = [m.model_copy(update={"in_context": m.id in in_ctx}) for m in msgs]
        else:  # the agent lists none; the messages say it themselves
            in_ctx = []
            msgs = [m.model_copy(update={"in_context": draw(maybe(st.booleans()))}) for m in msgs]
        messages += msgs
        llm = draw(maybe(st.fixed_dictionaries(
            {"model": short, "model_endpoint_type": st.sampled_from(["openai", "anthropic"]),
             "context_window": st.integers(1000, 200000)},
            optional={"handle": short, "temperature": st.floats(0, 2)})))
        emb = draw(maybe(st.fixed_dictionaries({"embedding_model": short, "embedding_dim": st.integers(1, 4096)},
                                               optional={"handle": short})))
        if model_beside_llm_config or llm is None:
            model = draw(maybe(short))
        else:
            model = llm.get("handle")
        embedding = (emb or {}).get("handle") if emb is not None else draw(maybe(short))
        agents.append(Agent(
            id=aid, name=agent_name, description=draw(maybe(wild_text)), system=draw(maybe(wild_text)),
            agent_type=draw(maybe(st.sampled_from(["memgpt_agent", "letta_v1_agent", "react_agent"]))),
            llm_config=llm, embedding_config=emb, model=model, embedding=embedding,
            tags=draw(st.lists(short, max_size=3)), tool_rules=draw(st.lists(TOOL_RULES, max_size=2)),
            tool_ids=draw(st.lists(st.sampled_from(tool_ids), unique=True)) if tool_ids else [],
            block_ids=[b.id for b in mine], in_context_message_ids=in_ctx,
            secrets=draw(maybe(st.dictionaries(short, wild_text, max_size=2))),
            metadata=draw(maybe(json_objects(big_ints, 3))), created_at=draw(timestamp),
            updated_at=draw(timestamp), provenance=draw(provenances(systems)), extras=draw(extras_of(systems))))
    archival_recs: list[Any] = []
    if archival:
        n_arch = draw(st.integers(0, 5))
        arch_ids = unique_ids(draw, n_arch)
        owners = st.one_of(st.sampled_from(agent_ids), st.sampled_from([a.name for a in agents])) \
            if agents else st.nothing()
        for rid in arch_ids:
            kind = draw(st.sampled_from([Memory, Passage]))
            fields = draw(memory_fields(big_ints, systems))
            scope = fields["scope"]
            owner = draw(st.one_of(owners, st.none(), short))
            fields["scope"] = scope.model_copy(update={"agent_id": owner})
            archival_recs.append(kind(id=rid, **fields))
    header = Header(source_system=draw(st.sampled_from([None, "canonical", "mem0", "agentmemory"])))
    return [header, *agents, *blocks, *tools, *sorted(archival_recs, key=lambda r: r.kind), *messages]


# ---------------------------------------------------------------- AgentMemory-like (of other systems)


@st.composite
def episodic_records(draw, *, big_ints: bool = True, systems=OTHER_SYSTEMS) -> list[Any]:
    """Sessions, observations (in those sessions or others), summaries, graph entities and relations
    between them, as a canonical file (or another system) would hold them; in stream order."""
    from memconv.model import Entity, Observation, Relation, Session, Summary

    n_ses, n_obs, n_ent, n_rel = (draw(st.integers(0, n)) for n in (2, 4, 3, 3))
    ses_ids = unique_ids(draw, n_ses)
    sessions = [Session(
        id=sid, agent_id=draw(maybe(short)), project=draw(maybe(short)), cwd=draw(maybe(wild_text)),
        started_at=draw(timestamp), ended_at=draw(timestamp),
        status=draw(maybe(st.sampled_from(["active", "completed", "abandoned", "paused"]))), model=draw(maybe(short)),
        tags=draw(maybe(st.lists(short, max_size=2))), first_prompt=draw(maybe(wild_text)),
        summary=draw(maybe(wild_text)), commit_shas=draw(maybe(st.lists(st.from_regex(r"[0-9a-f]{7,40}", fullmatch=True),
                                                                        max_size=2))),
        observation_count=draw(maybe(st.integers(0, 10 ** 6))), provenance=draw(provenances(systems)),
        extras=draw(extras_of(systems))) for sid in ses_ids]
    any_session = st.sampled_from(ses_ids) | short if ses_ids else short
    number = st.integers(0, 10) | st.floats(0, 10, allow_nan=False)
    observations = [Observation(
        id=oid, session_id=draw(any_session), timestamp=draw(timestamp),
        observation_type=draw(maybe(st.sampled_from(["conversation", "file_edit", "decision"]) | short)),
        title=draw(maybe(wild_text)), subtitle=draw(maybe(wild_text)), facts=draw(st.lists(wild_text, max_size=2)),
        narrative=draw(maybe(wild_text)), concepts=draw(st.lists(short, max_size=2)),
        files=draw(st.lists(short, max_size=2)), importance=draw(maybe(number)),
        confidence=draw(maybe(st.floats(0, 1) | st.integers(0, 1))), agent_id=draw(maybe(short)),
        origin=draw(maybe(json_objects(big_ints, 2))), provenance=draw(provenances(systems)),
        extras=draw(extras_of(systems))) for oid in unique_ids(draw, n_obs)]
    summaries = [Summary(
        id=sid, session_id=sid, project=draw(maybe(short)), created_at=draw(timestamp), title=draw(maybe(wild_text)),
        narrative=draw(maybe(wild_text)), key_decisions=draw(st.lists(wild_text, max_size=2)),
        files_modified=draw(st.lists(short, max_size=2)), concepts=draw(st.lists(short, max_size=2)),
        observation_count=draw(maybe(st.integers(0, 100))), provenance=draw(provenances(systems)))
        for sid in (draw(st.lists(st.sampled_from(ses_ids), unique=True)) if ses_ids else [])]
    ent_ids = unique_ids(draw, n_ent)
    entities = [Entity(
        id=eid, name=draw(short), entity_type=draw(maybe(short)), properties=draw(json_objects(big_ints, 2)),
        aliases=draw(maybe(st.lists(short, max_size=2))), scope=draw(scopes), created_at=draw(timestamp),
        updated_at=draw(timestamp), provenance=draw(provenances(systems))) for eid in ent_ids]
    relations = [Relation(
        id=rid, source=draw(st.sampled_from(ent_ids)), relationship=draw(short), target=draw(st.sampled_from(ent_ids)),
        weight=draw(maybe(number)), scope=draw(scopes), created_at=draw(timestamp),
        provenance=draw(provenances(systems))) for rid in unique_ids(draw, n_rel if ent_ids else 0)]
    return [*sessions, *observations, *summaries, *entities, *relations]
