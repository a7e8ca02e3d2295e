"""One deployment of the dev profile into a moto server, shared by every test in this folder.

Deploying takes most of a minute, so it happens once per session. Tests marked
``destroys_deployment`` tear it down; they are moved to the end of the run so that every other
test sees the deployment whole.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from local_deploy import cdk_cli, server
from local_deploy.settings import LocalSettings
from tests.required_tools import missing_tool


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that add data to the shared deployment's lake (the demo) run after every test that
    reads the lake as it left it (the streaming test compares every object under events/);
    then tests that change the deployment (a scale-in, after which the cluster's smoke checks,
    which the demo's `up` runs, fail); the teardown runs last of all."""
    data = [item for item in items if item.get_closest_marker("changes_lake_data")]
    changes = [item for item in items if item.get_closest_marker("changes_deployment")]
    last = [item for item in items if item.get_closest_marker("destroys_deployment")]
    if data or changes or last:
        moved = data + changes + last
        items[:] = [item for item in items if item not in moved] + moved


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSettings]:
    if not cdk_cli.CDK_BIN.exists():
        missing_tool("node_modules/.bin/cdk is missing; run `make install`")
    settings = LocalSettings(
        port=_free_port(), profile="dev", state_dir=tmp_path_factory.mktemp("local")
    )
    server.start(settings)
    try:
        cdk_cli.synth(settings)
        cdk_cli.bootstrap(settings)
        cdk_cli.deploy(settings)
        yield settings
    finally:
        server.stop(settings)
