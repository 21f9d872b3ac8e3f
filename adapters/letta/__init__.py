"""Letta: agent files (``.af``), ``AgentState`` JSON, hand-made bundles, archival passages.

Reads every shape in :mod:`.reader`; writes the ``AgentFileSchema`` letta 0.16.x imports, plus the
archival-passage sidecar ``<stem>.passages.jsonl`` (:mod:`.writer`; field mapping :data:`.mapping.MAPPING`).
Detection is by content: ``"agents"`` with block or tool
lists (AgentFileSchema), ``"core_memory"`` or ``"in_context_message_indices"`` (legacy), a string
holding either (double-encoded), an ``AgentState`` (``"id": "agent-…"`` with ``llm_config``), a folder
or tarball holding ``agent.json``, or a list of passages.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, BinaryIO, Iterable, Iterator

import orjson

from memconv.mapping import ReadTable
from memconv.archive import read_tar
from memconv.errors import InputInvalid, MemconvError
from memconv.jsonstream import stream_value
from memconv.format import Format, Option, ReadOptions, WriteOptions
from memconv.io import Input, read_all
from memconv.jsonutil import loads
from memconv.model import Header
from memconv.sniff import top_keys

from .mapping import MAPPING
from memconv.jsonutil import scan_numbers
from memconv.logmessages import NOT_UTF8, SIDECAR_MISMATCH, SIDECAR_READ

from .stream import is_v2, light_document, message_stream, starts_with_string
from .reader import is_agent_state, passage_from_letta, read_agent_states, read_legacy, read_v2
from .shape import (AGENT_KEYS, BLOCK_KEYS, FILE_KEYS, GROUP_KEYS, MCP_KEYS, MESSAGE_KEYS, SIDECAR_SHA256_KEY, SIDECAR_SUFFIX, SKILL_KEYS, SOURCE_KEYS, SYSTEM,
                    TOOL_KEYS, WRITE_VERSION, sidecar_path)
from .writer import FOLDED_BY_NAME, write_agent_file

__all__ = ["FORMAT", "LettaFormat", "SIDECAR_SUFFIX", "read_document", "read_sidecar", "sidecar_path"]

_V2_HINT = re.compile(rb'"agents"\s*:\s*\[')
_LEGACY_HINT = re.compile(rb'"(core_memory|in_context_message_indices)"\s*:')
_DOUBLE_HINT = re.compile(rb'\\"(agents|core_memory|in_context_message_indices)\\"\s*:')
_STATE_HINT = re.compile(rb'"id"\s*:\s*"agent-[^"]*"')
_PASSAGE_HINT = re.compile(rb'"(archive_id|passage-[0-9a-f-]+)"')
_TOP_HINTS = frozenset({"agents", "core_memory", "in_context_message_indices"})
_NOT_LETTA = frozenset({"sessions", "observations", "results", "format", "kind", "memories", "exportedAt",
                        "summaries", "export_meta"})
"""Top-level keys of an ``.af`` (AgentFileSchema, legacy) and of the other formats' documents."""


class LettaFormat(Format):
    """Letta agent files: reads v2 and legacy ``.af``, AgentState JSON, bundles and passages."""

    name = "letta"
    title = "Letta agent file (.af): AgentFileSchema, legacy AgentSchema, AgentState, bundles"
    system = "letta"
    extensions = (".af", ".af.gz")
    read_versions = "AgentFileSchema (letta 0.8.16-0.16.8), legacy AgentSchema (0.6.40-0.11.x), AgentState, bundles"
    write_versions = f"AgentFileSchema as letta 0.16.x imports it (default {WRITE_VERSION}), plus a passages sidecar"
    default_write_version = WRITE_VERSION
    write_options = (
        Option("passages", str, "where to write the passages sidecar (default: beside -o; needed when the .af "
                                "goes to standard output)", "--passages"),
    )
    mapping = MAPPING
    read_tables = (
        ReadTable("block", "blocks[]", BLOCK_KEYS, SYSTEM, "an AgentFileSchema block; id -> id"),
        ReadTable("tool", "tools[]", TOOL_KEYS, SYSTEM, "id -> id"),
        ReadTable("source", "sources[]", SOURCE_KEYS, SYSTEM, "id -> id"),
        ReadTable("mcp_server", "mcp_servers[]", MCP_KEYS, SYSTEM, "id -> id; credentials in server_url blanked"),
        ReadTable("skill", "skills[]", SKILL_KEYS, SYSTEM, "keyed by name"),
        ReadTable("agent", "agents[]", AGENT_KEYS, SYSTEM, "an AgentFileSchema agent; id -> id; legacy files' "
                  "tags, tool_exec_environment_variables and metadata_ are normalised first"),
        ReadTable("message", "agents[].messages[]", MESSAGE_KEYS, SYSTEM, "id -> id; agent_id is the agent "
                  "it is nested in when it has none; in_context from the agent's in_context_message_ids"),
        ReadTable("file", "files[]", FILE_KEYS, SYSTEM, "id -> id; created_at from file_creation_date"),
        ReadTable("group", "groups[]", GROUP_KEYS, SYSTEM, "id -> id"),
    )
    live = ".live"

    def detect(self, inp: Input) -> int:
        if inp.is_dir:
            return 95 if (inp.path / "agent.json").is_file() else 0
        raw = inp.raw_peek(512)
        if raw[:2] == b"\x1f\x8b" and _is_bundle_tar(inp):
            return 95
        head = inp.peek(256 * 1024)
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        named = inp.name.endswith(self.extensions)
        if text[:1] == b"{":
            if _V2_HINT.search(head) or _LEGACY_HINT.search(head):
                return 90
            if _STATE_HINT.search(head) and b'"llm_config"' in head:
                return 80
            if len(head) >= 256 * 1024:
                # the peek ends inside the document before its telling keys: look at the whole top level
                seen = top_keys(inp, lambda t: bool(t.seen & _TOP_HINTS) or bool(t.seen & _NOT_LETTA),
                                head=head).seen
                if seen & _TOP_HINTS and not seen & _NOT_LETTA:
                    return 90
        if text[:1] == b"[" and _STATE_HINT.search(head) and b'"llm_config"' in head:
            return 75
        if text[:1] == b"[" and _PASSAGE_HINT.search(head) and b'"text"' in head:
            return 60
        if _passage_lines(inp):
            return 60
        if text[:1] == b'"' and _DOUBLE_HINT.search(head):
            return 85
        return 40 if named and text[:1] in (b"{", b'"') else 0

    def read(self, inp: Input, options: ReadOptions) -> Iterator[Any]:
        """Yield a :class:`~memconv.model.Header`, then the records of one Letta input (``.af`` of any
        schema, ``AgentState`` JSON, a bundle folder or ``.tar.gz``, a passages file or sidecar).

        Raises:
            InputInvalid: not a Letta shape, bad JSON, a broken reference (file and place named).
            InputUnreadable: not UTF-8, corrupt gzip. LimitExceeded: an archive over the caps.
        """
        report = options.report
        if inp.is_dir:
            yield from _read_bundle_dir(inp, report)
            return
        if inp.raw_peek(2) == b"\x1f\x8b" and _is_bundle_tar(inp):
            with inp.open_raw() as fh:
                members = read_tar(inp.name, fh)
            yield from _read_bundle_members(inp.name, members, report)
            return
        if _passage_lines(inp):  # a passages sidecar on its own
            yield Header(source_system="letta", source_variant="passages")
            yield from read_sidecar(inp, report)
            return
        if _streamable(inp):
            doc, messages = light_document(inp, report)
            if is_v2(doc):
                counts = [m.count for m in messages]
                yield from read_v2(doc, inp.name, report, message_source=message_stream(inp, counts, report),
                                   message_ids=messages)
            else:
                yield from read_document(doc, inp.name, report)
        else:
            with inp.open() as fh:
                data = read_all(fh)
            doc = loads(data, inp.name, report=report)
            yield from read_document(doc, inp.name, report)
        if inp.path is not None and options.extra.get("sidecar", True):
            side = sidecar_path(inp.path)
            meta = doc.get("metadata") if isinstance(doc, dict) else None
            recorded = meta.get(SIDECAR_SHA256_KEY) if isinstance(meta, dict) else None
            if side.is_file() and side != inp.path:
                if check_sidecar(inp.name, Input(side), recorded):
                    report.warn(f"{inp.name}: reading archival passages from {side}", SIDECAR_READ)
                    yield from read_sidecar(Input(side), report)
                else:
                    report.warn(f"{inp.name}: {side} is not read: {inp.name} records that it was written "
                                f"without a passages sidecar (the file beside it is stale)", SIDECAR_MISMATCH)
            elif recorded:
                report.warn(f"{inp.name}: its passages sidecar {side} is missing; the agent file's archival "
                            f"passages are not read", SIDECAR_MISMATCH)

    def problems(self, inp: Input) -> list[str]:
        """Tools, sources or MCP servers that share a name in one agent file: Letta's importer upserts
        them by name and refuses the whole file (0.16.8: ``ON CONFLICT DO UPDATE command cannot affect
        row a second time``). memconv's writer folds them (:data:`.writer.FOLDED_BY_NAME`)."""
        from memconv.report import Report

        seen: dict[tuple[str, str], list[str]] = {}
        try:
            for rec in self.read(inp, ReadOptions(report=Report())):
                attr = FOLDED_BY_NAME.get(rec.kind, (None,))[0]
                name = getattr(rec, attr, None) if attr else None
                if name:
                    seen.setdefault((rec.kind, name), []).append(rec.id)
        except Exception:  # noqa: BLE001 - the reader's own problems are found by reading (validate)
            return []
        return [f"{len(ids)} {kind} records share the name {name!r} ({', '.join(ids[:5])}); Letta's importer "
                f"keeps one {kind} per name and refuses the file" for (kind, name), ids in seen.items() if len(ids) > 1]

    def companions(self, output_path: str) -> list[str]:
        """The passages sidecar ``<stem>.passages.jsonl`` beside the ``.af``."""
        return [str(sidecar_path(output_path))]

    def read_with(self, inp: Input) -> list[str]:
        """The passages sidecar beside ``inp`` when :meth:`read` reads it: ``inp`` is an agent file (not
        passages itself) and does not record that it was written without one (``metadata`` is found
        with a streamed pass, as :meth:`read` takes it)."""
        if inp.path is None or inp.is_dir or _passage_lines(inp):
            return []
        side = sidecar_path(inp.path)
        if side == inp.path or not side.is_file():
            return []
        try:
            meta = stream_value(inp, "metadata")
        except MemconvError:  # (the input's own error comes when it is read)
            return []
        recorded = meta.get(SIDECAR_SHA256_KEY) if isinstance(meta, dict) else None
        return [] if recorded == "" else [str(side)]

    def merge(self, existing: Input, new: Input, out: BinaryIO, strategy: str, options: WriteOptions) -> Any:
        """Agents by name, blocks by label within an agent; see :mod:`.merge`."""
        from .merge import merge_agent_files

        return merge_agent_files(self, existing, new, out, strategy, options)

    def write(self, items: Iterable[Any], out: BinaryIO, options: WriteOptions) -> None:
        """Write the stream as one ``.af`` (and its passages sidecar); see :mod:`.writer`.

        Raises:
            UnsupportedVersion: ``options.target_version`` is not a letta 0.16.x AgentFileSchema.
        """
        write_agent_file(items, out, options)


STREAM_BYTES = 8 * 1024 * 1024
"""``AgentFileSchema`` files from this size on are streamed (:mod:`.stream`); smaller ones are parsed
whole, which also checks them for duplicate keys."""


def _passage_lines(inp: Input) -> bool:
    """True for Letta passages one a line, as memconv's sidecar holds them (``<stem>.passages.jsonl``),
    given on their own: the first line is a whole JSON object with a string ``text``, a passage's
    owner (``agent_id`` or ``archive_id``) or a ``passage-`` id, and no key of an agent file or a
    message (``role``); and another line follows it, or the file is named as a sidecar. (Any JSON-L
    with a ``text`` is not: a dump of reviews or of messages is no Letta input.)"""
    if inp.is_dir:
        return False
    head = inp.peek(256 * 1024).lstrip(b"\xef\xbb\xbf \t\r\n")
    first, sep, rest = head.partition(b"\n")
    if first[:1] != b"{" or not (rest.strip()[:1] == b"{" or (sep and inp.name.endswith(SIDECAR_SUFFIX))):
        return False
    try:
        obj = orjson.loads(first)
    except orjson.JSONDecodeError:
        return False
    return (isinstance(obj, dict) and isinstance(obj.get("text"), str)
            and ("agent_id" in obj or "archive_id" in obj or str(obj.get("id", "")).startswith("passage-"))
            and obj.keys().isdisjoint(("kind", "role", "agents", "core_memory", "messages", "memory")))


def _streamable(inp: Input) -> bool:
    """A large object document (not double-encoded) whose numbers ijson's C backend can hold."""
    if (inp.size() or 0) < STREAM_BYTES or starts_with_string(inp):
        return False
    if inp.peek(1024).lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{":
        return False
    with inp.open() as fh:
        return not scan_numbers(fh, inp.name)


def read_document(doc: Any, name: str, report: Any) -> Iterator[Any]:
    """Dispatch a parsed JSON document to the reader of its shape.

    Raises:
        InputInvalid: not a Letta shape.
    """
    if isinstance(doc, dict) and isinstance(doc.get("agents"), list):
        yield from read_v2(doc, name, report)
    elif isinstance(doc, dict) and "agents" in doc:
        raise InputInvalid(f"{name}: agents: expected a list of agents, got {type(doc['agents']).__name__}")
    elif isinstance(doc, dict) and ("core_memory" in doc or "in_context_message_indices" in doc
                                    or ("version" in doc and "messages" in doc)):
        yield from read_legacy(doc, name, report)
    elif is_agent_state(doc):
        yield from read_agent_states([doc], name, report)
    elif isinstance(doc, list) and doc and all(is_agent_state(d) for d in doc):
        yield from read_agent_states(doc, name, report, variant="agent_list")
    elif isinstance(doc, list) and all(isinstance(d, dict) and "text" in d for d in doc):
        yield Header(source_system="letta", source_variant="passages")
        for i, p in enumerate(doc):
            yield passage_from_letta(p, name, f"[{i}]", None, report=report)
    elif isinstance(doc, dict):
        raise InputInvalid(f"{name}: not a Letta agent file: expected \"agents\" (AgentFileSchema) or "
                           f"\"core_memory\" (legacy AgentSchema) at the top level")
    else:
        raise InputInvalid(f"{name}: not a Letta agent file: expected a JSON object at the top level, "
                           f"got {type(doc).__name__}")


def check_sidecar(af_name: str, side: Input, recorded: Any) -> bool:
    """Check that a passages sidecar belongs to its ``.af``: the sha256 of its decoded bytes equals
    the one the ``.af`` records in ``metadata.memconv_passages_sha256``. ``""`` there says the ``.af``
    was written with no sidecar: a sidecar beside it is stale (a replaced file, or a write cut before
    its removal) and is not read. An ``.af`` that records nothing (written by Letta, by hand or by an
    older memconv) is not checked.

    Returns:
        True when the sidecar is to be read.

    Raises:
        InputInvalid: the hashes differ (a write was cut between the two files, or one was replaced).
    """
    if not isinstance(recorded, str):
        return True
    if not recorded:
        return False
    digest = hashlib.sha256()
    with side.open() as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest() != recorded:
        raise InputInvalid(f"{side.name}: does not belong to {af_name} (its sha256 is not the one {af_name} "
                           f"records in metadata.{SIDECAR_SHA256_KEY}): the pair is mixed (a write was cut "
                           f"between them, or one was replaced); rewrite both")
    return True


def read_sidecar(inp: Input, report: Any) -> Iterator[Any]:
    """Passages from a ``<stem>.passages.jsonl`` sidecar, one Letta passage object per line.

    Raises:
        InputInvalid: a line that is not JSON or not a passage, naming its line number.
    """
    with inp.open() as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            obj = loads(line, inp.name, undo_double=False, report=report, line=lineno)
            yield passage_from_letta(obj, inp.name, f"line {lineno}", None, report=report)


def _is_bundle_tar(inp: Input) -> bool:
    import tarfile

    try:
        with inp.open_raw() as fh, tarfile.open(fileobj=fh, mode="r:gz") as tf:
            for count, m in enumerate(tf):
                if m.name.lstrip("./").split("/")[-1] == "agent.json":
                    return True
                if count > 200:
                    break
    except (tarfile.TarError, OSError, EOFError):
        return False
    return False


def _read_bundle_dir(inp: Input, report: Any) -> Iterator[Any]:
    root = inp.path
    members: dict[str, bytes] = {}
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            raise InputInvalid(f"{inp.name}: {p.relative_to(root)}: links are refused in a bundle")
        if p.is_file():
            members[str(p.relative_to(root).as_posix())] = p.read_bytes()
    yield from _read_bundle_members(inp.name, members, report)


def _read_bundle_members(name: str, members: dict[str, bytes], report: Any) -> Iterator[Any]:
    by_base: dict[str, str] = {}
    for m in members:
        parts = m.split("/")
        rel = "/".join(parts[1:]) if len(parts) > 1 and parts[0] not in ("documents",) and \
            f"{parts[0]}/agent.json" in members else m
        by_base[rel] = m
    if "agent.json" not in by_base:
        raise InputInvalid(f"{name}: bundle without agent.json")
    state = loads(members[by_base["agent.json"]], f"{name}: agent.json", report=report)
    if not is_agent_state(state):
        raise InputInvalid(f"{name}: agent.json: expected a Letta AgentState (GET /v1/agents/{{id}})")
    memory = None
    if "memory.json" in by_base:
        memory = loads(members[by_base["memory.json"]], f"{name}: memory.json", report=report)
        if not isinstance(memory, dict):
            raise InputInvalid(f"{name}: memory.json: expected an object with \"blocks\"")
    metadata = None
    if "metadata.json" in by_base:
        metadata = loads(members[by_base["metadata.json"]], f"{name}: metadata.json", report=report)
        if not isinstance(metadata, dict):
            metadata = {"value": metadata}
    documents = []
    for rel in sorted(by_base):
        if rel.startswith("documents/") and not rel.endswith("/"):
            raw = members[by_base[rel]]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                report.warn(f"{name}: {rel}: not UTF-8 text; skipped", NOT_UTF8)
                continue
            documents.append((rel[len("documents/"):], text))
    yield from read_agent_states([state], name, report, memory=memory, documents=documents,
                                 metadata=metadata, variant="bundle")


FORMAT = LettaFormat()
