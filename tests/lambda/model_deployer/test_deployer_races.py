"""Two deliveries at once: what keeps deployments apart when no concurrency is reserved.

dev reserves none for the deployer (a new account's Lambda quota of 10 refuses any
reservation), so two approvals can run together. SageMaker refuses the second CreateEndpoint
("Cannot create already existing endpoint"); moto 5.2.5 overwrites the endpoint instead, so the
refusal is played here by a before-call hook, with SageMaker's own error code and message.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from deployer_fixtures import (
    ENDPOINT,
    FakeContext,
    model_package_event,
    set_moto_endpoint_status,
)


def _sagemaker_refuses_a_second_create(sagemaker: Any) -> None:
    def refuse(params: dict[str, Any], **_: Any) -> None:
        names = [e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]]
        if params["EndpointName"] in names:
            raise ClientError(
                {
                    "Error": {
                        "Code": "ValidationException",
                        "Message": f'Cannot create already existing endpoint "{ENDPOINT}".',
                    }
                },
                "CreateEndpoint",
            )

    sagemaker.meta.events.register("before-parameter-build.sagemaker.CreateEndpoint", refuse)


def test_a_lost_create_race_raises_and_its_retry_finds_the_endpoint_busy(
    load_handler: Any, registry: Any
) -> None:
    handler, _ = load_handler()
    _sagemaker_refuses_a_second_create(handler.CLIENTS.sagemaker)
    first_arn, first_version, _ = registry.register("a")
    second_arn, second_version, _ = registry.register("b")
    raced = []

    def other_delivery_wins(**_: Any) -> None:
        # "b" has seen no endpoint and is about to create one; "a" runs in full first.
        if not raced:
            raced.append(True)
            won = handler.lambda_handler(
                model_package_event(first_arn, first_version), FakeContext()
            )
            assert won["outcome"] == "deployed"
            set_moto_endpoint_status("Creating")  # as SageMaker leaves it for many minutes

    # First: "a" creates the endpoint, and then SageMaker's refusal sees it.
    handler.CLIENTS.sagemaker.meta.events.register_first(
        "before-parameter-build.sagemaker.CreateEndpoint", other_delivery_wins
    )

    # The loser raises, so Lambda retries the event (two retries, then the failure queue).
    with pytest.raises(ClientError, match="already existing endpoint"):
        handler.lambda_handler(model_package_event(second_arn, second_version), FakeContext())
    retry = handler.lambda_handler(model_package_event(second_arn, second_version), FakeContext())

    assert raced  # the race was played, not skipped
    assert retry["outcome"] == "busy"
    assert "re-approve version" in retry["reason"]
