"""The contract every adapter (spoke) implements.

An adapter is an instance of a :class:`Format` subclass. It names its format, says which versions
it reads and writes, sniffs inputs (:meth:`Format.detect`), reads an :class:`~memconv.io.Input` into
a stream of canonical items (:meth:`Format.read`), and writes a stream of canonical items to a
binary stream (:meth:`Format.write`). Adapters never import each other; they only import the hub.
Third-party adapters register an instance under the entry-point group ``memconv.adapters``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, BinaryIO, ClassVar, Iterable, Iterator

from .io import Input
from .mapping import MappingTable, ReadTable
from .model import Item
from .report import Report


@dataclass
class ReadOptions:
    """Options a reader may use.

    Attributes:
        report: where warnings go. extra: adapter-specific options (``{"sidecar": False}``).
    """

    report: Report = field(default_factory=Report)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class WriteOptions:
    """Options a writer may use.

    Attributes:
        report: where losses and counts go.
        target_version: the format version to write (None: the writer's default, or the source's
            version when source and target are the same system).
        timestamp: export time to write when the input carries none (ISO-8601); None: now.
        jsonl: write the format's line form (canonical, mem0).
        output_path: the destination path (None for standard output), for sidecar files.
        extra: adapter-specific options.
    """

    report: Report = field(default_factory=Report)
    target_version: str | None = None
    timestamp: str | None = None
    jsonl: bool = False
    output_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Option:
    """One keyword option a format's writer takes beyond the hub's (``memconv formats`` lists them; the
    command line passes any of them as ``-O NAME=VALUE``, some also have a flag of their own).

    Attributes:
        name: the keyword (``split``). type: ``bool``, ``str``, ``int`` or ``float``.
        help: one line. flag: the command line's own flag for it (``--split``), or None.
    """

    name: str
    type: type
    help: str
    flag: str | None = None

    def parse(self, text: str) -> Any:
        """The value of ``-O NAME=TEXT``: ``true``/``false`` (also ``1``/``0``, ``yes``/``no``) for a bool.

        Raises:
            ValueError: ``text`` is not a value of :attr:`type` (the message says what is expected).
        """
        if self.type is bool:
            low = text.strip().lower()
            if low in ("true", "1", "yes", "on"):
                return True
            if low in ("false", "0", "no", "off"):
                return False
            raise ValueError(f"expected true or false, got {text!r}")
        try:
            return self.type(text)
        except ValueError:
            raise ValueError(f"expected {'an integer' if self.type is int else 'a number'}, got {text!r}") from None

    def accepts(self, value: Any) -> bool:
        """True when ``value`` (a library keyword) is of :attr:`type` (an int for a float; never a bool
        for a number)."""
        if self.type is bool or isinstance(value, bool):
            return isinstance(value, bool) and self.type is bool
        if self.type is float:
            return isinstance(value, (int, float))
        return isinstance(value, self.type)

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "type", "help", "flag"}`` for ``memconv formats --json``."""
        return {"name": self.name, "type": self.type.__name__, "help": self.help, "flag": self.flag}


class Format:
    """Base class of an adapter.

    Class attributes:
        name: the format name used with ``--from``/``--to`` (lowercase).
        title: one line for ``memconv formats``.
        system: the system whose ``extras`` this adapter reads and restores.
        extensions: file name endings that suggest this format (``.af``).
        read_versions / write_versions: human-readable version ranges for ``memconv formats``.
        default_write_version: the version written when none is asked for.
        mapping: the writer's :class:`~memconv.mapping.MappingTable` (None: writes nothing).
        live: module (relative to the adapter's package, e.g. ``".live"``) with ``pull``, ``push`` and
            ``list_remote`` for live systems; None: no live system.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    system: ClassVar[str] = ""
    extensions: ClassVar[tuple[str, ...]] = ()
    read_versions: ClassVar[str] = ""
    write_versions: ClassVar[str] = ""
    default_write_version: ClassVar[str | None] = None
    mapping: ClassVar[MappingTable | None] = None
    live: ClassVar[str | None] = None
    write_options: ClassVar[tuple[Option, ...]] = ()
    """The keyword options this adapter's writer takes beyond the hub's (:class:`Option`); any other
    keyword is refused as a typo. A plugin declares its own here."""
    line_form: ClassVar[bool] = False
    """True when the writer has a JSON-L form (``--jsonl``)."""
    read_tables: ClassVar[tuple[ReadTable, ...]] = ()
    """The key tables the reader runs (:class:`~memconv.mapping.ReadTable`), for ``memconv mappings``
    and the read rows of ``docs/mappings.md``."""
    samples: ClassVar[tuple[str, ...]] = ()
    """Paths of small sample files of this format, for the contract suite (``tests/test_contract.py``)
    that every registered format passes; a plugin lists its own (the built-ins' are in ``fixtures/``)."""
    listed_document: ClassVar[tuple[str, tuple[str, ...]] | None] = None
    """A document the reader takes that may be one list under one top-level key, and nothing else
    (mem0's ``get_all``: ``("results", ("relations", "history", "memconv"))``): that key, and the other
    top-level keys the reader also reads. ``--jobs`` cuts such a document between its items when none of
    the others occurs in it (:mod:`memconv.jobs`). None: no such document."""
    document_frame: ClassVar[tuple[bytes, bytes] | None] = None
    """What the writer's default document form puts before the first item and after the last when it
    writes items in stream order joined by ``,\n`` and nothing else (mem0's ``get_all`` v1.1): ``--jobs``
    joins its parts' items between them (:mod:`memconv.jobs`). None: parts of that form are not joined."""
    record_lines: ClassVar[bool] = False
    """True when the JSON-L form holds one record a line, each read on its own and written in stream
    order (canonical, mem0): ``--jobs`` cuts such an input at line ends, and joins such outputs
    (:mod:`memconv.jobs`)."""
    header_line: ClassVar[bool] = False
    """True when the JSON-L form carries the stream's header as a line (canonical: first, and one per input
    joined): ``--jobs`` leaves it out of every part but the first, and a part whose range holds one gives
    way."""
    part_kinds: ClassVar[frozenset[str] | None] = None
    """The record kinds a ``--jobs`` part may hold when this format is the input or the output, where the
    reader or the writer joins the others across the whole stream (mem0: memories only; its relations
    take the listing's common scope, its writer names agents and writes history at the end). None:
    every kind."""
    header_once: ClassVar[bool] = False
    """True when the writer writes part of the header once per stream (mem0: the export time, another
    system's or a document's top-level fields): ``--jobs`` parts that carry such a header give way to
    the one-process run, since each part would write it."""
    whole_outputs: ClassVar[tuple[str, ...]] = ()
    """Endings of output names (lower case) the writer writes as another whole document than its line or
    default form (mem0's Markdown export, ``.md``): always in one process."""
    reads_whole: ClassVar[bool] = False
    """True when a folder or an archive named with ``--from`` is this format's as a whole even where
    :meth:`detect` is unsure of it (Letta Code's memory folder holds any files); otherwise a folder or
    archive the detector does not claim is read as the exports in it (:mod:`memconv.several`)."""
    writes_folder: ClassVar[bool] = False
    """True when ``-o`` may name a folder that the adapter writes whole: :meth:`is_folder_output` says
    which paths are folders, :meth:`stage_folder` writes one beside its destination."""

    @property
    def options(self) -> frozenset[str]:
        """The names of :attr:`write_options`."""
        return frozenset(o.name for o in self.write_options)

    def companions(self, output_path: str) -> list[str]:
        """Files a write to ``output_path`` may create beside it (Letta's passages sidecar). Without a
        ``--strategy`` an existing one is refused like an existing destination."""
        return []

    def read_with(self, inp: Input) -> list[str]:
        """Files a read of ``inp`` reads too (a Letta ``.af``'s passages sidecar beside it, when it
        belongs to it): a run that is also given one of them as an input of its own leaves it to this
        one (:mod:`memconv.several`), so nothing is read twice."""
        return []

    def is_folder_output(self, path: str) -> bool:
        """True when ``-o path`` is a folder this adapter writes (only when :attr:`writes_folder`)."""
        return False

    def stage_folder(self, items: Iterable[Item], dest: str, strategy: str | None, options: WriteOptions) -> Any:
        """Write the stream into a scratch folder beside ``dest`` (combined with an existing ``dest``
        under ``strategy``); return an object with ``plan`` (a :class:`memconv.strategies.Plan`),
        ``commit(fsync)`` (swap it into place) and ``discard()``.

        Raises:
            OutputUnwritable: the folder cannot be written.
        """
        raise NotImplementedError(f"{self.name} does not write folders")

    def detect(self, inp: Input) -> int:
        """How sure this format is that ``inp`` is its own: 0 (no) to 100 (certain).

        Implementations look at content (:meth:`Input.peek`), not only at the name.
        """
        return 0

    def read(self, inp: Input, options: ReadOptions) -> Iterator[Item]:
        """Yield a :class:`~memconv.model.Header` then canonical records.

        Raises:
            InputInvalid / InputUnreadable / UnsupportedVersion: with file and place in the message.
        """
        raise NotImplementedError(f"{self.name} cannot be read")

    def write(self, items: Iterable[Item], out: BinaryIO, options: WriteOptions) -> None:
        """Consume a header and records and write this format to ``out``.

        Raises:
            UnsupportedVersion: ``options.target_version`` is not one this writer writes.
            LimitExceeded: a cap of the target was exceeded.
        """
        raise NotImplementedError(f"{self.name} cannot be written")

    def merge(self, existing: Input, new: Input, out: BinaryIO, strategy: str, options: WriteOptions) -> Any:
        """Write to ``out`` the destination ``existing`` combined with the freshly written ``new``
        (both in this format) under ``strategy``; return the :class:`memconv.strategies.Plan`.

        Raises:
            UsageError: this format does not support strategies.
            InputInvalid: ``existing`` is not a file of this format.
        """
        from .errors import UsageError

        raise UsageError(f"--strategy is not supported for {self.name} destinations")

    def _live(self, what: str) -> Any:
        """The adapter's live module (``<adapter package>.live``, :attr:`live`), or a UsageError."""
        if not self.live:
            from .errors import UsageError

            raise UsageError(f"{self.name}: {what} a live system is not supported")
        import importlib

        return importlib.import_module(self.live, type(self).__module__)

    def pull(self, url: Any, options: ReadOptions) -> Iterator[Item]:
        """Yield a :class:`~memconv.model.Header` then the canonical records of the live system at
        ``url`` (a :class:`memconv.remote.RemoteURL`); ``options.extra`` holds ``token`` and pull options.
        Delegates to ``pull(url, options)`` of the adapter's :attr:`live` module.

        Raises:
            UsageError: this format cannot be read from a live system. RemoteError: the system failed.
        """
        return self._live("reading from").pull(url, options)

    def push(self, items: Iterable[Item], url: Any, options: WriteOptions) -> Any:
        """Write a canonical stream into the live system at ``url``; ``options.extra`` holds ``token``,
        ``strategy``, ``dry_run`` and push options. Return the :class:`memconv.strategies.Plan` (the same
        counts with ``dry_run``, which writes nothing). Delegates to the :attr:`live` module.

        Raises:
            UsageError: not supported. DestinationExists: records exist and no strategy was given.
            RemoteError: the system failed before anything was written. PartialWrite: after.
        """
        return self._live("writing to").push(items, url, options)

    def list_remote(self, url: Any, options: ReadOptions) -> list[dict[str, Any]]:
        """What the live system at ``url`` holds, one dict per agent, scope or collection (``memconv ls``).
        Delegates to the :attr:`live` module.

        Raises:
            UsageError: not supported. RemoteError: the system failed.
        """
        return self._live("listing").list_remote(url, options)

    def problems(self, inp: Input) -> list[str]:
        """Every problem this format's own checks find in ``inp`` (one line each, with the place);
        the reader's problems are found by reading. Default: none beyond the reader's."""
        return []

    @property
    def can_read(self) -> bool:
        """True when the subclass implements :meth:`read`."""
        return type(self).read is not Format.read

    @property
    def can_write(self) -> bool:
        """True when the subclass implements :meth:`write`."""
        return type(self).write is not Format.write
