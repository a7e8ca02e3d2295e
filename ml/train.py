"""Train step (SageMaker training job, script mode in the XGBoost framework container).

Reads the train and validation channels, trains XGBoost ``hist`` on the GPU when one works
(else the CPU), checkpoints every --checkpoint_frequency rounds to --checkpoint-dir, resumes
from the newest valid checkpoint, and saves the model plus model_metadata.json to SM_MODEL_DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import model_io
import numpy as np
import xgboost as xgb
from checkpoints import CheckpointWriter, ModelShape, load_newest_valid
from contract import CHECKPOINT_DIR, DEFAULT_HYPERPARAMETERS, MODEL_FILE
from dataset import DatasetError, LabelledData, encode_labels, load_labelled
from device import DEVICES, choose_device
from structured_log import fail, log_event

HISTORY_FILE = "training_history.json"


@dataclass(frozen=True)
class Problem:
    """Binary or multi-class, decided from the labels."""

    classes: np.ndarray

    @property
    def binary(self) -> bool:
        return len(self.classes) == 2

    @property
    def objective(self) -> str:
        return "binary:logistic" if self.binary else "multi:softprob"

    @property
    def eval_metrics(self) -> list[str]:
        # The last metric drives early stopping by default; it is named explicitly anyway.
        return ["error", "auc", "logloss"] if self.binary else ["merror", "mlogloss"]

    @property
    def stopping_metric(self) -> str:
        return "logloss" if self.binary else "mlogloss"

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"objective": self.objective, "eval_metric": self.eval_metrics}
        if not self.binary:
            params["num_class"] = len(self.classes)
        return params

    @property
    def num_class_param(self) -> int:
        # What xgboost stores in learner_model_param.num_class (0 for a binary model).
        return 0 if self.binary else len(self.classes)


def _env_path(variable: str, fallback: str) -> Path:
    return Path(os.environ.get(variable, fallback))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    hp = DEFAULT_HYPERPARAMETERS
    parser.add_argument("--max_depth", type=int, default=int(hp["max_depth"]))
    parser.add_argument("--eta", type=float, default=float(hp["eta"]))
    parser.add_argument("--num_round", type=int, default=int(hp["num_round"]))
    parser.add_argument("--subsample", type=float, default=float(hp["subsample"]))
    parser.add_argument("--colsample_bytree", type=float, default=float(hp["colsample_bytree"]))
    parser.add_argument("--min_child_weight", type=float, default=float(hp["min_child_weight"]))
    parser.add_argument(
        "--early_stopping_rounds", type=int, default=int(hp["early_stopping_rounds"])
    )
    parser.add_argument("--seed", type=int, default=int(hp["seed"]))
    parser.add_argument("--checkpoint_frequency", type=int, default=int(hp["checkpoint_frequency"]))
    # Read at call time, not import time, so SM_* variables set by the caller are honoured.
    parser.add_argument(
        "--train", type=Path, default=_env_path("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train")
    )
    parser.add_argument(
        "--validation",
        type=Path,
        default=_env_path("SM_CHANNEL_VALIDATION", "/opt/ml/input/data/validation"),
    )
    parser.add_argument(
        "--model-dir", type=Path, default=_env_path("SM_MODEL_DIR", "/opt/ml/model")
    )
    parser.add_argument(
        "--output-data-dir",
        type=Path,
        default=_env_path("SM_OUTPUT_DATA_DIR", "/opt/ml/output/data"),
    )
    parser.add_argument("--checkpoint-dir", type=Path, default=Path(CHECKPOINT_DIR))
    parser.add_argument("--checkpoints-to-keep", type=int, default=3)
    parser.add_argument("--device", choices=DEVICES, default="auto")
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    args, unknown = build_parser().parse_known_args(argv)
    # SageMaker SDKs may forward their own sagemaker_* settings as hyperparameters.
    foreign = [a for a in unknown if a.startswith("--") and not a.startswith("--sagemaker_")]
    if foreign:
        raise ValueError(
            f"unknown hyperparameters {foreign}; accepted: {list(DEFAULT_HYPERPARAMETERS)}"
        )
    validate_hyperparameters(args)
    return args


def validate_hyperparameters(args: argparse.Namespace) -> None:
    rules = {
        "max_depth": args.max_depth >= 0,
        "eta": args.eta > 0,
        "num_round": args.num_round >= 1,
        "subsample": 0 < args.subsample <= 1,
        "colsample_bytree": 0 < args.colsample_bytree <= 1,
        "min_child_weight": args.min_child_weight >= 0,
        "early_stopping_rounds": args.early_stopping_rounds >= 0,
        "checkpoint_frequency": args.checkpoint_frequency >= 1,
    }
    allowed = {
        "max_depth": ">= 0",
        "eta": "> 0",
        "num_round": ">= 1",
        "subsample": "in (0, 1]",
        "colsample_bytree": "in (0, 1]",
        "min_child_weight": ">= 0",
        "early_stopping_rounds": ">= 0 (0 disables)",
        "checkpoint_frequency": ">= 1",
    }
    for name, ok in rules.items():
        if not ok:
            raise ValueError(f"hyperparameter {name}={getattr(args, name)} must be {allowed[name]}")


class MetricLogger(xgb.callback.TrainingCallback):
    """Print each round's metrics in the form the training job's metric definitions parse."""

    def after_iteration(self, model: xgb.Booster, epoch: int, evals_log: dict) -> bool:
        parts = [f"round={model.num_boosted_rounds()}"]
        for data_name, metrics in evals_log.items():
            for metric, values in metrics.items():
                # mlogloss/merror are the multi-class spellings of logloss/error.
                name = metric[1:] if metric in ("mlogloss", "merror") else metric
                parts.append(f"{data_name}:{name}={float(values[-1]):.6f}")
        print("[metrics] " + " ".join(parts), flush=True)
        return False


def build_callbacks(
    args: argparse.Namespace, problem: Problem
) -> list[xgb.callback.TrainingCallback]:
    callbacks: list[xgb.callback.TrainingCallback] = [
        MetricLogger(),
        CheckpointWriter(args.checkpoint_dir, args.checkpoint_frequency, args.checkpoints_to_keep),
    ]
    if args.early_stopping_rounds:
        callbacks.append(
            xgb.callback.EarlyStopping(
                rounds=args.early_stopping_rounds,
                metric_name=problem.stopping_metric,
                data_name="validation",
                save_best=True,
            )
        )
    return callbacks


def load_channels(args: argparse.Namespace) -> tuple[LabelledData, LabelledData, Problem]:
    train = load_labelled(args.train)
    validation = load_labelled(args.validation, feature_names=train.feature_names)
    # Classes come from both channels: xgboost rejects a validation label outside num_class.
    classes = np.unique(np.concatenate((train.labels, validation.labels)))
    if len(classes) < 2:
        raise DatasetError(f"{args.train}: column 'label' has a single class")
    return train, validation, Problem(classes=classes)


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Run training end to end and return the metadata written next to the model."""
    started = time.monotonic()
    train_data, validation_data, problem = load_channels(args)
    choice = choose_device(args.device)
    log_event("device_selected", device=choice.device, reason=choice.reason, gpus=choice.gpus)

    params = {
        **problem.params(),
        "tree_method": "hist",
        "device": choice.device,
        "max_depth": args.max_depth,
        "eta": args.eta,
        "subsample": args.subsample,
        "colsample_bytree": args.colsample_bytree,
        "min_child_weight": args.min_child_weight,
        "seed": args.seed,
    }
    names = train_data.feature_names
    dtrain = xgb.QuantileDMatrix(
        train_data.features,
        label=encode_labels(train_data.labels, problem.classes, str(args.train)),
        feature_names=names,
    )
    dvalidation = xgb.QuantileDMatrix(
        validation_data.features,
        label=encode_labels(validation_data.labels, problem.classes, str(args.validation)),
        feature_names=names,
        ref=dtrain,
    )

    expected = ModelShape(problem.objective, problem.num_class_param, names)
    resumed = load_newest_valid(args.checkpoint_dir, expected)
    start_rounds = resumed.rounds if resumed else 0
    remaining = max(args.num_round - start_rounds, 0)
    log_event(
        "training_started",
        objective=problem.objective,
        classes=len(problem.classes),
        features=len(names),
        train_rows=train_data.rows,
        validation_rows=validation_data.rows,
        resumed_from_round=start_rounds,
        rounds_to_train=remaining,
    )

    history: dict[str, Any] = {}
    if remaining:
        booster = xgb.train(
            params,
            dtrain,
            num_boost_round=remaining,
            evals=[(dtrain, "train"), (dvalidation, "validation")],
            evals_result=history,
            xgb_model=resumed.booster if resumed else None,
            callbacks=build_callbacks(args, problem),
            verbose_eval=False,
        )
    else:
        booster = resumed.booster

    metadata = {
        "feature_names": names,
        "classes": [int(c) for c in problem.classes],
        "objective": problem.objective,
        "num_class": len(problem.classes),
        "device": choice.device,
        "device_reason": choice.reason,
        "xgboost_version": xgb.__version__,
        "rounds": booster.num_boosted_rounds(),
        "num_round_requested": args.num_round,
        "resumed_from_round": start_rounds,
        "rounds_trained_this_run": _rounds_run(history),
        "best_iteration": _attribute(booster, "best_iteration", int),
        "best_score": _attribute(booster, "best_score", float),
        "hyperparameters": {name: getattr(args, name) for name in DEFAULT_HYPERPARAMETERS},
        "model_file": MODEL_FILE,
    }
    model_io.save(booster, metadata, args.model_dir)
    args.output_data_dir.mkdir(parents=True, exist_ok=True)
    (args.output_data_dir / HISTORY_FILE).write_text(json.dumps(history) + "\n")
    log_event(
        "training_done",
        rounds=metadata["rounds"],
        rounds_trained_this_run=metadata["rounds_trained_this_run"],
        device=choice.device,
        seconds=round(time.monotonic() - started, 3),
    )
    return metadata


def _rounds_run(history: dict[str, Any]) -> int:
    # Counted from the evaluation log: early stopping may slice the saved model afterwards.
    for metrics in history.values():
        for values in metrics.values():
            return len(values)
    return 0


def _attribute(booster: xgb.Booster, name: str, kind: type[int] | type[float]) -> float | None:
    value = booster.attr(name)
    return kind(value) if value is not None else None


def main(argv: Sequence[str] | None = None) -> int:
    try:
        train(parse_args(argv))
    except (ValueError, RuntimeError) as error:  # DatasetError is a ValueError
        fail(str(error))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
