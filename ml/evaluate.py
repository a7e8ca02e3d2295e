"""Evaluate step (SageMaker Processing): score the model on the test split.

Writes evaluation.json with two views of the same numbers:
- ``metrics``: flat, identical keys for binary and multi-class; the pipeline's Condition step
  reads ``metrics.accuracy`` (contract.CONDITION_JSON_PATH) from it as a PropertyFile.
- ``binary_classification_metrics`` or ``multiclass_classification_metrics``: the SageMaker
  model-quality shape ({"value": v, "standard_deviation": "NaN"}) to attach as ModelMetrics.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import model_io
import numpy as np
from contract import (
    CONDITION_JSON_PATH,
    EVALUATE_MODEL_DIR,
    EVALUATE_OUTPUT_DIR,
    EVALUATE_TEST_DIR,
    EVALUATION_REPORT_FILE,
)
from dataset import read_directory, to_labelled, validate_frame
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score
from structured_log import fail, log_event


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=Path(EVALUATE_MODEL_DIR))
    parser.add_argument("--test-dir", type=Path, default=Path(EVALUATE_TEST_DIR))
    parser.add_argument("--output-dir", type=Path, default=Path(EVALUATE_OUTPUT_DIR))
    return parser.parse_args(argv)


def compute_metrics(
    labels: np.ndarray, probabilities: np.ndarray, classes: np.ndarray
) -> tuple[dict[str, float | None], int]:
    """Metrics over the test rows, and how many rows carry a label the model never saw.

    Accuracy and macro F1 count unseen-label rows as errors (the model cannot predict them);
    log loss and AUC are defined only over the classes the model knows, so they skip them.
    """
    predicted = classes[np.argmax(probabilities, axis=1)]
    known = np.isin(labels, classes)
    metrics: dict[str, float | None] = {
        "accuracy": float(accuracy_score(labels, predicted)),
        "f1_macro": float(f1_score(labels, predicted, average="macro", zero_division=0)),
        "log_loss": None,
    }
    if known.any():
        metrics["log_loss"] = float(log_loss(labels[known], probabilities[known], labels=classes))
    if len(classes) == 2:
        positives = labels[known] == classes[1]
        # AUC is undefined when the test split holds a single class.
        single_class = positives.all() or not positives.any()
        metrics["auc"] = (
            None if single_class else float(roc_auc_score(positives, probabilities[known, 1]))
        )
    return metrics, int((~known).sum())


def build_report(
    metrics: dict[str, float | None], binary: bool, details: dict[str, Any]
) -> dict[str, Any]:
    section = "binary_classification_metrics" if binary else "multiclass_classification_metrics"
    return {
        "metrics": metrics,
        section: {
            name: {"value": value, "standard_deviation": "NaN"} for name, value in metrics.items()
        },
        "evaluation": details,
    }


def evaluate(model_dir: Path, test_dir: Path, output_dir: Path) -> dict[str, Any]:
    model = model_io.load(model_dir)
    frame = read_directory(test_dir)
    validate_frame(frame, str(test_dir))
    test = to_labelled(frame, model.feature_names, str(test_dir))
    probabilities = model_io.predict_proba(model, test.features)
    metrics, unseen = compute_metrics(test.labels, probabilities, model.classes)
    details = {
        "problem_type": "binary" if model.is_binary else "multiclass",
        "rows": test.rows,
        "rows_with_unseen_label": unseen,
        "classes": len(model.classes),
        "condition_json_path": CONDITION_JSON_PATH,
    }
    report = build_report(metrics, model.is_binary, details)
    output_dir.mkdir(parents=True, exist_ok=True)
    # allow_nan=False: a NaN would make the file unreadable as a PropertyFile.
    if any(isinstance(v, float) and math.isnan(v) for v in metrics.values()):
        raise ValueError(f"metric computation produced NaN: {metrics}")
    (output_dir / EVALUATION_REPORT_FILE).write_text(json.dumps(report, indent=2, allow_nan=False))
    log_event("evaluation_done", **metrics, **details)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        evaluate(args.model_dir, args.test_dir, args.output_dir)
    except (ValueError, FileNotFoundError) as error:  # DatasetError is a ValueError
        fail(str(error))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
