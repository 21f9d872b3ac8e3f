"""Committing the outputs of one write as one set: all of them, or none.

One write can produce several files: the main output, Letta's passages sidecar, AgentMemory's
``--split`` parts. Each is staged under a new name in its destination's folder
(:func:`memconv.scratch.temp_file`), written, flushed and fsynced; nothing reaches a destination until
:meth:`OutputSet.commit`, which renames every member into place (the companions first, the main
output last, so a reader that sees the new main file sees its new companions; Letta's ``.af`` records
its sidecar's sha256 so that the opposite mix is caught), applies staged removals, and fsyncs the
folders. Any failure before the commit, a ``--fail-on-loss`` refusal, a dry run or a signal, removes
every staged file and leaves every destination as it was.

:class:`memconv.io.AtomicOutput` joins the set that is active in the calling context
(:func:`active`); with none active it is a set of one. So an adapter that writes its files through
``AtomicOutput`` gets this guarantee without knowing about sets.

OS errors (no space left, a read-only file or folder, a path that is a folder) become
:class:`~memconv.errors.OutputUnwritable` (exit 11), naming the path and the reason.
"""

from __future__ import annotations

import codecs
import contextvars
import errno
import os
import shutil
import stat
import sys
import tempfile
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO

from .errors import DestinationExists, OutputUnwritable, UsageError
from .scratch import temp_file
from .signals import deferred, mark_done

_ACTIVE: contextvars.ContextVar["OutputSet | None"] = contextvars.ContextVar("memconv_output_set", default=None)


def active() -> "OutputSet | None":
    """The :class:`OutputSet` the current write commits into, or None."""
    return _ACTIVE.get()


def resolve(path: str) -> str:
    """The file a destination path writes to: symbolic links followed (the link itself is kept), so
    ``-o link.json`` replaces the link's target, atomically, and the link stays a link."""
    return os.path.realpath(path) if os.path.islink(path) else path


def is_special(path: str) -> bool:
    """True for an existing destination that is not a regular file (``/dev/null``, a FIFO, a terminal):
    such a destination is written in place, at the commit, not replaced by a rename."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def check_file_path(path: str, option: str) -> None:
    """Check, before any work starts, that a file can be written at ``path`` (``--report``).

    Raises:
        UsageError: empty, a folder, or its folder does not exist.
    """
    from .errors import UsageError

    if path == "":
        raise UsageError(f"{option} '': expected a file path")
    if path == "-":
        return
    if path.endswith(("/", os.sep)) or os.path.isdir(path):
        raise UsageError(f"{option} {path}: is a folder; expected a file path")
    folder = os.path.dirname(resolve(path)) or "."
    if not os.path.isdir(folder):
        raise UsageError(f"{option} {path}: folder {folder} does not exist")


def os_error(path: str, e: OSError) -> OutputUnwritable:
    """:class:`OutputUnwritable` naming ``path`` (or the file the error names) and the OS's reason."""
    where = e.filename if isinstance(e.filename, str) and e.filename and ".memconv-" not in e.filename else path
    if where == "-":
        where = f"standard output (spooled in {tempfile.gettempdir()})"
    return OutputUnwritable(f"{where}: cannot write the output: {e.strerror or e}")


@dataclass
class Member:
    """One staged output: ``dest`` (a real path, or ``"-"`` for standard output) and its staged file."""

    dest: str
    tmp: str | None
    fh: IO[bytes]
    main: bool
    exclusive: bool
    closed: bool = False
    extra: dict = field(default_factory=dict)


class OutputSet:
    """The outputs of one write, committed together.

    Use as a context manager around the write; call :meth:`commit` at its end (or :meth:`abort`).
    Leaving the ``with`` without a commit removes every staged file.

    Args:
        exclusive: refuse, at the commit, to replace a destination that exists (no ``--strategy``):
            a destination that appeared while memconv worked is not overwritten.
        fsync: fsync each file before its rename and each folder after (``--no-fsync`` turns it off).
        stdout: the binary stream for ``"-"`` (default ``sys.stdout.buffer``).
        final: committing this set's main output ends the run's work (False for scratch sets, such as a
            merge's converted input).
    """

    def __init__(self, *, exclusive: bool = True, fsync: bool = True, stdout: BinaryIO | None = None,
                 final: bool = True):
        self.exclusive = exclusive
        self.fsync = fsync
        self.final = final
        self._stdout = stdout
        self.members: list[Member] = []
        self.removals: list[str] = []
        self.committed: list[str] = []
        self._token: contextvars.Token | None = None

    def __enter__(self) -> "OutputSet":
        self._token = _ACTIVE.set(self)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._token is not None:
            _ACTIVE.reset(self._token)
            self._token = None
        self.abort()

    # ------------------------------------------------------------------ staging

    def stage(self, destination: str, *, main: bool = False, exclusive: bool | None = None) -> Member:
        """Open a staged file for ``destination`` (``"-"``: standard output, spooled in ``TMPDIR``).

        Raises:
            UsageError: the destination's folder does not exist. OutputUnwritable: it cannot be written.
        """
        from .errors import UsageError

        excl = self.exclusive if exclusive is None else exclusive
        if destination == "-" or is_special(resolve(destination)):
            try:
                fh: IO[bytes] = tempfile.TemporaryFile(prefix="memconv-out-")
            except OSError as e:
                raise OutputUnwritable(f"standard output: cannot spool in {tempfile.gettempdir()}: "
                                       f"{e.strerror or e}") from None
            m = Member(destination if destination == "-" else resolve(destination), None, fh, main, False)
        else:
            dest = resolve(destination)
            folder, name = os.path.split(dest)
            folder = folder or "."
            if not os.path.isdir(folder):
                raise UsageError(f"{destination}: folder {folder} does not exist")
            try:
                fd, tmp = temp_file(folder, name)
            except OSError as e:
                raise os_error(destination, e) from None
            m = Member(dest, tmp, os.fdopen(fd, "wb"), main, excl)
        self.members.append(m)
        return m

    def finish(self, m: Member) -> None:
        """Flush, fsync and close a staged file (its content is complete).

        Raises:
            OutputUnwritable: the flush or fsync failed (no space left, an I/O error).
        """
        if m.closed:
            return
        try:
            m.fh.flush()
            if self.fsync and m.tmp is not None:
                os.fsync(m.fh.fileno())
        except OSError as e:
            raise os_error(m.dest, e) from None
        if m.tmp is not None:
            m.fh.close()
            m.closed = True

    def discard(self, m: Member) -> None:
        """Drop one staged file (its writer failed)."""
        _close_quietly(m.fh)
        m.closed = True
        if m.tmp is not None:
            _unlink_quietly(m.tmp)
        if m in self.members:
            self.members.remove(m)

    def remove_on_commit(self, path: str) -> None:
        """Delete ``path`` when the set is committed (a companion file the new output no longer has)."""
        self.removals.append(path)

    # ------------------------------------------------------------------ commit

    def commit(self) -> list[str]:
        """Rename every staged file into place (companions first, the main output last), apply the
        removals, fsync the folders, and copy a spooled standard output.

        Returns:
            The destinations written, in commit order.

        Raises:
            DestinationExists: an exclusive destination appeared while memconv worked (nothing of the
                set was renamed). OutputUnwritable: a rename or fsync failed.
        """
        order = [m for m in self.members if not m.main] + [m for m in self.members if m.main]
        for m in order:
            self.finish(m)
        for m in order:  # check every exclusive member before renaming any
            if m.exclusive and m.tmp is not None and os.path.lexists(m.dest):
                raise DestinationExists(f"{m.dest}: appeared while memconv was writing; it was left as it "
                                        f"is and nothing was written (choose --strategy, or another -o path)")
        folders: set[str] = set()
        with deferred():  # a signal must not stop the set half-renamed
            for m in order:
                if m.tmp is None:
                    self._copy_to_stdout(m)
                    continue
                self._place(m)
                self.committed.append(m.dest)
                folders.add(os.path.dirname(m.dest) or ".")
            for path in self.removals:
                if os.path.lexists(path) and path not in self.committed:
                    try:
                        os.unlink(path)
                    except OSError as e:
                        raise os_error(path, e) from None
                    folders.add(os.path.dirname(path) or ".")
        if self.fsync:
            for folder in folders:
                fsync_path(folder)
        if self.final and self.main_committed():
            mark_done()
        self.members = []
        self.removals = []
        return self.committed

    def main_committed(self) -> bool:
        """True when this set's main output was committed (the run's work is done)."""
        return any(m.main for m in self.members)

    def _place(self, m: Member) -> None:
        assert m.tmp is not None
        try:
            try:
                st = os.stat(m.dest)
                os.chmod(m.tmp, stat.S_IMODE(st.st_mode))
            except FileNotFoundError:
                os.chmod(m.tmp, 0o666 & ~_umask())
            if m.exclusive:
                try:  # link() refuses an existing name: no window between the check and the rename
                    os.link(m.tmp, m.dest)
                    os.unlink(m.tmp)
                    return
                except FileExistsError:
                    raise DestinationExists(f"{m.dest}: appeared while memconv was writing; it was left as "
                                            f"it is (choose --strategy, or another -o path)") from None
                except OSError as e:
                    if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV):
                        raise
            os.replace(m.tmp, m.dest)
        except OSError as e:
            raise os_error(m.dest, e) from None

    def _copy_to_stdout(self, m: Member) -> None:
        """Standard output or a special file: the spooled bytes, copied at the commit."""
        m.fh.seek(0)
        try:
            if m.dest == "-":
                out = self._stdout or getattr(sys.stdout, "buffer", None)
                if out is None:  # a text stream with no bytes under it (redirect_stdout, a notebook): the text
                    _copy_as_text(m.fh, sys.stdout)
                else:
                    shutil.copyfileobj(m.fh, out, 1 << 20)
                    out.flush()
            else:
                with open(m.dest, "wb") as out:
                    shutil.copyfileobj(m.fh, out, 1 << 20)
        except BrokenPipeError:
            raise
        except OSError as e:
            raise os_error(m.dest, e) from None
        finally:
            m.fh.close()
            m.closed = True

    def abort(self) -> None:
        """Remove every staged file that was not committed; destinations are left as they were."""
        for m in self.members:
            _close_quietly(m.fh)
            if m.tmp is not None:
                _unlink_quietly(m.tmp)
        self.members = []
        self.removals = []


def _close_quietly(fh: IO[bytes]) -> None:
    try:
        fh.close()
    except OSError:
        pass  # closing a file whose flush fails (no space left): its staged copy is removed next


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:
        pass  # a staged file that cannot be removed is swept by a later run (memconv.scratch)


def fsync_path(folder: str) -> None:
    """fsync a folder (or a file) by path; an error is ignored (some filesystems refuse it for folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a folder; the file itself was fsynced
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _copy_as_text(src: BinaryIO, out: Any) -> None:
    """Copy UTF-8 bytes to a text stream, decoded.

    Raises:
        UsageError: the bytes are not text (a gzipped output), which a text stream cannot take.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while True:
            chunk = src.read(1 << 20)
            out.write(decoder.decode(chunk, final=not chunk))
            if not chunk:
                break
    except UnicodeDecodeError:
        raise UsageError("standard output is a text stream (it has no binary buffer) and the output is not text "
                         "(gzip); write it to a file") from None
    out.flush()
