"""tests/conftest.py makes the botocore sessions of a test process share one loader. moto gives
every test a new default session, and without that each one parsed every service model and the
endpoint rules again (about 35 s of CPU over the suite)."""

from __future__ import annotations

import boto3
import botocore.session
from moto import mock_aws


def test_new_sessions_share_the_loader_and_what_it_parsed(aws_credentials: None) -> None:
    first = botocore.session.get_session().get_component("data_loader")
    with mock_aws():
        boto3.client("s3", region_name="us-east-1")  # a new default session under the mock
        second = botocore.session.get_session().get_component("data_loader")
    assert second is first
    assert first.load_service_model("s3", "service-2") is second.load_service_model(
        "s3", "service-2"
    )
