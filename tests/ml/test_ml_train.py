"""train.py: objectives, outputs, metric lines, checkpoints and resume, device choice."""

from __future__ import annotations

import json
import re

import checkpoints
import contract
import device
import model_io
import numpy as np
import pandas as pd
import prepare
import pytest
import train
import xgboost as xgb
from ml_testdata import Workspace, prepare_args, synthetic_frame, write_export


class SpotInterruptionError(Exception):
    """Stands in for the SIGTERM a spot reclaim delivers mid-training."""


class InterruptAfter(xgb.callback.TrainingCallback):
    def __init__(self, rounds: int) -> None:
        super().__init__()
        self.rounds = rounds

    def after_iteration(self, model, epoch, evals_log) -> bool:
        if model.num_boosted_rounds() == self.rounds:
            raise SpotInterruptionError
        return False


def prepared(ws: Workspace, classes: int, rows: int = 300) -> Workspace:
    write_export(ws.export, synthetic_frame(rows=rows, classes=classes))
    prepare.main(prepare_args(ws))
    return ws


def train_args(ws: Workspace, *extra: str) -> list[str]:
    return [f"--checkpoint-dir={ws.checkpoints}", "--max_depth=3", *extra]


@pytest.mark.parametrize(("classes", "objective"), [(2, "binary:logistic"), (4, "multi:softprob")])
def test_objective_follows_the_labels_and_outputs_are_written(sm_env, capsys, classes, objective):
    prepared(sm_env, classes)

    assert train.main(train_args(sm_env, "--num_round=5", "--checkpoint_frequency=2")) == 0

    metadata = json.loads((sm_env.model / contract.METADATA_FILE).read_text())
    assert metadata["objective"] == objective
    assert metadata["classes"] == list(range(classes))
    assert metadata["feature_names"] == [f"feature_{i}" for i in range(4)]
    assert metadata["device"] == "cpu"
    assert metadata["xgboost_version"] == xgb.__version__
    assert metadata["rounds"] == metadata["rounds_trained_this_run"] == 5
    booster = xgb.Booster(model_file=str(sm_env.model / contract.MODEL_FILE))
    assert booster.num_boosted_rounds() == 5
    history = json.loads((sm_env.output / train.HISTORY_FILE).read_text())
    assert set(history) == {"train", "validation"}

    out = capsys.readouterr().out
    device_lines = [json.loads(line) for line in out.splitlines() if '"device_selected"' in line]
    assert device_lines == [
        {
            "event": "device_selected",
            "device": "cpu",
            "reason": device_lines[0]["reason"],
            "gpus": 0,
        }
    ]
    metric_lines = [line for line in out.splitlines() if line.startswith("[metrics]")]
    assert len(metric_lines) == 5
    parsed = {
        definition["Name"]: re.search(definition["Regex"], metric_lines[-1])
        for definition in contract.METRIC_DEFINITIONS
    }
    assert float(parsed["validation:logloss"].group(1)) == pytest.approx(
        history["validation"]["logloss" if classes == 2 else "mlogloss"][-1], rel=1e-5
    )
    assert (parsed["validation:auc"] is not None) == (classes == 2)


def test_resume_trains_only_the_remaining_rounds(tmp_path, monkeypatch):
    monkeypatch.setenv("SM_NUM_GPUS", "0")
    reference = prepared(Workspace(tmp_path / "reference"), classes=2)
    train.train(train.parse_args([*io_args(reference), *train_args(reference, "--num_round=8")]))

    ws = prepared(Workspace(tmp_path / "spot"), classes=2)
    args = train.parse_args(
        [*io_args(ws), *train_args(ws, "--num_round=8", "--checkpoint_frequency=2")]
    )
    original = train.build_callbacks
    monkeypatch.setattr(
        train, "build_callbacks", lambda a, p: [*original(a, p), InterruptAfter(rounds=5)]
    )
    with pytest.raises(SpotInterruptionError):
        train.train(args)
    assert [r for r, _ in checkpoints.list_checkpoints(ws.checkpoints)] == [4, 2]
    assert not (ws.model / contract.MODEL_FILE).exists()

    monkeypatch.setattr(train, "build_callbacks", original)
    metadata = train.train(args)

    assert metadata["resumed_from_round"] == 4
    assert metadata["rounds_trained_this_run"] == 4
    assert metadata["rounds"] == 8
    resumed = model_io.load(ws.model)
    assert len(resumed.booster.get_dump()) == 8  # one tree per round for a binary model
    # Deterministic hist training: the interrupted-and-resumed model equals the uninterrupted one.
    features = np.random.default_rng(3).normal(size=(50, 4)).astype(np.float32)
    np.testing.assert_allclose(
        model_io.predict_proba(resumed, features),
        model_io.predict_proba(model_io.load(reference.model), features),
        rtol=1e-6,
    )


def io_args(ws: Workspace) -> list[str]:
    return [
        f"--train={ws.train}",
        f"--validation={ws.validation}",
        f"--model-dir={ws.model}",
        f"--output-data-dir={ws.output}",
    ]


def test_truncated_checkpoint_is_skipped_for_the_previous_one(sm_env, capsys):
    prepared(sm_env, classes=3)
    train.main(train_args(sm_env, "--num_round=4", "--checkpoint_frequency=2"))
    newest = checkpoints.checkpoint_path(sm_env.checkpoints, 4)
    payload = newest.read_bytes()
    newest.write_bytes(payload[: len(payload) // 2])  # cut short by the interruption
    checkpoints.checkpoint_path(sm_env.checkpoints, 6).write_bytes(b"")
    capsys.readouterr()

    assert train.main(train_args(sm_env, "--num_round=6", "--checkpoint_frequency=2")) == 0

    events = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    skipped = [e["path"] for e in events if e["event"] == "checkpoint_skipped"]
    assert skipped == [
        str(checkpoints.checkpoint_path(sm_env.checkpoints, 6)),
        str(newest),
    ]
    metadata = json.loads((sm_env.model / contract.METADATA_FILE).read_text())
    assert (metadata["resumed_from_round"], metadata["rounds_trained_this_run"]) == (2, 4)
    assert metadata["rounds"] == 6


def test_checkpoint_from_another_dataset_is_not_resumed(sm_env, capsys):
    prepared(sm_env, classes=3)
    other = xgb.train(
        {"objective": "binary:logistic"},
        xgb.DMatrix(np.zeros((4, 2)), label=[0, 1, 0, 1], feature_names=["a", "b"]),
        num_boost_round=2,
    )
    sm_env.checkpoints.mkdir()
    other.save_model(str(checkpoints.checkpoint_path(sm_env.checkpoints, 2)))

    train.main(train_args(sm_env, "--num_round=3", "--checkpoint_frequency=5"))

    assert "trained for a different dataset" in capsys.readouterr().out
    assert (
        json.loads((sm_env.model / contract.METADATA_FILE).read_text())["resumed_from_round"] == 0
    )


def test_checkpoints_are_pruned_to_the_newest_few(sm_env):
    prepared(sm_env, classes=2)
    train.main(
        train_args(sm_env, "--num_round=6", "--checkpoint_frequency=1", "--checkpoints-to-keep=2")
    )
    assert [r for r, _ in checkpoints.list_checkpoints(sm_env.checkpoints)] == [6, 5]
    assert not list(sm_env.checkpoints.glob(".*.tmp"))


def test_early_stopping_keeps_the_best_model(sm_env):
    prepared(sm_env, classes=2)
    train.main(
        train_args(
            sm_env, "--num_round=200", "--eta=1.0", "--max_depth=6", "--early_stopping_rounds=3"
        )
    )
    metadata = json.loads((sm_env.model / contract.METADATA_FILE).read_text())
    assert metadata["rounds_trained_this_run"] < 200
    assert metadata["rounds"] == metadata["best_iteration"] + 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--eta=0"], "hyperparameter eta=0.0 must be > 0"),
        (["--subsample=1.5"], "hyperparameter subsample=1.5 must be in (0, 1]"),
        (["--num_round=0"], "hyperparameter num_round=0 must be >= 1"),
        (["--gamma=1"], "unknown hyperparameters ['--gamma=1']"),
    ],
)
def test_bad_hyperparameters_exit_with_one_line(sm_env, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        train.main(argv)
    assert exit_info.value.code == 2
    err_lines = capsys.readouterr().err.strip().splitlines()
    assert len(err_lines) == 1
    assert err_lines[0].startswith(f"error: {message}")


def test_sagemaker_framework_parameters_are_tolerated(sm_env):
    prepared(sm_env, classes=2)
    assert train.main(train_args(sm_env, "--num_round=1", "--sagemaker_program", "train.py")) == 0


def _replace_train_split(ws: Workspace, frame: pd.DataFrame | None, raw: bytes | None) -> None:
    split = ws.train / prepare.SPLIT_FILE
    split.unlink()
    if frame is not None:
        frame.to_parquet(split)
    if raw is not None:
        split.write_bytes(raw)


@pytest.mark.parametrize(
    ("frame", "raw", "message"),
    [
        (synthetic_frame(50, 2).assign(city="x"), None, "feature column 'city' is not numeric"),
        (synthetic_frame(50, 2).drop(columns="label"), None, "missing required column 'label'"),
        (None, None, "no data files"),
        (None, b"PAR1 truncated", "part-00000.parquet: unreadable data file"),
    ],
    ids=["non-numeric", "missing-label", "empty-dir", "unreadable"],
)
def test_malformed_train_channel_exits_with_one_line(sm_env, capsys, frame, raw, message):
    prepared(sm_env, classes=2)
    _replace_train_split(sm_env, frame, raw)
    with pytest.raises(SystemExit) as exit_info:
        train.main(train_args(sm_env, "--num_round=1"))
    assert exit_info.value.code == 2
    err_lines = capsys.readouterr().err.strip().splitlines()
    assert len(err_lines) == 1
    assert err_lines[0].startswith(f"error: {sm_env.train}")
    assert message in err_lines[0]
    assert not (sm_env.model / contract.MODEL_FILE).exists()


def test_validation_channel_must_have_the_training_features(sm_env, capsys):
    prepared(sm_env, classes=2)
    split = sm_env.validation / prepare.SPLIT_FILE
    pd.read_parquet(split).drop(columns="feature_2").to_parquet(split)
    with pytest.raises(SystemExit):
        train.main(train_args(sm_env, "--num_round=1"))
    assert "missing feature columns ['feature_2']" in capsys.readouterr().err


def test_device_choice(monkeypatch):
    monkeypatch.setenv("SM_NUM_GPUS", "1")
    monkeypatch.setattr(device, "xgboost_has_cuda", lambda: False)
    assert device.choose_device("auto").device == "cpu"
    with pytest.raises(
        RuntimeError, match=r"device cuda requested but unusable: xgboost .* without CUDA"
    ):
        device.choose_device("cuda")

    monkeypatch.setattr(device, "xgboost_has_cuda", lambda: True)
    monkeypatch.setattr(device, "cuda_probe_error", lambda: None)
    chosen = device.choose_device("auto")
    assert (chosen.device, chosen.gpus) == ("cuda", 1)

    monkeypatch.setattr(device, "cuda_probe_error", lambda: "no CUDA-capable device")
    assert "CUDA probe failed: no CUDA-capable device" in device.choose_device("auto").reason

    monkeypatch.setenv("SM_NUM_GPUS", "0")
    assert device.choose_device("auto").reason.startswith("no GPU visible")
    assert device.choose_device("cpu").device == "cpu"


def test_cuda_probe_reports_why_it_cannot_run_here():
    if device.xgboost_has_cuda():
        pytest.skip("this xgboost build has CUDA; the probe result depends on the machine")
    assert "fell back to device 'cpu'" in device.cuda_probe_error()
