"""Opening inputs and writing outputs safely.

* :class:`Input` names one input: a path, a folder, or ``-`` for standard input. ``.gz`` inputs
  (by magic bytes, not only by name) are decompressed transparently; :meth:`Input.open` always
  returns a fresh binary stream of the decoded bytes. Standard input is spooled to a temporary file
  the first time it is opened so that format detection can peek and the reader can start over.
* :class:`AtomicOutput` writes to a temporary file in the destination's folder and renames it into
  place only on success; on failure the destination is untouched and the temporary file is removed.
  ``-`` writes to standard output. A ``.gz`` destination is gzip-compressed.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import shutil
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO

from .errors import InputUnreadable

GZIP_MAGIC = b"\x1f\x8b"
PEEK_BYTES = 64 * 1024


def _endless_device(path: Path) -> bool:
    """True for a character or block device other than ``/dev/null`` and a terminal (``/dev/zero``,
    ``/dev/urandom``, a disk): no export, and reading one never ends. A pipe, a FIFO (a shell's
    ``<(...)``), a terminal and ``/dev/null`` are read."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if not (stat.S_ISCHR(mode) or stat.S_ISBLK(mode)) or os.path.realpath(path) == os.devnull:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False  # (the open that reads it says why)
    try:
        return not os.isatty(fd)
    finally:
        os.close(fd)


class Input:
    """One input to a conversion.

    Args:
        spec: a filesystem path, or ``"-"`` for standard input.
        stdin: the binary stream to use for ``-`` (default ``sys.stdin.buffer``).

    Attributes:
        name: display name used in messages (``"<stdin>"`` for standard input).
        path: the :class:`~pathlib.Path`, or None for standard input.

    Raises:
        InputUnreadable: the path does not exist or cannot be read.
    """

    def __init__(self, spec: str | os.PathLike[str], stdin: BinaryIO | None = None):
        self._utf8: str | None = None  # the UTF-8 spool of a UTF-16/32 input
        self.transcoded: str | None = None
        """``"UTF-16"`` or ``"UTF-32"`` when the text was not UTF-8 but started with that byte order
        mark (Windows PowerShell's ``>`` writes UTF-16): :meth:`open` gives it as UTF-8, as Python's
        ``json.loads`` reads it."""
        self.spec = str(spec)
        self._stdin = stdin
        self._spool: str | None = None
        self._pipe: Path | None = None  # a path that is no file or folder, read once into the spool
        self._peek: bytes | None = None
        if self.spec == "-":
            self.path: Path | None = None
            self.name = "<stdin>"
        else:
            self.path = Path(self.spec)
            self.name = self.spec
            if not self.path.exists():
                raise InputUnreadable(f"{self.name}: no such file or folder")
            if not os.access(self.path, os.R_OK):
                raise InputUnreadable(f"{self.name}: permission denied")
            if _endless_device(self.path):
                raise InputUnreadable(f"{self.name}: is a device, not a file (give an export file, or - for "
                                      f"standard input)")
            if not self.path.is_dir() and not self.path.is_file():
                # a pipe, a FIFO (a shell's <(zcat x.gz)), /dev/stdin, /dev/null: read once and kept, as
                # standard input is (they cannot be read twice, nor sought in; that was an internal error)
                self._pipe = self.path
                self.path = None

    @property
    def is_dir(self) -> bool:
        """True when the input is a folder (a Letta bundle)."""
        return self.path is not None and self.path.is_dir()

    def _raw_path(self) -> str:
        if self.path is not None:
            return str(self.path)
        if self._spool is None and self._pipe is not None:
            try:
                with open(self._pipe, "rb") as src:
                    self._spool = _spool(src)
            except OSError as e:
                raise InputUnreadable(f"{self.name}: {e.strerror or e}") from None
        if self._spool is None:
            src = self._stdin or getattr(sys.stdin, "buffer", None)
            if src is None:  # a text stream with no bytes under it (io.StringIO, a notebook): its text as UTF-8
                src = io.BytesIO(sys.stdin.read().encode("utf-8", "surrogateescape"))
            self._spool = _spool(src)
        return self._spool

    @property
    def is_gzip(self) -> bool:
        """True when the raw bytes start with the gzip magic number."""
        if self.is_dir:
            return False
        with open(self._raw_path(), "rb") as f:
            return f.read(2) == GZIP_MAGIC

    def open(self) -> BinaryIO:
        """A fresh binary stream of the decoded bytes (gzip undone).

        Raises:
            InputUnreadable: the input is a folder or cannot be opened.
        """
        if self.is_dir:
            raise InputUnreadable(f"{self.name}: is a folder, not a file")
        try:
            raw = open(self._raw_path(), "rb")
        except OSError as e:
            raise InputUnreadable(f"{self.name}: {e.strerror or e}") from None
        stream: Any = raw
        if raw.read(2) == GZIP_MAGIC:
            raw.seek(0)
            stream = _CheckedGzip(raw, self.name)
        else:
            raw.seek(0)
        try:
            head = stream.peek(4)[:4]
        except (EOFError, OSError, zlib.error):  # a damaged gzip: its reads say so, with the input's name
            head = b""
        wide = next((enc for bom, enc in WIDE_BOMS if head.startswith(bom)), None)
        if wide is None:
            return stream  # type: ignore[no-any-return]
        # UTF-16/32: written once as UTF-8 to a spool file (readers seek), which later opens reuse
        self.transcoded = wide.upper()
        if self._utf8 is None:
            with _Utf8From(stream, wide, self.name) as src:
                self._utf8 = _spool(src)
        else:
            stream.close()
        return open(self._utf8, "rb")

    list_part: tuple[str, int, int] | None = None
    """``(path, start, end)`` when this input is a part of a document of one list that
    :mod:`memconv.jobs` cut: the part's items are those bytes of that file
    (:func:`memconv.jsonstream.list_items` reads them in pieces)."""

    def file_path(self) -> str | None:
        """The file whose bytes :meth:`open` gives as they are (a file on disk, not gzip, not UTF-16/32),
        for readers that seek in it themselves; None otherwise (standard input, a folder...)."""
        if self.path is None or self.is_dir:
            return None
        head = self.raw_peek(4)
        if head[:2] == GZIP_MAGIC or any(head.startswith(bom) for bom, _ in WIDE_BOMS):
            return None
        return str(self.path)

    def open_raw(self) -> BinaryIO:
        """The raw bytes, gzip not undone (for archives such as ``.tar.gz`` and ``.zip``)."""
        return open(self._raw_path(), "rb")

    def peek(self, n: int = PEEK_BYTES) -> bytes:
        """The first ``n`` decoded bytes (empty for a folder)."""
        if self.is_dir:
            return b""
        if self._peek is None or len(self._peek) < n:
            with self.open() as f:
                self._peek = f.read(n)
        return self._peek[:n]

    def raw_peek(self, n: int = 8) -> bytes:
        """The first ``n`` raw bytes (gzip not undone)."""
        if self.is_dir:
            return b""
        with open(self._raw_path(), "rb") as f:
            return f.read(n)

    def size(self) -> int | None:
        """Size in bytes of the raw input, None for a folder."""
        if self.is_dir:
            return None
        return os.path.getsize(self._raw_path())

    def close(self) -> None:
        """Remove the spool files (standard input, a UTF-16/32 input as UTF-8), if any."""
        for attr in ("_spool", "_utf8"):
            path = getattr(self, attr)
            if path is not None:
                try:
                    os.unlink(path)
                except OSError:
                    pass
                setattr(self, attr, None)

    def __del__(self) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Input({self.spec!r})"


def _spool(src: BinaryIO) -> str:
    """Copy ``src`` into a scratch file owned by this process (:func:`memconv.scratch.tag`, so that a
    later run sweeps it if this one dies); its path. Nothing is left when the copy fails."""
    from .scratch import tag

    fd, name = tempfile.mkstemp(prefix=tag(), suffix=".stdin")
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
    except BaseException:
        os.unlink(name)
        raise
    return name


WIDE_BOMS = ((b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\xff\xfe", "utf-16"),
             (b"\xfe\xff", "utf-16"))
"""Byte order marks of the wide Unicode encodings (the longer first: UTF-32 LE starts as UTF-16 LE)."""


class _Utf8From(io.RawIOBase):
    """A UTF-16 or UTF-32 stream (with its byte order mark) read as UTF-8 bytes, chunk by chunk."""

    def __init__(self, stream: Any, encoding: str, name: str):
        self.text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
        self.name_ = name
        self.encoding = encoding
        self.left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        while not self.left:
            try:
                chunk = self.text.read(1 << 15)
            except UnicodeDecodeError as e:
                raise InputUnreadable(f"{self.name_}: not {self.encoding.upper()} text after its byte order mark "
                                      f"({e.reason})") from None
            if not chunk:
                return 0
            self.left = chunk.encode("utf-8", "surrogatepass")
        n = min(len(buf), len(self.left))
        buf[:n] = self.left[:n]
        self.left = self.left[n:]
        return n

    def close(self) -> None:
        self.text.close()
        super().close()


class _CheckedGzip(gzip.GzipFile):
    """A GzipFile whose decode errors become :class:`InputUnreadable` naming the input."""

    def __init__(self, raw: BinaryIO, name: str):
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw
        self._display = name

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        try:
            return super().read(size)
        except (OSError, EOFError, zlib.error) as e:
            raise InputUnreadable(f"{self._display}: corrupt gzip data ({e})") from None

    def close(self) -> None:
        super().close()
        self._raw.close()


class AtomicOutput:
    """A destination written atomically, as a member of the active :class:`~memconv.commit.OutputSet`.

    Use as a context manager; write bytes to the returned binary stream. The bytes go to a staged file
    in the destination's folder (``-``: a spool in ``TMPDIR``). Inside an active output set (a write of
    :mod:`memconv.pipeline`) the staged file is renamed into place when the whole set commits; with no
    set active, on a clean exit of this ``with``. On an exception the staged file is removed and the
    destination is left exactly as it was. A symbolic link is written through (its target is replaced,
    the link kept).

    Args:
        spec: destination path, or ``"-"`` for standard output.
        stdout: binary stream for ``-`` (default ``sys.stdout.buffer``).
        compress: gzip the output; default: when the path ends in ``.gz``.
        exclusive: refuse at the rename if the destination exists (default: the set's rule; with no set,
            False: replace).
        main: the set's main output (renamed after its companions).

    Raises:
        UsageError: the destination's folder does not exist.
        OutputUnwritable: an OS error while writing (no space left, read-only), naming the path (exit 11).
        DestinationExists: ``exclusive`` and the destination appeared meanwhile (exit 8).
    """

    def __init__(self, spec: str | os.PathLike[str], stdout: BinaryIO | None = None,
                 compress: bool | None = None, *, exclusive: bool | None = None, main: bool = False):
        self.spec = str(spec)
        self._stdout = stdout
        self.path = None if self.spec == "-" else Path(self.spec)
        self.compress = compress if compress is not None else self.spec.endswith(".gz")
        self.exclusive = exclusive
        self.main = main
        self._own: Any = None
        self._set: Any = None
        self._member: Any = None
        self._gz: gzip.GzipFile | None = None

    def __enter__(self) -> BinaryIO:
        from .commit import OutputSet, active

        self._set = active()
        if self._set is None:
            self._own = OutputSet(exclusive=bool(self.exclusive), stdout=self._stdout).__enter__()
            self._set = self._own
        try:
            self._member = self._set.stage(self.spec, main=self.main, exclusive=self.exclusive)
        except BaseException:
            self._close_own(*sys.exc_info())
            raise
        if self.compress:
            self._gz = gzip.GzipFile(fileobj=self._member.fh, mode="wb", mtime=0)
            return self._gz  # type: ignore[return-value]
        return self._member.fh  # type: ignore[return-value]

    def __exit__(self, exc_type, exc, tb) -> None:
        from .commit import os_error

        try:
            if exc_type is None:
                try:
                    if self._gz is not None:
                        self._gz.close()
                    self._set.finish(self._member)
                except OSError as e:
                    raise os_error(self.spec, e) from None
                if self._own is not None:
                    self._own.commit()
            else:
                if self._gz is not None:
                    try:
                        self._gz.close()
                    except (OSError, ValueError):
                        pass  # the staged file is discarded next
                self._set.discard(self._member)
                if isinstance(exc, OSError):
                    raise os_error(self.spec, exc) from None
        finally:
            self._close_own(exc_type, exc, tb)

    def _close_own(self, exc_type, exc, tb) -> None:
        if self._own is not None:
            own, self._own = self._own, None
            own.__exit__(exc_type, exc, tb)


def same_file(a: str, b: str) -> bool:
    """True when two path specs name the same existing file (``-`` is never the same)."""
    if a == "-" or b == "-":
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def read_all(stream: BinaryIO) -> bytes:
    """Read a whole binary stream (used for the small documents that must be parsed whole)."""
    buf = io.BytesIO()
    shutil.copyfileobj(stream, buf, 1 << 20)
    return buf.getvalue()
