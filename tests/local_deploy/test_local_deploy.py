"""Deploy every stack of the dev profile into a moto server with the real CDK CLI.

One module-scoped deployment (synth, bootstrap, deploy) on a free port, then: coverage with
nothing skipped, the smoke checks, a redeploy that changes nothing, and a destroy.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from local_deploy import cdk_cli, coverage, deployment, server
from local_deploy.settings import LocalSettings

pytestmark = pytest.mark.local_deploy

if not cdk_cli.CDK_BIN.exists():  # pragma: no cover - `make test` installs it first
    pytest.skip("node_modules/.bin/cdk is missing; run `make install`", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSettings]:
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


def _stack_names(settings: LocalSettings) -> list[str]:
    stacks = deployment.assembly_stacks(settings.assembly_dir)
    return [deployment.BOOTSTRAP_STACK] + [s.stack_name for s in stacks]


def test_every_resource_is_created(deployed: LocalSettings) -> None:
    coverages = deployment.coverage_of(deployed, _stack_names(deployed))
    print(coverage.format_table(coverages))
    assert coverage.skipped(coverages) == []
    created = sum(
        count
        for c in coverages
        for (_, outcome), count in c.counts.items()
        if outcome in {coverage.CREATED_BY_MOTO, coverage.CREATED_BY_EXTENSION}
    )
    assert created > 0


def test_smoke_checks_pass(deployed: LocalSettings) -> None:
    stacks = deployment.assembly_stacks(deployed.assembly_dir)
    results = deployment.smoke(deployed, stacks)
    failures = [f"{r.stack_id}.{r.name}: {r.detail}" for r in results if not r.passed]
    assert failures == []
    assert "NetworkStack" in {r.stack_id for r in results}


def test_outputs_are_filled(deployed: LocalSettings) -> None:
    for stack in deployment.assembly_stacks(deployed.assembly_dir):
        outputs = deployment.stack_outputs(deployed, stack.stack_name)
        assert outputs, f"{stack.stack_name} is not deployed or has no outputs"
        assert all(outputs.values()), f"{stack.stack_name} has empty outputs: {outputs}"


def test_redeploy_without_changes_changes_nothing(deployed: LocalSettings) -> None:
    names = _stack_names(deployed)
    before = deployment.physical_resources(deployed, names)
    cdk_cli.deploy(deployed)
    assert deployment.physical_resources(deployed, names) == before


def test_destroy_removes_every_app_stack(deployed: LocalSettings) -> None:
    deployment.empty_deletable_buckets(deployed)  # as `python -m local_deploy down` does
    cdk_cli.destroy(deployed)
    remaining = deployment.deployed_stack_names(deployed)
    assert remaining == [deployment.BOOTSTRAP_STACK]
