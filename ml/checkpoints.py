"""Checkpoints for managed spot training: write every N rounds, resume from the newest good one.

SageMaker syncs the checkpoint directory to S3 and restores it when a spot-interrupted job
restarts. A file can be cut short by the interruption, so writes go to a temporary name and are
renamed into place, and resuming skips (never deletes) any checkpoint that fails to load or does
not fit the current data.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import xgboost as xgb
from structured_log import log_event

CHECKPOINT_NAME = re.compile(r"^xgboost-checkpoint-(\d+)\.ubj$")


def checkpoint_path(directory: Path, rounds: int) -> Path:
    return directory / f"xgboost-checkpoint-{rounds:06d}.ubj"


def list_checkpoints(directory: Path) -> list[tuple[int, Path]]:
    """(rounds, path) for every checkpoint file, newest (most rounds) first."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = CHECKPOINT_NAME.match(path.name)
        if match and path.is_file():
            found.append((int(match.group(1)), path))
    return sorted(found, reverse=True)


@dataclass(frozen=True)
class ModelShape:
    """What a checkpoint must match to continue training on the current data."""

    objective: str
    num_class: int
    feature_names: list[str]


def booster_shape(booster: xgb.Booster) -> ModelShape:
    config = json.loads(booster.save_config())["learner"]
    return ModelShape(
        objective=config["objective"]["name"],
        num_class=int(config["learner_model_param"]["num_class"]),
        feature_names=list(booster.feature_names or []),
    )


@dataclass(frozen=True)
class Resumed:
    booster: xgb.Booster
    rounds: int
    path: Path


def load_newest_valid(directory: Path, expected: ModelShape) -> Resumed | None:
    """Load the newest checkpoint that parses and matches ``expected``; None if there is none."""
    for rounds, path in list_checkpoints(directory):
        try:
            booster = xgb.Booster(model_file=str(path))
        except xgb.core.XGBoostError as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else "load failed"
            log_event("checkpoint_skipped", path=str(path), reason=f"unreadable: {reason}")
            continue
        if booster.num_boosted_rounds() != rounds:
            log_event(
                "checkpoint_skipped",
                path=str(path),
                reason=f"holds {booster.num_boosted_rounds()} rounds, name says {rounds}",
            )
            continue
        shape = booster_shape(booster)
        if shape != expected:
            log_event(
                "checkpoint_skipped",
                path=str(path),
                reason=f"trained for a different dataset/objective ({shape} != {expected})",
            )
            continue
        log_event("checkpoint_resumed", path=str(path), rounds=rounds)
        return Resumed(booster=booster, rounds=rounds, path=path)
    return None


def write_atomically(path: Path, payload: bytes) -> None:
    """Write ``payload`` so that ``path`` is either absent, the old file, or complete."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class CheckpointWriter(xgb.callback.TrainingCallback):
    """Save the model every ``frequency`` rounds, keeping the newest ``keep`` checkpoints.

    Keeping more than one means a checkpoint damaged after it was written (a partial S3 restore)
    still leaves an older one to resume from.
    """

    def __init__(self, directory: Path, frequency: int, keep: int = 3) -> None:
        super().__init__()
        if frequency < 1 or keep < 1:
            raise ValueError(f"frequency and keep must be >= 1, got {frequency} and {keep}")
        self.directory = directory
        self.frequency = frequency
        self.keep = keep

    def after_iteration(self, model: xgb.Booster, epoch: int, evals_log: dict) -> bool:
        rounds = model.num_boosted_rounds()
        if rounds % self.frequency == 0:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = checkpoint_path(self.directory, rounds)
            write_atomically(path, bytes(model.save_raw(raw_format="ubj")))
            log_event("checkpoint_written", path=str(path), rounds=rounds)
            for _, old in list_checkpoints(self.directory)[self.keep :]:
                old.unlink(missing_ok=True)
        return False
