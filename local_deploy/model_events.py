"""The EventBridge events SageMaker sends the model deployer, as the emulator plays them.

moto sends no EventBridge events, so `approve` (local_deploy.ml_local) and the ML smoke check
deliver these two to the deployer's code themselves; both build them here so that they send
the same shapes the deployed rule matches.
"""

from __future__ import annotations

from typing import Any

#: The deployer's answers to an approval that leave the approved model on the endpoint.
DEPLOYED_OUTCOMES = frozenset({"deployed", "updated", "unchanged"})


def package_approved(group: str, package_arn: str) -> dict[str, Any]:
    """The "SageMaker Model Package State Change" of a package approved in ``group``."""
    return {
        "source": "aws.sagemaker",
        "detail-type": "SageMaker Model Package State Change",
        "detail": {
            "ModelPackageGroupName": group,
            "ModelApprovalStatus": "Approved",
            "ModelPackageArn": package_arn,
            # A versioned package's ARN ends in its version: .../model-package/<group>/<n>.
            "ModelPackageVersion": int(package_arn.rsplit("/", 1)[-1]),
        },
    }


def endpoint_in_service(endpoint: str) -> dict[str, Any]:
    """The "SageMaker Endpoint State Change" of an endpoint that reached IN_SERVICE."""
    return {
        "source": "aws.sagemaker",
        "detail-type": "SageMaker Endpoint State Change",
        "detail": {"EndpointName": endpoint, "EndpointStatus": "IN_SERVICE"},
    }
