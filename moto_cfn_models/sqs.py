"""SQS: AWS::SQS::QueuePolicy."""

from __future__ import annotations

import json
from typing import Any

from moto.sqs.exceptions import QueueDoesNotExist
from moto.sqs.models import sqs_backends

from ._base import Handler


def _backend_and_name(handler: Handler, queue_url: str) -> tuple[Any, str]:
    # A queue URL ends in /<account>/<queue name>; the backend indexes queues by name.
    account_id, queue_name = queue_url.rstrip("/").split("/")[-2:]
    return sqs_backends[account_id][handler.region_name], queue_name


class QueuePolicy(Handler):
    """Ref: a generated ID. GetAtt: Id."""

    TYPE = "AWS::SQS::QueuePolicy"
    ATTRIBUTES = frozenset({"Id"})

    def create(self) -> None:
        document = json.dumps(self.require("PolicyDocument"))
        for queue_url in self.require("Queues"):
            backend, name = _backend_and_name(self, queue_url)
            backend.set_queue_attributes(name, {"Policy": document})
        self.attributes = {"Id": self.physical_resource_id}

    def update_in_place(self, previous: Handler) -> bool:
        return self.recreate_over(previous)

    def delete_resource(self) -> None:
        for queue_url in self.require("Queues"):
            backend, name = _backend_and_name(self, queue_url)
            try:
                backend.set_queue_attributes(name, {"Policy": ""})
            except QueueDoesNotExist:
                continue  # the queue went first, and its policy with it
