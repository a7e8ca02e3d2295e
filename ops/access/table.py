"""The access table: every call the platform depends on, and every promise it makes, with the
decision AWS must reach. `python -m ops.access` evaluates it against the synthesized templates.

Each row says who calls (see `ops.access.calls`), what, on which resource, with the context keys
the calling service sends, and why the row exists. Rows go both ways: `allow` rows are the data
path (a broken one is a failed deploy or a pipeline step denied on first use); `deny` rows are the
least-privilege promises of the code (a broken one is a silent widening).
"""

from __future__ import annotations

from ops.access.calls import Call, allow, deny

_VIA_S3 = "s3.{region}.amazonaws.com"
_LOGS = "logs.{region}.amazonaws.com"
_RAW = "{arn:DataLakeStack/Storage/Raw/Bucket}"
_CURATED = "{arn:DataLakeStack/Storage/Curated/Bucket}"
_ANALYTICS = "{arn:DataLakeStack/Storage/Analytics/Bucket}"
_ARTIFACTS = "{arn:MlStack/Artifacts/Bucket}"
_LAKE_KEY = "{arn:DataLakeStack/Storage/LakeKey}"
_ML_KEY = "{arn:MlStack/MlKey}"
_ASSETS = "arn:aws:s3:::cdk-{qualifier}-assets-{account}-{region}"
_TRAINING = "role:MlStack/Training/ExecutionRole"
_SERVING = "role:MlStack/Serving/Role"
_DEPLOYER = "role:MlStack/Deployment/Deployer/Role"
_FIREHOSE = "role:StreamingStack/KinesisToLake/Role"
_ETL = "role:DataLakeStack/EtlJob/Role"
_CRAWLER = "role:DataLakeStack/LandingCrawler/Role"
_MASTER = "role:ClusterStack/Master/Role"
_WORKERS = "role:ClusterStack/Workers/Role"
_PIPELINE_PREFIX = "pipelines/{output:MlStack.PipelineName}"
#: The registry policy AWS gives its SageMaker algorithm images: any account may pull them.
_AWS_IMAGE_REGISTRY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": [
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchCheckLayerAvailability",
            ],
            "Resource": "*",
        }
    ],
}
_XGBOOST_IMAGE = "arn:aws:ecr:{region}:683313688378:repository/sagemaker-xgboost"


def _lake_key_via_s3(caller: str, action: str, object_arn: str, why: str) -> Call:
    """S3 calls KMS for an SSE-KMS object, as the caller, with the object's ARN as context."""
    return allow(
        caller,
        action,
        _LAKE_KEY,
        why=why,
        context={"kms:ViaService": _VIA_S3, "kms:EncryptionContext:aws:s3:arn": object_arn},
    )


def _logs_encrypt(key_path: str, log_group_path: str, why: str) -> Call:
    """CloudWatch Logs uses a log group's key itself, with the group's ARN as context."""
    return allow(
        f"service:{_LOGS}",
        "kms:GenerateDataKey",
        f"{{arn:{key_path}}}",
        why=why,
        context={"kms:EncryptionContext:aws:logs:arn": f"{{log-group:{log_group_path}}}"},
    )


def _assumes(service: str, role: str) -> Call:
    return allow(
        f"service:{service}",
        "sts:AssumeRole",
        f"{{arn:{role.removeprefix('role:')}}}",
        why=f"{service} assumes the role to act for the platform",
    )


STREAMING: tuple[Call, ...] = (
    # Firehose sends the account's ID as the external ID when it assumes its role.
    allow(
        "service:firehose.amazonaws.com",
        "sts:AssumeRole",
        "{arn:StreamingStack/KinesisToLake/Role}",
        why="Firehose assumes its role, naming the account as external ID",
        context={"sts:ExternalId": "{account}"},
    ),
    deny(
        "service:firehose.amazonaws.com",
        "sts:AssumeRole",
        "{arn:StreamingStack/KinesisToLake/Role}",
        why="a delivery stream of another account cannot assume the role (confused deputy)",
        context={"sts:ExternalId": "210987654321"},
    ),
    _assumes("lambda.amazonaws.com", "role:StreamingStack/Transform/Role"),
    *(
        allow(
            _FIREHOSE,
            action,
            "{arn:StreamingStack/Events/Stream}",
            why="Firehose reads its Kinesis source",
        )
        for action in (
            "kinesis:DescribeStream",
            "kinesis:GetShardIterator",
            "kinesis:GetRecords",
            "kinesis:ListShards",
        )
    ),
    allow(
        _FIREHOSE,
        "kms:Decrypt",
        "{arn:StreamingStack/Events/Key}",
        why="the stream's records are encrypted with its key",
        context={"kms:ViaService": "kinesis.{region}.amazonaws.com"},
    ),
    allow(
        _FIREHOSE,
        "s3:PutObject",
        f"{_RAW}/events/event_date=2026-01-01/part-0.parquet",
        why="Firehose delivers into the raw zone",
    ),
    allow(
        _FIREHOSE,
        "s3:PutObject",
        f"{_RAW}/errors/format-conversion-failed/x.gz",
        why="records that fail go to the error prefix",
    ),
    _lake_key_via_s3(
        _FIREHOSE,
        "kms:GenerateDataKey",
        f"{_RAW}/events/event_date=2026-01-01/part-0.parquet",
        "delivered objects are SSE-KMS with the lake key",
    ),
    deny(
        _FIREHOSE,
        "s3:PutObject",
        f"{_CURATED}/events/x.parquet",
        why="Firehose writes the raw zone only",
    ),
    allow(
        _FIREHOSE,
        "lambda:InvokeFunction",
        "{arn:StreamingStack/Transform/Function}",
        why="Firehose runs the transform on each batch",
    ),
    allow(
        _FIREHOSE,
        "glue:GetTable",
        "arn:aws:glue:{region}:{account}:table/{ref:DataLakeStack/Catalog/RawDatabase}/events",
        why="Parquet conversion reads the raw table's schema",
    ),
    allow(
        _FIREHOSE,
        "logs:PutLogEvents",
        "{log-group:StreamingStack/KinesisToLake/Logs/LogGroup}"
        + ":log-stream:{ref:StreamingStack/KinesisToLake/DeliveryLogStream}",
        why="delivery errors are logged",
    ),
    _logs_encrypt(
        "StreamingStack/KinesisToLake/Logs/Key",
        "StreamingStack/KinesisToLake/Logs/LogGroup",
        "the delivery log group is encrypted",
    ),
    allow(
        "role:StreamingStack/Transform/Role",
        "logs:PutLogEvents",
        "{log-group:StreamingStack/Transform/Logs/LogGroup}" + ":log-stream:2026/01/01/x",
        why="the transform logs",
    ),
    allow(
        "role:StreamingStack/Transform/Role",
        "kms:Decrypt",
        "{arn:StreamingStack/Transform/EnvironmentKey}",
        why="Lambda decrypts the function's environment as its role",
        context={"kms:ViaService": "lambda.{region}.amazonaws.com"},
    ),
    _logs_encrypt(
        "StreamingStack/Transform/Logs/Key",
        "StreamingStack/Transform/Logs/LogGroup",
        "the transform's log group is encrypted",
    ),
    deny(
        "role:StreamingStack/Transform/Role",
        "s3:PutObject",
        f"{_RAW}/events/x",
        why="the transform returns records; it writes nothing",
    ),
)

LAKE: tuple[Call, ...] = (
    _assumes("glue.amazonaws.com", _CRAWLER),
    _assumes("glue.amazonaws.com", _ETL),
    allow(
        _CRAWLER,
        "s3:ListBucket",
        _RAW,
        why="the crawler lists the landing prefix",
        context={"s3:prefix": "landing/events/"},
    ),
    allow(
        _CRAWLER,
        "s3:GetObject",
        f"{_RAW}/landing/events/2026/01/01/x.json.gz",
        why="the crawler samples landing objects",
    ),
    _lake_key_via_s3(
        _CRAWLER,
        "kms:Decrypt",
        f"{_RAW}/landing/events/2026/01/01/x.json.gz",
        "landing objects are SSE-KMS",
    ),
    allow(
        _CRAWLER,
        "glue:CreateTable",
        "arn:aws:glue:{region}:{account}:table/{ref:DataLakeStack/Catalog/RawDatabase}/landing_events",
        why="the crawler catalogues what it finds",
    ),
    allow(
        _CRAWLER,
        "logs:PutLogEvents",
        "arn:aws:logs:{region}:{account}:log-group:/aws-glue/crawlers-role/x:log-stream:dataplatform",
        why="crawler runs log to /aws-glue/",
    ),
    deny(
        _CRAWLER,
        "s3:GetObject",
        f"{_RAW}/events/x.parquet",
        why="the crawler reads the landing prefix only",
    ),
    allow(
        _ETL,
        "s3:GetObject",
        "{s3-in:DataLakeStack/EtlJob:.py}",
        why="Glue fetches the job's script from the assets bucket",
    ),
    allow(
        _ETL,
        "s3:GetObject",
        "{s3-in:DataLakeStack/EtlJob:.zip}",
        why="Glue fetches the job's Python library",
    ),
    allow(
        _ETL,
        "s3:ListBucket",
        _RAW,
        why="the job lists raw partitions",
        context={"s3:prefix": "events/event_date=2026-01-01/"},
    ),
    allow(
        _ETL,
        "s3:GetObject",
        f"{_RAW}/events/event_date=2026-01-01/part-0.parquet",
        why="the job reads the raw zone",
    ),
    _lake_key_via_s3(
        _ETL,
        "kms:Decrypt",
        f"{_RAW}/events/event_date=2026-01-01/part-0.parquet",
        "raw objects are SSE-KMS",
    ),
    allow(
        _ETL,
        "s3:PutObject",
        f"{_CURATED}/events/event_date=2026-01-01/part-0.parquet",
        why="the job writes the curated zone",
    ),
    allow(
        _ETL,
        "s3:PutObject",
        f"{_CURATED}/quarantine/events/event_date=2026-01-01/x.json",
        why="bad rows are quarantined",
    ),
    allow(
        _ETL,
        "glue:GetTable",
        "arn:aws:glue:{region}:{account}:table/{ref:DataLakeStack/Catalog/CuratedDatabase}/events",
        why="the job reads the curated table's definition",
    ),
    allow(
        _ETL,
        "logs:PutLogEvents",
        "arn:aws:logs:{region}:{account}:log-group:/aws-glue/jobs/logs-v2:log-stream:jr_x",
        why="job runs log to /aws-glue/",
    ),
    deny(
        _ETL,
        "s3:PutObject",
        f"{_RAW}/events/x.parquet",
        why="the ETL job cannot rewrite the raw zone",
    ),
    deny(
        _ETL,
        "s3:PutObject",
        f"{_ANALYTICS}/training/events/x.parquet",
        why="the ETL job writes curated only",
    ),
    allow(
        f"service:{_LOGS}",
        "kms:GenerateDataKey",
        "{arn:DataLakeStack/GlueSecurity/LogsKey}",
        why="Glue's security configuration encrypts /aws-glue/ logs with this key",
        context={
            "kms:EncryptionContext:aws:logs:arn": (
                "arn:aws:logs:{region}:{account}:log-group:/aws-glue/jobs/logs-v2"
            )
        },
    ),
    deny(
        "role:ClusterStack/Master/Role",
        "s3:GetObject",
        f"{_RAW}/events/x.parquet",
        why="the cluster reads the curated zone, never raw",
    ),
    allow(
        "service:logging.s3.amazonaws.com",
        "s3:PutObject",
        "{arn:DataLakeStack/Storage/AccessLogs/Bucket}/DataLakeStackStorageRaw5494B3D7/2026-01-01-x",
        why="S3 server access logs of the raw zone are delivered",
        context={"aws:SourceArn": _RAW, "aws:SourceAccount": "{account}"},
    ),
    deny(
        "administrator",
        "s3:GetObject",
        f"{_ANALYTICS}/training/events/x.parquet",
        why="the lake refuses plain HTTP, even to an administrator",
        context={"aws:SecureTransport": "false"},
    ),
    deny(
        "administrator",
        "s3:GetObject",
        "{arn:DataLakeStack/Storage/AthenaResults/Bucket}/results/x.csv",
        why="query results are refused over TLS older than 1.2",
        context={"s3:TlsVersion": "1.1"},
    ),
)

ML: tuple[Call, ...] = (
    _assumes("sagemaker.amazonaws.com", _TRAINING),
    _assumes("sagemaker.amazonaws.com", _SERVING),
    _assumes("lambda.amazonaws.com", _DEPLOYER),
    allow(
        _TRAINING,
        "s3:ListBucket",
        _ASSETS,
        why="SageMaker lists an S3Prefix code input before it reads it",
        context={"s3:prefix": "{s3-key:MlStack.TrainingCodeS3Uri}"},
    ),
    allow(
        _TRAINING,
        "s3:GetObject",
        "{s3-arn:MlStack.TrainingCodeS3Uri}",
        why="the steps download their code",
    ),
    allow(
        _TRAINING,
        "s3:ListBucket",
        _ANALYTICS,
        why="the prepare step lists the training export",
        context={"s3:prefix": "training/events/"},
    ),
    allow(
        _TRAINING,
        "s3:GetObject",
        f"{_ANALYTICS}/training/events/part-0.parquet",
        why="the prepare step reads the export",
    ),
    _lake_key_via_s3(
        _TRAINING,
        "kms:Decrypt",
        f"{_ANALYTICS}/training/events/part-0.parquet",
        "the export is SSE-KMS with the lake key",
    ),
    allow(
        _TRAINING,
        "s3:ListBucket",
        _ARTIFACTS,
        why="each step lists its inputs under the pipeline's prefix",
        context={"s3:prefix": f"{_PIPELINE_PREFIX}/exec-1/prepare/"},
    ),
    allow(
        _TRAINING,
        "s3:PutObject",
        f"{_ARTIFACTS}/{_PIPELINE_PREFIX}/exec-1/train/model.tar.gz",
        why="training writes the model",
    ),
    allow(
        _TRAINING,
        "kms:GenerateDataKey",
        _ML_KEY,
        why="artifacts are SSE-KMS with the ML key",
        context={"kms:ViaService": _VIA_S3},
    ),
    allow(
        _TRAINING,
        "ecr:BatchGetImage",
        _XGBOOST_IMAGE,
        why="training pulls AWS's XGBoost image",
        resource_account="683313688378",
        foreign_policy=_AWS_IMAGE_REGISTRY,
    ),
    allow(
        _TRAINING,
        "ecr:GetAuthorizationToken",
        "*",
        why="pulling any image starts with a registry token",
    ),
    allow(
        _TRAINING,
        "logs:PutLogEvents",
        "arn:aws:logs:{region}:{account}:log-group:/aws/sagemaker/TrainingJobs:log-stream:pipelines-x/algo-1",
        why="training jobs log",
    ),
    allow(
        _TRAINING,
        "sagemaker:CreateTrainingJob",
        "arn:aws:sagemaker:{region}:{account}:training-job/pipelines-abc123-train",
        why="the pipeline starts its training step as its execution role",
    ),
    allow(
        _TRAINING,
        "iam:PassRole",
        "{arn:MlStack/Training/ExecutionRole}",
        why="the pipeline passes its role to each job",
        context={"iam:PassedToService": "sagemaker.amazonaws.com"},
    ),
    allow(
        _TRAINING,
        "sagemaker:CreateModelPackage",
        "arn:aws:sagemaker:{region}:{account}:model-package/{output:MlStack.ModelPackageGroupName}/1",
        why="the register step adds a version to the group",
    ),
    deny(
        _TRAINING,
        "s3:PutObject",
        f"{_CURATED}/events/x.parquet",
        why="training cannot write the lake's curated zone",
    ),
    deny(
        _TRAINING,
        "sagemaker:CreateEndpoint",
        "arn:aws:sagemaker:{region}:{account}:endpoint/{output:MlStack.EndpointName}",
        why="only the deployer, after approval, serves a model",
    ),
    allow(
        _SERVING,
        "s3:GetObject",
        f"{_ARTIFACTS}/{_PIPELINE_PREFIX}/exec-1/train/model.tar.gz",
        why="the endpoint loads the model",
    ),
    allow(
        _SERVING,
        "kms:Decrypt",
        _ML_KEY,
        why="the model artifact is SSE-KMS",
        context={"kms:ViaService": _VIA_S3},
    ),
    allow(
        _SERVING,
        "s3:PutObject",
        f"{_ANALYTICS}/datacapture/{{output:MlStack.EndpointName}}/AllTraffic/2026/01/01/00/x.jsonl",
        why="data capture writes back to the lake",
    ),
    _lake_key_via_s3(
        _SERVING,
        "kms:GenerateDataKey",
        f"{_ANALYTICS}/datacapture/{{output:MlStack.EndpointName}}/AllTraffic/2026/01/01/00/x.jsonl",
        "captures are SSE-KMS with the lake key",
    ),
    allow(
        _SERVING,
        "ecr:BatchGetImage",
        _XGBOOST_IMAGE,
        why="the endpoint pulls the serving image",
        resource_account="683313688378",
        foreign_policy=_AWS_IMAGE_REGISTRY,
    ),
    allow(
        _SERVING,
        "logs:PutLogEvents",
        "arn:aws:logs:{region}:{account}:log-group:/aws/sagemaker/Endpoints/{output:MlStack.EndpointName}:log-stream:AllTraffic/i-0",
        why="the endpoint logs",
    ),
    deny(
        _SERVING,
        "s3:GetObject",
        f"{_ANALYTICS}/training/events/part-0.parquet",
        why="the endpoint cannot read the training data",
    ),
    allow(
        _DEPLOYER,
        "sagemaker:CreateModel",
        "arn:aws:sagemaker:{region}:{account}:model/{output:MlStack.EndpointName}-v1",
        why="the deployer creates the approved version's model",
    ),
    allow(
        _DEPLOYER,
        "iam:PassRole",
        "{arn:MlStack/Serving/Role}",
        why="the model runs as the serving role",
        context={"iam:PassedToService": "sagemaker.amazonaws.com"},
    ),
    deny(
        _DEPLOYER,
        "iam:PassRole",
        "{arn:MlStack/Training/ExecutionRole}",
        why="the deployer passes the serving role only",
        context={"iam:PassedToService": "sagemaker.amazonaws.com"},
    ),
    allow(
        _DEPLOYER,
        "sagemaker:CreateEndpoint",
        "arn:aws:sagemaker:{region}:{account}:endpoint/{output:MlStack.EndpointName}",
        why="the deployer serves the approved model",
    ),
    allow(
        _DEPLOYER,
        "sagemaker:UpdateEndpoint",
        "arn:aws:sagemaker:{region}:{account}:endpoint/{output:MlStack.EndpointName}",
        why="a later approval updates the endpoint in place",
    ),
    allow(
        _DEPLOYER,
        "kms:CreateGrant",
        _LAKE_KEY,
        why="the endpoint's data capture needs a grant on the lake key",
        context={"kms:GrantIsForAWSResource": "true"},
    ),
    allow(
        _DEPLOYER,
        "sqs:SendMessage",
        "{arn:MlStack/Deployment/FailedEvents}",
        why="a failed deployment is parked on the queue",
    ),
    allow(
        _DEPLOYER,
        "kms:GenerateDataKey",
        "{arn:MlStack/Deployment/FailedEventsKey}",
        why="the queue is encrypted",
        context={"kms:ViaService": "sqs.{region}.amazonaws.com"},
    ),
    allow(
        _DEPLOYER,
        "kms:Decrypt",
        "{arn:MlStack/Deployment/Deployer/EnvironmentKey}",
        why="Lambda decrypts the deployer's environment as its role",
        context={"kms:ViaService": "lambda.{region}.amazonaws.com"},
    ),
    allow(
        _DEPLOYER,
        "logs:PutLogEvents",
        "{log-group:MlStack/Deployment/Deployer/Logs/LogGroup}" + ":log-stream:2026/01/01/x",
        why="the deployer logs",
    ),
    _logs_encrypt(
        "MlStack/Deployment/Deployer/Logs/Key",
        "MlStack/Deployment/Deployer/Logs/LogGroup",
        "the deployer's log group is encrypted",
    ),
    deny(
        _DEPLOYER,
        "s3:PutObject",
        f"{_ARTIFACTS}/{_PIPELINE_PREFIX}/exec-1/train/model.tar.gz",
        why="the deployer cannot change a model",
    ),
    allow(
        "service:events.amazonaws.com",
        "lambda:InvokeFunction",
        "{arn:MlStack/Deployment/Deployer/Function}",
        why="an approval event runs the deployer",
        context={
            "aws:SourceArn": "{arn:MlStack/Deployment/ModelApproved}",
            "aws:SourceAccount": "{account}",
        },
    ),
    deny(
        "service:events.amazonaws.com",
        "lambda:InvokeFunction",
        "{arn:MlStack/Deployment/Deployer/Function}",
        why="no other rule may run the deployer",
        context={
            "aws:SourceArn": "arn:aws:events:{region}:{account}:rule/someone-elses",
            "aws:SourceAccount": "{account}",
        },
    ),
    allow(
        "service:events.amazonaws.com",
        "sqs:SendMessage",
        "{arn:MlStack/Deployment/FailedEvents}",
        why="an event the deployer could not take is dead-lettered",
        context={
            "aws:SourceArn": "{arn:MlStack/Deployment/ModelApproved}",
            "aws:SourceAccount": "{account}",
        },
    ),
    allow(
        "service:events.amazonaws.com",
        "kms:GenerateDataKey",
        "{arn:MlStack/Deployment/FailedEventsKey}",
        why="EventBridge encrypts what it dead-letters",
        context={
            "aws:SourceArn": "{arn:MlStack/Deployment/ModelApproved}",
            "aws:SourceAccount": "{account}",
        },
    ),
    allow(
        "service:logging.s3.amazonaws.com",
        "s3:PutObject",
        "{arn:MlStack/AccessLogs/Bucket}/MlStackArtifacts728E8F1F/2026-01-01-x",
        why="the artifacts bucket's access logs are delivered",
        context={"aws:SourceArn": _ARTIFACTS, "aws:SourceAccount": "{account}"},
    ),
    allow(
        "role:MlStack/Training/ScheduleRole",
        "sagemaker:StartPipelineExecution",
        "arn:aws:sagemaker:{region}:{account}:pipeline/{output:MlStack.PipelineName}",
        why="the schedule starts the pipeline",
        profiles=("prod",),
    ),
    allow(
        "service:events.amazonaws.com",
        "sts:AssumeRole",
        "{arn:MlStack/Training/ScheduleRole}",
        why="EventBridge Scheduler's rule assumes the schedule role",
        profiles=("prod",),
    ),
)

ALERTING: tuple[Call, ...] = (
    allow(
        "service:cloudwatch.amazonaws.com",
        "sns:Publish",
        "{arn:AlertingStack/AlarmTopic/Topic}",
        why="every alarm notifies the topic",
        context={
            "aws:SourceArn": "arn:aws:cloudwatch:{region}:{account}:alarm:x",
            "aws:SourceAccount": "{account}",
        },
    ),
    allow(
        "service:cloudwatch.amazonaws.com",
        "kms:GenerateDataKey",
        "{arn:AlertingStack/AlarmTopic/Key}",
        why="the topic is encrypted: CloudWatch needs its key to publish",
        context={
            "aws:SourceArn": "arn:aws:cloudwatch:{region}:{account}:alarm:x",
            "aws:SourceAccount": "{account}",
        },
    ),
    deny(
        "service:cloudwatch.amazonaws.com",
        "sns:Publish",
        "{arn:AlertingStack/AlarmTopic/Topic}",
        why="another account's alarms may not publish (confused deputy)",
        context={
            "aws:SourceArn": "arn:aws:cloudwatch:{region}:210987654321:alarm:x",
            "aws:SourceAccount": "210987654321",
        },
    ),
    allow(
        "service:events.amazonaws.com",
        "sns:Publish",
        "{arn:AlertingStack/AlarmTopic/Topic}",
        why="Spot interruption warnings reach the topic",
        context={
            "aws:SourceArn": "{arn:ClusterStack/Alarms/SpotInterruptions}",
            "aws:SourceAccount": "{account}",
        },
    ),
    allow(
        "service:events.amazonaws.com",
        "kms:Decrypt",
        "{arn:AlertingStack/AlarmTopic/Key}",
        why="EventBridge needs the topic's key to publish",
        context={
            "aws:SourceArn": "{arn:ClusterStack/Alarms/SpotInterruptions}",
            "aws:SourceAccount": "{account}",
        },
    ),
)

CLUSTER: tuple[Call, ...] = (
    _assumes("ec2.amazonaws.com", _MASTER),
    _assumes("ec2.amazonaws.com", _WORKERS),
    *(
        allow(
            node,
            "secretsmanager:GetSecretValue",
            "{arn:ClusterStack/Secret/Secret}",
            why="a node reads the shared Spark secret",
        )
        for node in (_MASTER, _WORKERS)
    ),
    *(
        allow(
            node,
            "kms:Decrypt",
            "{arn:ClusterStack/Secret/Key}",
            why="Secrets Manager decrypts the secret as the node",
            context={"kms:ViaService": "secretsmanager.{region}.amazonaws.com"},
        )
        for node in (_MASTER, _WORKERS)
    ),
    *(
        deny(
            caller,
            "secretsmanager:GetSecretValue",
            "{arn:ClusterStack/Secret/Secret}",
            why="only the cluster's nodes read its secret",
        )
        for caller in (_TRAINING, _ETL, "administrator", "cloudformation")
    ),
    allow(
        "administrator",
        "secretsmanager:PutSecretValue",
        "{arn:ClusterStack/Secret/Secret}",
        why="an operator rotates the secret",
    ),
    allow(
        "administrator",
        "kms:GenerateDataKey",
        "{arn:ClusterStack/Secret/Key}",
        why="a new secret value is encrypted as the operator",
        context={"kms:ViaService": "secretsmanager.{region}.amazonaws.com"},
    ),
    *(
        allow(
            node,
            "s3:GetObject",
            "{s3-in:ClusterStack/" + group + "/LaunchTemplate:.zip}",
            why="the boot downloads the node code",
        )
        for node, group in ((_MASTER, "Master"), (_WORKERS, "Workers"))
    ),
    allow(
        _WORKERS,
        "s3:GetObject",
        f"{_CURATED}/events/event_date=2026-01-01/part-0.parquet",
        why="jobs read the curated zone",
    ),
    _lake_key_via_s3(
        _WORKERS,
        "kms:Decrypt",
        f"{_CURATED}/events/event_date=2026-01-01/part-0.parquet",
        "curated objects are SSE-KMS",
    ),
    allow(
        _WORKERS,
        "s3:PutObject",
        f"{_ANALYTICS}/reports/daily/part-0.parquet",
        why="jobs write the analytics zone",
    ),
    deny(
        _WORKERS,
        "s3:PutObject",
        f"{_CURATED}/events/x.parquet",
        why="the cluster cannot write the curated zone",
    ),
    *(
        allow(
            node,
            "logs:PutLogEvents",
            "{log-group:ClusterStack/Logs/LogGroup}" + ":log-stream:i-0/spark",
            why="the nodes ship their logs",
        )
        for node in (_MASTER, _WORKERS)
    ),
    _logs_encrypt(
        "ClusterStack/Logs/Key",
        "ClusterStack/Logs/LogGroup",
        "the cluster's log group is encrypted",
    ),
    allow(
        _MASTER,
        "route53:ChangeResourceRecordSets",
        "{arn:ClusterStack/Dns/Zone}",
        why="the master publishes its address",
        context={
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": (
                "{output:ClusterStack.MasterHost}",
            ),
            "route53:ChangeResourceRecordSetsRecordTypes": ("A",),
            "route53:ChangeResourceRecordSetsActions": ("UPSERT",),
        },
    ),
    deny(
        _MASTER,
        "route53:ChangeResourceRecordSets",
        "{arn:ClusterStack/Dns/Zone}",
        why="the master may change its own record only",
        context={
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": (
                "evil.{output:ClusterStack.MasterHost}",
            ),
            "route53:ChangeResourceRecordSetsRecordTypes": ("A",),
            "route53:ChangeResourceRecordSetsActions": ("UPSERT",),
        },
    ),
    allow(
        _WORKERS,
        "autoscaling:CompleteLifecycleAction",
        "arn:aws:autoscaling:{region}:{account}:autoScalingGroup:0000:autoScalingGroupName/{output:ClusterStack.WorkerGroupName}",
        why="the agent releases a drained worker",
    ),
    deny(
        _WORKERS,
        "autoscaling:CompleteLifecycleAction",
        "arn:aws:autoscaling:{region}:{account}:autoScalingGroup:0000:autoScalingGroupName/{output:ClusterStack.MasterGroupName}",
        why="a worker cannot release the master",
    ),
    *(
        allow(
            node,
            "cloudformation:SignalResource",
            "{stack-id:ClusterStack}",
            why="a node's boot signals its group's creation or update policy",
        )
        for node in (_MASTER, _WORKERS)
    ),
    deny(
        _TRAINING,
        "cloudformation:SignalResource",
        "{stack-id:ClusterStack}",
        why="nothing but the nodes can complete the cluster's deployment",
    ),
    allow(
        "service-linked:autoscaling",
        "kms:CreateGrant",
        "{arn:ClusterStack/VolumeKey/Key}",
        why="Auto Scaling grants EC2 the volume key to launch encrypted volumes",
        context={"kms:GrantIsForAWSResource": "true"},
    ),
    allow(
        "service-linked:autoscaling",
        "kms:GenerateDataKeyWithoutPlaintext",
        "{arn:ClusterStack/VolumeKey/Key}",
        why="each launched volume gets a data key",
    ),
)

_NAT = "role:NetworkStack/Vpc/publicSubnet1/NatInstance/InstanceRole"

NETWORK: tuple[Call, ...] = (
    # dev's NAT instance (network.nat_provider: instance): reached by Session Manager only.
    allow(
        "service:ec2.amazonaws.com",
        "sts:AssumeRole",
        "{arn:NetworkStack/Vpc/publicSubnet1/NatInstance/InstanceRole}",
        why="the NAT instance runs as its role",
        profiles=("dev",),
    ),
    allow(
        _NAT,
        "ssmmessages:OpenControlChannel",
        "*",
        why="Session Manager is the NAT instance's only way in",
        profiles=("dev",),
    ),
    deny(
        _NAT,
        "s3:GetObject",
        f"{_RAW}/events/x.parquet",
        why="the NAT instance reads no data",
        profiles=("dev",),
    ),
    _assumes("vpc-flow-logs.amazonaws.com", "role:NetworkStack/Vpc/FlowLog/IAMRole"),
    _assumes(
        "lambda.amazonaws.com",
        "role:NetworkStack/Custom::VpcRestrictDefaultSGCustomResourceProvider/Role",
    ),
    allow(
        "role:NetworkStack/Vpc/FlowLog/IAMRole",
        "logs:PutLogEvents",
        "{log-group:NetworkStack/FlowLogs/LogGroup}" + ":log-stream:eni-0-all",
        why="flow logs are delivered",
    ),
    _logs_encrypt(
        "NetworkStack/FlowLogs/Key",
        "NetworkStack/FlowLogs/LogGroup",
        "the flow log group is encrypted",
    ),
    allow(
        "role:NetworkStack/Custom::VpcRestrictDefaultSGCustomResourceProvider/Role",
        "ec2:RevokeSecurityGroupIngress",
        "arn:aws:ec2:{region}:{account}:security-group/{name:NetworkStack/Vpc}.DefaultSecurityGroup",
        why="the custom resource empties the default security group",
    ),
)

#: CloudFormation creates each encrypted resource as the CDK execution role: the key's policy must
#: let the account's IAM decide (the root principal), or the stack rolls back.
DEPLOY: tuple[Call, ...] = (
    allow(
        "cloudformation",
        "kms:GenerateDataKey",
        "{arn:ClusterStack/Secret/Key}",
        why="creating the secret with a generated value encrypts it",
        context={"kms:ViaService": "secretsmanager.{region}.amazonaws.com"},
    ),
    allow(
        "cloudformation",
        "kms:Decrypt",
        "{arn:ClusterStack/Secret/Key}",
        why="CloudFormation reads back the generated secret",
        context={"kms:ViaService": "secretsmanager.{region}.amazonaws.com"},
    ),
    *(
        allow(
            "cloudformation",
            "kms:DescribeKey",
            f"{{arn:{key}}}",
            why="every resource created with a key checks it",
        )
        for key in (
            "AlertingStack/AlarmTopic/Key",
            "NetworkStack/FlowLogs/Key",
            "DataLakeStack/Storage/LakeKey",
            "DataLakeStack/GlueSecurity/LogsKey",
            "StreamingStack/Events/Key",
            "StreamingStack/Transform/Logs/Key",
            "StreamingStack/Transform/EnvironmentKey",
            "StreamingStack/KinesisToLake/Logs/Key",
            "MlStack/MlKey",
            "MlStack/Deployment/Deployer/Logs/Key",
            "MlStack/Deployment/Deployer/EnvironmentKey",
            "MlStack/Deployment/FailedEventsKey",
            "ClusterStack/Logs/Key",
            "ClusterStack/VolumeKey/Key",
        )
    ),
    allow(
        "cloudformation",
        "kms:GenerateDataKey",
        "{arn:StreamingStack/Events/Key}",
        why="creating the encrypted stream",
        context={"kms:ViaService": "kinesis.{region}.amazonaws.com"},
    ),
    allow(
        "cloudformation",
        "sns:SetTopicAttributes",
        "{arn:AlertingStack/AlarmTopic/Topic}",
        why="CloudFormation writes the topic policy",
    ),
    allow(
        "cloudformation",
        "s3:PutBucketPolicy",
        _RAW,
        why="CloudFormation writes the bucket policies",
    ),
    allow(
        "cloudformation",
        "secretsmanager:PutResourcePolicy",
        "{arn:ClusterStack/Secret/Secret}",
        why="CloudFormation writes the secret's policy",
    ),
    allow(
        "cloudformation",
        "sqs:SetQueueAttributes",
        "{arn:MlStack/Deployment/FailedEvents}",
        why="CloudFormation writes the queue policy",
    ),
    allow(
        "cloudformation",
        "lambda:AddPermission",
        "{arn:MlStack/Deployment/Deployer/Function}",
        why="CloudFormation adds the rules' invoke permissions",
    ),
    *(
        allow(
            "cloudformation",
            "s3:PutBucketPolicy",
            f"{{arn:{bucket}}}",
            why="CloudFormation writes the bucket policies",
        )
        for bucket in (
            "DataLakeStack/Storage/AccessLogs/Bucket",
            "DataLakeStack/Storage/Curated/Bucket",
            "DataLakeStack/Storage/Analytics/Bucket",
            "DataLakeStack/Storage/AthenaResults/Bucket",
            "MlStack/AccessLogs/Bucket",
            "MlStack/Artifacts/Bucket",
        )
    ),
)

#: Every key's CT.KMS.PR.3 statement (constructs/core/key.py): a grant is for an AWS resource,
#: or made by an AWS service, or it is refused, to an administrator too.
GRANTS: tuple[Call, ...] = (
    deny(
        "administrator",
        "kms:CreateGrant",
        _LAKE_KEY,
        why="no one creates a grant on a key that is not for an AWS resource",
        context={"kms:GrantIsForAWSResource": "false"},
    ),
    allow(
        "administrator",
        "kms:CreateGrant",
        _LAKE_KEY,
        why="a grant an AWS service creates for a resource it manages is allowed",
        context={"kms:GrantIsForAWSResource": "true"},
    ),
)

CALLS: tuple[Call, ...] = STREAMING + LAKE + ML + ALERTING + CLUSTER + NETWORK + DEPLOY + GRANTS
