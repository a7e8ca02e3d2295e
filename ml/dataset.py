"""Reading and validating the training export (shared by prepare, train, evaluate, inference).

Contract: an integer ``label`` column plus numeric feature columns; every non-label column is a
feature, in the order the files give them. Files are Parquet (Athena UNLOAD writes them without
an extension, so Parquet is also recognised by its magic bytes) or CSV with a header.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
from contract import LABEL_COLUMN
from structured_log import log_event

PARQUET_MAGIC = b"PAR1"
PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".csv.gz")
# XGBoost refuses feature names containing these characters.
FORBIDDEN_NAME_CHARACTERS = ("[", "]", "<")


class DatasetError(ValueError):
    """The input data breaks the contract; the message names the path or column at fault."""


@dataclass(frozen=True)
class LabelledData:
    """Features as a float32 matrix (columns in ``feature_names`` order) and raw integer labels."""

    features: np.ndarray
    labels: np.ndarray
    feature_names: list[str]

    @property
    def rows(self) -> int:
        return int(self.labels.shape[0])


def _is_marker_file(path: Path) -> bool:
    # _SUCCESS, _committed_*, .crc and friends written by Spark/Glue/Athena carry no rows.
    return path.name.startswith(("_", "."))


def _has_parquet_magic(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == PARQUET_MAGIC


def discover_files(directory: Path) -> list[Path]:
    """Every data file under ``directory`` (recursively), sorted for a stable order."""
    if not directory.is_dir():
        raise DatasetError(f"{directory}: input directory does not exist")
    files: list[Path] = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        if _is_marker_file(path) or any(_is_marker_file(parent) for parent in path.parents):
            continue
        files.append(path)
    if not files:
        raise DatasetError(f"{directory}: no data files (expected Parquet or CSV with a header)")
    return files


def read_file(path: Path) -> pd.DataFrame:
    """Read one Parquet or CSV file; any failure becomes a DatasetError naming the file."""
    name = path.name.lower()
    try:
        if name.endswith(CSV_SUFFIXES):
            return pd.read_csv(path)
        if name.endswith(PARQUET_SUFFIXES) or _has_parquet_magic(path):
            return pd.read_parquet(path)
    except (OSError, ValueError, pyarrow.ArrowException, pd.errors.ParserError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DatasetError(f"{path}: unreadable data file ({reason})") from error
    raise DatasetError(f"{path}: not a Parquet or CSV file (suffix or content not recognised)")


def read_directory(directory: Path) -> pd.DataFrame:
    """Concatenate every data file under ``directory``; all files must share one column set."""
    frames: list[pd.DataFrame] = []
    expected: list[str] | None = None
    first: Path | None = None
    for path in discover_files(directory):
        frame = read_file(path)
        columns = [str(c) for c in frame.columns]
        if expected is None:
            expected, first = columns, path
        elif set(columns) != set(expected):
            missing = sorted(set(expected) - set(columns))
            extra = sorted(set(columns) - set(expected))
            raise DatasetError(
                f"{path}: columns differ from {first} (missing {missing}, unexpected {extra})"
            )
        else:
            frame = frame[expected]
        frames.append(frame)
    combined = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if combined.empty:
        raise DatasetError(f"{directory}: the data files hold no rows")
    log_event("dataset_read", path=str(directory), files=len(frames), rows=len(combined))
    return combined


def validate_frame(frame: pd.DataFrame, source: str) -> list[str]:
    """Check the contract and return the feature names (every non-label column, in order)."""
    columns = [str(c) for c in frame.columns]
    if LABEL_COLUMN not in columns:
        raise DatasetError(f"{source}: missing required column {LABEL_COLUMN!r}")
    label = frame[LABEL_COLUMN]
    missing_labels = int(label.isna().sum())
    if missing_labels:
        raise DatasetError(f"{source}: column {LABEL_COLUMN!r} has {missing_labels} missing values")
    if not pd.api.types.is_integer_dtype(label):
        raise DatasetError(
            f"{source}: column {LABEL_COLUMN!r} must be integer, found dtype {label.dtype}"
        )
    features = [c for c in columns if c != LABEL_COLUMN]
    if not features:
        raise DatasetError(f"{source}: no feature columns besides {LABEL_COLUMN!r}")
    for name in features:
        dtype = frame[name].dtype
        numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)
        if not numeric:
            raise DatasetError(f"{source}: feature column {name!r} is not numeric (dtype {dtype})")
        if any(ch in name for ch in FORBIDDEN_NAME_CHARACTERS):
            raise DatasetError(
                f"{source}: feature column {name!r} contains one of "
                f"{''.join(FORBIDDEN_NAME_CHARACTERS)!r}, which XGBoost does not allow"
            )
    return features


def to_labelled(frame: pd.DataFrame, feature_names: list[str], source: str) -> LabelledData:
    """Select ``feature_names`` (in that order) as float32 and the labels as int64."""
    missing = [name for name in feature_names if name not in frame.columns]
    if missing:
        raise DatasetError(f"{source}: missing feature columns {missing}")
    extra = [c for c in frame.columns if c != LABEL_COLUMN and c not in feature_names]
    if extra:
        raise DatasetError(f"{source}: unexpected feature columns {extra}")
    features = frame[feature_names].to_numpy(dtype=np.float32, na_value=np.nan)
    labels = frame[LABEL_COLUMN].to_numpy(dtype=np.int64)
    return LabelledData(features=features, labels=labels, feature_names=list(feature_names))


def load_labelled(directory: Path, feature_names: list[str] | None = None) -> LabelledData:
    """Read, validate and convert a channel; with ``feature_names`` the columns must match them."""
    frame = read_directory(directory)
    found = validate_frame(frame, str(directory))
    return to_labelled(frame, feature_names if feature_names is not None else found, str(directory))


def encode_labels(labels: np.ndarray, classes: np.ndarray, source: str) -> np.ndarray:
    """Map raw labels to 0..len(classes)-1; a label outside ``classes`` is a DatasetError."""
    positions = np.searchsorted(classes, labels)
    positions = np.clip(positions, 0, len(classes) - 1)
    unknown = classes[positions] != labels
    if unknown.any():
        values = sorted({int(v) for v in labels[unknown][:10]})
        raise DatasetError(f"{source}: labels {values} are not among the known classes")
    return positions.astype(np.int64)
