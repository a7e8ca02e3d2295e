"""Snapshot of every stack's template in every profile (`make snapshot-update` to accept)."""

from __future__ import annotations

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.normalize import normalize
from tests.synthesis import Synthesized


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def test_every_stack_matches_its_snapshot(
    synthesized: Synthesized, snapshot_json: SnapshotAssertion
) -> None:
    assert synthesized.stack_ids, "the app synthesized no stacks"
    for stack_id in synthesized.stack_ids:
        template = normalize(synthesized.template_json(stack_id))
        assert template == snapshot_json(name=f"{synthesized.profile}-{stack_id}")


def test_normalize_hides_only_volatile_strings() -> None:
    raw = {
        "S3Key": "0f8e" + "a" * 60 + ".zip",
        "Runtime": "nodejs22.x",
        "Other": ["python3.13", "keep-me"],
    }
    assert normalize(raw) == {
        "S3Key": "<asset-hash>.zip",
        "Runtime": "nodejs<cdk-managed>.x",
        "Other": ["python3.13", "keep-me"],
    }
