"""Training benchmark: XGBoost ``hist`` against LightGBM on the seed's workload shape.

The seed (Machine Learning at AWS notes) trained LightGBM on 13,788,428 rows x 30 features,
401 classes, 4 boosting rounds, with a 2,433,253-row validation set: 574 s on an m5.8xlarge
(32 vCPU) and 763 s on an r5.4xlarge (16 vCPU). This script rebuilds that shape from seeded
synthetic data and times both engines in the same run, from in-memory arrays to a trained
model (dataset construction included, since LightGBM builds its bins lazily inside train()).

    python bench/train.py                 # 138,000 rows: well under a minute on 2 cores
    python bench/train.py --full          # the seed's 13,788,428 rows
    python bench/train.py --full --device cuda

The ratio printed is LightGBM seconds / XGBoost seconds (above 1: XGBoost is faster). With
--full on a GPU it also prints the seed's 574 s divided by the XGBoost time.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import xgboost as xgb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ml"))
from device import choose_device, visible_gpu_count  # ml/ uses sibling imports

SEED_ROWS = 13_788_428
SEED_VALIDATION_ROWS = 2_433_253
SEED_SECONDS_M5_8XLARGE = 574.0
SEED_SECONDS_R5_4XLARGE = 763.0
DEFAULT_ROWS = 138_000
# LightGBM defaults the seed ran with: 31 leaves grown leaf-wise, 255 bins, learning rate 0.1.
NUM_LEAVES = 31
MAX_BIN = 255
LEARNING_RATE = 0.1


@dataclass(frozen=True)
class Workload:
    train_x: np.ndarray
    train_y: np.ndarray
    valid_x: np.ndarray
    valid_y: np.ndarray
    classes: int


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="training rows")
    parser.add_argument("--full", action="store_true", help=f"use the seed's {SEED_ROWS:,} rows")
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--classes", type=int, default=401)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.full:
        args.rows = SEED_ROWS
    for name in ("rows", "features", "classes", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    if args.classes < 3:
        parser.error("--classes must be >= 3 (the benchmark is multi-class)")
    return args


def make_workload(rows: int, features: int, classes: int, seed: int) -> Workload:
    """Seeded, learnable data: labels are quantile bins of a noisy linear score."""
    rng = np.random.default_rng(seed)
    valid_rows = max(1, round(rows * SEED_VALIDATION_ROWS / SEED_ROWS))
    weights = rng.standard_normal(features).astype(np.float32)

    def draw(n: int) -> tuple[np.ndarray, np.ndarray]:
        x = rng.standard_normal((n, features), dtype=np.float32)
        score = x @ weights + rng.standard_normal(n, dtype=np.float32)
        return x, score

    train_x, train_score = draw(rows)
    valid_x, valid_score = draw(valid_rows)
    edges = np.quantile(train_score, np.linspace(0.0, 1.0, classes + 1)[1:-1])
    return Workload(
        train_x=train_x,
        train_y=np.searchsorted(edges, train_score).astype(np.int32),
        valid_x=valid_x,
        valid_y=np.searchsorted(edges, valid_score).astype(np.int32),
        classes=classes,
    )


def time_lightgbm(work: Workload, rounds: int, seed: int, threads: int) -> tuple[float, float]:
    params = {
        "objective": "multiclass",
        "num_class": work.classes,
        "num_leaves": NUM_LEAVES,
        "max_bin": MAX_BIN,
        "learning_rate": LEARNING_RATE,
        "num_threads": threads,
        "seed": seed,
        "verbose": -1,
    }
    started = time.perf_counter()
    train_set = lgb.Dataset(work.train_x, label=work.train_y, params={"max_bin": MAX_BIN})
    valid_set = lgb.Dataset(work.valid_x, label=work.valid_y, reference=train_set)
    history: dict = {}
    lgb.train(
        params,
        train_set,
        num_boost_round=rounds,
        valid_sets=[valid_set],
        valid_names=["validation"],
        callbacks=[lgb.record_evaluation(history)],
    )
    return time.perf_counter() - started, history["validation"]["multi_logloss"][-1]


def time_xgboost(
    work: Workload, rounds: int, seed: int, threads: int, device: str
) -> tuple[float, float, float]:
    params = {
        "objective": "multi:softprob",
        "num_class": work.classes,
        "tree_method": "hist",
        "device": device,
        # Leaf-wise growth capped at LightGBM's leaf count, so both grow comparable trees.
        "grow_policy": "lossguide",
        "max_leaves": NUM_LEAVES,
        "max_depth": 0,
        "max_bin": MAX_BIN + 1,
        "eta": LEARNING_RATE,
        "nthread": threads,
        "seed": seed,
        "eval_metric": "mlogloss",
    }
    started = time.perf_counter()
    train_matrix = xgb.QuantileDMatrix(
        work.train_x, label=work.train_y, max_bin=MAX_BIN + 1, nthread=threads
    )
    valid_matrix = xgb.QuantileDMatrix(
        work.valid_x, label=work.valid_y, ref=train_matrix, nthread=threads
    )
    built = time.perf_counter()
    history: dict = {}
    xgb.train(
        params,
        train_matrix,
        num_boost_round=rounds,
        evals=[(valid_matrix, "validation")],
        evals_result=history,
        verbose_eval=False,
    )
    finished = time.perf_counter()
    return finished - started, built - started, history["validation"]["mlogloss"][-1]


def machine_summary(device: str, reason: str) -> str:
    gpus = visible_gpu_count()
    # Other processes on a small shared machine skew both timings; the load shows how much.
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"machine: {os.cpu_count()} cores (load average {load}), {platform.machine()}, "
        f"GPU: {f'{gpus} visible' if gpus else 'none'}, xgboost device: {device} ({reason}), "
        f"xgboost {xgb.__version__}, lightgbm {lgb.__version__}, python {platform.python_version()}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    choice = choose_device(args.device)
    threads = os.cpu_count() or 1
    print(machine_summary(choice.device, choice.reason))

    started = time.perf_counter()
    work = make_workload(args.rows, args.features, args.classes, args.seed)
    print(
        f"workload: {len(work.train_y):,} train rows + {len(work.valid_y):,} validation rows x "
        f"{args.features} features, {args.classes} classes, {args.rounds} rounds, seed {args.seed} "
        f"(generated in {time.perf_counter() - started:.1f} s)"
    )

    lgb_seconds, lgb_loss = time_lightgbm(work, args.rounds, args.seed, threads)
    print(f"lightgbm (baseline, cpu): {lgb_seconds:8.2f} s   validation logloss {lgb_loss:.4f}")
    xgb_seconds, xgb_build, xgb_loss = time_xgboost(
        work, args.rounds, args.seed, threads, choice.device
    )
    print(
        f"xgboost hist ({choice.device}):    {xgb_seconds:8.2f} s   validation logloss "
        f"{xgb_loss:.4f}   (of which {xgb_build:.2f} s building the quantile matrices)"
    )
    print(f"ratio lightgbm/xgboost: {lgb_seconds / xgb_seconds:.2f}x")
    if args.full and choice.device == "cuda":
        print(
            f"ratio seed m5.8xlarge LightGBM ({SEED_SECONDS_M5_8XLARGE:.0f} s)/xgboost: "
            f"{SEED_SECONDS_M5_8XLARGE / xgb_seconds:.2f}x; r5.4xlarge "
            f"({SEED_SECONDS_R5_4XLARGE:.0f} s): {SEED_SECONDS_R5_4XLARGE / xgb_seconds:.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
