"""The staged-artifacts lock: what `make stage-artifacts ENV=...` verified and copied into the
account's own S3, read at synth so that the nodes install those copies, pinned by digest.

`platform_config/artifacts.lock.json` (written by `ops/stage_artifacts.py`; commit it, as you
would cdk.context.json) holds, per profile, the account and region it was staged in and, per
download of `cluster.distribution` (spark, hadoop_aws, aws_sdk_bundle):

- `version` and `source`: the profile's version and upstream URL when it was staged;
- `url`: the staged copy, `s3://<bucket>/<key>`;
- `sha512`: the SHA-512 of the verified bytes;
- `verified`: what was checked before it was staged (published checksum, signature and key).

At synth, an entry replaces its download's `url` and sets its `sha512` when its `version` and
`source` are still the profile's; an entry for an older version or another URL is ignored (the
download is unpinned again and synth says so, until the command is run again). A profile that
pins its own `sha512` must agree with the lock. A profile that pins an account or a region
must be the one the artifacts were staged in: the nodes could not read another account's copy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError

from platform_config.base import Section
from platform_config.cluster import DownloadUrl, Sha512
from platform_config.errors import ConfigError, from_validation_error

LOCK_PATH = Path(__file__).with_name("artifacts.lock.json")
#: `cdk synth -c artifacts-lock=PATH` reads another lock (the tests do).
LOCK_CONTEXT_KEY = "artifacts-lock"
DOWNLOAD_KEYS = ("spark", "hadoop_aws", "aws_sdk_bundle")
DownloadKey = Literal["spark", "hadoop_aws", "aws_sdk_bundle"]

_S3_URL = re.compile(r"^s3://")


def _check_staged_url(value: str) -> str:
    if not _S3_URL.match(value):
        raise ValueError("not a staged copy; allowed: s3://bucket/key")
    return value


StagedUrl = Annotated[DownloadUrl, AfterValidator(_check_staged_url)]


class StagedArtifact(Section):
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    source: str = Field(min_length=1, description="The upstream URL it was downloaded from.")
    url: StagedUrl
    sha512: Sha512
    verified: list[str] = Field(min_length=1)


class StagedProfile(Section):
    account: str = Field(pattern=r"^\d{12}$")
    region: str = Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
    artifacts: dict[DownloadKey, StagedArtifact]


class ArtifactLock(Section):
    comment: str = ""
    profiles: dict[str, StagedProfile]


def read_lock(path: Path = LOCK_PATH) -> ArtifactLock | None:
    """The lock at `path`, validated; None when there is no such file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ConfigError(f"config error at {path}: cannot read it ({error})") from None
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise ConfigError(f"config error at {path}: not JSON ({error})") from None
    try:
        return ArtifactLock.model_validate(raw)
    except ValidationError as error:
        raise from_validation_error(error, ArtifactLock, str(path)) from None


def pin_staged(
    name: str, raw: object, lock: ArtifactLock | None, lock_name: str = LOCK_PATH.name
) -> object:
    """The raw profile `name` with its staged downloads in place of the upstream ones
    (`lock_name`: the lock's file name, for messages).

    Works on the raw profile (before validation), so the staged values are validated with the
    rest of it. Anything that does not fit the shape of a profile is left for validation to
    report."""
    staged = lock.profiles.get(name) if lock else None
    if staged is None or not isinstance(raw, Mapping):
        return raw
    profile: dict[str, Any] = dict(raw)
    cluster = profile.get("cluster")
    if not isinstance(cluster, Mapping):
        return profile
    distribution = cluster.get("distribution")
    if not isinstance(distribution, Mapping):
        return profile
    for key, where in (("account", staged.account), ("region", staged.region)):
        pinned = profile.get(key)
        if pinned is not None and pinned != where:
            raise ConfigError(
                f"config error at {lock_name} profiles.{name}.{key}: staged in {where}, but "
                f"the profile deploys to {pinned}; run `make stage-artifacts ENV={name}` with "
                f"credentials for {pinned}"
            )
    pinned_distribution = dict(distribution)
    for key, artifact in staged.artifacts.items():
        download = distribution.get(key)
        if not isinstance(download, Mapping):
            continue
        if (download.get("url"), download.get("version")) != (artifact.source, artifact.version):
            continue  # staged for another version or URL: unpinned until staged again
        own = download.get("sha512")
        if own is not None and own != artifact.sha512:
            raise ConfigError(
                f"config error at cdk.json context profiles.{name}.cluster.distribution.{key}."
                f"sha512: got {own!r}, but {lock_name} recorded {artifact.sha512!r} for "
                f"{artifact.source}; allowed: the same digest, or none (the lock pins it)"
            )
        pinned_distribution[key] = {**download, "url": artifact.url, "sha512": artifact.sha512}
    profile["cluster"] = {**cluster, "distribution": pinned_distribution}
    return profile
