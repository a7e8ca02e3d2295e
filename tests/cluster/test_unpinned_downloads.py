"""A Spark or jar download without its SHA-512 synthesizes, but the instances refuse it at boot:
synth says so, once per download, naming the config key and the URL. A download that
`make stage-artifacts` recorded in platform_config/artifacts.lock.json is pinned: no warning."""

from __future__ import annotations

import json

from platform_config import parse_profile
from platform_config.artifacts import pin_staged, read_lock
from tests.config_testkit import profile
from tests.synthesis import Synthesized

KEYS = ("spark", "hadoop_aws", "aws_sdk_bundle")


def warnings(synthesized: Synthesized, stack_id: str) -> list[str]:
    path = synthesized.outdir / f"{stack_id}.metadata.json"
    metadata = json.loads(path.read_text(encoding="utf-8"))
    return [
        entry["data"]
        for entries in metadata.values()
        for entry in entries
        if entry["type"] == "aws:cdk:warning"
    ]


def test_each_unpinned_download_is_a_synth_warning(synthesized: Synthesized) -> None:
    name = synthesized.profile
    config = parse_profile(name, pin_staged(name, profile(name), read_lock()))
    unpinned = {
        key: getattr(config.cluster.distribution, key)
        for key in KEYS
        if getattr(config.cluster.distribution, key).sha512 is None
    }
    found = [w for w in warnings(synthesized, "ClusterStack") if "sha512 is not set" in w]
    assert len(found) == len(unpinned)
    for key, download in unpinned.items():
        assert any(f"cluster.distribution.{key}.sha512" in w and download.url in w for w in found)
