"""The logical IDs of every stateful resource, pinned for both profiles.

A changed logical ID makes CloudFormation replace the resource: a new bucket, key, stream, log
group or table, with the data left behind in the old one. So a refactor (moving a construct,
renaming a construct ID, splitting a stack) must keep these IDs, or pin them with
`override_logical_id`. This list is written out by hand on purpose: if a test here fails, either
put the ID back, or, for a resource that is really new or really meant to go, change the list
and say so in the commit.
"""

from __future__ import annotations

import pytest

from tests.synthesis import Synthesized

# Resource types that hold data or decrypt it (a replaced KMS key orphans everything it encrypted).
STATEFUL_TYPES = frozenset(
    {
        "AWS::S3::Bucket",
        "AWS::KMS::Key",
        "AWS::Kinesis::Stream",
        "AWS::Logs::LogGroup",
        "AWS::Glue::Database",
        "AWS::Glue::Table",
        "AWS::SageMaker::ModelPackageGroup",
        "AWS::SQS::Queue",
        "AWS::MSK::Cluster",
        "AWS::MSK::ServerlessCluster",
    }
)

# Both profiles create the same stateful resources under the same IDs; sizes differ, IDs do not.
PINNED: dict[str, dict[str, str]] = {
    # The platform's one alarm topic (its key). StreamingStack's and ClusterStack's own topics
    # (AlarmTopicKeyBA1A4AA7 in each) went with it, on purpose: an alarm topic holds no data.
    "AlertingStack": {
        "AlarmTopicKeyBA1A4AA7": "AWS::KMS::Key",
    },
    "NetworkStack": {
        "FlowLogsKeyBAB0B9A4": "AWS::KMS::Key",
        "FlowLogsLogGroup9853A85F": "AWS::Logs::LogGroup",
    },
    "DataLakeStack": {
        "StorageLakeKey01763C57": "AWS::KMS::Key",
        "StorageAccessLogsBucket06E03AA1": "AWS::S3::Bucket",
        "StorageRawBucketCFA2C318": "AWS::S3::Bucket",
        "StorageCuratedBucketFD39404E": "AWS::S3::Bucket",
        "StorageAnalyticsBucketC1082CB0": "AWS::S3::Bucket",
        "StorageAthenaResultsBucket2CD0D8C8": "AWS::S3::Bucket",
        "GlueSecurityLogsKey90CCD762": "AWS::KMS::Key",
        "CatalogRawDatabaseCC29CEE7": "AWS::Glue::Database",
        "CatalogCuratedDatabaseBB03A401": "AWS::Glue::Database",
        "CatalogAnalyticsDatabaseAC5F19F3": "AWS::Glue::Database",
        "RawEventsTable3C3091A9": "AWS::Glue::Table",
        "CuratedEventsTable0D94718F": "AWS::Glue::Table",
    },
    "StreamingStack": {
        "EventsKey1BC2C457": "AWS::KMS::Key",
        "EventsStreamA348795C": "AWS::Kinesis::Stream",
        "KinesisToLakeLogsKeyB64982B9": "AWS::KMS::Key",
        "KinesisToLakeLogsLogGroup3309283A": "AWS::Logs::LogGroup",
        "TransformLogsKey39DD6F20": "AWS::KMS::Key",
        "TransformLogsLogGroup9283ABD3": "AWS::Logs::LogGroup",
        "TransformEnvironmentKeyBEDE9CBB": "AWS::KMS::Key",
    },
    "MlStack": {
        "MlKeyA12A340C": "AWS::KMS::Key",
        "AccessLogsBucketCD784A59": "AWS::S3::Bucket",
        "ArtifactsBucket88671897": "AWS::S3::Bucket",
        "TrainingModelPackageGroup2A1BF969": "AWS::SageMaker::ModelPackageGroup",
        "DeploymentDeployerLogsKeyE97F08B9": "AWS::KMS::Key",
        "DeploymentDeployerLogsLogGroup2FB35337": "AWS::Logs::LogGroup",
        "DeploymentDeployerEnvironmentKeyCF9729A6": "AWS::KMS::Key",
        "DeploymentFailedEventsKey8C66B67B": "AWS::KMS::Key",
        "DeploymentFailedEventsC04EFF28": "AWS::SQS::Queue",
    },
    "ClusterStack": {
        "LogsKeyB5D1D597": "AWS::KMS::Key",
        "LogsLogGroupF3C6ECB9": "AWS::Logs::LogGroup",
        "VolumeKeyD8D75A26": "AWS::KMS::Key",
        "SecretKeyBCA64351": "AWS::KMS::Key",
    },
    # The dashboard only: nothing stateful, and it must stay so (a dashboard stack holds no data).
    "OperationsStack": {},
}


def stateful_resources(synthesized: Synthesized, stack_id: str) -> dict[str, str]:
    resources = synthesized.template_json(stack_id)["Resources"]
    return {
        logical_id: resource["Type"]
        for logical_id, resource in resources.items()
        if resource["Type"] in STATEFUL_TYPES
    }


@pytest.mark.parametrize("stack_id", sorted(PINNED))
def test_dev_stateful_logical_ids_are_pinned(dev: Synthesized, stack_id: str) -> None:
    assert stateful_resources(dev, stack_id) == PINNED[stack_id]


@pytest.mark.parametrize("stack_id", sorted(PINNED))
def test_prod_stateful_logical_ids_are_pinned(prod: Synthesized, stack_id: str) -> None:
    assert stateful_resources(prod, stack_id) == PINNED[stack_id]


def test_every_stack_is_pinned(synthesized: Synthesized) -> None:
    unpinned = sorted(set(synthesized.stack_ids) - set(PINNED))
    assert not unpinned, f"add the stateful resources of {unpinned} to PINNED in this module"
