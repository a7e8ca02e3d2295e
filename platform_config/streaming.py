"""streaming settings (filled in by the streaming stack's author)."""

from __future__ import annotations

from platform_config.base import Section


class StreamingConfig(Section):
    pass
