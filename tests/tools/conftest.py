"""Fixtures for the event tools (tools/): a fake clock for the producer, and the transform's
normaliser, which checks that what the generator writes is what the Lambda accepts."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.events_testkit import (  # normaliser, _dummy_aws: fixtures pytest finds here
    _dummy_aws,  # noqa: F401
    import_transform_modules_by_bare_name,
    normaliser,  # noqa: F401
)

import_transform_modules_by_bare_name()


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """tools.produce (pacing, backoff) sees a fake clock: sleeps are recorded, not waited."""
    from tools import produce  # noqa: PLC0415 - after the sys.path set-up above

    now = [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    monkeypatch.setattr(produce, "time", SimpleNamespace(monotonic=lambda: now[0], sleep=sleep))
    return slept
