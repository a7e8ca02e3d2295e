"""inference.py: content types, payload shapes and the 4xx errors for bad requests."""

from __future__ import annotations

import json

import contract
import inference
import model_io
import numpy as np
import pytest
import xgboost as xgb

FEATURES = ["f_a", "f_b", "f_c"]


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> model_io.TrainedModel:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(120, 3)).astype(np.float32)
    labels = (values[:, 0] > 0).astype(int) + (values[:, 1] > 0.5).astype(int)
    booster = xgb.train(
        {"objective": "multi:softprob", "num_class": 3},
        xgb.DMatrix(values, label=labels, feature_names=FEATURES),
        num_boost_round=3,
    )
    model_dir = tmp_path_factory.mktemp("model")
    metadata = {"feature_names": FEATURES, "classes": [10, 20, 30], "objective": "multi:softprob"}
    model_io.save(booster, metadata, model_dir)
    return inference.model_fn(str(model_dir))


def predict(model, body, content_type, accept="application/json"):
    return inference.output_fn(
        inference.predict_fn(inference.input_fn(body, content_type, model), model), accept
    )


def test_csv_and_json_requests_give_the_same_predictions(model):
    rows = [[0.5, 1.0, -1.0], [-2.0, 0.0, 0.1]]
    csv_body = "0.5,1.0,-1.0\n-2.0,0.0,0.1\n"
    json_bodies = [
        json.dumps({"instances": rows}),
        json.dumps(rows),
        json.dumps({"instances": [dict(zip(FEATURES, row, strict=True)) for row in rows]}),
    ]
    expected, content_type = predict(model, csv_body.encode(), "text/csv; charset=utf-8")
    assert content_type == "application/json"
    for body in json_bodies:
        assert predict(model, body, "application/json")[0] == expected
    payload = json.loads(expected)
    assert payload["classes"] == [10, 20, 30]
    assert [p["label"] for p in payload["predictions"]] == [30, 10]


def test_csv_response_has_label_then_probabilities(model):
    body, content_type = predict(model, "0.5,1.0,-1.0\n", "text/csv", accept="text/csv")
    assert content_type == "text/csv"
    label, *probabilities = body.strip().split(",")
    assert label == "30"
    assert len(probabilities) == 3
    assert sum(map(float, probabilities)) == pytest.approx(1.0, abs=1e-5)


def test_missing_values_are_allowed(model):
    body, _ = predict(model, "0.5,,-1.0\n", "text/csv")
    assert len(json.loads(body)["predictions"]) == 1
    body, _ = predict(model, json.dumps([[0.5, None, -1.0]]), "application/json")
    assert len(json.loads(body)["predictions"]) == 1


def test_single_flat_json_row(model):
    assert (
        len(json.loads(predict(model, "[0.5, 1.0, -1.0]", "application/json")[0])["predictions"])
        == 1
    )


def test_default_accept_is_json(model):
    assert predict(model, "1,2,3", "text/csv", accept="*/*")[1] == "application/json"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        ("1,2,3", "application/x-npy", 415, "unsupported content type 'application/x-npy'"),
        ("1,2\n", "text/csv", 400, "row 1 has 2 values, the model expects 3 features"),
        ("1,2,3\n4,5,6,7\n", "text/csv", 400, "row 2 has 4 values, the model expects 3 features"),
        ("1,x,3\n", "text/csv", 400, "line 1, field 2: 'x' is not a number"),
        ("", "text/csv", 400, "request holds no rows"),
        ("{not json", "application/json", 400, "body is not valid JSON"),
        ('{"rows": []}', "application/json", 400, 'expected {"instances": [...]}'),
        ('[[1, "a", 3]]', "application/json", 400, "instance 1, value 2: 'a' is not a number"),
        ("[[1, true, 3]]", "application/json", 400, "instance 1, value 2: expected a number"),
        (
            '{"instances": [{"f_a": 1, "f_b": 2, "zzz": 3}]}',
            "application/json",
            400,
            "instance 1: missing features ['f_c'], unknown features ['zzz']",
        ),
        (b"\xff\xfe", "text/csv", 400, "not UTF-8"),
    ],
)
def test_bad_requests_are_client_errors(model, body, content_type, status, message):
    with pytest.raises(inference.InferenceRequestError) as error_info:
        inference.input_fn(body, content_type, model)
    assert isinstance(error_info.value, ValueError)
    assert error_info.value.status_code == status
    assert message in str(error_info.value)


def test_input_fn_uses_the_model_loaded_by_model_fn(model):
    # The container calls input_fn(body, content_type) without the model.
    with pytest.raises(inference.InferenceRequestError, match="expects 3 features"):
        inference.input_fn("1,2,3,4", "text/csv")


def test_unsupported_accept_is_406(model):
    prediction = inference.predict_fn(inference.input_fn("1,2,3", "text/csv", model), model)
    with pytest.raises(inference.InferenceRequestError) as error_info:
        inference.output_fn(prediction, "application/x-protobuf")
    assert error_info.value.status_code == 406


def test_model_dir_contract_names():
    assert contract.MODEL_FILE.endswith(".ubj")
    assert contract.INFERENCE_SCRIPT == "inference.py"
