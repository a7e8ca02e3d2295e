"""ops.stage_artifacts without internet: the dev profile's upstream URLs served by a local HTTP
server (fake files, with their published checksums, detached signatures made here by a throwaway
GnuPG key, and KEYS files), and S3 emulated by moto.

The server serves https://HOST/PATH at http://127.0.0.1:PORT/HOST/PATH: `LocalHttp` rewrites
each URL the command asks for, so the URLs asked are exactly the real ones (`<url>.sha512`,
`<url>.sha1`, `<url>.asc`, the KEYS of Spark and Hadoop).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import IO

import boto3
import pytest
from moto import mock_aws

from ops import stage_artifacts
from ops.stage_artifacts import DEFAULT_QUALIFIER, UPSTREAMS, Http, main, published_digest
from platform_config import parse_profile
from platform_config.artifacts import pin_staged, read_lock
from tests.config_testkit import profile
from tests.fake_aws import use_fake_aws

ACCOUNT = "123456789012"
REGION = "us-east-1"
# The CDK assets bucket of an account bootstrapped with CDK's default qualifier (as cdk.json is).
BUCKET = f"cdk-{DEFAULT_QUALIFIER}-assets-{ACCOUNT}-{REGION}"
SPARK = "https://archive.apache.org/dist/spark/spark-3.5.7/spark-3.5.7-bin-hadoop3.tgz"
MAVEN = "https://repo1.maven.org/maven2"
HADOOP_AWS = f"{MAVEN}/org/apache/hadoop/hadoop-aws/3.3.4/hadoop-aws-3.3.4.jar"
SDK_BUNDLE = f"{MAVEN}/com/amazonaws/aws-java-sdk-bundle/1.12.262/aws-java-sdk-bundle-1.12.262.jar"
SPARK_KEYS = "https://downloads.apache.org/spark/KEYS"
HADOOP_KEYS = "https://downloads.apache.org/hadoop/common/KEYS"

pytestmark = pytest.mark.skipif(
    not (shutil.which("gpg") and shutil.which("gpgv")), reason="needs gpg and gpgv"
)


# --- A throwaway GnuPG key pair, and a stranger's -------------------------------------------


@dataclass
class Keys:
    home: Path

    def gpg(self, *args: str, data: bytes | None = None) -> bytes:
        command = ["gpg", "--homedir", str(self.home), "--batch", "--quiet", "--yes"]
        command += ["--pinentry-mode", "loopback", "--passphrase", "", *args]
        return subprocess.run(command, input=data, capture_output=True, check=True).stdout

    def sign(self, data: bytes, uid: str) -> bytes:
        return self.gpg("--local-user", uid, "--armor", "--detach-sign", data=data)

    def keys_file(self, uid: str) -> bytes:
        """An Apache-style KEYS file: prose, then the key's listing and its armored block."""
        listing = self.gpg("--list-keys", uid)
        return (
            b"This file contains the PGP keys of release managers.\n\n"
            + listing
            + (self.gpg("--armor", "--export", uid))
        )


RELEASE = "Release Manager <rm@example.org>"
STRANGER = "Someone Else <someone@example.net>"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keys]:
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    made = Keys(home)
    for uid in (RELEASE, STRANGER):
        made.gpg("--quick-gen-key", uid, "ed25519", "sign", "never")
    yield made
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False)


# --- The upstreams: a local HTTP server ------------------------------------------------------


@dataclass
class Upstream:
    files: dict[str, bytes] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def publish(self, url: str, body: bytes) -> None:
        self.files[url.removeprefix("https://")] = body


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Upstream, int]]:
    upstream = Upstream()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.lstrip("/")
            upstream.asked.append(path)
            body = upstream.files.get(path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield upstream, httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


class LocalHttp(Http):
    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    def open(self, url: str) -> IO[bytes]:
        assert url.startswith("https://"), url
        return super().open(f"http://127.0.0.1:{self.port}/{url.removeprefix('https://')}")


@dataclass
class World:
    upstream: Upstream
    http: LocalHttp
    keys: Keys
    lock: Path
    contents: dict[str, bytes]

    def s3_objects(self) -> dict[str, bytes]:
        s3 = boto3.client("s3", region_name=REGION)
        listed = s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listed}

    def run(self, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
        code = main(
            ["--env", "dev", "--lock", str(self.lock), *args],
            session=boto3.Session(region_name=REGION),
            http=self.http,
        )
        out, err = capsys.readouterr()
        return code, out, err


def publish_all(upstream: Upstream, keys: Keys) -> dict[str, bytes]:
    """Good upstreams: Spark with .sha512 (sha512sum format) and .asc; hadoop-aws with Maven's
    bare .sha1 and .asc; the SDK bundle with .sha1 only; the KEYS of Spark and Hadoop."""
    contents = {
        "spark": b"spark tarball " + os.urandom(64),
        "hadoop_aws": b"hadoop-aws jar " + os.urandom(64),
        "aws_sdk_bundle": b"sdk bundle jar " + os.urandom(64),
    }
    spark, hadoop, sdk = contents["spark"], contents["hadoop_aws"], contents["aws_sdk_bundle"]
    upstream.publish(SPARK, spark)
    upstream.publish(
        f"{SPARK}.sha512",
        f"{hashlib.sha512(spark).hexdigest()}  spark-3.5.7-bin-hadoop3.tgz\n".encode(),
    )
    upstream.publish(f"{SPARK}.asc", keys.sign(spark, RELEASE))
    upstream.publish(HADOOP_AWS, hadoop)
    upstream.publish(f"{HADOOP_AWS}.sha1", hashlib.sha1(hadoop).hexdigest().encode())
    upstream.publish(f"{HADOOP_AWS}.asc", keys.sign(hadoop, RELEASE))
    upstream.publish(SDK_BUNDLE, sdk)
    upstream.publish(f"{SDK_BUNDLE}.sha1", hashlib.sha1(sdk).hexdigest().encode())
    for keys_url in (SPARK_KEYS, HADOOP_KEYS):
        upstream.publish(keys_url, keys.keys_file(RELEASE))
    return contents


@pytest.fixture
def world(
    server: tuple[Upstream, int], keys: Keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    upstream, port = server
    upstream.files.clear()
    upstream.asked.clear()
    use_fake_aws(monkeypatch, REGION)
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        contents = publish_all(upstream, keys)
        yield World(upstream, LocalHttp(port), keys, tmp_path / "artifacts.lock.json", contents)


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


# --- The tests -------------------------------------------------------------------------------


def test_the_upstreams_are_the_publishers() -> None:
    assert UPSTREAMS["spark"].checksums == ("sha512",)
    assert UPSTREAMS["spark"].keys_url == SPARK_KEYS
    assert UPSTREAMS["hadoop_aws"].keys_url == HADOOP_KEYS
    assert UPSTREAMS["aws_sdk_bundle"].keys_url is None  # Amazon's, not an Apache release
    distribution = profile("dev")["cluster"]["distribution"]
    assert [distribution[k]["url"] for k in UPSTREAMS] == [SPARK, HADOOP_AWS, SDK_BUNDLE]


def test_good_artifacts_are_verified_staged_and_recorded(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = world.run(capsys=capsys)
    assert (code, err) == (0, ""), err
    lock = read_lock(world.lock)
    assert lock is not None
    staged = lock.profiles["dev"]
    assert (staged.account, staged.region) == (ACCOUNT, REGION)
    objects = world.s3_objects()
    for key, url in (("spark", SPARK), ("hadoop_aws", HADOOP_AWS), ("aws_sdk_bundle", SDK_BUNDLE)):
        entry = staged.artifacts[key]  # type: ignore[index]
        digest = hashlib.sha512(world.contents[key]).hexdigest()
        name = url.rsplit("/", 1)[1]
        assert entry.sha512 == digest
        assert entry.source == url
        assert entry.url == f"s3://{BUCKET}/platform-artifacts/{digest}/{name}"
        assert objects[f"platform-artifacts/{digest}/{name}"] == world.contents[key]
    assert len(objects) == 3
    assert staged.artifacts["spark"].verified[0] == f"SHA512 published at {SPARK}.sha512"
    assert f"listed in {SPARK_KEYS}" in staged.artifacts["spark"].verified[1]
    assert "<rm@example.org>" in staged.artifacts["spark"].verified[1]
    assert staged.artifacts["hadoop_aws"].verified[0] == f"SHA1 published at {HADOOP_AWS}.sha1"
    assert f"listed in {HADOOP_KEYS}" in staged.artifacts["hadoop_aws"].verified[1]
    assert "no signature checked" in staged.artifacts["aws_sdk_bundle"].verified[1]
    # Maven's .sha512 was looked for (not published here); Spark's KEYS fetched once.
    assert f"{HADOOP_AWS}.sha512".removeprefix("https://") in world.upstream.asked
    assert world.upstream.asked.count(SPARK_KEYS.removeprefix("https://")) == 1
    assert out.strip().splitlines()[-1].startswith("stage-artifacts dev: 3 artifact(s) staged")
    # What synth then reads: the staged copies, pinned.
    pinned = parse_profile("dev", pin_staged("dev", profile("dev"), lock))
    distribution = pinned.cluster.distribution
    for key in ("spark", "hadoop_aws", "aws_sdk_bundle"):
        download = getattr(distribution, key)
        assert download.url.startswith(f"s3://{BUCKET}/platform-artifacts/")
        assert download.sha512 == hashlib.sha512(world.contents[key]).hexdigest()


def test_rerunning_downloads_and_uploads_nothing_and_rewrites_the_same_lock(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert world.run(capsys=capsys)[0] == 0
    first = world.lock.read_bytes()
    s3 = boto3.client("s3", region_name=REGION)
    modified = {o["Key"]: o["LastModified"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    world.upstream.asked.clear()
    code, out, err = world.run(capsys=capsys)
    assert (code, err) == (0, "")
    assert world.upstream.asked == []
    assert out.count("already staged and recorded") == 3
    assert world.lock.read_bytes() == first
    again = {o["Key"]: o["LastModified"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert again == modified


def test_a_staged_copy_gone_from_the_bucket_is_verified_and_staged_again(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert world.run(capsys=capsys)[0] == 0
    first = world.lock.read_bytes()
    spark_key = next(k for k in world.s3_objects() if k.endswith(".tgz"))
    boto3.client("s3", region_name=REGION).delete_object(Bucket=BUCKET, Key=spark_key)
    code, out, _ = world.run(capsys=capsys)
    assert code == 0
    assert f"spark: staged s3://{BUCKET}/{spark_key}" in out
    assert out.count("already staged and recorded") == 2
    assert spark_key in world.s3_objects()
    assert world.lock.read_bytes() == first


def _stops(world: World, capsys: pytest.CaptureFixture[str]) -> str:
    code, _, err = world.run(capsys=capsys)
    assert code == 1
    assert world.s3_objects() == {}
    assert not world.lock.exists()
    return one_line(err)


def test_a_wrong_checksum_stops_with_one_line_and_stages_nothing(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = hashlib.sha512(b"something else").hexdigest()
    world.upstream.publish(f"{SPARK}.sha512", f"{wrong}  spark-3.5.7-bin-hadoop3.tgz\n".encode())
    line = _stops(world, capsys)
    assert line.startswith(f"stage-artifacts: spark: the SHA512 of {SPARK} is ")
    assert f"but {SPARK}.sha512 publishes {wrong[:16]}...: nothing staged" in line


def test_a_wrong_maven_sha1_stops_too(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.upstream.publish(f"{SDK_BUNDLE}.sha1", hashlib.sha1(b"other").hexdigest().encode())
    assert "stage-artifacts: aws_sdk_bundle: the SHA1 of" in _stops(world, capsys)


def test_no_published_checksum_stops(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    del world.upstream.files[f"{SDK_BUNDLE}.sha1".removeprefix("https://")]
    line = _stops(world, capsys)
    assert line == (
        f"stage-artifacts: aws_sdk_bundle: {SDK_BUNDLE} has no published checksum "
        "(.sha512, .sha1): nothing staged"
    )


def test_a_bad_signature_stops_with_one_line_and_stages_nothing(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    # The bytes changed after signing, and the checksum with them: only the signature tells.
    tampered = world.contents["spark"] + b"!"
    world.upstream.publish(SPARK, tampered)
    world.upstream.publish(
        f"{SPARK}.sha512",
        f"{hashlib.sha512(tampered).hexdigest()}  x/spark-3.5.7-bin-hadoop3.tgz".encode(),
    )
    line = _stops(world, capsys)
    assert line == (
        f"stage-artifacts: spark: {SPARK}.asc: BAD signature: the file is not what the key "
        f"signed ({SPARK_KEYS}): nothing staged"
    )


def test_a_signature_by_a_key_not_in_keys_stops(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.upstream.publish(
        f"{HADOOP_AWS}.asc", world.keys.sign(world.contents["hadoop_aws"], STRANGER)
    )
    line = _stops(world, capsys)
    assert line.startswith(f"stage-artifacts: hadoop_aws: {HADOOP_AWS}.asc: signed by key ")
    assert line.endswith(f", which KEYS does not list ({HADOOP_KEYS}): nothing staged")


def test_a_missing_signature_or_keys_file_stops(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    del world.upstream.files[f"{SPARK}.asc".removeprefix("https://")]
    assert _stops(world, capsys) == (
        f"stage-artifacts: spark: {SPARK}.asc answered HTTP 404: nothing staged"
    )
    publish_all(world.upstream, world.keys)
    del world.upstream.files[HADOOP_KEYS.removeprefix("https://")]
    assert _stops(world, capsys).endswith(
        f"{HADOOP_KEYS} answered HTTP 404 ({HADOOP_KEYS}): nothing staged"
    )


def test_a_failure_leaves_an_earlier_lock_as_it_was(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert world.run(capsys=capsys)[0] == 0
    first = world.lock.read_bytes()
    # A new Spark URL in the profile is not staged yet; its upstream publishes a wrong digest.
    raw = json.loads((stage_artifacts.REPO_ROOT / "cdk.json").read_text(encoding="utf-8"))
    spark = raw["context"]["profiles"]["dev"]["cluster"]["distribution"]["spark"]
    spark["url"] = SPARK.replace("spark-3.5.7-bin-hadoop3", "spark-3.5.7-bin-hadoop3-scala2.13")
    cdk_json = world.lock.with_name("cdk.json")
    cdk_json.write_text(json.dumps(raw), encoding="utf-8")
    world.upstream.publish(spark["url"], b"new")
    world.upstream.publish(f"{spark['url']}.sha512", hashlib.sha512(b"old").hexdigest().encode())
    code, _, err = world.run("--cdk-json", str(cdk_json), capsys=capsys)
    assert code == 1
    assert "nothing staged" in one_line(err)
    assert world.lock.read_bytes() == first


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "stage-artifacts: the following arguments are required: --env (see --help)"),
        (["--env", "qa"], "stage-artifacts: unknown profile 'qa'; allowed: dev, prod"),
        (["--env", "dev", "--bucket", "Not_A_Bucket"], "--bucket: 'Not_A_Bucket' is not"),
        (["--env", "dev", "--prefix", "no-slash"], "--prefix: 'no-slash' is not a key prefix"),
        (["--env", "dev", "--bucket", "not-bootstrapped"], "no bucket not-bootstrapped in"),
        (["--env", "dev", "--nope"], "stage-artifacts: unrecognized arguments: --nope"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    world: World, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    try:
        code = main([*args, "--lock", str(world.lock)], session=boto3.Session(region_name=REGION))
    except SystemExit as exited:  # argparse's errors exit; the others return
        code = exited.code  # type: ignore[assignment]
    _, err = capsys.readouterr()
    assert code == 2
    assert expected in one_line(err)
    assert world.upstream.asked == []
    assert not world.lock.exists()


def test_no_credentials_is_one_line_and_exit_2(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(world.lock.with_name("none")))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(world.lock.with_name("none")))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, _, err = world.run(capsys=capsys)
    assert code == 2
    assert one_line(err).startswith("stage-artifacts: no AWS credentials")


@pytest.mark.parametrize(
    ("text", "algorithm"),
    [
        ("{hex}  spark-3.5.7-bin-hadoop3.tgz\n", "sha512"),  # sha512sum
        ("{hex} *spark-3.5.7-bin-hadoop3.tgz", "sha512"),  # sha512sum, binary mode
        ("{hex}", "sha512"),  # Maven Central
        ("SHA512 (spark-3.5.7-bin-hadoop3.tgz) = {hex}\n", "sha512"),  # BSD
        ("{gpg}", "sha512"),  # gpg --print-md, older Apache releases
        ("{sha1}", "sha1"),
    ],
)
def test_published_checksum_formats(text: str, algorithm: str) -> None:
    data = b"x"
    hex512 = hashlib.sha512(data).hexdigest()
    upper = hex512.upper()
    groups = " ".join(upper[i : i + 8] for i in range(0, 128, 8))
    gpg = (
        f"spark-3.5.7-bin-hadoop3.tgz: {groups[:72]}\n                             {groups[72:]}\n"
    )
    body = text.format(hex=hex512, gpg=gpg, sha1=hashlib.sha1(data).hexdigest())
    expected = hex512 if algorithm == "sha512" else hashlib.sha1(data).hexdigest()
    assert published_digest(body, algorithm, "spark-3.5.7-bin-hadoop3.tgz", "u") == expected


def test_a_checksum_of_another_file_or_unreadable_is_refused() -> None:
    hex512 = hashlib.sha512(b"x").hexdigest()
    with pytest.raises(stage_artifacts.StageError, match=r"is the checksum of other\.tgz"):
        published_digest(f"{hex512}  other.tgz", "sha512", "spark.tgz", "u")
    with pytest.raises(stage_artifacts.StageError, match="holds no SHA512 digest"):
        published_digest("<html>Not Found</html>", "sha512", "spark.tgz", "u")


def test_a_redirect_off_https_is_refused() -> None:
    handler = stage_artifacts._NoDowngrade()
    request = urllib.request.Request("https://archive.apache.org/dist/x.tgz")
    with pytest.raises(urllib.error.HTTPError, match="leaves https"):
        handler.redirect_request(request, BytesIO(), 302, "Found", Message(), "http://evil/x")
