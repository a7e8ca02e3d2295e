"""The ml/ code archive: a reproducible tar.gz holding exactly the scripts SageMaker runs."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from constructs.ml.source_archive import source_files, write_archive

ML_SOURCE = Path(__file__).resolve().parents[2] / "ml"


def test_archive_is_flat_and_holds_the_entry_points(tmp_path: Path) -> None:
    archive = write_archive(ML_SOURCE, tmp_path / "sourcedir.tar.gz")
    with tarfile.open(archive, "r:gz") as bundle:
        names = bundle.getnames()
    # SageMaker runs `python train.py` from the archive's root, importing siblings by name.
    assert {"prepare.py", "train.py", "evaluate.py", "inference.py", "contract.py"} <= set(names)
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".md"))]


def test_same_sources_give_the_same_bytes(tmp_path: Path) -> None:
    first = write_archive(ML_SOURCE, tmp_path / "a.tar.gz").read_bytes()
    second = write_archive(ML_SOURCE, tmp_path / "b.tar.gz").read_bytes()
    assert first == second


def test_a_changed_file_changes_the_archive(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text("print(1)\n")
    before = write_archive(source, tmp_path / "before.tar.gz").read_bytes()
    (source / "train.py").write_text("print(2)\n")
    after = write_archive(source, tmp_path / "after.tar.gz").read_bytes()
    assert before != after
    assert [p.name for p in source_files(source)] == ["train.py"]


def test_empty_or_missing_source_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="holds no files"):
        write_archive(tmp_path, tmp_path / "x.tar.gz")
    with pytest.raises(ValueError, match="not a directory"):
        write_archive(tmp_path / "missing", tmp_path / "x.tar.gz")
