"""Bucket defaults that every SecureBucket in a profile shares."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from platform_config.base import Section


class StorageConfig(Section):
    removal_policy: Literal["retain", "destroy"] = Field(
        description="destroy only empties nothing: a non-empty bucket still blocks stack deletion."
    )
    min_tls_version: Literal["1.2", "1.3"]
    noncurrent_version_expiration_days: int = Field(ge=1, le=3650)
    abort_incomplete_multipart_upload_days: int = Field(ge=1, le=30)
    access_logs_expiration_days: int = Field(ge=1, le=3650)
