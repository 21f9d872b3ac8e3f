"""Format name to adapter: the built-ins, then third-party adapters from entry points.

Third-party adapters declare, in their ``pyproject.toml``::

    [project.entry-points."memconv.adapters"]
    myformat = "my_package.memconv_adapter:FORMAT"

where ``FORMAT`` is an instance of a :class:`memconv.format.Format` subclass. Entry points are loaded
lazily, the first time the registry is used; a broken plugin gives a warning, not a crash.
"""

from __future__ import annotations

import difflib
import importlib
import warnings
from importlib.metadata import entry_points

from .errors import InputInvalid, UsageError
from .format import Format
from .io import Input
from .jsonutil import json_error, locate
from .mapping import MappingTable, ReadTable

try:
    from ijson.common import JSONError
except ImportError:  # pragma: no cover - ijson is a dependency
    JSONError = ValueError  # type: ignore[misc,assignment]

ENTRY_POINT_GROUP = "memconv.adapters"
BUILTINS = ("letta", "mem0", "agentmemory", "canonical", "letta_memfs")
"""Modules of the built-in adapters (``memconv.adapters.<module>``; ``letta_memfs`` is the format ``letta-memfs``)."""

_registry: dict[str, Format] | None = None


def builtin_formats() -> list[Format]:
    """The built-in adapters, in :data:`BUILTINS` order."""
    return [importlib.import_module(f"memconv.adapters.{name}").FORMAT for name in BUILTINS]


def mapping_tables() -> list[MappingTable]:
    """Every built-in writer's mapping table, in registry order (``docs/mappings.md``,
    ``memconv mappings``). Here rather than in :mod:`memconv.mapping`, which the formats import."""
    return [f.mapping for f in builtin_formats() if f.mapping is not None]


def read_tables() -> dict[str, list[ReadTable]]:
    """Every built-in reader's key tables, by format name, in registry order."""
    return {f.name: list(f.read_tables) for f in builtin_formats()}


def mappings_markdown() -> str:
    """``docs/mappings.md``: where each canonical field goes in each target (the writers' tables), then
    where each source key lands in the canonical model (the readers' tables)."""
    from .mapping import render_markdown, render_read_markdown

    return render_markdown(mapping_tables()) + "\n" + render_read_markdown(read_tables())


def mappings_rows() -> list[dict]:
    """``memconv mappings --json``: the write rows of every table, then the read rows."""
    from .mapping import read_rows_as_data, rows_as_data

    rows = list(rows_as_data(mapping_tables()))
    for fmt, tables in read_tables().items():
        rows += read_rows_as_data(fmt, tables)
    return rows


def _load() -> dict[str, Format]:
    global _registry
    if _registry is None:
        reg = {f.name: f for f in builtin_formats()}
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in reg:
                continue
            try:
                fmt = ep.load()
            except Exception as e:  # a broken plugin must not break memconv
                warnings.warn(f"memconv: adapter plugin {ep.name!r} failed to load: {e}", stacklevel=2)
                continue
            if not isinstance(fmt, Format):
                warnings.warn(f"memconv: adapter plugin {ep.name!r} is not a memconv.format.Format", stacklevel=2)
                continue
            reg[fmt.name or ep.name] = fmt
        _registry = reg
    return _registry


def reset() -> None:
    """Forget loaded adapters (the next call loads built-ins and entry points again)."""
    global _registry
    _registry = None


def formats() -> dict[str, Format]:
    """Every known format by name."""
    return dict(_load())


def companions(path: str) -> list[str]:
    """The files any format would read or write beside ``path`` (a Letta ``.af``'s passages sidecar):
    what goes with a file, whatever its format."""
    return [c for fmt in _load().values() for c in fmt.companions(path)]


def get(name: str) -> Format:
    """The adapter called ``name``.

    Raises:
        UsageError: unknown name; the message lists the known names and the closest match.
    """
    reg = _load()
    if not isinstance(name, str):
        raise UsageError(f"a format must be named by a string ({', '.join(sorted(reg))}); got {type(name).__name__}")
    key = name.strip().lower()
    if key in reg:
        return reg[key]
    known = ", ".join(sorted(reg))
    close = difflib.get_close_matches(key, list(reg), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UsageError(f"unknown format {name!r}{hint}; known formats: {known}")


def _utf8(peek: bytes) -> bool:
    """True when ``peek`` is UTF-8 (a character cut at its end aside)."""
    try:
        peek.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start >= len(peek) - 3 and e.reason == "unexpected end of data"
    return True


def detect(inp: Input) -> Format:
    """The format of ``inp``, decided by content (each adapter's :meth:`Format.detect`).

    A detector that fails to decode what it peeks at (a lone surrogate escape makes ijson's C
    backend raise ``UnicodeDecodeError``; bytes that are not UTF-8) counts as not recognising it.

    Raises:
        InputInvalid: no adapter recognises the input (empty, binary, or an unknown shape); when
            the input is not valid JSON, the message is :func:`memconv.jsonutil.json_error`'s
            (line, column and what was expected).
        InputUnreadable: no adapter recognises it, and it holds bytes that are not UTF-8.
    """
    best: tuple[int, Format] | None = None
    undecodable = False
    for fmt in _load().values():
        if not fmt.can_read:
            continue
        try:
            score = fmt.detect(inp)
        except (ValueError, JSONError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            score, undecodable = 0, True
        if score > 0 and (best is None or score > best[0]):
            best = (score, fmt)
    if best is None:
        peek = inp.peek(4096)
        if not inp.is_dir and not peek.strip():
            raise InputInvalid(f"{inp.name}: empty input")
        if not inp.is_dir:
            undecodable = undecodable or not _utf8(peek)
        if undecodable and not inp.is_dir:
            fault = locate(inp.open)
            if fault is not None and fault.kind in ("utf8", "surrogate"):
                raise json_error(inp.name, inp.open)
        known = ", ".join(sorted(_load()))
        raise InputInvalid(f"{inp.name}: format not recognised from its content; "
                           f"name it with --from (known formats: {known})")
    return best[1]


OUTPUT_NAME_ENDINGS = ((".af", "letta"), (".af.gz", "letta"), (".canonical.json", "canonical"),
                       (".canonical.json.gz", "canonical"), (".canonical.jsonl", "canonical"),
                       (".canonical.jsonl.gz", "canonical"))
"""Output names that say their format unambiguously (``.json`` and ``.jsonl`` alone do not: mem0,
AgentMemory and canonical files all end so)."""


def format_for_name(path: str) -> str | None:
    """The format an output file name implies (``out.af`` -> ``letta``), or None when it is ambiguous."""
    low = path.lower()
    for ending, name in OUTPUT_NAME_ENDINGS:
        if low.endswith(ending):
            return name
    return None
