"""Reading members of tar and zip archives in memory, never extracting to disk.

Guards against hostile archives: absolute member paths, ``..`` components, links and device files
are refused; member count, per-member size and total size are capped (decompression bombs). Sizes
are checked while reading, not only against the sizes the archive declares.
"""

from __future__ import annotations

import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from .errors import InputInvalid, InputUnreadable, LimitExceeded


@dataclass(frozen=True)
class Caps:
    """Limits for one archive: member count, bytes per member, bytes in total."""

    members: int = 10_000
    member_bytes: int = 512 * 1024 * 1024
    total_bytes: int = 2 * 1024 * 1024 * 1024


DEFAULT_CAPS = Caps()


def _check_name(archive: str, name: str) -> str:
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise InputInvalid(f"{archive}: member {name!r}: absolute path refused")
    if ".." in p.parts:
        raise InputInvalid(f"{archive}: member {name!r}: '..' in a member path refused")
    return str(p)


def _read_capped(archive: str, name: str, fh: BinaryIO, caps: Caps, used: int) -> bytes:
    chunks, size = [], 0
    while True:
        chunk = fh.read(1 << 20)
        if not chunk:
            break
        size += len(chunk)
        if size > caps.member_bytes:
            raise LimitExceeded(f"{archive}: member {name!r} is over {caps.member_bytes} bytes uncompressed")
        if used + size > caps.total_bytes:
            raise LimitExceeded(f"{archive}: archive is over {caps.total_bytes} bytes uncompressed")
        chunks.append(chunk)
    return b"".join(chunks)


def read_tar(archive: str, fileobj: BinaryIO, caps: Caps = DEFAULT_CAPS) -> dict[str, bytes]:
    """Regular-file members of a (possibly gzipped) tar as ``{normalised path: bytes}``.

    Raises:
        InputUnreadable: not a tar, or a truncated or corrupt one (exit 3). InputInvalid: a member with an
            unsafe path or a link.
        LimitExceeded: over a cap.
    """
    out: dict[str, bytes] = {}
    used = 0
    try:
        with tarfile.open(fileobj=fileobj, mode="r:*") as tf:
            for count, m in enumerate(tf, 1):
                if count > caps.members:
                    raise LimitExceeded(f"{archive}: more than {caps.members} members")
                name = _check_name(archive, m.name)
                if m.isdir():
                    continue
                if m.issym() or m.islnk():
                    raise InputInvalid(f"{archive}: member {m.name!r}: links are refused")
                if not m.isfile():
                    raise InputInvalid(f"{archive}: member {m.name!r}: not a regular file")
                fh = tf.extractfile(m)
                if fh is None:
                    continue
                data = _read_capped(archive, name, fh, caps, used)
                used += len(data)
                out[name] = data
    except tarfile.TarError as e:
        raise InputUnreadable(f"{archive}: not a readable tar archive ({e})") from None
    except (EOFError, zlib.error, OSError) as e:
        raise InputUnreadable(f"{archive}: truncated or corrupt tar archive ({e})") from None
    return out


def read_zip(archive: str, fileobj: BinaryIO, caps: Caps = DEFAULT_CAPS) -> dict[str, bytes]:
    """Regular-file members of a zip as ``{normalised path: bytes}``.

    Raises:
        InputUnreadable: not a zip, or a bad CRC (exit 3, as a corrupt gzip). InputInvalid: a member with
            an unsafe path or a link.
        LimitExceeded: over a cap.
    """
    out: dict[str, bytes] = {}
    used = 0
    try:
        with zipfile.ZipFile(fileobj) as zf:
            infos = zf.infolist()
            if len(infos) > caps.members:
                raise LimitExceeded(f"{archive}: more than {caps.members} members")
            for info in infos:
                name = _check_name(archive, info.filename)
                if info.is_dir():
                    continue
                mode = (info.external_attr >> 16) & 0o170000
                if mode == 0o120000:
                    raise InputInvalid(f"{archive}: member {info.filename!r}: links are refused")
                with zf.open(info) as fh:
                    data = _read_capped(archive, name, fh, caps, used)
                used += len(data)
                out[name] = data
    except zipfile.BadZipFile as e:
        raise InputUnreadable(f"{archive}: not a readable zip archive ({e})") from None
    except (EOFError, OSError, zlib.error) as e:
        raise InputUnreadable(f"{archive}: corrupt zip archive ({e})") from None
    return out
