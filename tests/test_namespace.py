"""The repo's constructs/ folder must join the `constructs` namespace without shadowing it."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from constructs import Construct
from constructs.core.secure_bucket import SecureBucket
from tests.synthesis import REPO_ROOT

DOMAINS = ("core", "network", "lake", "streaming", "ml")
# Plain data that Lambda code, tools, the emulator and tests import: no CDK, no jsii.
PLAIN_MODULES = ("lake_schema", "lake_schema.layout", "lake_schema.queries", "platform_config")


def test_library_and_local_constructs_both_import() -> None:
    assert Construct.__module__.startswith("constructs")
    assert Path(Construct.__module__.replace(".", "/")).parts[0] == "constructs"
    assert Path(SecureBucket.__module__.replace(".", "/")).name == "secure_bucket"


def test_constructs_folder_has_no_init() -> None:
    assert not (REPO_ROOT / "constructs" / "__init__.py").exists()


@pytest.mark.parametrize("domain", DOMAINS)
def test_domain_subpackage_is_a_regular_package_of_this_repo(domain: str) -> None:
    package = importlib.import_module(f"constructs.{domain}")
    assert package.__file__ == str(REPO_ROOT / "constructs" / domain / "__init__.py")
    assert package.__doc__, f"constructs/{domain}/__init__.py should say what the domain holds"


def test_no_flat_modules_left_at_the_top() -> None:
    assert sorted(path.name for path in (REPO_ROOT / "constructs").glob("*.py")) == []


def test_plain_data_modules_do_not_load_jsii() -> None:
    probe = (
        f"import importlib, sys; [importlib.import_module(m) for m in {PLAIN_MODULES!r}]; "
        "print(sorted(m for m in ('jsii', 'aws_cdk', 'constructs') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
