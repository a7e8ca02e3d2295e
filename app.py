#!/usr/bin/env python3
"""The CDK app: the chosen profile's config, then one line per stack.

Choose the profile with `cdk synth -c env=prod` (or `make synth ENV=prod`); the default is dev.
"""

from __future__ import annotations

import os
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from platform_config import exit_on_config_error, load_config
from stacks.alerting import AlertingStack
from stacks.cluster import ClusterStack
from stacks.data_lake import DataLakeStack
from stacks.governance import add_control_tower_checks
from stacks.ml import MlStack
from stacks.network import NetworkStack
from stacks.operations import OperationsStack
from stacks.streaming import StreamingStack


def create_app(**props: Any) -> cdk.App:  # noqa: ANN401 - cdk.App's own keyword props
    """An App with CDK's built-in CloudFormation validation plugin off unless CDK_VALIDATION=true.

    That plugin checks templates against the resource schemas, as warnings only, and starting
    its WebAssembly engine takes about 2 s of every synth. cfn-lint makes the same check and
    more on every template, as a gate (tests/test_cfn_lint.py, `make lint`), so by default it
    is not run twice.
    """
    builtin_validation = os.environ.get("CDK_VALIDATION", "").lower() == "true"
    return cdk.App(builtin_cloud_formation_validation=builtin_validation, **props)


def build(app: cdk.App) -> cdk.App:
    """Add every stack of the profile named in `app`'s context, with cdk-nag and AWS Control
    Tower's proactive controls (stacks/governance.py) on all of them."""
    config = load_config(app)
    cdk.Validations.of(app).add_plugins(
        # Acknowledgements are copied into each resource's Metadata, so a reviewer reading the
        # template sees every accepted finding, with its reason, next to the resource.
        AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True)
    )
    # The alarm topic first and the dashboard last: every stack between takes the topic, and
    # the dashboard takes what they expose, so no dependency runs both ways.
    topic = AlertingStack(app, "AlertingStack", config=config).alarm_topic
    net = NetworkStack(app, "NetworkStack", config=config)
    lake = DataLakeStack(app, "DataLakeStack", config=config)
    streaming = StreamingStack(
        app, "StreamingStack", config=config, network=net, lake=lake, alarm_topic=topic
    )
    ml = MlStack(app, "MlStack", config=config, network=net, lake=lake, alarm_topic=topic)
    cluster = (
        ClusterStack(app, "ClusterStack", config=config, network=net, lake=lake, alarm_topic=topic)
        if config.cluster.enabled
        else None
    )
    OperationsStack(
        app,
        "OperationsStack",
        config=config,
        alarm_topic=topic,
        streaming=streaming,
        lake=lake,
        ml=ml,
        cluster=cluster,
    )
    add_control_tower_checks(app, config)
    return app


if __name__ == "__main__":
    with exit_on_config_error():
        build(create_app()).synth()
