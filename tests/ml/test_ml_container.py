"""ml/container.py and ml/contract.py: plain data the CDK stack imports as ``ml.<module>``."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import container
import contract
import pytest
import xgboost as xgb

COMMERCIAL_REGIONS = [
    "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ap-southeast-4", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1",
    "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1",
    "me-central-1", "me-south-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
]  # fmt: skip


def test_image_uri_for_known_regions():
    assert (
        container.xgboost_image_uri("us-east-1")
        == "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0"
    )
    assert container.xgboost_image_uri("cn-north-1").startswith(
        "450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/"
    )


@pytest.mark.parametrize("region", COMMERCIAL_REGIONS)
def test_every_commercial_region_resolves(region):
    uri = container.xgboost_image_uri(region)
    assert re.fullmatch(
        rf"\d{{12}}\.dkr\.ecr\.{region}\.amazonaws\.com/sagemaker-xgboost:3\.2-0", uri
    )


@pytest.mark.parametrize("region", ["mars-north-1", "${Token[AWS.Region.4]}", ""])
def test_unknown_region_is_a_clear_error(region):
    expected = (
        f"no SageMaker XGBoost 3.2-0 image is known for region {region!r}; supported regions: "
    )
    with pytest.raises(ValueError, match=re.escape(expected) + "af-south-1, "):
        container.xgboost_image_uri(region)


def test_local_xgboost_matches_the_container_major_minor():
    assert xgb.__version__.split(".")[:2] == container.XGBOOST_VERSION.split(".")[:2]


def test_the_cdk_can_import_the_plain_data_modules_as_a_package(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(container.__file__).parents[1]))
    for name in ("ml.container", "ml.contract"):
        module = importlib.import_module(name)
        assert module.__file__.endswith(name.replace(".", "/") + ".py")


def test_metric_definitions_are_sagemaker_shaped():
    for definition in contract.METRIC_DEFINITIONS:
        assert set(definition) == {"Name", "Regex"}
        assert re.compile(definition["Regex"]).groups == 1
    assert contract.CONDITION_JSON_PATH == "metrics.accuracy"
