"""Resolve a synthesized assembly's intrinsics to the concrete strings an account would see.

Policies are evaluated on values, not on `{"Fn::GetAtt": ...}`: every `Ref`, `Fn::GetAtt`,
`Fn::Sub`, `Fn::Join`, `Fn::GetStackOutput` and `Fn::ImportValue` becomes the ARN or name that
CloudFormation would give the resource in one fixed account and region. A resource with an
explicit name (`BucketName`, `RoleName`, ...) keeps it; one without gets a stable generated
name, `<stack name>-<logical ID>`, so that a policy and a request that point at the same resource
resolve to the same string, and at different resources to different ones.

Pure: no AWS call, no aws_cdk import.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ops.assembly import StackTemplate

ACCOUNT = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class ResolveError(Exception):
    """An intrinsic that this resolver cannot turn into a value (one line, with where)."""


@dataclass(frozen=True)
class Naming:
    """How one resource type is named and addressed: its physical name and its ARN."""

    name_property: str | None
    arn: Callable[[str], str]
    ref_is_arn: bool = False


def _arn(service: str, resource: str, *, region: bool = True) -> str:
    return f"arn:{PARTITION}:{service}:{REGION if region else ''}:{ACCOUNT}:{resource}"


def _key_id(name: str) -> str:
    digest = hashlib.sha256(name.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


_NAMING: dict[str, Naming] = {
    "AWS::S3::Bucket": Naming("BucketName", lambda n: f"arn:{PARTITION}:s3:::{n}"),
    "AWS::IAM::Role": Naming("RoleName", lambda n: _arn("iam", f"role/{n}", region=False)),
    "AWS::IAM::ManagedPolicy": Naming(
        "ManagedPolicyName", lambda n: _arn("iam", f"policy/{n}", region=False), ref_is_arn=True
    ),
    "AWS::IAM::InstanceProfile": Naming(
        "InstanceProfileName", lambda n: _arn("iam", f"instance-profile/{n}", region=False)
    ),
    "AWS::KMS::Key": Naming(None, lambda n: _arn("kms", f"key/{_key_id(n)}")),
    "AWS::SNS::Topic": Naming("TopicName", lambda n: _arn("sns", n), ref_is_arn=True),
    "AWS::SQS::Queue": Naming("QueueName", lambda n: _arn("sqs", n)),
    "AWS::SecretsManager::Secret": Naming(
        "Name", lambda n: _arn("secretsmanager", f"secret:{n}-AbCdEf"), ref_is_arn=True
    ),
    "AWS::Kinesis::Stream": Naming("Name", lambda n: _arn("kinesis", f"stream/{n}")),
    "AWS::KinesisFirehose::DeliveryStream": Naming(
        "DeliveryStreamName", lambda n: _arn("firehose", f"deliverystream/{n}")
    ),
    "AWS::Lambda::Function": Naming("FunctionName", lambda n: _arn("lambda", f"function:{n}")),
    "AWS::Logs::LogGroup": Naming("LogGroupName", lambda n: _arn("logs", f"log-group:{n}:*")),
    "AWS::Events::Rule": Naming("Name", lambda n: _arn("events", f"rule/{n}")),
    "AWS::CloudWatch::Alarm": Naming("AlarmName", lambda n: _arn("cloudwatch", f"alarm:{n}")),
    "AWS::Glue::Database": Naming(None, lambda n: _arn("glue", f"database/{n}")),
    "AWS::Glue::Crawler": Naming("Name", lambda n: _arn("glue", f"crawler/{n}")),
    "AWS::Glue::Job": Naming("Name", lambda n: _arn("glue", f"job/{n}")),
    "AWS::Glue::SecurityConfiguration": Naming("Name", lambda n: n),
    "AWS::SageMaker::ModelPackageGroup": Naming(
        "ModelPackageGroupName",
        lambda n: _arn("sagemaker", f"model-package-group/{n.lower()}"),
        ref_is_arn=True,
    ),
    "AWS::SageMaker::Pipeline": Naming(
        "PipelineName", lambda n: _arn("sagemaker", f"pipeline/{n.lower()}")
    ),
    "AWS::MSK::Cluster": Naming(
        "ClusterName", lambda n: _arn("kafka", f"cluster/{n}/0000-0000"), ref_is_arn=True
    ),
    "AWS::MSK::ServerlessCluster": Naming(
        "ClusterName", lambda n: _arn("kafka", f"cluster/{n}/0000-0000"), ref_is_arn=True
    ),
    "AWS::AutoScaling::AutoScalingGroup": Naming(
        "AutoScalingGroupName",
        lambda n: _arn("autoscaling", f"autoScalingGroup:0000:autoScalingGroupName/{n}"),
    ),
    "AWS::Route53::HostedZone": Naming(None, lambda n: f"arn:{PARTITION}:route53:::hostedzone/{n}"),
    "AWS::EC2::SecurityGroup": Naming(None, lambda n: _arn("ec2", f"security-group/{n}")),
    "AWS::EC2::VPC": Naming(None, lambda n: _arn("ec2", f"vpc/{n}")),
}

#: Glue names its catalog objects in properties nested one level down.
_NESTED_NAMES = {"AWS::Glue::Database": ("DatabaseInput", "Name")}


class AssemblyValues:
    """Every value of one assembly's templates, resolved in one account and region."""

    def __init__(self, stacks: list[StackTemplate]) -> None:
        self.stacks = {stack.stack_id: stack for stack in stacks}
        self._by_name = {stack.stack_name: stack for stack in stacks}
        self._exports = {
            output["Export"]["Name"]: (stack.stack_id, output["Value"])
            for stack in stacks
            for output in stack.template.get("Outputs", {}).values()
            if isinstance(output.get("Export", {}).get("Name"), str)
        }

    # The resources themselves

    def physical_name(self, stack_id: str, logical_id: str) -> str:
        """The name CloudFormation gives a resource: its name property, or a generated one."""
        stack = self.stacks[stack_id]
        resource = stack.resources[logical_id]
        properties = resource.get("Properties", {})
        naming = _NAMING.get(resource["Type"])
        nested = _NESTED_NAMES.get(resource["Type"])
        if nested and isinstance(properties.get(nested[0]), dict):
            explicit = properties[nested[0]].get(nested[1])
        else:
            explicit = (
                properties.get(naming.name_property) if naming and naming.name_property else None
            )
        if explicit is not None:
            return str(self.value(stack_id, explicit))
        return f"{stack.stack_name}-{logical_id}"

    def arn(self, stack_id: str, logical_id: str) -> str:
        """The resource's ARN (its `Fn::GetAtt ... Arn`)."""
        resource_type = self.stacks[stack_id].resources[logical_id]["Type"]
        naming = _NAMING.get(resource_type)
        if naming is None:
            raise ResolveError(f"{stack_id}/{logical_id}: no ARN rule for {resource_type}")
        return naming.arn(self.physical_name(stack_id, logical_id))

    def ref(self, stack_id: str, logical_id: str) -> str:
        resource_type = self.stacks[stack_id].resources[logical_id]["Type"]
        naming = _NAMING.get(resource_type)
        if resource_type == "AWS::SQS::Queue":
            name = self.physical_name(stack_id, logical_id)
            return f"https://sqs.{REGION}.{URL_SUFFIX}/{ACCOUNT}/{name}"
        if resource_type == "AWS::KMS::Key":
            return self.arn(stack_id, logical_id).rsplit("/", 1)[1]
        if naming is not None and naming.ref_is_arn:
            return self.arn(stack_id, logical_id)
        return self.physical_name(stack_id, logical_id)

    def get_att(self, stack_id: str, logical_id: str, attribute: str) -> str:
        if attribute in ("Arn", "TopicArn", "StreamArn", "KeyArn"):
            return self.arn(stack_id, logical_id)
        if attribute in ("KeyId", "Name", "TopicName", "QueueName", "RoleId"):
            return self.ref(stack_id, logical_id).rsplit("/", 1)[-1]
        if attribute == "QueueUrl":
            return self.ref(stack_id, logical_id)
        return f"{self.physical_name(stack_id, logical_id)}.{attribute}"

    def resources(self, resource_type: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(stack ID, logical ID, resource) of every resource of one type, in template order."""
        for stack_id, stack in self.stacks.items():
            for logical_id, resource in stack.resources.items():
                if resource["Type"] == resource_type:
                    yield stack_id, logical_id, resource

    def find_path(self, path: str) -> tuple[str, str]:
        """The (stack ID, logical ID) whose `aws:cdk:path` is `path` or `path/Resource`."""
        stack_id = path.split("/", 1)[0]
        stack = self.stacks.get(stack_id)
        if stack is not None:
            for logical_id, resource in stack.resources.items():
                cdk_path = resource.get("Metadata", {}).get("aws:cdk:path")
                if cdk_path in (path, f"{path}/Resource"):
                    return stack_id, logical_id
        raise ResolveError(f"{path}: no resource has this construct path")

    # Intrinsics

    def value(self, stack_id: str, node: Any) -> Any:  # noqa: ANN401 - any JSON value
        """`node` with every intrinsic resolved; `AWS::NoValue` list items and keys dropped."""
        if isinstance(node, list):
            resolved = [self.value(stack_id, item) for item in node]
            return [item for item in resolved if item is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((name, argument),) = node.items()
            handler = _INTRINSICS.get(name)
            if handler is not None:
                return handler(self, stack_id, argument)
        resolved_map = {key: self.value(stack_id, item) for key, item in node.items()}
        return {key: item for key, item in resolved_map.items() if item is not _NO_VALUE}

    def _ref(self, stack_id: str, name: str) -> Any:  # noqa: ANN401
        pseudo = {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": REGION,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::StackName": self.stacks[stack_id].stack_name,
            "AWS::StackId": (
                f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/"
                f"{self.stacks[stack_id].stack_name}/00000000-0000-0000-0000-000000000000"
            ),
            "AWS::NoValue": _NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        stack = self.stacks[stack_id]
        if name in stack.resources:
            return self.ref(stack_id, name)
        parameter = stack.template.get("Parameters", {}).get(name)
        if parameter is not None:
            return self._parameter(stack_id, name, parameter)
        raise ResolveError(f"{stack_id}: Ref to {name}, which is no resource or parameter")

    def _parameter(self, stack_id: str, name: str, parameter: dict[str, Any]) -> Any:  # noqa: ANN401
        if "Default" in parameter:
            default = parameter["Default"]
            if parameter.get("Type", "").startswith("AWS::SSM::Parameter::Value"):
                return f"resolved-ssm-parameter:{default}"
            return default
        raise ResolveError(f"{stack_id}: parameter {name} has no default")

    def _get_att(self, stack_id: str, argument: Any) -> str:  # noqa: ANN401
        logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
        if logical_id not in self.stacks[stack_id].resources:
            raise ResolveError(f"{stack_id}: Fn::GetAtt on {logical_id}, which is no resource")
        return self.get_att(stack_id, logical_id, str(self.value(stack_id, attribute)))

    def _sub(self, stack_id: str, argument: Any) -> str:  # noqa: ANN401
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        bound = {key: self.value(stack_id, item) for key, item in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match[1]
            if name in bound:
                return str(bound[name])
            if "." in name and not name.startswith("AWS::"):
                return self._get_att(stack_id, name)
            return str(self._ref(stack_id, name))

        return _SUB_VARIABLE.sub(substitute, text).replace("${!", "${")

    def _stack_output(self, stack_id: str, argument: Any) -> Any:  # noqa: ANN401
        resolved = self.value(stack_id, argument)
        stack = self._by_name.get(resolved["StackName"])
        if stack is None:
            raise ResolveError(f"{stack_id}: Fn::GetStackOutput from {resolved['StackName']}")
        output = stack.template.get("Outputs", {}).get(resolved["OutputName"])
        if output is None:
            raise ResolveError(
                f"{stack_id}: {stack.stack_id} has no output {resolved['OutputName']}"
            )
        return self.value(stack.stack_id, output["Value"])

    def _import(self, stack_id: str, argument: Any) -> Any:  # noqa: ANN401
        name = self.value(stack_id, argument)
        if name not in self._exports:
            raise ResolveError(f"{stack_id}: Fn::ImportValue of {name}, which no stack exports")
        exporter, value = self._exports[name]
        return self.value(exporter, value)

    def _select(self, stack_id: str, argument: Any) -> Any:  # noqa: ANN401
        index, items = (self.value(stack_id, part) for part in argument)
        return items[int(index)]

    def _find_in_map(self, stack_id: str, argument: Any) -> Any:  # noqa: ANN401
        name, top, second = (self.value(stack_id, part) for part in argument)
        return self.stacks[stack_id].template["Mappings"][name][top][second]

    def _if(self, stack_id: str, argument: Any) -> Any:  # noqa: ANN401
        condition, when_true, when_false = argument
        definition = self.stacks[stack_id].template.get("Conditions", {}).get(condition)
        return self.value(
            stack_id, when_true if self._condition(stack_id, definition) else when_false
        )

    def _condition(self, stack_id: str, node: Any) -> bool:  # noqa: ANN401
        if isinstance(node, dict) and "Condition" in node:
            node = self.stacks[stack_id].template["Conditions"][node["Condition"]]
        ((name, argument),) = node.items()
        if name == "Fn::Equals":
            left, right = (self.value(stack_id, part) for part in argument)
            return bool(left == right)
        if name == "Fn::Not":
            return not self._condition(stack_id, argument[0])
        if name == "Fn::And":
            return all(self._condition(stack_id, part) for part in argument)
        if name == "Fn::Or":
            return any(self._condition(stack_id, part) for part in argument)
        if name == "Fn::Contains":
            items, item = (self.value(stack_id, part) for part in argument)
            return item in items
        raise ResolveError(f"{stack_id}: condition function {name} is not supported")


_NO_VALUE: Any = object()

_INTRINSICS: dict[str, Callable[[AssemblyValues, str, Any], Any]] = {
    "Ref": lambda values, stack_id, name: values._ref(stack_id, name),
    "Fn::GetAtt": AssemblyValues._get_att,
    "Fn::Sub": AssemblyValues._sub,
    "Fn::Join": lambda values, stack_id, argument: str(argument[0]).join(
        str(part) for part in values.value(stack_id, argument[1])
    ),
    "Fn::GetStackOutput": AssemblyValues._stack_output,
    "Fn::ImportValue": AssemblyValues._import,
    "Fn::Select": AssemblyValues._select,
    "Fn::Split": lambda values, stack_id, argument: str(values.value(stack_id, argument[1])).split(
        argument[0]
    ),
    "Fn::GetAZs": lambda values, stack_id, argument: [f"{REGION}{zone}" for zone in "abc"],
    "Fn::FindInMap": AssemblyValues._find_in_map,
    "Fn::If": AssemblyValues._if,
    "Fn::Base64": lambda values, stack_id, argument: values.value(stack_id, argument),
}
