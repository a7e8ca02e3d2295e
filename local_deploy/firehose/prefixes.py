"""Firehose's S3 prefix expressions, rendered as Firehose renders them.

Only the namespaces this project's delivery streams use are supported; any other expression is
an error naming it, so a prefix change that the local delivery cannot honour fails loudly
instead of writing objects somewhere Firehose would not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from local_deploy.firehose import LocalDeliveryError

_EXPRESSION = re.compile(r"!\{([^}:]+):([^}]*)\}")
# Java DateTimeFormatter letters Firehose documents for !{timestamp:...}, mapped to strftime.
_TIMESTAMP_FIELDS = (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"))


class PrefixError(LocalDeliveryError, ValueError):
    """A prefix expression that cannot be rendered."""


def _timestamp(pattern: str, moment: datetime) -> str:
    rendered = pattern
    for java, strftime in _TIMESTAMP_FIELDS:
        rendered = rendered.replace(java, moment.strftime(strftime))
    if re.search(r"[A-Za-z]", rendered):
        raise PrefixError(f"!{{timestamp:{pattern}}}: only yyyy, MM, dd and HH are supported")
    return rendered


def render_prefix(
    template: str,
    *,
    arrival: datetime,
    partition_keys: Mapping[str, str] | None = None,
    error_output_type: str | None = None,
) -> str:
    """The prefix for one record: its partition keys, error type and arrival time filled in."""

    def substitute(match: re.Match[str]) -> str:
        namespace, argument = match.group(1), match.group(2)
        if namespace == "timestamp":
            return _timestamp(argument, arrival)
        if namespace == "partitionKeyFromLambda":
            if partition_keys is None or argument not in partition_keys:
                raise PrefixError(f"{match.group(0)}: the transform returned no {argument!r} key")
            return partition_keys[argument]
        if namespace == "firehose" and argument == "error-output-type":
            if error_output_type is None:
                raise PrefixError(f"{match.group(0)} is only valid in an error output prefix")
            return error_output_type
        raise PrefixError(f"{match.group(0)} in prefix {template!r} is not supported locally")

    return _EXPRESSION.sub(substitute, template)
