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
import shutil
import sys
import tempfile
import zlib
from pathlib import Path
from typing import IO, BinaryIO

from .errors import InputUnreadable, UsageError

GZIP_MAGIC = b"\x1f\x8b"
PEEK_BYTES = 64 * 1024


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
        self.spec = str(spec)
        self._stdin = stdin
        self._spool: str | None = None
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

    @property
    def is_dir(self) -> bool:
        """True when the input is a folder (a Letta bundle)."""
        return self.path is not None and self.path.is_dir()

    def _raw_path(self) -> str:
        if self.path is not None:
            return str(self.path)
        if self._spool is None:
            src = self._stdin or sys.stdin.buffer
            fd, name = tempfile.mkstemp(prefix="memconv-stdin-")
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
            self._spool = name
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
        if raw.read(2) == GZIP_MAGIC:
            raw.seek(0)
            return _CheckedGzip(raw, self.name)  # type: ignore[return-value]
        raw.seek(0)
        return raw

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
        """Remove the standard-input spool file, if any."""
        if self._spool is not None:
            try:
                os.unlink(self._spool)
            except OSError:
                pass
            self._spool = None

    def __repr__(self) -> str:
        return f"Input({self.spec!r})"


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
    """A destination written atomically.

    Use as a context manager; write bytes to the returned binary stream. On a clean exit the
    temporary file is renamed over the destination (``os.replace``); on an exception it is removed
    and the destination is left exactly as it was.

    Args:
        spec: destination path, or ``"-"`` for standard output.
        stdout: binary stream for ``-`` (default ``sys.stdout.buffer``).
        compress: gzip the output; default: when the path ends in ``.gz``.

    Raises:
        UsageError: the destination's folder does not exist.
    """

    def __init__(self, spec: str | os.PathLike[str], stdout: BinaryIO | None = None,
                 compress: bool | None = None):
        self.spec = str(spec)
        self._stdout = stdout
        self.path = None if self.spec == "-" else Path(self.spec)
        self.compress = compress if compress is not None else self.spec.endswith(".gz")
        self._tmp: str | None = None
        self._fh: IO[bytes] | None = None
        self._gz: gzip.GzipFile | None = None

    def __enter__(self) -> BinaryIO:
        if self.path is None:
            # Spool, so that a failure part-way leaves standard output empty, not half-written.
            self._fh = tempfile.TemporaryFile(prefix="memconv-out-")
            target: IO[bytes] = self._fh
        else:
            folder = self.path.parent if str(self.path.parent) else Path(".")
            if not folder.is_dir():
                raise UsageError(f"{self.spec}: folder {folder} does not exist")
            fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
            self._fh = os.fdopen(fd, "wb")
            target = self._fh
        if self.compress:
            self._gz = gzip.GzipFile(fileobj=target, mode="wb", mtime=0)
            return self._gz  # type: ignore[return-value]
        return target  # type: ignore[return-value]

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._gz is not None:
            try:
                self._gz.close()
            except Exception:
                if exc_type is None:
                    raise
        if self.path is None:
            assert self._fh is not None
            if exc_type is None:
                out = self._stdout or sys.stdout.buffer
                self._fh.seek(0)
                shutil.copyfileobj(self._fh, out, 1 << 20)
                out.flush()
            self._fh.close()
            return
        assert self._fh is not None and self._tmp is not None
        self._fh.close()
        if exc_type is None:
            if self.path.exists():
                try:
                    shutil.copymode(self.path, self._tmp)
                except OSError:
                    pass
            else:
                os.chmod(self._tmp, 0o666 & ~_umask())
            os.replace(self._tmp, self.path)
        else:
            try:
                os.unlink(self._tmp)
            except OSError:
                pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
