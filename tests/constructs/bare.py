"""A bare stack to build one construct in from its props: no profile, no platform stacks."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from tests.synthesis import cdk_json_context


def bare_stack(stack_id: str = "Bare") -> tuple[cdk.App, cdk.Stack]:
    """An app with cdk.json's feature flags and cdk-nag's AwsSolutions pack, and one stack."""
    app = cdk.App(context=cdk_json_context(), analytics_reporting=False)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, cdk.Stack(app, stack_id)


def synthesized(app: cdk.App, stack: cdk.Stack) -> Template:
    """Synthesize (cdk-nag fails synth on any unacknowledged error) and return the template."""
    app.synth()
    return Template.from_stack(stack)
