"""Archives unpack as the "data" filter would, on Pythons that have it and on those that do not."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from local_deploy.archives import UnsafeArchiveError, extract_data


def _archive(*members: tuple[tarfile.TarInfo, bytes]) -> tarfile.TarFile:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as bundle:
        for info, content in members:
            bundle.addfile(info, io.BytesIO(content) if content else None)
    buffer.seek(0)
    return tarfile.open(fileobj=buffer, mode="r:gz")


def _file(name: str, content: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    return info, content


def _link(name: str, target: str) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info, b""


@pytest.fixture(params=["filter", "no filter"])
def python(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both paths: the filter of Python 3.11.4+, and the checks made where it is missing."""
    if request.param == "no filter":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    elif not hasattr(tarfile, "data_filter"):
        pytest.skip("this Python has no extraction filter")
    return str(request.param)


def test_files_and_folders_are_extracted(python: str, tmp_path: Path) -> None:
    extract_data(_archive(_file("code/train.py", b"print(1)\n"), _file("a.txt", b"a")), tmp_path)
    assert (tmp_path / "code" / "train.py").read_bytes() == b"print(1)\n"
    assert (tmp_path / "a.txt").read_bytes() == b"a"


def test_an_absolute_path_lands_inside_the_target(python: str, tmp_path: Path) -> None:
    extract_data(_archive(_file("/etc/evil", b"x")), tmp_path)
    assert (tmp_path / "etc" / "evil").read_bytes() == b"x"


@pytest.mark.parametrize(
    "member",
    [_file("../escape.txt", b"x"), _link("link", "/etc/passwd")],
    ids=["parent path", "link out"],
)
def test_what_would_write_elsewhere_is_refused(
    python: str, member: tuple[tarfile.TarInfo, bytes], tmp_path: Path
) -> None:
    target = tmp_path / "target"
    target.mkdir()
    refused = (
        (UnsafeArchiveError, tarfile.FilterError) if python == "filter" else UnsafeArchiveError
    )
    with pytest.raises(refused):
        extract_data(_archive(member), target)
    assert list(tmp_path.iterdir()) == [target]
    assert list(target.iterdir()) == []
