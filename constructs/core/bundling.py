"""Asset bundling on the synth machine only: no Docker, no network."""

from __future__ import annotations

from typing import Protocol

import aws_cdk as cdk
import jsii


class LocalBundler(Protocol):
    """Writes an asset's bundled output into `output_dir` and returns True."""

    def __call__(self, output_dir: str) -> bool: ...


@jsii.implements(cdk.ILocalBundling)
class _Local:
    def __init__(self, bundle: LocalBundler) -> None:
        self._bundle = bundle

    # jsii passes the BundlingOptions struct positionally: *_args takes it, and a checker sees a
    # signature that accepts ILocalBundling's keyword arguments.
    def try_bundle(self, output_dir: str, *_args: object, **_options: object) -> bool:
        return self._bundle(output_dir)


def local_bundling(
    bundle: LocalBundler, *, output_type: cdk.BundlingOutput | None = None
) -> cdk.BundlingOptions:
    """BundlingOptions that always bundle locally with `bundle`.

    CDK requires an image even for local bundling; it is never pulled, because local bundling
    always succeeds, so Docker is never needed.
    """
    return cdk.BundlingOptions(
        image=cdk.DockerImage.from_registry("local-bundling-only"),
        local=_Local(bundle),
        output_type=output_type,
    )
