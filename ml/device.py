"""Choosing the XGBoost device: CUDA when this xgboost build and a real GPU can both run it.

The signals, cheapest first: the xgboost build flag (a CPU-only wheel can never use a GPU),
SageMaker's SM_NUM_GPUS (set on every training/processing instance), ``nvidia-smi -L``, and
finally a one-round training probe on the GPU, which catches a driver/runtime mismatch that
the other signals cannot see.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import warnings
from dataclasses import dataclass

import numpy as np
import xgboost as xgb

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class DeviceChoice:
    device: str
    reason: str
    gpus: int


def xgboost_has_cuda() -> bool:
    return bool(xgb.build_info().get("USE_CUDA", False))


def visible_gpu_count() -> int:
    """GPUs SageMaker says the instance has, else the ones ``nvidia-smi -L`` lists, else 0."""
    declared = os.environ.get("SM_NUM_GPUS")
    if declared is not None and declared.strip().isdigit():
        return int(declared)
    executable = shutil.which("nvidia-smi")
    if executable is None:
        return 0
    try:
        listing = subprocess.run(
            [executable, "-L"], capture_output=True, text=True, timeout=20, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in listing.splitlines() if line.startswith("GPU "))


def cuda_probe_error() -> str | None:
    """Train one tiny round on the GPU; return why it failed, or None when CUDA works."""
    rng = np.random.default_rng(0)
    data = xgb.DMatrix(rng.random((16, 2), dtype=np.float32), label=np.arange(16) % 2)
    try:
        # A fallback to the CPU is reported as a warning; the result below says it plainly.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            booster = xgb.train(
                {"device": "cuda", "tree_method": "hist", "objective": "binary:logistic"},
                data,
                num_boost_round=1,
            )
        used = json.loads(booster.save_config())["learner"]["generic_param"]["device"]
    except xgb.core.XGBoostError as error:
        return str(error).strip().splitlines()[0]
    # XGBoost may silently fall back to the CPU; trust only what the booster reports.
    return None if used.startswith("cuda") else f"xgboost fell back to device {used!r}"


def choose_device(requested: str = "auto") -> DeviceChoice:
    """Resolve ``auto|cpu|cuda``; an explicit ``cuda`` that cannot work raises RuntimeError."""
    if requested not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {requested!r}")
    if requested == "cpu":
        return DeviceChoice("cpu", "requested", visible_gpu_count())
    gpus = visible_gpu_count()
    if not xgboost_has_cuda():
        problem = f"xgboost {xgb.__version__} is built without CUDA"
    elif gpus == 0:
        problem = "no GPU visible (SM_NUM_GPUS / nvidia-smi)"
    else:
        probe = cuda_probe_error()
        if probe is None:
            return DeviceChoice("cuda", f"{gpus} GPU(s) visible and CUDA probe passed", gpus)
        problem = f"CUDA probe failed: {probe}"
    if requested == "cuda":
        raise RuntimeError(f"device cuda requested but unusable: {problem}")
    return DeviceChoice("cpu", problem, gpus)
