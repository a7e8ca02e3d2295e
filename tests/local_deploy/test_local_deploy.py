"""Deploy every stack of the dev profile into a moto server with the real CDK CLI.

On the session's deployment (conftest.py): coverage with nothing skipped, the smoke checks,
filled outputs, a redeploy that changes nothing, and, last, a destroy.
"""

from __future__ import annotations

import pytest

from local_deploy import cdk_cli, coverage, deployment
from local_deploy.settings import LocalSettings
from local_deploy.smoke import CheckResult

pytestmark = pytest.mark.local_deploy


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


@pytest.fixture(scope="module")
def first_smoke(deployed: LocalSettings) -> list[CheckResult]:
    """The smoke battery's first run on the session's deployment, shared by the two tests below
    (a run takes about 8 s)."""
    return deployment.smoke(deployed, deployment.assembly_stacks(deployed.assembly_dir))


def test_smoke_checks_pass(first_smoke: list[CheckResult]) -> None:
    failures = [f"{r.stack_id}.{r.name}: {r.detail}" for r in first_smoke if not r.passed]
    assert failures == []
    assert "NetworkStack" in {r.stack_id for r in first_smoke}


def test_smoke_checks_pass_again_on_the_same_deployment(
    deployed: LocalSettings, first_smoke: list[CheckResult]
) -> None:
    # A second run, after `first_smoke`: `local_deploy report` may be run any number of times;
    # the second ML approval updates the endpoint that the first one created (UpdateEndpoint,
    # which moto_cfn_models adds to moto).
    again = deployment.smoke(deployed, deployment.assembly_stacks(deployed.assembly_dir))
    assert [f"{r.stack_id}.{r.name}: {r.detail}" for r in again if not r.passed] == []
    approval = next(r for r in again if r.name == "approval_deploys_endpoint_with_autoscaling")
    assert "endpoint" in approval.detail


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


@pytest.mark.destroys_deployment
def test_destroy_removes_every_app_stack(deployed: LocalSettings) -> None:
    deployment.empty_deletable_buckets(deployed)  # as `python -m local_deploy down` does
    cdk_cli.destroy(deployed)
    remaining = deployment.deployed_stack_names(deployed)
    assert remaining == [deployment.BOOTSTRAP_STACK]
