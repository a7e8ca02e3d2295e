"""Prepare step (SageMaker Processing): validate the lake export and split it three ways.

Reads every Parquet/CSV file under --input-dir, checks the dataset contract, shuffles with
--seed and writes one Parquet file into each of --train-dir, --validation-dir and --test-dir.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from contract import LABEL_COLUMN, PREPARE_INPUT_DIR, PROCESSING_ROOT
from dataset import DatasetError, read_directory, validate_frame
from structured_log import fail, log_event

SPLIT_FILE = "part-00000.parquet"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input-dir", type=Path, default=Path(PREPARE_INPUT_DIR))
    parser.add_argument("--train-dir", type=Path, default=Path(f"{PROCESSING_ROOT}/train"))
    parser.add_argument(
        "--validation-dir", type=Path, default=Path(f"{PROCESSING_ROOT}/validation")
    )
    parser.add_argument("--test-dir", type=Path, default=Path(f"{PROCESSING_ROOT}/test"))
    parser.add_argument("--validation-fraction", type=float, default=0.15)
    parser.add_argument("--test-fraction", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def split_sizes(rows: int, validation_fraction: float, test_fraction: float) -> tuple[int, ...]:
    """Row counts for (train, validation, test); each split must get at least one row."""
    for name, value in (
        ("--validation-fraction", validation_fraction),
        ("--test-fraction", test_fraction),
    ):
        if not 0.0 < value < 1.0:
            raise ValueError(f"{name} must be between 0 and 1 (exclusive), got {value}")
    if validation_fraction + test_fraction >= 1.0:
        raise ValueError(
            "--validation-fraction plus --test-fraction must be below 1, got "
            f"{validation_fraction} + {test_fraction}"
        )
    validation = round(rows * validation_fraction)
    test = round(rows * test_fraction)
    train = rows - validation - test
    if min(train, validation, test) < 1:
        raise DatasetError(
            f"{rows} rows are too few to split into train/validation/test with fractions "
            f"{validation_fraction} and {test_fraction}"
        )
    return train, validation, test


def _check_output_dir(directory: Path) -> None:
    # A leftover file from another run would be read by the next step as if it were ours.
    if directory.is_dir():
        strangers = [p for p in directory.iterdir() if p.name != SPLIT_FILE]
        if strangers:
            raise DatasetError(f"{directory}: output directory holds other files ({strangers[0]})")


def prepare(
    input_dir: Path,
    output_dirs: dict[str, Path],
    validation_fraction: float,
    test_fraction: float,
    seed: int,
) -> dict[str, int]:
    """Validate, shuffle and split; return the row count written per split."""
    frame = read_directory(input_dir)
    features = validate_frame(frame, str(input_dir))
    classes = frame[LABEL_COLUMN].nunique()
    if classes < 2:
        raise DatasetError(f"{input_dir}: column {LABEL_COLUMN!r} has a single class")
    sizes = split_sizes(len(frame), validation_fraction, test_fraction)
    for directory in output_dirs.values():
        _check_output_dir(directory)

    order = np.random.default_rng(seed).permutation(len(frame))
    bounds = np.cumsum((0, *sizes))
    written: dict[str, int] = {}
    for (name, directory), start, stop in zip(
        output_dirs.items(), bounds[:-1], bounds[1:], strict=True
    ):
        part: pd.DataFrame = frame.iloc[order[start:stop]].reset_index(drop=True)
        directory.mkdir(parents=True, exist_ok=True)
        part.to_parquet(directory / SPLIT_FILE, index=False)
        written[name] = len(part)
    log_event(
        "prepare_done",
        input=str(input_dir),
        features=len(features),
        classes=int(classes),
        rows=written,
        seed=seed,
    )
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    outputs = {"train": args.train_dir, "validation": args.validation_dir, "test": args.test_dir}
    try:
        prepare(args.input_dir, outputs, args.validation_fraction, args.test_fraction, args.seed)
    except ValueError as error:  # DatasetError included: both are bad input, one line each
        fail(str(error))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
