"""Hypothesis strategies for canonical records (shared by the property tests)."""

from __future__ import annotations

from hypothesis import strategies as st

from memconv.model import Agent, Block, Header, HistoryEvent, Memory, Message, Provenance, Scope

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
ident = st.from_regex(r"[a-z][a-z0-9_-]{0,11}", fullmatch=True)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2 ** 80), max_value=2 ** 80),
                        st.floats(allow_nan=False, allow_infinity=False), text)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                              st.dictionaries(ident, inner, max_size=3)),
                          max_leaves=8)
timestamp = st.one_of(st.none(), st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()))
scope = st.builds(Scope, user_id=st.one_of(st.none(), ident), agent_id=st.one_of(st.none(), ident),
                  run_id=st.one_of(st.none(), ident))


def memories(kind=Memory, system: str | None = None):
    return st.builds(
        kind, id=st.uuids().map(str), text=text, scope=scope,
        metadata=st.one_of(st.none(), st.dictionaries(ident, json_value, max_size=4)),
        categories=st.one_of(st.none(), st.lists(ident, max_size=3)),
        created_at=timestamp, updated_at=timestamp,
        hash=st.one_of(st.none(), st.from_regex(r"[0-9a-f]{32}", fullmatch=True)),
        provenance=st.just(Provenance(system=system)) if system else st.none())


events = st.builds(HistoryEvent, id=st.uuids().map(str), memory_id=st.uuids().map(str),
                   event=st.sampled_from(["ADD", "UPDATE", "DELETE"]), old_text=st.one_of(st.none(), text),
                   new_text=st.one_of(st.none(), text), created_at=timestamp)


@st.composite
def agent_bundles(draw):
    """A header, one agent with blocks and messages that reference it, as canonical items."""
    n_blocks = draw(st.integers(0, 4))
    n_msgs = draw(st.integers(0, 6))
    labels = draw(st.lists(ident, min_size=n_blocks, max_size=n_blocks, unique=True))
    blocks = [Block(id=f"block-{i}", label=labels[i], value=draw(text), limit=draw(st.integers(1, 10 ** 6)),
                    read_only=draw(st.booleans()), description=draw(st.one_of(st.none(), text)))
              for i in range(n_blocks)]
    msgs = [Message(id=f"message-{i}", agent_id="agent-0", role=draw(st.sampled_from(["user", "assistant", "system"])),
                    content=[{"type": "text", "text": draw(text)}], created_at=draw(timestamp), in_context=True)
            for i in range(n_msgs)]
    agent = Agent(id="agent-0", name=draw(st.from_regex(r"[A-Za-z][\w -]{0,15}", fullmatch=True)),
                  system=draw(st.one_of(st.none(), text)), tags=draw(st.lists(ident, max_size=3)),
                  block_ids=[b.id for b in blocks], in_context_message_ids=[m.id for m in msgs],
                  llm_config={"model": "m", "model_endpoint_type": "openai", "context_window": 1000})
    return [Header(), agent, *blocks, *msgs]
