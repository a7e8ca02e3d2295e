"""SourceArchive: a folder of code as a content-addressed `sourcedir.tar.gz` S3 asset.

SageMaker's framework containers take script-mode code as a gzipped tarball (the training
toolkit opens sagemaker_submit_directory with `tarfile.open(mode="r:gz")`), while a CDK directory
asset is a zip. So the folder is tarred on the synth machine by local bundling: Python's tarfile,
no Docker, milliseconds. Entries are sorted and their metadata zeroed, so the same sources give
the same bytes, the same asset hash and the same S3 key: a key names exactly one version of the
code, which is what a pipeline run records for lineage.
"""

from __future__ import annotations

import gzip
import tarfile
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_s3_assets as s3_assets

from constructs import Construct
from constructs.core.bundling import local_bundling

ARCHIVE_NAME = "sourcedir.tar.gz"
_SKIPPED_DIRS = frozenset({"__pycache__", ".ruff_cache", ".pytest_cache", "tests"})
_SKIPPED_SUFFIXES = (".pyc", ".md")


def source_files(source: Path) -> list[Path]:
    """The files that go into the archive, in a stable order."""
    return sorted(
        path
        for path in source.rglob("*")
        if path.is_file()
        and not _SKIPPED_DIRS.intersection(path.relative_to(source).parts)
        and not path.name.endswith(_SKIPPED_SUFFIXES)
    )


def write_archive(source: Path, destination: Path) -> Path:
    """Write `source`'s files, relative to it, into a reproducible gzipped tarball."""
    if not source.is_dir():
        raise ValueError(f"{source} is not a directory; nothing to archive")
    files = source_files(source)
    if not files:
        raise ValueError(f"{source} holds no files to archive")
    with (
        destination.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for path in files:
            info = archive.gettarinfo(str(path), arcname=str(path.relative_to(source)))
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            info.mode = 0o644
            with path.open("rb") as handle:
                archive.addfile(info, handle)
    return destination


class SourceArchive(Construct):
    """`source` as one tar.gz in the CDK assets bucket, located by `s3_uri` and `file_name`."""

    def __init__(self, scope: Construct, construct_id: str, *, source: Path) -> None:
        super().__init__(scope, construct_id)
        self.asset = s3_assets.Asset(
            self,
            "Asset",
            path=str(source),
            # The hash is of the bundled archive, so any change to the code is a new S3 key.
            asset_hash_type=cdk.AssetHashType.OUTPUT,
            bundling=local_bundling(
                lambda output_dir: write_archive(source, Path(output_dir) / ARCHIVE_NAME).is_file(),
                output_type=cdk.BundlingOutput.SINGLE_FILE,
            ),
        )
        self.s3_uri = self.asset.s3_object_url
        #: the object's name without its prefix: the file name SageMaker gives a downloaded input
        self.file_name = self.asset.s3_object_key.rsplit("/", 1)[-1]
