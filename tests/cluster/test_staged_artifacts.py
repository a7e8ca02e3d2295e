"""The staged-artifacts lock at synth: with it, the nodes fetch the staged copies (`aws s3 cp`),
pinned by the recorded digests, and their roles may read exactly those objects; without it,
synth warns as before. The digests here are of test strings, not of any real artifact."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from ops.stage_artifacts import DEFAULT_QUALIFIER
from platform_config import ConfigError, parse_profile
from platform_config.artifacts import ArtifactLock, pin_staged, read_lock
from tests.cluster.test_cluster_stack import (
    STACK,
    flatten,
    launch_templates,
    resources,
    user_data,
)
from tests.cluster.test_unpinned_downloads import warnings
from tests.config_testkit import profile
from tests.synthesis import CLI_CONTEXT, Synthesized, cdk_json_context, platform_app

ACCOUNT = "123456789012"
REGION = "us-east-1"
# Where `make stage-artifacts` stages with CDK's default qualifier (as cdk.json has it).
BUCKET = f"cdk-{DEFAULT_QUALIFIER}-assets-{ACCOUNT}-{REGION}"
KEYS = ("spark", "hadoop_aws", "aws_sdk_bundle")
ENV_NAMES = {"spark": "SPARK", "hadoop_aws": "HADOOP_AWS", "aws_sdk_bundle": "AWS_SDK_BUNDLE"}


def digest(key: str) -> str:
    return hashlib.sha512(f"test bytes of {key}".encode()).hexdigest()


def lock_for(name: str = "dev", **changes: Any) -> dict[str, Any]:
    """A lock as `make stage-artifacts` writes it, for the shipped profile `name`."""
    distribution = profile(name)["cluster"]["distribution"]
    artifacts = {}
    for key in KEYS:
        file_name = distribution[key]["url"].rsplit("/", 1)[1]
        artifacts[key] = {
            "version": distribution[key]["version"],
            "source": distribution[key]["url"],
            "url": f"s3://{BUCKET}/platform-artifacts/{digest(key)}/{file_name}",
            "sha512": digest(key),
            "verified": ["SHA512 published at ..."],
        }
    staged = {"account": ACCOUNT, "region": REGION, "artifacts": artifacts, **changes}
    return {"comment": "test", "profiles": {name: staged}}


@pytest.fixture(scope="module")
def staged_dev(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """dev, synthesized as `cdk synth` does with a lock present."""
    outdir = tmp_path_factory.mktemp("staged-dev")
    lock = outdir.parent / "staged-dev.lock.json"
    lock.write_text(json.dumps(lock_for()), encoding="utf-8")
    context = {**cdk_json_context(), **CLI_CONTEXT, "env": "dev", "artifacts-lock": str(lock)}
    app = platform_app.create_app(context=context, outdir=str(outdir))
    assembly = platform_app.build(app).synth()
    return Synthesized("dev", outdir, tuple(stack.id for stack in assembly.stacks))


def test_with_the_lock_the_nodes_fetch_the_staged_copies_pinned(staged_dev: Synthesized) -> None:
    assert not [w for w in warnings(staged_dev, STACK) if "sha512 is not set" in w]
    expected = lock_for()["profiles"]["dev"]["artifacts"]
    for name in ("dataplatform-dev-spark-master", "dataplatform-dev-spark-workers"):
        files = {f["path"]: f for f in user_data(staged_dev, name)["write_files"]}
        env = files["/etc/spark-cluster/bootstrap.env"]["content"]
        for key, variable in ENV_NAMES.items():
            assert f"{variable}_URL='{expected[key]['url']}'\n" in env
            assert f"{variable}_SHA512='{digest(key)}'\n" in env
        assert "repo1.maven.org" not in env
        assert "archive.apache.org" not in env
        # The longer s3:// URLs still fit EC2's 16 KB of user data.
        assert len(flatten(launch_templates(staged_dev)[name]["UserData"])) < 16 * 1024
    # The staged objects' fetch is `aws s3 cp` (bootstrap.sh's fetch for s3:// URLs).
    script = files["/usr/local/sbin/spark-bootstrap"]["content"]
    assert 's3://*) aws s3 cp --only-show-errors "$1" "$2"' in script


def test_with_the_lock_each_node_role_may_read_exactly_the_staged_objects(
    staged_dev: Synthesized,
) -> None:
    expected = {
        f"arn:resolved:s3:::{artifact['url'].removeprefix('s3://')}"
        for artifact in lock_for()["profiles"]["dev"]["artifacts"].values()
    }
    for role in ("MasterRoleD0E33FFD", "WorkersRole8D2DAD04"):
        policy = next(
            p
            for p in resources(staged_dev, "AWS::IAM::Policy").values()
            if p["Roles"] == [{"Ref": role}]
        )
        reads = [
            s
            for s in policy["PolicyDocument"]["Statement"]
            if s["Action"] == "s3:GetObject" and "platform-artifacts/" in json.dumps(s["Resource"])
        ]
        assert len(reads) == 1
        assert reads[0]["Effect"] == "Allow"
        granted = {flatten(r) for r in reads[0]["Resource"]}
        # The same statement (CDK minimizes policies) reads the spark_cluster package asset.
        package = {arn for arn in granted if arn.startswith("arn:resolved:s3:::resolved/")}
        assert len(package) == 1
        assert granted - package == expected


def test_without_the_lock_synth_warns_and_says_what_to_run(dev: Synthesized) -> None:
    found = [w for w in warnings(dev, STACK) if "sha512 is not set" in w]
    assert len(found) == 3
    assert all("`make stage-artifacts ENV=dev` verifies, stages and pins it" in w for w in found)


def _lock(raw: dict[str, Any]) -> ArtifactLock:
    return ArtifactLock.model_validate(raw)


def test_a_lock_for_another_version_or_url_is_ignored() -> None:
    raw = lock_for()
    raw["profiles"]["dev"]["artifacts"]["spark"]["version"] = "3.5.6"
    raw["profiles"]["dev"]["artifacts"]["hadoop_aws"]["source"] = "https://example.org/a.jar"
    distribution = parse_profile(
        "dev", pin_staged("dev", profile(), _lock(raw))
    ).cluster.distribution
    assert distribution.spark.sha512 is None
    assert distribution.spark.url.startswith("https://archive.apache.org/")
    assert distribution.hadoop_aws.sha512 is None
    assert distribution.aws_sdk_bundle.sha512 == digest("aws_sdk_bundle")
    assert distribution.aws_sdk_bundle.url.startswith(f"s3://{BUCKET}/")


def test_another_profiles_lock_changes_nothing() -> None:
    assert pin_staged("prod", profile("prod"), _lock(lock_for())) == profile("prod")


def test_a_profile_digest_that_disagrees_with_the_lock_is_one_line() -> None:
    raw = profile()
    raw["cluster"]["distribution"]["spark"]["sha512"] = "0" * 128
    with pytest.raises(ConfigError) as caught:
        pin_staged("dev", raw, _lock(lock_for()))
    assert str(caught.value).startswith(
        "config error at cdk.json context profiles.dev.cluster.distribution.spark.sha512: got '000"
    )
    assert "\n" not in str(caught.value)
    # The same digest is no conflict.
    raw["cluster"]["distribution"]["spark"]["sha512"] = digest("spark")
    pinned = parse_profile("dev", pin_staged("dev", raw, _lock(lock_for())))
    assert pinned.cluster.distribution.spark.url.startswith("s3://")


def test_a_profile_pinned_to_another_account_refuses_the_lock() -> None:
    raw = {**profile(), "account": "210987654321"}
    with pytest.raises(ConfigError, match=r"staged in 123456789012, but the profile deploys to"):
        pin_staged("dev", raw, _lock(lock_for()))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{", "config error at artifacts.lock.json: not JSON"),
        (
            json.dumps(lock_for(account="12")),
            "config error at artifacts.lock.json.profiles.dev.account: got '12'",
        ),
        (
            json.dumps({"profiles": {"dev": {**lock_for()["profiles"]["dev"], "x": 1}}}),
            "config error at artifacts.lock.json.profiles.dev.x: unknown key",
        ),
    ],
)
def test_a_broken_lock_is_one_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "artifacts.lock.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_lock(path)
    assert str(caught.value).startswith(expected.replace("artifacts.lock.json", str(path), 1))
    assert "\n" not in str(caught.value)


def test_a_staged_url_must_be_in_s3(tmp_path: Path) -> None:
    raw = lock_for()
    raw["profiles"]["dev"]["artifacts"]["spark"]["url"] = "https://example.org/spark.tgz"
    path = tmp_path / "artifacts.lock.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match="not a staged copy; allowed: s3://bucket/key"):
        read_lock(path)


def test_no_lock_is_none(tmp_path: Path) -> None:
    assert read_lock(tmp_path / "absent.json") is None
