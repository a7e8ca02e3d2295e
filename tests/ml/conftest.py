"""Fixtures for the SageMaker training scripts: synthetic datasets and SM_* environments.

The scripts import their siblings by plain name (as they do inside the SageMaker container),
so the ml/ folder goes on sys.path and tests import them the same way (``import train``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ML_DIR = Path(__file__).resolve().parents[2] / "ml"
if str(ML_DIR) not in sys.path:
    sys.path.insert(0, str(ML_DIR))

from ml_testdata import Workspace  # noqa: E402  (after the sys.path line above)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path)


@pytest.fixture
def sm_env(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """Point the SageMaker training variables at the workspace (no GPU declared)."""
    monkeypatch.setenv("SM_CHANNEL_TRAIN", str(workspace.train))
    monkeypatch.setenv("SM_CHANNEL_VALIDATION", str(workspace.validation))
    monkeypatch.setenv("SM_MODEL_DIR", str(workspace.model))
    monkeypatch.setenv("SM_OUTPUT_DATA_DIR", str(workspace.output))
    monkeypatch.setenv("SM_NUM_GPUS", "0")
    return workspace
