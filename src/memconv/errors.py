"""memconv's exit codes and its one exception hierarchy.

Every error a user can cause is a :class:`MemconvError` subclass; each class maps to exactly one
exit code of :class:`ExitCode`. The CLI prints ``memconv: error: <message>`` (one line) and exits with
that code. Anything else that escapes is a bug (exit 70).

Messages name the file, the place (line, record, JSON path) and what was expected, for example::

    memconv: error: agent2.af: line 1, column 2030: invalid JSON (expected a property name in double quotes)
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, tabled in the README.

    ============  ====================================================================
    code          meaning
    ============  ====================================================================
    0  OK         success
    1  PROBLEMS   differences or problems found (``diff``, ``validate``)
    2  USAGE      usage error (unknown option, unknown format name, bad combination)
    3  UNREADABLE input unreadable: missing, no permission, undecodable bytes or gzip
    4  INVALID    input invalid for its format (bad JSON, wrong shape, dangling reference)
    5  VERSION    unsupported version (input version or ``--target-version``)
    6  LOSS       loss refused (``--fail-on-loss`` and the target cannot hold something)
    7  LIMIT      limit or cap exceeded (AgentMemory caps, ``--max-records``, ``--max-bytes``)
    8  EXISTS     destination exists and no ``--strategy`` was given
    9  REMOTE     remote system unreachable or refusing
    10 PARTIAL    partial write to a live system
    11 OUTPUT     the output cannot be written (no space, read-only file or folder, OS write error)
    12 BUSY       another memconv is writing the same destination (``--wait`` ran out)
    70 INTERNAL   internal error (a bug in memconv)
    129 HANGUP    hung up (SIGHUP)
    130 INTERRUPTED  interrupted (Ctrl-C, SIGINT)
    143 TERMINATED   terminated (SIGTERM: ``kill``, ``timeout``, a container stop)
    ============  ====================================================================
    """

    OK = 0
    PROBLEMS = 1
    USAGE = 2
    UNREADABLE = 3
    INVALID = 4
    VERSION = 5
    LOSS = 6
    LIMIT = 7
    EXISTS = 8
    REMOTE = 9
    PARTIAL = 10
    OUTPUT = 11
    BUSY = 12
    INTERNAL = 70
    HANGUP = 129
    INTERRUPTED = 130
    TERMINATED = 143


class MemconvError(Exception):
    """Base of every error memconv raises on purpose.

    Args:
        message: one line naming the file, the place and what was expected.

    Attributes:
        exit_code: the :class:`ExitCode` the CLI exits with.
    """

    exit_code: ExitCode = ExitCode.INTERNAL

    def __init__(self, message: str):
        super().__init__(message)
        self.message = " ".join(str(message).split("\n"))


class UsageError(MemconvError):
    """A bad command line or library call: unknown format, incompatible options (exit 2)."""

    exit_code = ExitCode.USAGE


class InputUnreadable(MemconvError):
    """The input cannot be read at all: missing, no permission, bad gzip, not UTF-8 (exit 3)."""

    exit_code = ExitCode.UNREADABLE


class InputInvalid(MemconvError):
    """The input was read but is not valid for its format (exit 4)."""

    exit_code = ExitCode.INVALID


class UnsupportedVersion(MemconvError):
    """The input's version, or the requested target version, is not supported (exit 5)."""

    exit_code = ExitCode.VERSION


class LossRefused(MemconvError):
    """``--fail-on-loss`` was given and the target cannot hold part of the input (exit 6)."""

    exit_code = ExitCode.LOSS


class LimitExceeded(MemconvError):
    """A cap of the target format or a ``--max-*`` guard was exceeded (exit 7)."""

    exit_code = ExitCode.LIMIT


class DestinationExists(MemconvError):
    """The output already exists and no ``--strategy`` says what to do with it (exit 8)."""

    exit_code = ExitCode.EXISTS


class RemoteError(MemconvError):
    """A live system is unreachable or refused the request (exit 9)."""

    exit_code = ExitCode.REMOTE


class PartialWrite(MemconvError):
    """A push to a live system failed part-way (exit 10)."""

    exit_code = ExitCode.PARTIAL


class OutputUnwritable(MemconvError):
    """The output cannot be written: no space left, a read-only file or folder, any OS write error
    (exit 11). The message names the path and the operating system's reason."""

    exit_code = ExitCode.OUTPUT


class DestinationBusy(MemconvError):
    """Another memconv process holds the destination's lock and ``--wait`` ran out (exit 12)."""

    exit_code = ExitCode.BUSY


class Interrupted(MemconvError):
    """A signal stopped the run (SIGINT 130, SIGHUP 129, SIGTERM 143); nothing was committed.

    Args:
        signum: the signal number; the exit code is ``128 + signum``.
    """

    def __init__(self, signum: int):
        import signal as _signal

        self.signum = int(signum)
        self.exit_code = ExitCode(128 + self.signum) if 128 + self.signum in ExitCode._value2member_map_ \
            else ExitCode.INTERRUPTED
        super().__init__(f"interrupted by {_signal.Signals(self.signum).name}; no output file was committed")


def place(path: str | None, *parts: object) -> str:
    """Format a location prefix such as ``"a.af: agents[0].block_ids[2]"``.

    Args:
        path: the input's display name (``"<stdin>"`` for standard input) or None.
        parts: further location parts (``"line 3"``, a JSON path); empty ones are skipped.

    Returns:
        The parts joined with ``": "``.
    """
    items = [str(p) for p in (path, *parts) if p not in (None, "")]
    return ": ".join(items)


def memconv_cause(e: BaseException) -> "MemconvError | None":
    """The :class:`MemconvError` behind ``e`` (``e`` itself, or its cause or context, and so on), or
    None. A signal handler's :class:`Interrupted` raised while a C extension calls back into Python
    (ijson building an object) comes out of CPython as a ``SystemError`` "returned a result with an
    exception set", with the real exception as its cause: that is the signal, not a bug."""
    seen = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, MemconvError):
            return cur
        cur = cur.__cause__ or cur.__context__
    return None
