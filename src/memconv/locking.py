"""An advisory lock on a destination, held for a whole read-merge-write.

Two memconv runs writing the same destination (two ``--strategy merge`` jobs, two ``--split`` runs)
would otherwise each read the old destination and the last rename would win, losing the other's
records in silence. :func:`destination_lock` takes ``fcntl.flock`` (standard library) on a lock file
beside the destination, ``.<name>.memconv-lock``; a second writer waits up to ``wait`` seconds, then is
refused with :class:`~memconv.errors.DestinationBusy` (exit 12). The lock file is removed on release;
a waiter that wakes on a removed lock file takes a new one (checked by inode), so removal is safe.
The lock is advisory: it orders memconv processes, not other programs.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from contextlib import contextmanager
from typing import Iterator

from .errors import DestinationBusy, OutputUnwritable

POLL_SECONDS = 0.05


def lock_path(destination: str) -> str:
    """The lock file of ``destination`` (a real path): ``<folder>/.<name>.memconv-lock``."""
    folder, name = os.path.split(destination)
    return os.path.join(folder, f".{name}.memconv-lock")


@contextmanager
def destination_lock(destination: str, wait: float = 0.0) -> Iterator[None]:
    """Hold the advisory lock of ``destination`` for the body of the ``with``.

    Args:
        destination: the output path, symbolic links already resolved.
        wait: seconds to wait for another writer to finish (0: refuse at once).

    Raises:
        DestinationBusy: another process holds the lock after ``wait`` seconds (exit 12).
        OutputUnwritable: the lock file cannot be created (a read-only folder, no space).
    """
    path = lock_path(destination)
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise OutputUnwritable(f"{destination}: cannot write in its folder: {e.strerror or e}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise OutputUnwritable(f"{destination}: cannot lock: {e.strerror or e}") from None
            if time.monotonic() >= deadline:
                raise DestinationBusy(
                    f"{destination}: another memconv is writing it (lock {path}); "
                    + (f"waited {wait:g} s; " if wait else "")
                    + "try again when it is done, or give --wait SECONDS") from None
            time.sleep(POLL_SECONDS)
            continue
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the holder removed the file as we took it: lock the new one
    try:
        yield
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
        os.close(fd)
