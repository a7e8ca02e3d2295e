"""cdk-nag (AwsSolutions) runs on every stack; this file is the one list of accepted findings.

Every acknowledgement in the app must appear in ACKNOWLEDGED below, so a reviewer sees them all in
one place, and a new one cannot slip in unreviewed. The reasons live next to the code that makes
the exception, and are copied by cdk-nag into each resource's template Metadata.

aws-cdk-lib also acknowledges some of its own built-in template checks
(`CloudFormation-Validate::*`, e.g. on flow logs); those are the library's, not this
project's, and are not listed here.
"""

from __future__ import annotations

import json

import pytest
from aws_cdk import aws_sqs as sqs

from app import create_app
from tests.cluster.acknowledged import cluster_acknowledged
from tests.synthesis import Synthesized, cdk_json_context, platform_app

NAG_PACK = "AwsSolutions-"

_GLUE_LOGS = "arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws-glue/*"
_RAW = "<StorageRawBucketCFA2C318.Arn>"
_CURATED = "<StorageCuratedBucketFD39404E.Arn>"
# DataLakeStack, the same in every profile: object wildcards under the Glue job's and crawler's
# own prefixes, Glue's run-time log groups, PutMetricData (no resource ARNs), AWS's crawler
# policy, and the access-log bucket that cannot log to itself.
DATA_LAKE_ACKNOWLEDGED: set[tuple[str, str, str]] = {
    ("DataLakeStack", "EtlJobRoleDefaultPolicyCD97CC7D", f"AwsSolutions-IAM5[Resource::{r}]")
    for r in (
        "*",
        f"{_RAW}/events/*",
        f"{_RAW}/landing/events/*",
        f"{_CURATED}/events/*",
        f"{_CURATED}/quarantine/events/*",
        _GLUE_LOGS,
        f"{_GLUE_LOGS}:log-stream:*",
    )
} | {
    (
        "DataLakeStack",
        "LandingCrawlerRoleA405CD87",
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AWSGlueServiceRole]",
    ),
    (
        "DataLakeStack",
        "LandingCrawlerRoleDefaultPolicy5E2B9612",
        f"AwsSolutions-IAM5[Resource::{_RAW}/landing/events/*]",
    ),
    (
        "DataLakeStack",
        "LandingCrawlerRoleDefaultPolicy5E2B9612",
        f"AwsSolutions-IAM5[Resource::{_GLUE_LOGS}]",
    ),
    ("DataLakeStack", "StorageAccessLogsBucket06E03AA1", "AwsSolutions-S1"),
}


def ml_acknowledged(profile: str) -> set[tuple[str, str, str]]:
    """MlStack: IAM wildcards that SageMaker's run-time naming forces (job, package, model and
    endpoint-config names, per-execution artifact keys, service log groups), Resource * where
    IAM has no resource ARNs (ECR token, ENIs, metric data, X-Ray, autoscaling targets), CDK's
    SQS grant, the dead-letter queue itself, the runtime pin and the access-log bucket."""
    arn = "arn:<AWS::Partition>:{service}:<AWS::Region>:<AWS::AccountId>:{resource}"
    prefix = f"dataplatform-{profile}"
    output = "PublishOutputFnGetAttStorageAnalyticsBucketC1082CB0Arn10CA323A"
    analytics = json.dumps(
        {
            "Fn::GetStackOutput": {
                "StackName": f"{prefix}-data-lake",
                "Region": {"Ref": "AWS::Region"},
                "OutputName": output,
            }
        },
        separators=(",", ":"),
    )
    artifacts = f"<ArtifactsBucket88671897.Arn>/pipelines/{prefix}-training/*"
    packages = arn.format(service="sagemaker", resource=f"model-package/{prefix}-models/*")
    # SageMaker's network interfaces: subnets, groups and interface changes held to the VPC by
    # ec2:Vpc; a new interface by type only (its ARN has no ec2:Vpc key yet).
    eni = [
        arn.format(service="ec2", resource=f"{kind}/*")
        for kind in ("subnet", "security-group", "network-interface")
    ]
    wildcards = {
        "TrainingExecutionRoleDefaultPolicyCA2F439F": (
            "*",
            arn.format(service="sagemaker", resource="processing-job/pipelines-*"),
            arn.format(service="sagemaker", resource="training-job/pipelines-*"),
            packages,
            f"{analytics}/training/events/*",
            artifacts,
            arn.format(service="logs", resource="log-group:/aws/sagemaker/ProcessingJobs:*"),
            arn.format(service="logs", resource="log-group:/aws/sagemaker/TrainingJobs:*"),
            *eni,
        ),
        "ServingRoleDefaultPolicy3C5BF513": (
            "*",
            artifacts,
            f"{analytics}/datacapture/{prefix}-inference/*",
            arn.format(service="logs", resource="log-group:/aws/sagemaker/Endpoints/*"),
            *eni,
        ),
        "DeploymentDeployerRoleDefaultPolicy2217FF1D": (
            "*",
            packages,
            arn.format(service="sagemaker", resource=f"model/{prefix}-inference-v*"),
            arn.format(service="sagemaker", resource=f"endpoint-config/{prefix}-inference-v*"),
            artifacts,
            arn.format(
                service="cloudwatch",
                resource=f"alarm:TargetTracking-endpoint/{prefix}-inference/*",
            ),
        ),
        "DeploymentAutoscalingPolicy6D99B157": ("*",),
    }
    found = {
        ("MlStack", policy, f"AwsSolutions-IAM5[Resource::{resource}]")
        for policy, resources in wildcards.items()
        for resource in resources
    }
    deployer_policy = "DeploymentDeployerRoleDefaultPolicy2217FF1D"
    return (
        found
        | {
            ("MlStack", deployer_policy, f"AwsSolutions-IAM5[Action::{a}]")
            for a in ("kms:GenerateDataKey*", "kms:ReEncrypt*")
        }
        | {
            ("MlStack", "AccessLogsBucketCD784A59", "AwsSolutions-S1"),
            ("MlStack", "DeploymentDeployerFunctionBE5B59F1", "AwsSolutions-L1"),
            ("MlStack", "DeploymentFailedEventsC04EFF28", "AwsSolutions-SQS3"),
        }
    )


def streaming_acknowledged(profile: str) -> set[tuple[str, str, str]]:
    """StreamingStack (MSK off, as shipped): Firehose's object writes under the raw zone's
    events/ and errors/ prefixes (its own policy), KDF1 (no SSE for a Kinesis-sourced Firehose),
    KDS3 (a customer-managed stream key by rule), and the transform's X-Ray * and runtime pin.
    tests/stacks/test_streaming_msk_modes.py checks the MSK modes' additions."""
    raw = json.dumps(
        {
            "Fn::GetStackOutput": {
                "StackName": f"dataplatform-{profile}-data-lake",
                "Region": {"Ref": "AWS::Region"},
                "OutputName": "PublishOutputFnGetAttStorageRawBucketCFA2C318Arn3136CC8C",
            }
        },
        separators=(",", ":"),
    )
    return {
        (
            "StreamingStack",
            "KinesisToLakeLakePrefixWriteD2BDFF01",
            f"AwsSolutions-IAM5[Resource::{raw}/{prefix}*]",
        )
        for prefix in ("events/", "errors/")
    } | {
        ("StreamingStack", "KinesisToLakeDeliveryStream2F387279", "AwsSolutions-KDF1"),
        ("StreamingStack", "EventsStreamA348795C", "AwsSolutions-KDS3"),
        ("StreamingStack", "TransformRoleDefaultPolicy5CDA1AEC", "AwsSolutions-IAM5[Resource::*]"),
        ("StreamingStack", "TransformFunction58095C87", "AwsSolutions-L1"),
    }


_NAT_INSTANCE = "VpcpublicSubnet1NatInstance6B5DA608"


def network_acknowledged(profile: str) -> set[tuple[str, str, str]]:
    """dev's NAT instance (nat_provider instance): free monitoring, no termination protection,
    and Session Manager's managed policy on its role. prod's NAT gateways need none."""
    if profile != "dev":
        return set()
    return {
        ("NetworkStack", _NAT_INSTANCE, "AwsSolutions-EC28"),
        ("NetworkStack", _NAT_INSTANCE, "AwsSolutions-EC29"),
        (
            "NetworkStack",
            "VpcpublicSubnet1NatInstanceInstanceRoleE2CB6C6C",
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
            "AmazonSSMManagedInstanceCore]",
        ),
    }


# (stack, logical ID, finding) for each profile.
ACKNOWLEDGED: dict[str, set[tuple[str, str, str]]] = {
    profile: {
        *network_acknowledged(profile),
        *ml_acknowledged(profile),
        *DATA_LAKE_ACKNOWLEDGED,
        *streaming_acknowledged(profile),
        *cluster_acknowledged(profile),
    }
    for profile in ("dev", "prod")
}


def acknowledgements(synthesized: Synthesized) -> dict[tuple[str, str, str], str]:
    found = {}
    for stack_id in synthesized.stack_ids:
        resources = synthesized.template_json(stack_id)["Resources"]
        for logical_id, resource in resources.items():
            rules = resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
            for rule in rules:
                if not rule["id"].startswith(NAG_PACK):
                    continue
                found[(stack_id, logical_id, rule["id"])] = rule["reason"]
    return found


def test_no_unacknowledged_findings(synthesized: Synthesized) -> None:
    report = synthesized.validation_report()
    failures = [p for p in report["pluginReports"] if p["conclusion"] != "success"]
    assert failures == []


def test_every_acknowledgement_is_listed_and_explained(synthesized: Synthesized) -> None:
    found = acknowledgements(synthesized)
    assert set(found) == ACKNOWLEDGED[synthesized.profile]
    for key, reason in found.items():
        assert len(reason) >= 40, f"{key}: reason too thin to review: {reason!r}"


# checkov (make checkov; tests/ops/test_ops_checkov.py runs it): (stack, logical ID, check) of
# every skip in both profiles, and dev's own below. Each reason sits in the code that makes the
# choice and is written to the resource's Metadata.checkov.skip by constructs/core/nag.py's
# skip_checkov.
_CDK_SG_PROVIDER = "CustomVpcRestrictDefaultSGCustomResourceProviderHandlerDC833E5E"
CHECKOV_SKIPPED: set[tuple[str, str, str]] = {
    # CDK's provider Lambda: invoked synchronously by CloudFormation, once per deploy, EC2 API only.
    *{("NetworkStack", _CDK_SG_PROVIDER, c) for c in ("CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117")},
    # Platform functions call AWS APIs only: no VPC (CKV_AWS_117). The transform is invoked
    # synchronously by Firehose; the deployer has an on-failure destination (CKV_AWS_116).
    *{
        (stack, function, check)
        for stack, function in (
            ("StreamingStack", "TransformFunction58095C87"),
            ("MlStack", "DeploymentDeployerFunctionBE5B59F1"),
        )
        for check in ("CKV_AWS_116", "CKV_AWS_117")
    },
    # Access-log buckets do not log to themselves.
    ("DataLakeStack", "StorageAccessLogsBucket06E03AA1", "CKV_AWS_18"),
    ("MlStack", "AccessLogsBucketCD784A59", "CKV_AWS_18"),
    # Principal * narrowed to Auto Scaling's service-linked role by aws:PrincipalArn.
    ("ClusterStack", "VolumeKeyD8D75A26", "CKV_AWS_33"),
}
# dev reserves no concurrency (a new account's Lambda quota of 10 refuses any): CKV_AWS_115.
CHECKOV_SKIPPED_DEV_ONLY: set[tuple[str, str, str]] = {
    ("StreamingStack", "TransformFunction58095C87", "CKV_AWS_115"),
    ("MlStack", "DeploymentDeployerFunctionBE5B59F1", "CKV_AWS_115"),
    # dev's NAT instance has a public IP, as a NAT must (prod's NAT gateways have Elastic IPs).
    ("NetworkStack", _NAT_INSTANCE, "CKV_AWS_88"),
}


def checkov_skipped(profile: str) -> set[tuple[str, str, str]]:
    """Every checkov skip the profile's templates must carry."""
    return CHECKOV_SKIPPED | (CHECKOV_SKIPPED_DEV_ONLY if profile == "dev" else set())


def checkov_skips(synthesized: Synthesized) -> dict[tuple[str, str, str], str]:
    found = {}
    for stack_id in synthesized.stack_ids:
        resources = synthesized.template_json(stack_id)["Resources"]
        for logical_id, resource in resources.items():
            for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
                found[(stack_id, logical_id, skip["id"])] = skip.get("comment", "")
    return found


def test_every_checkov_skip_is_listed_and_explained(synthesized: Synthesized) -> None:
    found = checkov_skips(synthesized)
    assert set(found) == checkov_skipped(synthesized.profile)
    for key, comment in found.items():
        assert len(comment) >= 40, f"{key}: reason too thin to review: {comment!r}"


def test_an_unacknowledged_finding_fails_synthesis(tmp_path: object) -> None:
    app = create_app(context={**cdk_json_context(), "env": "dev"}, outdir=str(tmp_path))
    platform_app.build(app)
    network = app.node.find_child("NetworkStack")
    sqs.Queue(network, "QueueWithoutTlsPolicy")
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
