"""Saving and loading the trained model with its metadata, and turning it into predictions."""

from __future__ import annotations

import json
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb
from contract import METADATA_FILE, MODEL_FILE

MODEL_ARCHIVE = "model.tar.gz"


@dataclass(frozen=True)
class TrainedModel:
    booster: xgb.Booster
    metadata: dict[str, Any]

    @property
    def feature_names(self) -> list[str]:
        return list(self.metadata["feature_names"])

    @property
    def classes(self) -> np.ndarray:
        return np.asarray(self.metadata["classes"], dtype=np.int64)

    @property
    def is_binary(self) -> bool:
        return len(self.metadata["classes"]) == 2


def save(booster: xgb.Booster, metadata: dict[str, Any], model_dir: Path) -> Path:
    model_dir.mkdir(parents=True, exist_ok=True)
    path = model_dir / MODEL_FILE
    booster.save_model(str(path))
    (model_dir / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
    return path


def _unpack_archive(archive: Path) -> Path:
    # The Evaluate step receives the training job's model.tar.gz as-is.
    # Only the two files load() reads are taken out, as regular files under their base names:
    # nothing in the archive can write elsewhere, on any Python (extractall's `filter` needs
    # 3.11.4+, and Python 3.11.2 is still common).
    target = Path(tempfile.mkdtemp(prefix="model-"))
    wanted = {MODEL_FILE, METADATA_FILE}
    with tarfile.open(archive, "r:gz") as bundle:
        for member in bundle.getmembers():
            name = member.name.removeprefix("./")
            content = bundle.extractfile(member) if member.isfile() else None
            if name in wanted and content is not None:
                (target / name).write_bytes(content.read())
    return target


def load(model_dir: Path) -> TrainedModel:
    """Load from a directory holding the model files, or holding a SageMaker model.tar.gz."""
    if not (model_dir / MODEL_FILE).is_file() and (model_dir / MODEL_ARCHIVE).is_file():
        model_dir = _unpack_archive(model_dir / MODEL_ARCHIVE)
    model_path, metadata_path = model_dir / MODEL_FILE, model_dir / METADATA_FILE
    for path in (model_path, metadata_path):
        if not path.is_file():
            raise FileNotFoundError(
                f"{path}: model file missing (expected {MODEL_FILE} and "
                f"{METADATA_FILE}, or {MODEL_ARCHIVE})"
            )
    booster = xgb.Booster(model_file=str(model_path))
    metadata = json.loads(metadata_path.read_text())
    return TrainedModel(booster=booster, metadata=metadata)


def predict_proba(model: TrainedModel, features: np.ndarray) -> np.ndarray:
    """Class probabilities, shape (rows, classes), columns in ``model.classes`` order."""
    matrix = xgb.DMatrix(features, feature_names=model.feature_names)
    raw = model.booster.predict(matrix)
    if model.is_binary:
        return np.column_stack((1.0 - raw, raw))
    return raw.reshape(features.shape[0], -1)


def predict_labels(model: TrainedModel, probabilities: np.ndarray) -> np.ndarray:
    """The original label value of the most probable class for each row."""
    return model.classes[np.argmax(probabilities, axis=1)]
