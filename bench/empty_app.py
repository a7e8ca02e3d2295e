"""The floor for bench/synth.py: an App with one stack holding one no-op resource (CloudFormation
rejects a template with none), synthesized by the same CLI.

It honours CDK_VALIDATION exactly as app.create_app does, so each side of a ratio runs with the
built-in validation plugin in the same state: like for like.
"""

import os

import aws_cdk as cdk

app = cdk.App(builtin_cloud_formation_validation=os.environ["CDK_VALIDATION"] == "true")
cdk.CfnWaitConditionHandle(cdk.Stack(app, "Empty"), "Placeholder")
app.synth()
