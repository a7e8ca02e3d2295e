"""Alerting settings: who the platform's one alarm topic notifies.

Every CloudWatch alarm of every stack notifies that topic (AlertingStack); its subscriptions
are stated here once. Each email address confirms its subscription once (SNS sends the mail);
an HTTPS endpoint must answer SNS's SubscriptionConfirmation request.
"""

from __future__ import annotations

import re
from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from platform_config.base import Section

# Deliberately simple: enough to catch a pasted name or a missing domain; SNS sends the
# confirmation mail that proves the address.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# https://host[:port][/path]: SNS delivers to HTTPS endpoints only over TLS (plain http is not
# allowed here: alarm texts name the platform's resources).
_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d{1,5})?(/\S*)?$")


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("not an email address; allowed: name@example.com")
    return value


def _check_https_url(value: str) -> str:
    if not _HTTPS_URL.match(value):
        raise ValueError(
            "not an HTTPS endpoint; allowed: https://host.example.com[:port][/path] (no http://)"
        )
    return value


EmailAddress = Annotated[str, AfterValidator(_check_email)]
HttpsUrl = Annotated[str, AfterValidator(_check_https_url)]


class AlertingConfig(Section):
    email_subscriptions: list[EmailAddress] = Field(
        description="Addresses the platform alarm topic mails; each confirms once."
    )
    https_subscriptions: list[HttpsUrl] = Field(
        description="HTTPS endpoints (a chat or paging webhook) the topic posts to."
    )

    @model_validator(mode="after")
    def _each_subscriber_once(self) -> Self:
        for key, values in (
            ("email_subscriptions", self.email_subscriptions),
            ("https_subscriptions", self.https_subscriptions),
        ):
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                raise ValueError(f"{key} lists {twice[0]!r} twice; allowed: each subscriber once")
        return self
