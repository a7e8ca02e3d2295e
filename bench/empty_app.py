"""The floor for bench/synth.py: an App with one stack holding one no-op resource (CloudFormation
rejects a template with none), synthesized by the same CLI."""

import aws_cdk as cdk

app = cdk.App()
cdk.CfnWaitConditionHandle(cdk.Stack(app, "Empty"), "Placeholder")
app.synth()
