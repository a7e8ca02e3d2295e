"""data_lake settings (filled in by the data_lake stack's author)."""

from __future__ import annotations

from platform_config.base import Section


class DataLakeConfig(Section):
    pass
