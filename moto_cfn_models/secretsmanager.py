"""Secrets Manager: AWS::SecretsManager::Secret, with GenerateSecretString.

moto 5.2 has no CloudFormation model for secrets, though its backend has ``create_secret``
and ``get_random_password``. The Spark cluster keeps its ``spark.authenticate`` secret in a
generated, KMS-encrypted secret, so the local deployment must create it the way AWS does: a
random password of the requested shape, or a JSON document (``SecretStringTemplate``) with the
password under ``GenerateStringKey``.
"""

from __future__ import annotations

import json
from typing import Any

from moto.kms.models import kms_backends
from moto.secretsmanager.exceptions import SecretNotFoundException
from moto.secretsmanager.models import SecretsManagerBackend, secretsmanager_backends

from ._base import Handler, as_bool, as_int, tag_list_to_dict
from .iam_evaluation import authorize_as_execution_role

_DEFAULT_LENGTH = 32


def generated_secret_string(backend: SecretsManagerBackend, spec: dict[str, Any]) -> str:
    """The value CloudFormation stores for a ``GenerateSecretString`` specification."""
    template = spec.get("SecretStringTemplate")
    key = spec.get("GenerateStringKey")
    if bool(template) != bool(key):
        raise ValueError("SecretStringTemplate and GenerateStringKey go together")
    password = json.loads(
        backend.get_random_password(
            password_length=as_int(spec.get("PasswordLength")) or _DEFAULT_LENGTH,
            exclude_characters=spec.get("ExcludeCharacters", ""),
            exclude_numbers=as_bool(spec.get("ExcludeNumbers")),
            exclude_punctuation=as_bool(spec.get("ExcludePunctuation")),
            exclude_uppercase=as_bool(spec.get("ExcludeUppercase")),
            exclude_lowercase=as_bool(spec.get("ExcludeLowercase")),
            include_space=as_bool(spec.get("IncludeSpace")),
            require_each_included_type=as_bool(spec.get("RequireEachIncludedType"), default=True),
        )
    )["RandomPassword"]
    if not template:
        return password
    document = json.loads(template)
    if not isinstance(document, dict):
        raise ValueError("SecretStringTemplate must be a JSON object")
    document[key] = password
    return json.dumps(document)


class Secret(Handler):
    """Ref and GetAtt Id: the secret's ARN (with its random suffix, as in AWS)."""

    TYPE = "AWS::SecretsManager::Secret"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = frozenset({"Id"})

    def _backend(self) -> SecretsManagerBackend:
        return secretsmanager_backends[self.account_id][self.region_name]

    def _value(self) -> str | None:
        if self.prop("SecretString") is not None and self.prop("GenerateSecretString"):
            raise ValueError("SecretString and GenerateSecretString are mutually exclusive")
        if self.prop("GenerateSecretString"):
            return generated_secret_string(self._backend(), self.prop("GenerateSecretString"))
        return self.prop("SecretString")

    def create(self) -> None:
        self._authorize_key()
        tags = tag_list_to_dict(self.prop("Tags"))
        created = json.loads(
            self._backend().create_secret(
                name=self.prop("Name") or self.name,
                secret_string=self._value(),
                secret_binary=None,
                description=self.prop("Description"),
                tags=[{"Key": k, "Value": v} for k, v in tags.items()] or None,
                kms_key_id=self.prop("KmsKeyId"),
                client_request_token=None,
                replica_regions=self.prop("ReplicaRegions") or [],
                force_overwrite=False,
            )
        )
        self.physical_resource_id = created["ARN"]
        self.attributes = {"Id": created["ARN"]}

    def _authorize_key(self) -> None:
        """Secrets Manager encrypts the value, and reads it back, as CloudFormation's role: the
        key's policy must let it (the ClusterStack that once rolled back for that)."""
        key = self.prop("KmsKeyId")
        if not key:
            return
        key_arn = self._key_arn(str(key))
        context: dict[str, str | list[str]] = {
            "kms:ViaService": f"secretsmanager.{self.region_name}.amazonaws.com",
            "kms:CallerAccount": self.account_id,
        }
        needs = [(action, key_arn, context) for action in ("kms:GenerateDataKey", "kms:Decrypt")]
        authorize_as_execution_role(
            self.account_id, self.region_name, self.stack_id, needs, "CreateSecret"
        )

    def _key_arn(self, key: str) -> str:
        return str(kms_backends[self.account_id][self.region_name].describe_key(key).arn)

    def update_in_place(self, previous: Handler) -> bool:
        if (self.prop("Name") or self.name) != (previous.prop("Name") or previous.name):
            return False
        self.physical_resource_id = previous.physical_resource_id
        self.attributes = dict(previous.attributes)
        value_changed = (self.prop("SecretString"), self.prop("GenerateSecretString")) != (
            previous.prop("SecretString"),
            previous.prop("GenerateSecretString"),
        )
        self._backend().update_secret(
            secret_id=self.physical_resource_id,
            secret_string=self._value() if value_changed else None,
            kms_key_id=self.prop("KmsKeyId"),
            description=self.prop("Description"),
        )
        return True

    def delete_resource(self) -> None:
        # CloudFormation deletes a stack's secret without a recovery window.
        if self.physical_resource_id in self._backend().secrets:
            self._backend().delete_secret(
                secret_id=self.physical_resource_id,
                recovery_window_in_days=None,
                force_delete_without_recovery=True,
            )


class ResourcePolicy(Handler):
    """Ref: the secret's ARN, as in AWS. Stores the policy with moto's put_resource_policy, so
    `get_resource_policy` answers what CloudFormation deployed."""

    TYPE = "AWS::SecretsManager::ResourcePolicy"

    def _backend(self) -> SecretsManagerBackend:
        return secretsmanager_backends[self.account_id][self.region_name]

    def create(self) -> None:
        secret_id = self.require("SecretId")
        self._backend().put_resource_policy(
            secret_id=secret_id, policy=json.dumps(self.require("ResourcePolicy"))
        )
        self.physical_resource_id = self._backend().describe_secret(secret_id).arn

    def update_in_place(self, previous: Handler) -> bool:
        return self.recreate_over(previous)

    def delete_resource(self) -> None:
        try:
            self._backend().delete_resource_policy(secret_id=self.require("SecretId"))
        except SecretNotFoundException:
            return  # the secret went first, and its policy with it
