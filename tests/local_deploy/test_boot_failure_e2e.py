"""A Spark master that fails to boot fails `cdk deploy`: the real CDK CLI against a second moto
server, the shared deployment's synthesized app, and a local boot that fails.

The CLI reports the ClusterStack rolled back; its events say which group failed and why, as
CloudFormation says it (the SignalResource API carries no reason: the boot prints it).
"""

from __future__ import annotations

import json
import shutil
import socket

import pytest

from local_deploy import cdk_cli, deployment, local_boot, server
from local_deploy.local_boot import LocalBootError
from local_deploy.settings import LocalSettings

pytestmark = [pytest.mark.local_deploy, pytest.mark.e2e]

REASON = "the Spark master at http://127.0.0.1:8080 did not answer within 600 s"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _master_always_on(settings: LocalSettings) -> None:
    """dev starts its master when used (`cluster.master_always_on: false`): nothing boots at
    creation. Make the copied ClusterStack what a profile with an always-on master synthesizes:
    one master at creation, and a creation policy that waits for its signal."""
    path = settings.assembly_dir / "ClusterStack.template.json"
    template = json.loads(path.read_text(encoding="utf-8"))
    (master,) = [
        resource
        for logical_id, resource in template["Resources"].items()
        if logical_id.startswith("MasterGroupASG")
    ]
    master["Properties"].update(MinSize="1", DesiredCapacity="1")
    master["CreationPolicy"] = {"ResourceSignal": {"Count": 1, "Timeout": "PT20M"}}
    path.write_text(json.dumps(template), encoding="utf-8")


def test_a_master_that_does_not_boot_fails_the_deploy(deployed, tmp_path, monkeypatch, capsys):
    settings = LocalSettings(port=_free_port(), profile=deployed.profile, state_dir=tmp_path)
    shutil.copytree(deployed.assembly_dir, settings.assembly_dir)
    _master_always_on(settings)

    def failing_boot(*_args: object, **_kwargs: object) -> local_boot.BootFunction:
        def boot(groups: list[local_boot.WaitingGroup]) -> dict[str, int]:
            raise LocalBootError(REASON)

        return boot

    monkeypatch.setattr(local_boot, "spark_boot", failing_boot)
    server.start(settings)
    try:
        cdk_cli.bootstrap(settings)
        with pytest.raises(cdk_cli.CdkError, match="`cdk deploy` exited with status"):
            cdk_cli.deploy(settings)
        out = capsys.readouterr().out
        cloudformation = deployment.client(settings, "cloudformation")
        stack_name = next(
            s.stack_name
            for s in deployment.assembly_stacks(settings.assembly_dir)
            if s.artifact_id == "ClusterStack"
        )
        (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
        assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
        events = cloudformation.describe_stack_events(StackName=stack_name)["StackEvents"]
        (failed,) = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
        assert failed["LogicalResourceId"].startswith("MasterGroupASG")
        assert failed["ResourceStatusReason"].startswith("Received FAILURE signal with UniqueId i-")
        assert f"local boot: FAILED: {failed['LogicalResourceId']}" in out
        assert REASON in out
        # The stacks before it deployed; the one that needs it was not attempted.
        assert stack_name not in deployment.deployed_stack_names(settings)
    finally:
        server.stop(settings)
