"""Scratch files and folders: named after the process that owns them, swept when that process is gone.

Every temporary file or folder memconv makes beside a destination (the staged output, a merge's
converted input) or in ``TMPDIR`` (the spool of standard input) has a name holding ``memconv-<pid>-``.
A kill that no handler can catch (SIGKILL, a power loss) leaves them behind; the next memconv run that
writes into the same folder removes those whose owner process no longer exists (:func:`sweep`), so
scratch never piles up. Names:

* ``.<dest name>.memconv-<pid>-<random>.tmp``: a staged output (:mod:`memconv.commit`);
* ``.memconv-<pid>-<random>.d``: a scratch folder (a merge's converted input);
* ``memconv-<pid>-<random>.stdin``: the spool of standard input, in ``TMPDIR``.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile

_OWNED = re.compile(r"memconv-(\d+)-[A-Za-z0-9_]+\.(?:tmp|d|stdin)$")


def tag() -> str:
    """``memconv-<pid>-``: the prefix part that names this process as the owner."""
    return f"memconv-{os.getpid()}-"


def temp_file(folder: str, name: str) -> tuple[int, str]:
    """Create a staged file for destination ``name`` in ``folder``: ``(fd, path)`` (mode 0600).

    Raises:
        OSError: the folder cannot be written.
    """
    return tempfile.mkstemp(prefix=f".{name}.{tag()}", suffix=".tmp", dir=folder)


def temp_dir(folder: str) -> str:
    """Create a scratch folder in ``folder`` and return its path.

    Raises:
        OSError: the folder cannot be written.
    """
    return tempfile.mkdtemp(prefix=f".{tag()}", suffix=".d", dir=folder)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep(folder: str | None = None) -> int:
    """Remove scratch left in ``folder`` (default: ``TMPDIR``) by memconv processes that are gone.

    Returns:
        How many files or folders were removed. Errors (a folder that cannot be listed or written)
        are ignored: sweeping is housekeeping, never a reason to fail a run.
    """
    folder = folder or tempfile.gettempdir()
    removed = 0
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    for name in names:
        m = _OWNED.search(name)
        if not m or "memconv-" not in name or _alive(int(m.group(1))):
            continue
        path = os.path.join(folder, name)
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
            removed += 1
        except OSError:
            pass
    return removed
