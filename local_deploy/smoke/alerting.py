"""AlertingStack: the platform alarm topic, encrypted and TLS-only, that every alarm notifies."""

from __future__ import annotations

import json

from local_deploy.smoke import Check, SmokeContext, expect

STACK_ID = "AlertingStack"


def _topic_arn(ctx: SmokeContext) -> str:
    arn = ctx.outputs.get("AlarmTopicArn")
    expect(bool(arn), f"output AlarmTopicArn is missing or empty in {ctx.stack_name}")
    assert arn is not None
    return arn


def topic_is_encrypted_and_tls_only(ctx: SmokeContext) -> str:
    arn = _topic_arn(ctx)
    attributes = ctx.client("sns").get_topic_attributes(TopicArn=arn)["Attributes"]
    expect(bool(attributes.get("KmsMasterKeyId")), f"topic {arn} is not KMS-encrypted")
    statements = json.loads(attributes.get("Policy", "{}")).get("Statement", [])
    expect(
        any(
            s.get("Effect") == "Deny"
            and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        ),
        f"topic {arn}: no statement denies publishing without TLS",
    )
    return f"{arn}: KMS-encrypted, TLS-only"


def every_alarm_of_the_profile_notifies_it(ctx: SmokeContext) -> str:
    arn = _topic_arn(ctx)
    pages = ctx.client("cloudwatch").get_paginator("describe_alarms").paginate()
    alarms = [alarm for page in pages for alarm in page["MetricAlarms"]]
    # Other profiles' alarms may share the emulator: look at those naming this profile, and at
    # those without a name of ours (CloudFormation-generated names carry the stack name).
    prefix = ctx.config.name_prefix
    ours = [a for a in alarms if prefix in a["AlarmName"] or prefix in a.get("AlarmArn", "")]
    silent = sorted(a["AlarmName"] for a in ours if arn not in a.get("AlarmActions", []))
    expect(bool(ours), f"no alarms of {prefix} found")
    expect(not silent, f"alarms that do not notify {arn}: {silent}")
    return f"{len(ours)} alarms of {prefix} notify {arn}"


CHECKS: list[Check] = [topic_is_encrypted_and_tls_only, every_alarm_of_the_profile_notifies_it]
