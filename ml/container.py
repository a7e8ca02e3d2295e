"""Where the AWS SageMaker XGBoost framework image lives, as plain data for the CDK stack.

Source: sagemaker-python-sdk ``image_uri_config/xgboost.json``, framework version ``3.2-0``
(the newest listed; built from aws/deep-learning-containers ``docker/xgboost``: XGBoost 3.2.0,
Python 3.12, pandas 2.2.3, pyarrow 22.0.0, scikit-learn 1.8.0, numpy 2.1.0). The same image
serves CPU and GPU instances, training, processing and inference. Nothing here looks anything
up at synth time; to move to a newer container, update the tag and the account map together.
"""

from __future__ import annotations

FRAMEWORK = "xgboost"
REPOSITORY = "sagemaker-xgboost"
VERSION_TAG = "3.2-0"
# The xgboost Python package inside the image; tests/local runs pin xgboost-cpu to the same.
XGBOOST_VERSION = "3.2.0"
PYTHON_VERSION = "3.12"

# Region -> ECR registry account that hosts the image (identical for training and inference).
REGISTRY_ACCOUNTS: dict[str, str] = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "341280168497",
    "ca-west-1": "190319476487",
    "cn-north-1": "450853457545",
    "cn-northwest-1": "451049120500",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "il-central-1": "898809789911",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-gov-east-1": "237065988967",
    "us-gov-west-1": "414596584902",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}


def _ecr_domain(region: str) -> str:
    # China regions live in their own partition with a different DNS suffix.
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def xgboost_image_uri(region: str) -> str:
    """Return the SageMaker XGBoost framework image URI for ``region``.

    Raises ValueError naming the region and the supported ones when the region is unknown
    (including unresolved CDK tokens such as ``${Token[AWS.Region.12]}``: the stack must be
    given an explicit region).
    """
    account = REGISTRY_ACCOUNTS.get(region)
    if account is None:
        supported = ", ".join(sorted(REGISTRY_ACCOUNTS))
        raise ValueError(
            f"no SageMaker XGBoost {VERSION_TAG} image is known for region {region!r}; "
            f"supported regions: {supported}"
        )
    return f"{account}.dkr.ecr.{region}.{_ecr_domain(region)}/{REPOSITORY}:{VERSION_TAG}"
