"""Synthetic data and workspace helpers shared by the ml tests (imported by name)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


def synthetic_frame(rows: int, classes: int, features: int = 4, seed: int = 7) -> pd.DataFrame:
    """Learnable data: the label is a binned linear score of the features (plus noise)."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(rows, features)).astype(np.float32)
    score = values @ np.linspace(1.0, 0.2, features) + rng.normal(scale=0.3, size=rows)
    edges = np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1])
    frame = pd.DataFrame(values, columns=[f"feature_{i}" for i in range(features)])
    frame["label"] = np.searchsorted(edges, score).astype(np.int64)
    return frame


@dataclass(frozen=True)
class Workspace:
    """Directories laid out like the pipeline's: lake export -> splits -> model -> report."""

    root: Path

    @property
    def export(self) -> Path:
        return self.root / "export"

    @property
    def train(self) -> Path:
        return self.root / "train"

    @property
    def validation(self) -> Path:
        return self.root / "validation"

    @property
    def test(self) -> Path:
        return self.root / "test"

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def evaluation(self) -> Path:
        return self.root / "evaluation"


def write_export(directory: Path, frame: pd.DataFrame, parts: int = 2) -> None:
    """Write ``frame`` like an Athena UNLOAD: several Parquet files without an extension."""
    directory.mkdir(parents=True, exist_ok=True)
    for index, chunk in enumerate(np.array_split(np.arange(len(frame)), parts)):
        frame.iloc[chunk].to_parquet(directory / f"20261101_000000_0000{index}_abcde", index=False)


def prepare_args(ws: Workspace, seed: int = 0) -> list[str]:
    return [
        f"--input-dir={ws.export}",
        f"--train-dir={ws.train}",
        f"--validation-dir={ws.validation}",
        f"--test-dir={ws.test}",
        f"--seed={seed}",
    ]
