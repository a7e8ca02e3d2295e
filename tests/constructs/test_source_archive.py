"""constructs/ml/source_archive.py: SourceArchive, built in a bare stack from props."""

from __future__ import annotations

import tarfile
from pathlib import Path

import aws_cdk as cdk

from constructs.ml.source_archive import SourceArchive
from tests.constructs.bare import bare_stack, synthesized


def _sources(root: Path) -> Path:
    (root / "pkg" / "__pycache__").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "train.py").write_text("print('train')\n")
    (root / "pkg" / "util.py").write_text("X = 1\n")
    (root / "pkg" / "__pycache__" / "util.cpython-312.pyc").write_bytes(b"\0")
    (root / "tests" / "test_train.py").write_text("def test(): ...\n")
    (root / "README.md").write_text("# notes\n")
    return root


def test_archive_is_a_reproducible_tarball_asset_of_the_sources_only(tmp_path: Path) -> None:
    source = _sources(tmp_path / "src")
    app, stack = bare_stack()
    code = SourceArchive(stack, "Code", source=source)
    # An asset alone makes no resource, and an empty template fails validation.
    cdk.CfnWaitConditionHandle(stack, "Placeholder")
    cdk.CfnOutput(stack, "CodeUri", value=code.s3_uri)
    template = synthesized(app, stack)  # cdk-nag clean (warnings included), or synth fails
    asset_file = Path(app.outdir) / code.asset.asset_path
    assert asset_file.is_file()
    assert asset_file.name == f"asset.{code.asset.asset_hash}.tar.gz"
    with tarfile.open(asset_file, mode="r:gz") as archive:
        members = archive.getmembers()
    assert sorted(m.name for m in members) == ["pkg/util.py", "train.py"]
    assert {(m.mtime, m.uid, m.gid, m.mode) for m in members} == {(0, 0, 0, 0o644)}
    # The S3 key is the asset hash plus the last suffix CDK sees (".gz", not ".tar.gz").
    assert stack.resolve(code.file_name) == f"{code.asset.asset_hash}.gz"
    uri = template.find_outputs("CodeUri")["CodeUri"]["Value"]
    assert f"/{code.asset.asset_hash}.gz" in str(uri)


def test_same_sources_give_the_same_key_and_a_change_gives_a_new_one(tmp_path: Path) -> None:
    first = _sources(tmp_path / "a")
    second = _sources(tmp_path / "b")
    hashes = []
    for source in (first, second):
        _, stack = bare_stack()
        hashes.append(SourceArchive(stack, "Code", source=source).asset.asset_hash)
    (second / "train.py").write_text("print('changed')\n")
    _, stack = bare_stack()
    changed = SourceArchive(stack, "Code", source=second).asset.asset_hash
    assert hashes[0] == hashes[1]
    assert changed != hashes[0]
