"""The pipeline on small data: prepare -> train -> evaluate -> serve, via the scripts' mains."""

from __future__ import annotations

import io
import json
import tarfile

import contract
import evaluate
import inference
import model_io
import numpy as np
import pandas as pd
import prepare
import pytest
import train
from ml_testdata import prepare_args, synthetic_frame, write_export


def package_model(model_dir, archive_dir):
    """What SageMaker does with SM_MODEL_DIR at the end of a training job."""
    archive_dir.mkdir()
    with tarfile.open(archive_dir / "model.tar.gz", "w:gz") as bundle:
        for path in model_dir.iterdir():
            bundle.add(path, arcname=path.name)


@pytest.mark.parametrize(
    ("classes", "section"),
    [(2, "binary_classification_metrics"), (5, "multiclass_classification_metrics")],
)
def test_prepare_train_evaluate_predict(sm_env, classes, section):
    ws = sm_env
    write_export(ws.export, synthetic_frame(rows=600, classes=classes, seed=11))
    assert prepare.main(prepare_args(ws)) == 0
    assert (
        train.main([f"--checkpoint-dir={ws.checkpoints}", "--num_round=20", "--max_depth=3"]) == 0
    )
    package_model(ws.model, ws.root / "artifacts")

    assert (
        evaluate.main(
            [
                f"--model-dir={ws.root / 'artifacts'}",
                f"--test-dir={ws.test}",
                f"--output-dir={ws.evaluation}",
            ]
        )
        == 0
    )

    report = json.loads((ws.evaluation / contract.EVALUATION_REPORT_FILE).read_text())
    # The Condition step's JSON path resolves to a number for either problem type.
    value = report
    for key in contract.CONDITION_JSON_PATH.split("."):
        value = value[key]
    assert value == report[section]["accuracy"]["value"]
    assert value > 1.5 / classes  # clearly better than guessing on learnable data
    assert set(report["metrics"]) == (
        {"accuracy", "f1_macro", "log_loss", "auc"}
        if classes == 2
        else {"accuracy", "f1_macro", "log_loss"}
    )
    assert all(entry["standard_deviation"] == "NaN" for entry in report[section].values())
    assert report["evaluation"]["rows"] == len(pd.read_parquet(ws.test / prepare.SPLIT_FILE))

    model = inference.model_fn(str(ws.model))
    test = pd.read_parquet(ws.test / prepare.SPLIT_FILE)
    body = test.drop(columns="label").head(5).to_csv(header=False, index=False)
    decoded = inference.input_fn(body, "text/csv")
    response, content_type = inference.output_fn(
        inference.predict_fn(decoded, model), "application/json"
    )
    assert content_type == "application/json"
    predictions = json.loads(response)["predictions"]
    assert len(predictions) == 5
    for prediction in predictions:
        assert prediction["label"] in range(classes)
        assert len(prediction["probabilities"]) == classes
        assert sum(prediction["probabilities"]) == pytest.approx(1.0, abs=1e-5)
        assert prediction["label"] == int(np.argmax(prediction["probabilities"]))


def test_unseen_test_labels_count_as_errors_and_are_reported(sm_env):
    ws = sm_env
    write_export(ws.export, synthetic_frame(rows=300, classes=2))
    prepare.main(prepare_args(ws))
    train.main([f"--checkpoint-dir={ws.checkpoints}", "--num_round=5"])
    test_file = ws.test / prepare.SPLIT_FILE
    frame = pd.read_parquet(test_file)
    frame.loc[:9, "label"] = 9  # a class the model never saw
    frame.to_parquet(test_file)

    report = evaluate.evaluate(ws.model, ws.test, ws.evaluation)

    assert report["evaluation"]["rows_with_unseen_label"] == 10
    assert report["metrics"]["accuracy"] <= 1 - 10 / len(frame)
    assert report["metrics"]["log_loss"] is not None


def test_evaluate_names_a_missing_model(sm_env, capsys):
    with pytest.raises(SystemExit):
        evaluate.main([f"--model-dir={sm_env.model}", f"--test-dir={sm_env.test}"])
    assert "model file missing" in capsys.readouterr().err


def test_a_model_archive_gives_up_only_the_model_files(sm_env, tmp_path):
    """Members are read by base name; nothing in the archive is written outside the model."""
    ws = sm_env
    write_export(ws.export, synthetic_frame(rows=200, classes=2, seed=3))
    assert prepare.main(prepare_args(ws)) == 0
    assert train.main([f"--checkpoint-dir={ws.checkpoints}", "--num_round=2"]) == 0
    archive_dir = tmp_path / "artifacts"
    archive_dir.mkdir()
    outside = tmp_path / "escaped.txt"
    with tarfile.open(archive_dir / "model.tar.gz", "w:gz") as bundle:
        for path in ws.model.iterdir():
            bundle.add(path, arcname=f"./{path.name}")  # as `tar -C dir .` writes them
        evil = tarfile.TarInfo("../escaped.txt")
        evil.size = 4
        bundle.addfile(evil, io.BytesIO(b"evil"))

    loaded = model_io.load(archive_dir)

    assert loaded.is_binary
    assert not outside.exists()
