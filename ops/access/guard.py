"""Authorize each call a local engine makes on a role's behalf, as AWS would, before it is sent.

moto evaluates no identity, resource or key policy: a call that AWS denies succeeds locally. The
engines that act for a deployed role (the Glue job run, the pipeline's steps, Firehose delivery,
the Spark nodes) therefore send their calls through a client that this module guards: each call
becomes the IAM requests AWS would authorize for it (an S3 read of an SSE-KMS object is also a
`kms:Decrypt` by the same role, via S3, with the object's encryption context), each is evaluated
by iam-simulate against the policies the emulator holds now (the role's, the bucket's, the key's,
the secret's), and a call AWS would deny raises AccessDenied, naming the principal, action,
resource and the deciding statement, or its absence, as AWS's own message does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

from botocore.exceptions import ClientError

from ops.access.policies import NamedPolicy, engine_readable
from ops.access.simulator import Request, Simulator

Clients = Callable[[str], Any]
#: (action, resource ARN, context keys): one IAM request a call makes.
Need = tuple[str, str, dict[str, str | list[str]]]


class GuardError(Exception):
    """A call the guard cannot translate into IAM requests (a gap in this module, not a denial)."""


@dataclass(frozen=True)
class Principal:
    """Who a guarded client acts as: a role of the deployment."""

    role_arn: str

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]


class LivePolicies:
    """The policies the emulator holds now, read with operator clients (never guarded), cached:
    an engine's run sees one consistent set."""

    def __init__(self, clients: Clients, *, account: str, region: str) -> None:
        self._clients = clients
        self.account = account
        self.region = region
        self._cache: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def _cached(self, kind: str, key: str, read: Callable[[], Any]) -> Any:  # noqa: ANN401
        with self._lock:
            if (kind, key) not in self._cache:
                self._cache[(kind, key)] = read()
            return self._cache[(kind, key)]

    def identity(self, role_arn: str) -> tuple[tuple[NamedPolicy, ...], NamedPolicy | None]:
        """The role's inline and attached policies, and its permissions boundary."""
        return self._cached("identity", role_arn, lambda: self._read_identity(role_arn))  # type: ignore[no-any-return]

    def _read_identity(self, role_arn: str) -> tuple[tuple[NamedPolicy, ...], NamedPolicy | None]:
        iam = self._clients("iam")
        name = role_arn.rsplit("/", 1)[-1]
        policies = [
            NamedPolicy(
                policy,
                policy_document(
                    iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
                ),
            )
            for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
        ]
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            policies.append(self._managed(attached["PolicyArn"]))
        boundary = iam.get_role(RoleName=name)["Role"].get("PermissionsBoundary")
        return tuple(policies), self._managed(
            boundary["PermissionsBoundaryArn"]
        ) if boundary else None

    def _managed(self, arn: str) -> NamedPolicy:
        iam = self._clients("iam")
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"][
            "Document"
        ]
        return NamedPolicy(arn.rsplit("/", 1)[-1], engine_readable(policy_document(document)))

    def resource_policy(self, arn: str) -> dict[str, Any] | None:
        """The resource-based policy AWS consults for a request on `arn` (None: it has none)."""
        return self._cached("resource", arn, lambda: self._read_resource_policy(arn))  # type: ignore[no-any-return]

    def _read_resource_policy(self, arn: str) -> dict[str, Any] | None:
        service = arn.split(":")[2]
        text: str | None = None
        try:
            if service == "s3":
                bucket = arn.split(":::", 1)[1].split("/", 1)[0]
                text = self._clients("s3").get_bucket_policy(Bucket=bucket)["Policy"]
            elif service == "kms":
                text = self._clients("kms").get_key_policy(KeyId=arn, PolicyName="default")[
                    "Policy"
                ]
            elif service == "secretsmanager":
                text = (
                    self._clients("secretsmanager")
                    .get_resource_policy(SecretId=arn)
                    .get("ResourcePolicy")
                )
            elif service == "sns":
                attributes = self._clients("sns").get_topic_attributes(TopicArn=arn)["Attributes"]
                text = attributes.get("Policy")
        except ClientError as error:
            if error.response["Error"]["Code"] not in (
                "NoSuchBucketPolicy",
                "ResourceNotFoundException",
                "NotFound",
            ):
                raise
        return policy_document(text) if text else None

    def object_encryption(self, bucket: str, key: str | None) -> tuple[str | None, bool]:
        """The KMS key (ARN) an object is, or would be, encrypted with, and whether S3 Bucket Keys
        are on (then KMS sees the bucket's ARN as encryption context, not the object's)."""
        s3 = self._clients("s3")
        if key is not None:
            try:
                head = s3.head_object(Bucket=bucket, Key=key)
            except ClientError:
                head = None
            if head is not None and head.get("ServerSideEncryption") != "aws:kms":
                return None, False
            if head is not None and "SSEKMSKeyId" in head:
                return self.key_arn(head["SSEKMSKeyId"]), bool(head.get("BucketKeyEnabled"))
            # Not there yet, or an emulator that omits the key: the bucket's default says.
        return self._cached("bucket-encryption", bucket, lambda: self._bucket_encryption(bucket))  # type: ignore[no-any-return]

    def _bucket_encryption(self, bucket: str) -> tuple[str | None, bool]:
        try:
            rules = self._clients("s3").get_bucket_encryption(Bucket=bucket)[
                "ServerSideEncryptionConfiguration"
            ]["Rules"]
        except ClientError:
            return None, False
        default = rules[0].get("ApplyServerSideEncryptionByDefault", {})
        if default.get("SSEAlgorithm") != "aws:kms" or "KMSMasterKeyID" not in default:
            return None, False
        return self.key_arn(default["KMSMasterKeyID"]), bool(rules[0].get("BucketKeyEnabled"))

    def key_arn(self, key: str) -> str:
        if key.startswith("arn:") and ":key/" in key:
            return key
        return str(
            self._cached(
                "key",
                key,
                lambda: self._clients("kms").describe_key(KeyId=key)["KeyMetadata"]["Arn"],
            )
        )

    def secret(self, secret_id: str) -> tuple[str, str | None]:
        """A secret's ARN and the ARN of its KMS key (None: the AWS managed key)."""

        def read() -> tuple[str, str | None]:
            described = self._clients("secretsmanager").describe_secret(SecretId=secret_id)
            key = described.get("KmsKeyId")
            return described["ARN"], self.key_arn(key) if key else None

        return self._cached("secret", secret_id, read)  # type: ignore[no-any-return]

    def remember_iterator(self, iterator: str, stream_arn: str) -> None:
        with self._lock:
            self._cache[("iterator", iterator)] = stream_arn

    def stream_of_iterator(self, iterator: str) -> str:
        with self._lock:
            found = self._cache.get(("iterator", iterator))
        if found is None:
            raise GuardError("GetRecords with an iterator this guard did not see taken")
        return str(found)


def policy_document(value: Any) -> dict[str, Any]:  # noqa: ANN401 - str, or a dict already decoded
    """A policy as IAM returns it (JSON, URL-encoded JSON, or a decoded dict), as a dict."""
    if isinstance(value, str):
        text = value if value.lstrip().startswith("{") else unquote(value)
        decoded: dict[str, Any] = json.loads(text)
        return decoded
    return dict(value)


class PolicySource(Protocol):
    """Where the policies a request is evaluated against come from (LivePolicies, or moto's
    backends in-process: moto_cfn_models.iam_evaluation)."""

    account: str
    region: str

    def identity(self, role_arn: str) -> tuple[tuple[NamedPolicy, ...], NamedPolicy | None]: ...

    def resource_policy(self, arn: str) -> dict[str, Any] | None: ...


class AccessGuard:
    """Evaluates IAM requests against the live policies; refuses the ones AWS would deny."""

    def __init__(self, policies: PolicySource, simulator: Simulator) -> None:
        self.policies = policies
        self.simulator = simulator
        self.evaluated = 0

    def require(self, principal: Principal, needs: list[Need], operation: str) -> None:
        identity, boundary = self.policies.identity(principal.role_arn)
        requests = [
            Request(
                principal=principal.role_arn,
                action=action,
                resource=resource,
                resource_account=self.policies.account,
                context={
                    "aws:SecureTransport": "true",
                    "aws:PrincipalArn": principal.role_arn,
                    "aws:PrincipalAccount": self.policies.account,
                    **context,
                },
                identity_policies=identity,
                resource_policy=self.policies.resource_policy(resource),
                boundary=boundary,
            )
            for action, resource, context in needs
        ]
        for request, verdict in zip(requests, self.simulator.evaluate(requests), strict=True):
            self.evaluated += 1
            if not verdict.allowed:
                message = (
                    f"User: {principal.role_arn} is not authorized to perform: {request.action} "
                    f"on resource: {request.resource} ({verdict.decision}: {verdict.deciding()})"
                )
                raise ClientError(
                    {"Error": {"Code": "AccessDenied", "Message": message}}, operation
                )

    def guard(self, client: Any, principal: Principal) -> Any:  # noqa: ANN401 - boto3 clients are untyped
        """`client`, whose every call is first authorized as `principal`."""
        policies = self.policies
        if not isinstance(policies, LivePolicies):
            raise GuardError("a guarded client needs LivePolicies (it reads encryption settings)")
        service = client.meta.service_model.service_name
        translate = _TRANSLATORS.get(service)
        if translate is None:
            raise GuardError(f"no IAM translation for {service} calls in {__name__}")

        last_stream: dict[str, str] = {}  # the stream of this client's latest Kinesis call

        def authorize(params: Mapping[str, Any], model: Any, **_: Any) -> None:  # noqa: ANN401
            needs = list(translate(policies, model.name, params))
            if service == "kinesis":
                last_stream["arn"] = needs[0][1]
            self.require(principal, needs, model.name)

        def remember_iterators(parsed: Mapping[str, Any], model: Any, **_: Any) -> None:  # noqa: ANN401
            # GetRecords names only its iterator: remember which stream each one reads.
            iterator = parsed.get("ShardIterator") or parsed.get("NextShardIterator")
            if (
                model.name in ("GetShardIterator", "GetRecords")
                and iterator
                and "arn" in last_stream
            ):
                policies.remember_iterator(iterator, last_stream["arn"])

        prefix = client.meta.service_model.endpoint_prefix
        client.meta.events.register(f"before-parameter-build.{prefix}", authorize)
        if service == "kinesis":
            client.meta.events.register(f"after-call.{prefix}", remember_iterators)
        return client


def _s3_object_needs(
    policies: LivePolicies,
    action: str,
    bucket: str,
    key: str,
    *,
    writing: bool,
    explicit_key: str | None = None,
) -> Iterator[Need]:
    arn = f"arn:aws:s3:::{bucket}/{key}"
    yield action, arn, {"s3:TlsVersion": "1.3"}
    key_arn, bucket_keys = (
        (policies.key_arn(explicit_key), False)
        if explicit_key
        else policies.object_encryption(bucket, None if writing else key)
    )
    if key_arn is not None:
        context_arn = f"arn:aws:s3:::{bucket}" if bucket_keys else arn
        yield (
            "kms:GenerateDataKey" if writing else "kms:Decrypt",
            key_arn,
            {
                "kms:ViaService": f"s3.{policies.region}.amazonaws.com",
                "kms:EncryptionContext:aws:s3:arn": context_arn,
                "kms:CallerAccount": policies.account,
            },
        )


#: S3 calls on one object that need one action and nothing of KMS.
_S3_OBJECT_ONLY = {
    "UploadPart": "s3:PutObject",
    "CompleteMultipartUpload": "s3:PutObject",
    "AbortMultipartUpload": "s3:AbortMultipartUpload",
    "DeleteObject": "s3:DeleteObject",
}
_TLS: dict[str, str | list[str]] = {"s3:TlsVersion": "1.3"}


def _s3(policies: LivePolicies, operation: str, params: Mapping[str, Any]) -> Iterator[Need]:
    bucket = params.get("Bucket", "")
    key = params.get("Key", "")
    explicit_key = params.get("SSEKMSKeyId")
    if operation in ("GetObject", "HeadObject"):
        yield from _s3_object_needs(policies, "s3:GetObject", bucket, key, writing=False)
    elif operation in ("PutObject", "CreateMultipartUpload"):
        yield from _s3_object_needs(
            policies, "s3:PutObject", bucket, key, writing=True, explicit_key=explicit_key
        )
    elif operation in _S3_OBJECT_ONLY:
        yield _S3_OBJECT_ONLY[operation], f"arn:aws:s3:::{bucket}/{key}", dict(_TLS)
    elif operation in ("ListObjectsV2", "ListObjects"):
        context = dict(_TLS)
        for parameter, context_key in (("Prefix", "s3:prefix"), ("Delimiter", "s3:delimiter")):
            if params.get(parameter) is not None:
                context[context_key] = params[parameter]
        yield "s3:ListBucket", f"arn:aws:s3:::{bucket}", context
    elif operation == "DeleteObjects":
        for item in params.get("Delete", {}).get("Objects", []):
            yield "s3:DeleteObject", f"arn:aws:s3:::{bucket}/{item['Key']}", dict(_TLS)
    elif operation == "CopyObject":
        source = params["CopySource"]
        source_bucket, source_key = (
            (source["Bucket"], source["Key"])
            if isinstance(source, Mapping)
            else source.lstrip("/").split("/", 1)
        )
        yield from _s3_object_needs(
            policies, "s3:GetObject", source_bucket, source_key, writing=False
        )
        yield from _s3_object_needs(
            policies, "s3:PutObject", bucket, key, writing=True, explicit_key=explicit_key
        )
    else:
        raise GuardError(f"no IAM translation for s3:{operation} in {__name__}")


def _secretsmanager(
    policies: LivePolicies, operation: str, params: Mapping[str, Any]
) -> Iterator[Need]:
    if operation not in ("GetSecretValue", "DescribeSecret"):
        raise GuardError(f"no IAM translation for secretsmanager:{operation} in {__name__}")
    arn, key = policies.secret(params["SecretId"])
    yield f"secretsmanager:{operation}", arn, {}
    if operation == "GetSecretValue" and key is not None:
        yield (
            "kms:Decrypt",
            key,
            {
                "kms:ViaService": f"secretsmanager.{policies.region}.amazonaws.com",
                "kms:EncryptionContext:SecretARN": arn,
                "kms:CallerAccount": policies.account,
            },
        )


def _kinesis(policies: LivePolicies, operation: str, params: Mapping[str, Any]) -> Iterator[Need]:
    if operation not in (
        "DescribeStream",
        "DescribeStreamSummary",
        "ListShards",
        "GetShardIterator",
        "GetRecords",
    ):
        raise GuardError(f"no IAM translation for kinesis:{operation} in {__name__}")
    stream = params.get("StreamARN") or (
        f"arn:aws:kinesis:{policies.region}:{policies.account}:stream/{params['StreamName']}"
        if "StreamName" in params
        else None
    )
    if stream is None:
        # GetRecords names only its iterator; the stream is the one the iterator was taken on.
        stream = policies.stream_of_iterator(params["ShardIterator"])
    yield f"kinesis:{operation}", stream, {}


_TRANSLATORS: dict[str, Callable[[LivePolicies, str, Mapping[str, Any]], Iterator[Need]]] = {
    "s3": _s3,
    "secretsmanager": _secretsmanager,
    "kinesis": _kinesis,
}
