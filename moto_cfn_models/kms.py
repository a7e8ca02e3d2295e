"""KMS: AWS::KMS::Key, replacing moto's own model.

moto bugs worked around here (moto 5.2.5):

* moto stores ``KeyPolicy`` as the template's dict, not as a JSON string, so a later
  ``get_key_policy`` (and the server's response for it) breaks.
* moto's model has no update hook, so any change to a key made moto drop it from the stack.
* ``KeyUsage``, ``KeySpec``, ``MultiRegion`` and ``PendingWindowInDays`` are ignored, and the
  key is deleted at once instead of being scheduled for deletion.
"""

from __future__ import annotations

import json

from moto.kms.models import Key as MotoKey
from moto.kms.models import KmsBackend, kms_backends

from ._base import Handler, as_bool, tag_list_to_dict

_DEFAULT_PENDING_WINDOW_DAYS = 30


class Key(Handler):
    """Ref: the key ID. GetAtt: Arn, KeyId."""

    TYPE = "AWS::KMS::Key"
    ATTRIBUTES = frozenset({"Arn", "KeyId"})

    def _backend(self) -> KmsBackend:
        return kms_backends[self.account_id][self.region_name]

    def _policy(self) -> str | None:
        policy = self.prop("KeyPolicy")
        if policy is None or isinstance(policy, str):
            return policy
        return json.dumps(policy)

    def _apply_mutable_properties(self, key: MotoKey) -> None:
        backend = self._backend()
        key.description = self.prop("Description", "")
        if self._policy() is not None:
            backend.put_key_policy(key.id, self._policy())
        key.key_rotation_status = as_bool(self.prop("EnableKeyRotation"))
        enabled = as_bool(self.prop("Enabled"), default=True)
        key.enabled = enabled
        key.key_state = "Enabled" if enabled else "Disabled"

    def create(self) -> None:
        key = self._backend().create_key(
            policy=self._policy(),
            key_usage=self.prop("KeyUsage", "ENCRYPT_DECRYPT"),
            key_spec=self.prop("KeySpec", "SYMMETRIC_DEFAULT"),
            description=self.prop("Description", ""),
            tags=[
                {"TagKey": key, "TagValue": value}
                for key, value in tag_list_to_dict(self.prop("Tags")).items()
            ],
            multi_region=as_bool(self.prop("MultiRegion")),
        )
        self._apply_mutable_properties(key)
        self.physical_resource_id = key.id
        self.attributes = {"Arn": key.arn, "KeyId": key.id}

    def update_in_place(self, previous: Handler) -> bool:
        for replacement_property in ("KeyUsage", "KeySpec", "MultiRegion"):
            if self.prop(replacement_property) != previous.prop(replacement_property):
                return False
        key = self._backend().describe_key(previous.physical_resource_id)
        self._apply_mutable_properties(key)
        self.physical_resource_id = previous.physical_resource_id
        self.attributes = dict(previous.attributes)
        return True

    def delete_resource(self) -> None:
        backend = self._backend()
        if self.physical_resource_id not in backend.keys:
            return
        if backend.keys[self.physical_resource_id].key_state == "PendingDeletion":
            return
        backend.schedule_key_deletion(
            self.physical_resource_id,
            int(self.prop("PendingWindowInDays", _DEFAULT_PENDING_WINDOW_DAYS)),
        )
