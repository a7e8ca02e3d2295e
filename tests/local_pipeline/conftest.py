"""Fixtures of the local pipeline tests (defined in pipeline_fixtures)."""

from tests.local_pipeline.pipeline_fixtures import account, registered

__all__ = ["account", "registered"]
