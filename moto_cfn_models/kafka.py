"""Amazon MSK: Cluster (provisioned), ServerlessCluster, Configuration and ClusterPolicy."""

from __future__ import annotations

import json
import re
import time
import uuid

from moto.kafka.models import KafkaBackend, kafka_backends

from ._base import Handler, as_int, tag_list_to_dict

_LEADING_CAPITALS = re.compile(r"^([A-Z]+)(?=[A-Z][a-z])|^[A-Z]+$|^[A-Z]")


def _api_case(value: object) -> object:
    """Template keys are PascalCase; the Kafka API (and so moto's store) is camelCase.

    ``EBSStorageInfo`` becomes ``ebsStorageInfo`` and ``DataVolumeKMSKeyId`` becomes
    ``dataVolumeKMSKeyId``, as in the API.
    """
    if isinstance(value, dict):
        return {
            _LEADING_CAPITALS.sub(lambda m: m.group(0).lower(), key): _api_case(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_api_case(item) for item in value]
    return value


class _KafkaCluster(Handler):
    NAME_PROPERTY = "ClusterName"
    ATTRIBUTES = frozenset({"Arn"})

    def _backend(self) -> KafkaBackend:
        return kafka_backends[self.account_id][self.region_name]

    def _created(self, arn: str) -> None:
        # CloudFormation returns only once the cluster is ACTIVE; moto leaves it CREATING.
        self._backend().clusters[arn].state = "ACTIVE"
        self.physical_resource_id = arn
        self.attributes = {"Arn": arn}

    def delete_resource(self) -> None:
        if self.physical_resource_id in self._backend().clusters:
            self._backend().delete_cluster(self.physical_resource_id, current_version="")


class Cluster(_KafkaCluster):
    """Ref and GetAtt Arn: the cluster ARN. A change replaces the cluster."""

    TYPE = "AWS::MSK::Cluster"

    def create(self) -> None:
        arn, _, _ = self._backend().create_cluster(
            broker_node_group_info=_api_case(self.require("BrokerNodeGroupInfo")),
            client_authentication=_api_case(self.prop("ClientAuthentication")),
            cluster_name=self.name,
            configuration_info=_api_case(self.prop("ConfigurationInfo")),
            encryption_info=_api_case(self.prop("EncryptionInfo")),
            enhanced_monitoring=self.prop("EnhancedMonitoring", "DEFAULT"),
            open_monitoring=_api_case(self.prop("OpenMonitoring")),
            kafka_version=self.require("KafkaVersion"),
            logging_info=_api_case(self.prop("LoggingInfo")),
            number_of_broker_nodes=as_int(self.require("NumberOfBrokerNodes")),
            tags=tag_list_to_dict(self.prop("Tags")),
            storage_mode=self.prop("StorageMode", "LOCAL"),
        )
        self._created(arn)


class ServerlessCluster(_KafkaCluster):
    """Ref and GetAtt Arn: the cluster ARN. Every change replaces the cluster."""

    TYPE = "AWS::MSK::ServerlessCluster"

    def create(self) -> None:
        serverless = {
            "vpcConfigs": _api_case(self.require("VpcConfigs")),
            "clientAuthentication": _api_case(self.require("ClientAuthentication")),
        }
        arn, _, _, _ = self._backend().create_cluster_v2(
            cluster_name=self.name,
            tags=tag_list_to_dict(self.prop("Tags")),
            provisioned=None,
            serverless=serverless,
        )
        self._created(arn)


class Configuration(Handler):
    """Ref and GetAtt Arn: the configuration ARN; GetAtt LatestRevision.* too.

    moto has no MSK configuration API, so the configuration is kept on the Kafka backend
    (in ``configurations``, by ARN) where a cluster's ConfigurationInfo can point at it, but
    DescribeConfiguration does not answer.
    """

    TYPE = "AWS::MSK::Configuration"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = frozenset(
        {
            "Arn",
            "LatestRevision.Revision",
            "LatestRevision.CreationTime",
            "LatestRevision.Description",
        }
    )

    def _configurations(self) -> dict[str, dict[str, object]]:
        backend = kafka_backends[self.account_id][self.region_name]
        if not hasattr(backend, "configurations"):
            backend.configurations = {}  # type: ignore[attr-defined]
        return backend.configurations  # type: ignore[attr-defined]

    def _store(self, arn: str, revision: int) -> None:
        created = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        self._configurations()[arn] = {
            "name": self.name,
            "serverProperties": self.require("ServerProperties"),
            "kafkaVersions": self.prop("KafkaVersionsList", []),
            "description": self.prop("Description", ""),
            "revision": revision,
        }
        self.physical_resource_id = arn
        self.attributes = {
            "Arn": arn,
            "LatestRevision.Revision": revision,
            "LatestRevision.CreationTime": created,
            "LatestRevision.Description": self.prop("Description", ""),
        }

    def create(self) -> None:
        self._store(self.arn("kafka", f"configuration/{self.name}/{uuid.uuid4()}"), 1)

    def update_in_place(self, previous: Handler) -> bool:
        if self.name != previous.name:
            return False
        revision = int(previous.attributes["LatestRevision.Revision"]) + 1
        self._store(previous.physical_resource_id, revision)
        return True

    def delete_resource(self) -> None:
        self._configurations().pop(self.physical_resource_id, None)


class ClusterPolicy(Handler):
    """Ref: the cluster ARN. GetAtt CurrentVersion."""

    TYPE = "AWS::MSK::ClusterPolicy"
    ATTRIBUTES = frozenset({"CurrentVersion"})

    def _backend(self) -> KafkaBackend:
        return kafka_backends[self.account_id][self.region_name]

    def _put(self, current_version: str) -> None:
        policy = self.require("Policy")
        version = self._backend().put_cluster_policy(
            self.require("ClusterArn"),
            current_version,
            policy if isinstance(policy, str) else json.dumps(policy),
        )
        self.physical_resource_id = self.require("ClusterArn")
        self.attributes = {"CurrentVersion": version}

    def create(self) -> None:
        self._put("")

    def update_in_place(self, previous: Handler) -> bool:
        if self.prop("ClusterArn") != previous.prop("ClusterArn"):
            return False
        self._put(previous.attributes["CurrentVersion"])
        return True

    def delete_resource(self) -> None:
        backend = self._backend()
        if self.physical_resource_id in backend.clusters:
            if self.physical_resource_id in backend.policies:
                backend.delete_cluster_policy(self.physical_resource_id)
        else:
            backend.policies.pop(self.physical_resource_id, None)  # the cluster went first
