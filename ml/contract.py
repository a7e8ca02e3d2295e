"""The interface between these scripts and the SageMaker pipeline, as plain data.

The CDK stack imports this module (``from ml import contract``) to wire the pipeline steps, so
it must stay free of heavy imports. The scripts import it too, so both sides share one truth.
"""

from __future__ import annotations

LABEL_COLUMN = "label"

# Entry points, relative to this folder (SageMaker's source_dir).
PREPARE_SCRIPT = "prepare.py"
TRAIN_SCRIPT = "train.py"
EVALUATE_SCRIPT = "evaluate.py"
INFERENCE_SCRIPT = "inference.py"

# Training channels (SM_CHANNEL_<NAME>) and the container paths the jobs use.
TRAIN_CHANNEL = "train"
VALIDATION_CHANNEL = "validation"
CHECKPOINT_DIR = "/opt/ml/checkpoints"

PROCESSING_ROOT = "/opt/ml/processing"
PREPARE_INPUT_DIR = f"{PROCESSING_ROOT}/input"
SPLIT_NAMES = ("train", "validation", "test")
EVALUATE_MODEL_DIR = f"{PROCESSING_ROOT}/model"
EVALUATE_TEST_DIR = f"{PROCESSING_ROOT}/test"
EVALUATE_OUTPUT_DIR = f"{PROCESSING_ROOT}/evaluation"

MODEL_FILE = "xgboost-model.ubj"
METADATA_FILE = "model_metadata.json"

# The Evaluate step's PropertyFile: file name inside EVALUATE_OUTPUT_DIR and the JSON path the
# Condition step reads. The flat ``metrics`` block has the same keys for binary and
# multi-class models, so the condition does not depend on the problem type.
EVALUATION_REPORT_FILE = "evaluation.json"
CONDITION_METRIC = "accuracy"
CONDITION_JSON_PATH = f"metrics.{CONDITION_METRIC}"

# Metric definitions for the training job; train.py prints one line per round such as
#   [metrics] round=7 train:logloss=0.4123 validation:logloss=0.4410 validation:error=0.1875
_NUMBER = r"([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"
METRIC_DEFINITIONS: list[dict[str, str]] = [
    {"Name": name, "Regex": rf"{name}={_NUMBER}"}
    for name in (
        "train:logloss",
        "validation:logloss",
        "validation:error",
        "validation:auc",
    )
]

# Hyperparameters train.py accepts (CLI ``--name value``), with their defaults.
DEFAULT_HYPERPARAMETERS: dict[str, str] = {
    "max_depth": "6",
    "eta": "0.3",
    "num_round": "100",
    "subsample": "1.0",
    "colsample_bytree": "1.0",
    "min_child_weight": "1.0",
    "early_stopping_rounds": "0",
    "seed": "0",
    "checkpoint_frequency": "10",
}
