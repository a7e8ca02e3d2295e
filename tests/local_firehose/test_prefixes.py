from __future__ import annotations

from datetime import UTC, datetime

import pytest

from local_deploy.firehose.prefixes import PrefixError, render_prefix

ARRIVAL = datetime(2026, 11, 20, 7, 5, tzinfo=UTC)
EVENTS = "events/dt=!{partitionKeyFromLambda:dt}/"
ERRORS = "errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"


def test_partition_key_from_the_transform_fills_the_events_prefix() -> None:
    rendered = render_prefix(EVENTS, arrival=ARRIVAL, partition_keys={"dt": "2026-11-17"})
    assert rendered == "events/dt=2026-11-17/"


def test_error_prefix_takes_the_error_type_and_the_arrival_date() -> None:
    rendered = render_prefix(ERRORS, arrival=ARRIVAL, error_output_type="processing-failed")
    assert rendered == "errors/processing-failed/dt=2026-11-20/"


def test_timestamp_pattern_with_hours() -> None:
    assert render_prefix("h=!{timestamp:yyyy/MM/dd/HH}/", arrival=ARRIVAL) == "h=2026/11/20/07/"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (EVENTS, "the transform returned no 'dt' key"),
        ("x/!{firehose:error-output-type}/", "only valid in an error output prefix"),
        ("x/!{partitionKeyFromQuery:dt}/", "is not supported locally"),
        ("x/!{firehose:random-string}/", "is not supported locally"),
        ("x/!{timestamp:yyyy-ww}/", "only yyyy, MM, dd and HH"),
    ],
)
def test_what_cannot_be_rendered_is_an_error_naming_the_expression(
    template: str, message: str
) -> None:
    with pytest.raises(PrefixError, match=message):
        render_prefix(template, arrival=ARRIVAL, partition_keys={})
