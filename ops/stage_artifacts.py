"""`make stage-artifacts ENV=...`: verify the cluster's downloads and stage them in your account.

    python -m ops.stage_artifacts --env dev

For each download of the profile's `cluster.distribution` (Spark, hadoop-aws, the AWS SDK
bundle), from its upstream URL in cdk.json:

1. downloads it, and checks it against every checksum its publisher puts beside it: Apache's
   `<url>.sha512`; Maven Central's `<url>.sha512` and `<url>.sha1`, where published (at least
   one must be);
2. for an Apache release (Spark, hadoop-aws), checks its detached signature `<url>.asc` with
   `gpgv`, against a keyring holding only the keys of the project's published KEYS file (a
   temporary GnuPG home; nothing touches yours);
3. uploads it, once verified, to the CDK assets bucket of the account and region of your
   credentials (`cdk-<qualifier>-assets-<account>-<region>`, which `cdk bootstrap` creates and
   `make stage-artifacts` bootstraps first), under `platform-artifacts/<sha512>/<file name>`;
4. records the staged `s3://` URL and the SHA-512 in platform_config/artifacts.lock.json, which
   the next synth reads: the nodes then fetch the staged copies (`aws s3 cp`), pinned by digest,
   and no boot or scale-out depends on a third-party mirror.

Every download is verified before anything is uploaded or recorded: a checksum that does not
match, a bad signature or a signature by a key that KEYS does not list stops the command with
one line, and nothing is staged. Re-running is idempotent: an artifact already recorded for the
same version and URL, whose staged copy is in the bucket with that digest, is neither downloaded
nor uploaded again; an uploaded object is not uploaded again.

Needs internet access (the upstreams), the `gpg` and `gpgv` binaries, and credentials that may
write to the bucket. Exit status: 0 when everything is staged and recorded, 1 when a download
failed its checks or could not be staged, 2 when the command could not start (bad arguments,
unknown profile, no credentials, no bucket).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, NoReturn

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from ops.aws_errors import why
from platform_config import ConfigError, PlatformConfig, parse_profile
from platform_config.artifacts import (
    DOWNLOAD_KEYS,
    LOCK_PATH,
    ArtifactLock,
    StagedArtifact,
    StagedProfile,
    read_lock,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
#: CDK's default bootstrap qualifier: the one used where cdk.json sets no QUALIFIER_CONTEXT_KEY.
DEFAULT_QUALIFIER = "hnb659fds"
QUALIFIER_CONTEXT_KEY = "@aws-cdk/core:bootstrapQualifier"
DEFAULT_PREFIX = "platform-artifacts/"
LOCK_COMMENT = (
    "Written by `make stage-artifacts ENV=...` (ops/stage_artifacts.py): each download verified "
    "against its publisher's checksums and signature, then staged in the account's own S3. "
    "Read at synth (platform_config/artifacts.py). Commit it."
)
CHUNK = 1 << 20
TIMEOUT_SECONDS = 60
_DIGEST_LENGTHS = {"sha512": 128, "sha1": 40}
_BUCKET = re.compile(r"^(?!xn--)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^([A-Za-z0-9!_.*()-]+/)*$")
_BSD_FORMAT = re.compile(r"^SHA(?:512|1) ?\((?P<name>.+)\) ?= ?(?P<hex>[0-9A-Fa-f]+)$")
_GPG_FORMAT = re.compile(r"^(?P<name>[^\s:]+):\s+(?P<hex>[0-9A-Fa-f\s]+)$")


@dataclass(frozen=True)
class Upstream:
    """What a publisher puts beside an artifact to say what it must be."""

    checksums: tuple[str, ...]
    """Checksum suffixes ("sha512", "sha1") looked for at `<url>.<suffix>`; each one published
    must match, and at least one must be published."""
    keys_url: str | None
    """The publisher's KEYS file, for the detached signature `<url>.asc`; None: no signature
    is checked (the artifact is not an Apache release)."""


#: Per download of cluster.distribution: Spark from Apache's archive (`.sha512`, `.asc`, Spark's
#: KEYS); hadoop-aws, an Apache Hadoop release, from Maven Central (`.sha1`, `.sha512` where
#: published, `.asc` by a Hadoop release manager: Hadoop's KEYS); the AWS SDK bundle, an
#: Amazon artifact on Maven Central (its `.sha1`, and `.sha512` where published). Its `.asc` is
#: signed by Amazon's key, which no KEYS file of the kind Apache publishes lists: not checked.
UPSTREAMS: dict[str, Upstream] = {
    "spark": Upstream(("sha512",), "https://downloads.apache.org/spark/KEYS"),
    "hadoop_aws": Upstream(("sha512", "sha1"), "https://downloads.apache.org/hadoop/common/KEYS"),
    "aws_sdk_bundle": Upstream(("sha512", "sha1"), None),
}


@dataclass(frozen=True)
class Source:
    """One download to stage: its config key, version, upstream URL and how to verify it."""

    key: str
    version: str
    url: str
    upstream: Upstream

    @property
    def file_name(self) -> str:
        return PurePosixPath(self.url.split("?", 1)[0]).name


@dataclass(frozen=True)
class Verified:
    """A download that passed every check, in a local file."""

    source: Source
    path: Path
    size: int
    sha512: str
    checks: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    """Where to stage: the bucket and key prefix in the account and region of the caller."""

    account: str
    region: str
    bucket: str
    prefix: str

    def key(self, verified: Verified) -> str:
        return f"{self.prefix}{verified.sha512}/{verified.source.file_name}"


class StageError(Exception):
    """A download failed a check or could not be staged: one line, exit 1."""


class StartError(Exception):
    """The command cannot start (arguments, profile, credentials, bucket): one line, exit 2."""


# --- Fetching ---------------------------------------------------------------------------------


class _NoDowngrade(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but never from https to anything else."""

    def redirect_request(  # noqa: PLR0917 - urllib's signature
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,  # noqa: ANN401 - urllib's untyped message
        newurl: str,
    ) -> urllib.request.Request | None:
        if req.full_url.startswith("https://") and not newurl.startswith("https://"):
            raise urllib.error.HTTPError(
                req.full_url, code, f"redirect to {newurl} leaves https", headers, fp
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Http:
    """GETs over urllib (TLS verified with the system's trust store), following redirects that
    stay on https. Tests replace `open` to serve from a local server."""

    def __init__(self) -> None:
        self._opener = urllib.request.build_opener(_NoDowngrade())

    def open(self, url: str) -> IO[bytes]:
        request = urllib.request.Request(
            url, headers={"User-Agent": "dataplatform-stage-artifacts"}
        )
        response: IO[bytes] = self._opener.open(request, timeout=TIMEOUT_SECONDS)
        return response

    def get(self, url: str) -> bytes:
        """The body at `url`."""
        body = self.get_published(url)
        if body is None:
            raise StageError(f"{url} answered HTTP 404")
        return body

    def get_published(self, url: str) -> bytes | None:
        """The body at `url`, or None where it answers 404 (a checksum not published)."""
        try:
            with self.open(url) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise StageError(f"{url} answered HTTP {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            raise StageError(f"cannot download {url}: {_reason(error)}") from None

    def download(self, url: str, dest: Path) -> tuple[int, dict[str, str]]:
        """Stream `url` into `dest`; its size and hex digests, computed as it arrives."""
        digests = {name: hashlib.new(name) for name in _DIGEST_LENGTHS}
        size = 0
        try:
            with self.open(url) as response, dest.open("wb") as out:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    size += len(chunk)
                    for digest in digests.values():
                        digest.update(chunk)
        except urllib.error.HTTPError as error:
            raise StageError(f"{url} answered HTTP {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            raise StageError(f"cannot download {url}: {_reason(error)}") from None
        return size, {name: digest.hexdigest() for name, digest in digests.items()}


def _reason(error: Exception) -> str:
    reason = getattr(error, "reason", None) or error
    return " ".join(str(reason).split())[:200]


# --- Checks -----------------------------------------------------------------------------------


def published_digest(text: str, algorithm: str, file_name: str, url: str) -> str:
    """The digest in a published checksum file, lowercase hex.

    Reads the formats publishers use: `sha512sum`'s `HEX  NAME` (or HEX alone, as Maven
    Central's files are), BSD's `SHA512 (NAME) = HEX`, and `gpg --print-md`'s `NAME: HEX...`
    in upper-case groups over several lines (older Apache releases). A file that names another
    file than the download is refused."""
    body = text.strip()
    name: str | None = None
    if match := _BSD_FORMAT.match(body) or _GPG_FORMAT.match(body):
        name, digest = match["name"], "".join(match["hex"].split())
    else:
        words = body.split()
        digest = words[0] if words else ""
        name = words[1].lstrip("*") if len(words) > 1 else None
    digest = digest.lower()
    if not re.fullmatch(f"[0-9a-f]{{{_DIGEST_LENGTHS[algorithm]}}}", digest):
        raise StageError(f"{url} holds no {algorithm.upper()} digest that can be read")
    if name is not None and PurePosixPath(name).name != file_name:
        raise StageError(f"{url} is the checksum of {name}, not of {file_name}")
    return digest


def check_checksums(http: Http, source: Source, digests: Mapping[str, str]) -> list[str]:
    """Every checksum the upstream publishes beside the download must match; at least one."""
    checks = []
    for algorithm in source.upstream.checksums:
        url = f"{source.url}.{algorithm}"
        body = http.get_published(url)
        if body is None:
            continue
        text = body.decode("utf-8", "replace")
        published = published_digest(text, algorithm, source.file_name, url)
        if published != digests[algorithm]:
            raise StageError(
                f"the {algorithm.upper()} of {source.url} is {digests[algorithm][:16]}..., but "
                f"{url} publishes {published[:16]}..."
            )
        checks.append(f"{algorithm.upper()} published at {url}")
    if not checks:
        suffixes = ", ".join(f".{a}" for a in source.upstream.checksums)
        raise StageError(f"{source.url} has no published checksum ({suffixes})")
    return checks


def _gpg(binary: str) -> str:
    found = shutil.which(binary)
    if found is None:
        raise StartError(f"no `{binary}` on PATH: install GnuPG (Debian/Ubuntu: apt install gpg)")
    return found


def verify_signature(artifact: Path, signature: Path, keys: bytes, work: Path) -> str:
    """Check a detached signature with gpgv, against a keyring of exactly the keys in `keys` (an
    Apache KEYS file): who signed it (primary key fingerprint and user ID). Raises StageError
    when the signature is bad, made by a key not in `keys`, or by a revoked key."""
    home = work / "gnupg"
    home.mkdir(mode=0o700)
    keys_file, keyring = work / "KEYS", home / "keys.gpg"
    keys_file.write_bytes(keys)
    gpg = _gpg("gpg")
    base = [gpg, "--homedir", str(home), "--batch", "--no-tty", "--quiet", "--no-autostart"]
    # Some keys of a long-lived KEYS file cannot be imported (old formats): gpg exits non-zero
    # for those, and imports the rest. What matters is that the keyring holds nothing else.
    subprocess.run([*base, "--import", str(keys_file)], capture_output=True, check=False)
    subprocess.run([*base, "--output", str(keyring), "--export"], capture_output=True, check=False)
    if not keyring.exists() or keyring.stat().st_size == 0:
        raise StageError("KEYS holds no OpenPGP public key that gpg can import")
    result = subprocess.run(
        [_gpg("gpgv"), "--homedir", str(home), "--keyring", str(keyring), "--status-fd", "1",
         str(signature), str(artifact)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    status: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        if line.startswith("[GNUPG:] "):
            word, *rest = line.removeprefix("[GNUPG:] ").split(" ")
            status.setdefault(word, rest)
    # ERRSIG's sixth field is the reason: 9, no public key.
    if "NO_PUBKEY" in status or status.get("ERRSIG", [])[5:6] == ["9"]:
        key_id = (status.get("NO_PUBKEY") or status["ERRSIG"])[0]
        raise StageError(f"signed by key {key_id}, which KEYS does not list")
    if "REVKEYSIG" in status:
        raise StageError(f"signed by a revoked key ({' '.join(status['REVKEYSIG'][1:])})")
    if "BADSIG" in status:
        raise StageError("BAD signature: the file is not what the key signed")
    good = status.get("GOODSIG") or status.get("EXPKEYSIG")
    if result.returncode != 0 or good is None or "VALIDSIG" not in status:
        why = " ".join((result.stderr or result.stdout).split())[:200]
        raise StageError(f"the signature could not be verified (gpgv: {why})")
    fingerprint = status["VALIDSIG"][-1]
    expired = " (a key expired since)" if "EXPKEYSIG" in status else ""
    return f"{fingerprint} ({' '.join(good[1:])}){expired}"


class Verifier:
    """Downloads and checks each source into a work folder; KEYS files fetched once each."""

    def __init__(self, http: Http, work: Path) -> None:
        self.http, self.work = http, work
        self._keys: dict[str, bytes] = {}

    def keys(self, url: str) -> bytes:
        if url not in self._keys:
            self._keys[url] = self.http.get(url)
        return self._keys[url]

    def verify(self, source: Source) -> Verified:
        folder = self.work / source.key
        folder.mkdir()
        path = folder / source.file_name
        print(f"stage-artifacts: {source.key}: downloading {source.url}", flush=True)
        size, digests = self.http.download(source.url, path)
        checks = check_checksums(self.http, source, digests)
        keys_url = source.upstream.keys_url
        if keys_url is not None:
            signature_url = f"{source.url}.asc"
            signature = folder / f"{source.file_name}.asc"
            signature.write_bytes(self.http.get(signature_url))
            try:
                signer = verify_signature(path, signature, self.keys(keys_url), folder)
            except StageError as error:
                raise StageError(f"{signature_url}: {error} ({keys_url})") from None
            checks.append(f"signature {signature_url} by {signer}, listed in {keys_url}")
        else:
            checks.append("no signature checked: not an Apache release (no KEYS to check it by)")
        return Verified(source, path, size, digests["sha512"], tuple(checks))


# --- Staging ----------------------------------------------------------------------------------


def sources_of(config: PlatformConfig) -> tuple[list[Source], list[str]]:
    """The profile's downloads to stage, and a note for each one already in S3 (left alone)."""
    distribution = config.cluster.distribution
    sources, notes = [], []
    for key in DOWNLOAD_KEYS:
        download = getattr(distribution, key)
        if download.url.startswith("s3://"):
            notes.append(f"{key}: {download.url} is already in S3: left as configured")
            continue
        sources.append(Source(key, download.version, download.url, UPSTREAMS[key]))
    return sources, notes


def _staged_object(s3: Any, bucket: str, key: str, owner: str) -> dict[str, Any] | None:  # noqa: ANN401
    try:
        head: dict[str, Any] = s3.head_object(Bucket=bucket, Key=key, ExpectedBucketOwner=owner)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return head


def _already_staged(
    s3: Any,  # noqa: ANN401 - boto3 clients are untyped here
    target: Target,
    recorded: StagedProfile | None,
    source: Source,
) -> StagedArtifact | None:
    """The lock's entry for `source`, when it is for this version, URL, account and region and
    its object is in the bucket with the recorded digest."""
    if recorded is None or (recorded.account, recorded.region) != (target.account, target.region):
        return None
    entry = recorded.artifacts.get(source.key)  # type: ignore[call-overload]  # a DownloadKey
    if entry is None or (entry.source, entry.version) != (source.url, source.version):
        return None
    bucket, _, key = entry.url.removeprefix("s3://").partition("/")
    head = _staged_object(s3, bucket, key, target.account)
    if head is None or head.get("Metadata", {}).get("sha512") != entry.sha512:
        return None
    return entry


def upload(s3: Any, target: Target, verified: Verified) -> tuple[str, bool]:  # noqa: ANN401
    """Put the verified file at its content-addressed key, unless it is there already: its
    s3:// URL, and whether it was uploaded now."""
    key = target.key(verified)
    head = _staged_object(s3, target.bucket, key, target.account)
    url = f"s3://{target.bucket}/{key}"
    same = head is not None and head.get("Metadata", {}).get("sha512") == verified.sha512
    if same and head is not None and head.get("ContentLength") == verified.size:
        return url, False
    s3.upload_file(
        str(verified.path),
        target.bucket,
        key,
        ExtraArgs={
            "Metadata": {"sha512": verified.sha512, "source": verified.source.url},
            "ExpectedBucketOwner": target.account,
        },
    )
    return url, True


def write_lock(path: Path, lock: ArtifactLock) -> None:
    """Write the lock atomically, in a stable order (re-running rewrites the same bytes)."""
    document = lock.model_dump(mode="json")
    text = json.dumps(document, indent=2) + "\n"
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def stage(
    profile: str,
    sources: Sequence[Source],
    target: Target,
    *,
    s3: Any,  # noqa: ANN401 - boto3 clients are untyped here
    http: Http,
    lock_path: Path,
) -> StagedProfile:
    """Verify every source, then upload, then record; StageError before anything is staged
    when a check fails."""
    lock = read_lock(lock_path) or ArtifactLock(comment=LOCK_COMMENT, profiles={})
    recorded = lock.profiles.get(profile)
    entries: dict[str, StagedArtifact] = {}
    pending = []
    for source in sources:
        entry = _already_staged(s3, target, recorded, source)
        if entry is not None:
            print(f"stage-artifacts: {source.key}: already staged and recorded: {entry.url}")
            entries[source.key] = entry
        else:
            pending.append(source)
    with tempfile.TemporaryDirectory(prefix="stage-artifacts-") as work:
        verifier = Verifier(http, Path(work))
        verified = []
        for source in pending:
            try:
                verified.append(verifier.verify(source))
            except StageError as error:
                raise StageError(f"{source.key}: {error}: nothing staged") from None
        for item in verified:
            print(f"stage-artifacts: {item.source.key}: verified: {'; '.join(item.checks)}")
        for item in verified:
            try:
                url, uploaded = upload(s3, target, item)
            except (ClientError, BotoCoreError) as error:
                raise StageError(
                    f"{item.source.key}: cannot upload to s3://{target.bucket}/: {why(error)}"
                ) from None
            print(
                f"stage-artifacts: {item.source.key}: {'staged' if uploaded else 'already in'} "
                f"{url} ({item.size} bytes)"
            )
            entries[item.source.key] = StagedArtifact(
                version=item.source.version,
                source=item.source.url,
                url=url,
                sha512=item.sha512,
                verified=list(item.checks),
            )
    ordered = {key: entries[key] for key in DOWNLOAD_KEYS if key in entries}
    staged = StagedProfile(
        account=target.account,
        region=target.region,
        artifacts=ordered,  # type: ignore[arg-type]
    )
    profiles = {**lock.profiles, profile: staged}
    write_lock(
        lock_path,
        ArtifactLock(
            comment=lock.comment or LOCK_COMMENT,
            profiles={name: profiles[name] for name in sorted(profiles)},
        ),
    )
    return staged


# --- Command line -----------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (and exit 2), not the usage and a line."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"stage-artifacts: {message} (see --help)\n")


def load_profile(name: str, cdk_json: Path) -> tuple[PlatformConfig, str]:
    """The named profile from cdk.json, validated, and the CDK bootstrap qualifier."""
    try:
        context = json.loads(cdk_json.read_text(encoding="utf-8"))["context"]
    except (OSError, ValueError, KeyError) as error:
        raise StartError(f"{cdk_json}: no readable context ({error})") from None
    profiles = context.get("profiles", {})
    if name not in profiles:
        raise StartError(f"unknown profile {name!r}; allowed: {', '.join(sorted(profiles))}")
    qualifier = str(context.get(QUALIFIER_CONTEXT_KEY) or DEFAULT_QUALIFIER)
    return parse_profile(name, profiles[name]), qualifier


def resolve_target(
    session: boto3.Session, config: PlatformConfig, qualifier: str, bucket: str | None, prefix: str
) -> tuple[Target, Any]:
    """The caller's account and region (the profile's, where it pins them), the bucket (it must
    exist) and an S3 client."""
    try:
        identity = session.client("sts").get_caller_identity()
        region = session.region_name
        if not region:
            raise NoRegionError
        s3 = session.client("s3", region_name=region)
    except NoCredentialsError:
        raise StartError(
            "no AWS credentials: boto3's default chain found none (set AWS_PROFILE, run "
            "`aws sso login`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
        ) from None
    except NoRegionError:
        raise StartError("no AWS region: set AWS_REGION or your profile's region") from None
    except (ClientError, BotoCoreError) as error:
        raise StartError(f"cannot use these credentials: {why(error)}") from None
    account = str(identity["Account"])
    pins = (("account", config.account, account), ("region", config.region, region))
    for what, pinned, found in pins:
        if pinned is not None and pinned != found:
            raise StartError(
                f"profile {config.profile} deploys to {what} {pinned}, but your credentials are "
                f"for {found}: the nodes could not read a copy staged there"
            )
    name = bucket or f"cdk-{qualifier}-assets-{account}-{region}"
    try:
        s3.head_bucket(Bucket=name, ExpectedBucketOwner=account)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code in ("404", "NoSuchBucket", "NotFound"):
            raise StartError(
                f"no bucket {name} in {account} {region}: run `cdk bootstrap` first (`make "
                "stage-artifacts` does), or name another with --bucket"
            ) from None
        raise StartError(f"cannot use bucket {name}: {why(error)}") from None
    except BotoCoreError as error:
        raise StartError(f"cannot use bucket {name}: {why(error)}") from None
    return Target(account, region, name, prefix), s3


def main(
    argv: Sequence[str] | None = None,
    session: boto3.Session | None = None,
    http: Http | None = None,
) -> int:
    parser = _Parser(prog="python -m ops.stage_artifacts", description=__doc__.split("\n")[0])
    parser.add_argument("--env", required=True, help="the profile's name in cdk.json")
    parser.add_argument(
        "--bucket",
        help="stage in this bucket (default: the CDK assets bucket of your account and region)",
    )
    parser.add_argument(
        "--prefix", default=DEFAULT_PREFIX, help=f"key prefix (default: {DEFAULT_PREFIX})"
    )
    parser.add_argument("--lock", type=Path, default=LOCK_PATH, help=argparse.SUPPRESS)
    parser.add_argument(
        "--cdk-json", type=Path, default=REPO_ROOT / "cdk.json", help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.bucket is not None and not _BUCKET.match(args.bucket):
        parser.error(f"argument --bucket: {args.bucket!r} is not an S3 bucket name")
    if not _PREFIX.match(args.prefix):
        parser.error(
            f"argument --prefix: {args.prefix!r} is not a key prefix; allowed: folders ending in "
            "'/' (letters, digits and !_.*()-), e.g. platform-artifacts/"
        )
    try:
        config, qualifier = load_profile(args.env, args.cdk_json)
        sources, notes = sources_of(config)
        if not config.cluster.enabled:
            print(f"stage-artifacts: the cluster is off in profile {args.env}: nothing to stage")
            return 0
        target, s3 = resolve_target(
            session or boto3.Session(), config, qualifier, args.bucket, args.prefix
        )
        for note in notes:
            print(f"stage-artifacts: {note}")
        staged = stage(args.env, sources, target, s3=s3, http=http or Http(), lock_path=args.lock)
    except (StartError, ConfigError) as error:
        print(f"stage-artifacts: {error}", file=sys.stderr)
        return 2
    except StageError as error:
        print(f"stage-artifacts: {error}", file=sys.stderr)
        return 1
    print(
        f"stage-artifacts {args.env}: {len(staged.artifacts)} artifact(s) staged in "
        f"s3://{target.bucket}/ and recorded in {args.lock.name}; the next synth pins them"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
