"""Unpack a tar archive the way Python 3.12's "data" filter does, on every supported Python.

`TarFile.extractall(filter="data")` exists from Python 3.11.4; Debian 12's 3.11.2 has no
`filter` argument. Where the filter exists it is used; elsewhere the same rules hold, checked
before anything is written: leading slashes are stripped, and a path that escapes the target,
a link, a device or a FIFO is refused.
"""

from __future__ import annotations

import tarfile
from pathlib import Path, PurePosixPath


class UnsafeArchiveError(Exception):
    """A member would write outside the target, or is not a plain file or directory."""


def extract_data(bundle: tarfile.TarFile, target: Path) -> None:
    """Extract every member of `bundle` under `target`, refusing what the "data" filter refuses."""
    if hasattr(tarfile, "data_filter"):
        bundle.extractall(target, filter="data")
        return
    root = target.resolve()
    members = bundle.getmembers()
    for member in members:
        path = PurePosixPath(member.name.lstrip("/"))
        if ".." in path.parts:
            raise UnsafeArchiveError(f"{member.name}: a path outside the archive's folder")
        if not (member.isfile() or member.isdir()):
            raise UnsafeArchiveError(f"{member.name}: not a plain file or folder")
        if not (root / path).resolve().is_relative_to(root):
            raise UnsafeArchiveError(f"{member.name}: a path outside the archive's folder")
    for member in members:
        destination = root / member.name.lstrip("/")
        if member.isdir():
            destination.mkdir(parents=True, exist_ok=True)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        source = bundle.extractfile(member)
        if source is not None:
            destination.write_bytes(source.read())
